#!/bin/sh
# Jobs over TLS and with sign-in through the lab's gateways: implicit TLS (465), STARTTLS
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

# Sign-in through Dovecot SASL: every mechanism, over STARTTLS (1587) and
# implicit TLS (1465); the password never on a command line, in the output
# or on the wire in cleartext.
printf '%s\n' "$LAB_AUTH_PASS" >"$T_TMP/pass"
printf 'wrong-password\n' >"$T_TMP/badpass"
auth_send() { # auth_send NAME ARGS...
    name=$1
    shift
    "$SIM" send --state "$STATE" --from "$LAB_AUTH_USER" --to dave@example.test --type jpeg \
        --subject "$name $RUN" --ca "$LAB_CA_FILE" --user "$LAB_AUTH_USER" "$@" \
        >"$T_TMP/$name.out" 2>&1
}
for mech in scram-sha-256 cram-md5 plain login; do
    auth_send "auth-$mech" --tls starttls --gateway "mail.example.test:$LAB_AUTH_PORT" \
        --password-file "$T_TMP/pass" --auth "$mech"
    check "STARTTLS + AUTH $mech exits 0 ($(grep FAILED "$T_TMP/auth-$mech.out"))" [ $? -eq 0 ]
done
auth_send auth-best --tls implicit --gateway "mail.example.test:$LAB_AUTH_TLS_PORT" \
    --password-file "$T_TMP/pass" --pcap "$T_TMP/auth.pcap" --json
check "implicit TLS + the strongest mechanism exits 0" [ $? -eq 0 ]
sleep 1
for n in auth-scram-sha-256 auth-cram-md5 auth-plain auth-login auth-best; do
    check "the signed-in message '$n' is delivered" delivered "$n"
done
b64=$(printf '\0%s\0%s' "$LAB_AUTH_USER" "$LAB_AUTH_PASS" | base64 -w0)
check "no password (plain or base64) in the capture, the output or the JSON" \
    sh -c "! grep -aqF -e '$LAB_AUTH_PASS' -e '$b64' '$T_TMP/auth.pcap' '$T_TMP'/auth-*.out"

# A backup gateway with its own TLS mode: the primary (implicit TLS) is
# down, the backup takes STARTTLS and the same sign-in.
auth_send auth-backup --tls implicit --gateway "$LAB_GW:2599" \
    --gateway "mail.example.test:$LAB_AUTH_PORT/starttls" --password-file "$T_TMP/pass" --json
check "a backup with its own TLS mode (STARTTLS) signs in and delivers" [ $? -eq 0 ]
check "the result names the backup that took it" \
    grep -q "\"gateway\":\"mail.example.test\",\"port\":$LAB_AUTH_PORT" "$T_TMP/auth-backup.out"

auth_send auth-wrong --tls starttls --gateway "mail.example.test:$LAB_AUTH_PORT" \
    --password-file "$T_TMP/badpass"
check "a wrong password: sign-in refused with the gateway's 535 5.7.8" \
    grep -q 'FAILED at auth: Sign-in refused by the gateway: 535 5.7.8' "$T_TMP/auth-wrong.out"

"$SIM" send --state "$STATE" --from alice@example.test --to dave@example.test --type jpeg \
    --subject "mismatch $RUN" --ca "$LAB_CA_FILE" --tls starttls --user "$LAB_AUTH_USER" \
    --password-file "$T_TMP/pass" --gateway "mail.example.test:$LAB_AUTH_PORT" \
    >"$T_TMP/mismatch.out" 2>&1
check "a From the signed-in account does not own: the sender rule and the gateway's 553 5.7.1" \
    grep -q "FAILED at sender: .*alice@example.test (user's From rule): 553 5.7.1" "$T_TMP/mismatch.out"

# The administrator's fixed From: envelope and From are the signed-in mailbox,
# the user's address goes to Reply-To, and the gateway takes it.
"$SIM" send --state "$STATE" --from alice@example.test --fixed-from "$LAB_AUTH_USER" \
    --to dave@example.test --type jpeg --subject "fixedfrom $RUN" --ca "$LAB_CA_FILE" \
    --tls starttls --user "$LAB_AUTH_USER" --password-file "$T_TMP/pass" \
    --gateway "mail.example.test:$LAB_AUTH_PORT" >"$T_TMP/fixed.out" 2>&1
check "with the fixed From the job exits 0 ($(grep FAILED "$T_TMP/fixed.out"))" [ $? -eq 0 ]
t=0
until /usr/bin/python3 tests/integration/check_mail.py "$LAB_MAIL_DIR/dave" "fixedfrom $RUN" \
        "$T_TMP/fixedatt" --header "From=MFP Scanner <$LAB_AUTH_USER>" \
        --header "Reply-To=alice@example.test" >/dev/null 2>"$T_TMP/fixed.check"; do
    t=$((t + 1)); [ $t -lt 50 ] || break; sleep 0.2
done
check "delivered with From the fixed address and Reply-To the user ($(cat "$T_TMP/fixed.check"))" [ $t -lt 50 ]

auth_send auth-clear --tls none --gateway "mail.example.test:$LAB_AUTH_PORT" \
    --password-file "$T_TMP/pass" --pcap "$T_TMP/clear.pcap"
check "credentials are never sent without TLS" \
    grep -q 'FAILED at auth: Sign-in not possible' "$T_TMP/auth-clear.out"
check "the cleartext attempt's capture holds no AUTH command" \
    sh -c "! strings '$T_TMP/clear.pcap' | grep -q 'AUTH '"

# The E-mail Setup Test: "Gateways OK" with what the gateway offers, or the failure.
"$SIM" gateway test --state "$STATE" --tls starttls --ca "$LAB_CA_FILE" --user "$LAB_AUTH_USER" \
    --password-file "$T_TMP/pass" --gateway "mail.example.test:$LAB_AUTH_PORT" \
    >"$T_TMP/gwtest.out" 2>&1
check "gateway test with STARTTLS and sign-in exits 0" [ $? -eq 0 ]
check "it says Gateways OK, the TLS version and the AUTH mechanisms" sh -c \
    "grep -q '^Gateways OK: mail.example.test port $LAB_AUTH_PORT' '$T_TMP/gwtest.out' && grep -q 'TLS: TLSv1' '$T_TMP/gwtest.out' && grep -q 'AUTH: .*SCRAM-SHA-256.*signed in as $LAB_AUTH_USER' '$T_TMP/gwtest.out'"
"$SIM" gateway test --state "$STATE" --tls starttls --ca "$LAB_CA_FILE" --user "$LAB_AUTH_USER" \
    --password-file "$T_TMP/badpass" --gateway "mail.example.test:$LAB_AUTH_PORT" \
    >"$T_TMP/gwbad.out" 2>&1
check "gateway test with a wrong password fails at auth with the 535" \
    grep -q 'FAILED at auth: Sign-in refused by the gateway: 535' "$T_TMP/gwbad.out"
"$SIM" gateway test --json --state "$STATE" --gateway "$LAB_GW:2599" >"$T_TMP/gwnone.json" 2>/dev/null
check "gateway test to a closed port fails at connect (JSON)" \
    grep -q '"ok":false,"stage":"connect"' "$T_TMP/gwnone.json"

# Find gateways: SRV, MX and names from the lab's DNS, each probed.
"$SIM" gateway find --state "$STATE" --ca "$LAB_CA_FILE" >"$T_TMP/find.out" 2>&1
check "gateway find exits 0 with answers" [ $? -eq 0 ]
check "the SRV _submission._tcp gateway comes first, with STARTTLS verified" \
    grep -q '^ 1\. mail.example.test port 587 (SRV _submission._tcp): STARTTLS, ' "$T_TMP/find.out"
check "the MX gateway is listed on port 25" grep -q 'mail.example.test port 25 (MX)' "$T_TMP/find.out"
# The From's domain has no gateways: the DHCP domain's are found.
"$SIM" gateway find --state "$STATE" --from scanner@nowhere.test >"$T_TMP/find3.out" 2>&1
check "with a From domain without gateways, the DHCP domain's are listed" \
    grep -q 'mail.example.test port 587 (SRV _submission._tcp)' "$T_TMP/find3.out"

# The opt-in subnet probe: the lab's /24 only, ARP then ports 25/587/465.
"$SIM" gateway find --state "$STATE" --ca "$LAB_CA_FILE" --subnet --pcap "$T_TMP/scan.pcap" \
    >"$T_TMP/scan.out" 2>&1
check "the subnet probe finds the gateway's implicit-TLS port by address" \
    grep -q '198\.51\.100\.1 port 465 (subnet probe): implicit TLS' "$T_TMP/scan.out"
check "it asked the whole /24 within its time limit" \
    grep -q '^subnet probe: 254 of 254 addresses asked$' "$T_TMP/scan.out"
# Every ARP question and every IPv4 packet stays inside 198.51.100.0/24.
/usr/bin/python3 - "$T_TMP/scan.pcap" >"$T_TMP/scan.check" 2>&1 <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
off, arp, outside = 24, 0, []
while off + 16 <= len(data):
    incl = struct.unpack("<I", data[off + 8:off + 12])[0]
    frame = data[off + 16:off + 16 + incl]
    off += 16 + incl
    etype = struct.unpack("!H", frame[12:14])[0]
    if etype == 0x0806:
        target = frame[38:42]
        arp += frame[20:22] == b"\x00\x01"
    elif etype == 0x0800:
        target = frame[30:34]
    else:
        continue
    if target[:3] != bytes([198, 51, 100]) and target != b"\xff\xff\xff\xff":
        outside.append(".".join(map(str, target)))
print("arp requests", arp, "outside", sorted(set(outside)))
sys.exit(1 if outside or arp > 300 else 0)
PY
check "the probe touched nothing outside the lab's /24 ($(cat "$T_TMP/scan.check"))" [ $? -eq 0 ]
"$SIM" gateway find --json --state "$STATE" --domain nosuch.test >"$T_TMP/find2.json" 2>/dev/null
check "a domain with no gateways gives an empty answer, exit 1" [ $? -eq 1 ]

sleep 1
for n in wrongname selfsigned nostarttls noca auth-wrong mismatch auth-clear; do
    check "nothing of the refused '$n' job reached the mailbox" sh -c "! grep -qs '^Subject: $n $RUN' '$LAB_MAIL_DIR'/dave/new/*"
done
finish
