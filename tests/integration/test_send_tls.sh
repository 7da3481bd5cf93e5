#!/bin/sh
# Jobs over TLS through the lab's gateways: implicit TLS (465), STARTTLS
# (587), a wrong host name (2587) and a self-signed certificate (2465) refused
# with nothing sent, no STARTTLS on 25 refused (never cleartext), and a
# capture that carries nothing of the message in cleartext.
. "$(dirname "$0")/lib.sh"
need_lab
[ -x "$SIM" ] || { not_ok "build/mfp-sim must exist (make)"; finish; }
STATE=$T_TMP/state
RUN=$(date +%s)-$$

tls_send() { # tls_send NAME ARGS...: job to dave, output in NAME.out
    name=$1
    shift
    "$SIM" send --state "$STATE" --to dave@example.test --type jpeg --subject "$name $RUN" \
        --ca "$LAB_CA_FILE" "$@" >"$T_TMP/$name.out" 2>&1
}
delivered() { grep -qs "^Subject: $1 $RUN" "$LAB_MAIL_DIR"/dave/new/*; }

tls_send implicit --tls implicit --pcap "$T_TMP/implicit.pcap"
check "implicit TLS (465) with the lab CA exits 0 ($(grep FAILED "$T_TMP/implicit.out"))" [ $? -eq 0 ]
check "the certificate was verified, TLS 1.2 or newer" \
    grep -Eq '^tls: TLSv1\.[23] .* certificate verified' "$T_TMP/implicit.out"
sleep 1
check "the implicit-TLS message is delivered" delivered implicit
check "the capture holds nothing of the SMTP dialogue in cleartext" \
    sh -c "! strings '$T_TMP/implicit.pcap' | grep -Eq 'MAIL FROM|implicit $RUN|Content-Type'"

tls_send starttls --tls starttls
check "STARTTLS (587) exits 0 ($(grep FAILED "$T_TMP/starttls.out"))" [ $? -eq 0 ]
sleep 1
check "the STARTTLS message is delivered" delivered starttls

tls_send wrongname --tls starttls --gateway "mail.example.test:$LAB_TLS_WRONG_NAME_PORT"
check "a certificate for another name is refused (exit 1)" [ $? -eq 1 ]
check "the panel says whose certificate it is" \
    grep -q 'FAILED at tls: .*certificate is for wrong.example.test, not mail.example.test. Nothing was sent' "$T_TMP/wrongname.out"

tls_send selfsigned --tls implicit --gateway "mail.example.test:$LAB_TLS_SELF_SIGNED_PORT"
check "a self-signed certificate is refused (exit 1)" [ $? -eq 1 ]
check "the panel says it is not signed by the trusted CA" \
    grep -q 'FAILED at tls: .*not correctly signed by the trusted CA' "$T_TMP/selfsigned.out"

tls_send nostarttls --tls starttls --gateway "mail.example.test:$LAB_SMTP_PORT"
check "STARTTLS required but not offered fails, never falls back to cleartext" \
    grep -q 'FAILED at starttls: .*does not offer STARTTLS: nothing was sent' "$T_TMP/nostarttls.out"

tls_send noca --tls implicit --ca /dev/null
check "TLS without a CA certificate fails with what to do" \
    grep -q 'FAILED at tls: TLS cannot start: .*Install the company' "$T_TMP/noca.out"

tls_send insecure --tls implicit --gateway "mail.example.test:$LAB_TLS_SELF_SIGNED_PORT" --insecure
check "an explicit --insecure accepts it and says so" \
    grep -q 'certificate NOT VERIFIED (insecure)' "$T_TMP/insecure.out"

sleep 1
for n in wrongname selfsigned nostarttls noca; do
    check "nothing of the refused '$n' job reached the mailbox" sh -c "! grep -qs '^Subject: $n $RUN' '$LAB_MAIL_DIR'/dave/new/*"
done
finish
