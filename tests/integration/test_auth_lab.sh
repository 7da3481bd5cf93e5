#!/bin/sh
# The lab's authenticated submission (Dovecot SASL behind Postfix), checked
# from inside the lab namespace with swaks (PLAIN, LOGIN, CRAM-MD5) and
# tests/integration/smtp_scram.py (SCRAM-SHA-256, which swaks lacks):
#   1587  STARTTLS required, AUTH offered only after it, then required;
#         each login may send only as itself (553 5.7.1 otherwise);
#         a wrong password gets 535 5.7.8 at once
#   1465  the same with implicit TLS
#   2527  greylisting (postgrey): 450 first, accepted after LAB_GREY_DELAY s
# Brings the lab up when needed (never restarts it). Run as root.
# Prints ok / not ok lines, then `auth_lab: N passed, M failed`.
set -u
. "$(dirname "$0")/lib.sh"

finish() {
    echo "auth_lab: $T_PASS passed, $T_FAIL failed"
    [ "$T_FAIL" -eq 0 ]
    exit $?
}
OUT=$T_TMP/out
not_ok_with() {
    not_ok "$1"
    grep -E '^(<~?|\*\*\*|SMTP error|AUTH|client|server)' "$OUT" | tail -n 8 | sed 's/^/#   /'
}
in_lab() { ip netns exec "$LAB_NS" "$@"; }
now_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }
alice_count() { find "$(sim/lab/mailbox alice)/new" -type f 2>/dev/null | wc -l; }

# send PORT starttls|implicit|plain SWAKS-ARGS...: one message from inside
# the lab, verifying the server against the lab CA; the dialogue goes to $OUT
# and the time taken to $T_MS.
send() {
    _port=$1 _mode=$2
    shift 2
    case $_mode in
        starttls) set -- --tls --tls-verify --tls-ca-path "$LAB_CA_FILE" "$@" ;;
        implicit) set -- --tlsc --tls-verify --tls-ca-path "$LAB_CA_FILE" "$@" ;;
    esac
    _t=$(now_ms)
    in_lab timeout 20 swaks --server "$LAB_GW" --port "$_port" --ehlo auth-lab.test \
        --tls-sni "$LAB_TLS_NAME" "$@" >"$OUT" 2>&1
    _rc=$?
    T_MS=$(( $(now_ms) - _t ))
    return $_rc
}
# delivered DESCRIPTION PORT MODE SWAKS-ARGS...: accepted (250 after DATA)
# and found in alice's Maildir.
delivered() {
    _d=$1
    shift
    _before=$(alice_count)
    if send "$@" && grep -qE '^<[-~]\*? *250 2\.0\.0 Ok: queued' "$OUT" &&
        sim/lab/wait-mail alice $((_before + 1)) 5 >>"$OUT" 2>&1; then
        ok "$_d (${T_MS} ms)"
    else
        not_ok_with "$_d"
    fi
}
# refused DESCRIPTION PATTERN PORT MODE SWAKS-ARGS...: swaks fails, the
# dialogue shows PATTERN, and nothing reached alice.
refused() {
    _d=$1 _p=$2
    shift 2
    _before=$(alice_count)
    if send "$@"; then
        not_ok_with "$_d (it was accepted)"
    elif ! grep -qE "$_p" "$OUT"; then
        not_ok_with "$_d (no /$_p/)"
    elif [ "$(alice_count)" != "$_before" ]; then
        not_ok_with "$_d (but mail arrived)"
    else
        ok "$_d: $(grep -E "$_p" "$OUT" | head -1 | sed 's/^[<~* ]*//' | cut -c1-90) (${T_MS} ms)"
    fi
}

if [ "$(id -u)" != 0 ]; then
    not_ok "the AUTH lab test must run as root (namespaces, Postfix)"
    finish
fi
command -v swaks >/dev/null 2>&1 || { not_ok "missing swaks: run make deps"; finish; }
need_lab

U=$LAB_AUTH_USER P=$LAB_AUTH_PASS
AS_SCANNER="--auth-user $U --auth-password $P --from $U --to alice@$LAB_DOMAIN"

# --- 1587: TLS first -------------------------------------------------------
if send "$LAB_AUTH_PORT" plain --quit-after EHLO && grep -q '250-STARTTLS' "$OUT" &&
    ! grep -q '250[- ]AUTH' "$OUT"; then
    ok "1587 offers STARTTLS and no AUTH before TLS"
else
    not_ok_with "1587 offers STARTTLS and no AUTH before TLS"
fi
if send "$LAB_AUTH_PORT" starttls --quit-after EHLO &&
    grep -q "250[- ]AUTH PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256" "$OUT"; then
    ok "1587 offers AUTH PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256 after STARTTLS (cert verified)"
else
    not_ok_with "1587 offers AUTH PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256 after STARTTLS (cert verified)"
fi
refused "1587 refuses mail without TLS" '530 5.7.0' \
    "$LAB_AUTH_PORT" plain --from "$U" --to "alice@$LAB_DOMAIN"
refused "1587 refuses mail over TLS without AUTH" '55[34] 5\.7\.1' \
    "$LAB_AUTH_PORT" starttls --from "$U" --to "alice@$LAB_DOMAIN"

# --- 1587: each mechanism ----------------------------------------------------
for mech in PLAIN LOGIN CRAM-MD5; do
    # shellcheck disable=SC2086
    delivered "1587 STARTTLS + AUTH $mech as $U delivers to alice" \
        "$LAB_AUTH_PORT" starttls --auth "$mech" $AS_SCANNER
done
_before=$(alice_count)
_t=$(now_ms)
if in_lab timeout 20 /usr/bin/python3 tests/integration/smtp_scram.py "$LAB_GW" "$LAB_AUTH_PORT" \
    starttls "$LAB_CA_FILE" "$U" "$P" "$U" "alice@$LAB_DOMAIN" >"$OUT" 2>&1 &&
    grep -q '^server-final ok -> 235' "$OUT" && sim/lab/wait-mail alice $((_before + 1)) 5 >>"$OUT" 2>&1; then
    ok "1587 STARTTLS + AUTH SCRAM-SHA-256 as $U delivers (server signature checked) ($(( $(now_ms) - _t )) ms)"
else
    not_ok_with "1587 STARTTLS + AUTH SCRAM-SHA-256 as $U delivers"
fi
if in_lab timeout 20 /usr/bin/python3 tests/integration/smtp_scram.py "$LAB_GW" "$LAB_AUTH_PORT" \
    starttls "$LAB_CA_FILE" "$U" "Wrong-$P" "$U" "alice@$LAB_DOMAIN" >"$OUT" 2>&1; then
    not_ok_with "1587 SCRAM-SHA-256 with a wrong password is refused (it was accepted)"
elif grep -q '^client-final -> 535 5.7.8' "$OUT"; then
    ok "1587 SCRAM-SHA-256 with a wrong password: 535 5.7.8"
else
    not_ok_with "1587 SCRAM-SHA-256 with a wrong password: 535 5.7.8"
fi
# shellcheck disable=SC2086
delivered "1587 AUTH PLAIN as $LAB_AUTH_USER2 from her own address delivers" \
    "$LAB_AUTH_PORT" starttls --auth PLAIN --auth-user "$LAB_AUTH_USER2" \
    --auth-password "$LAB_AUTH_PASS2" --from "$LAB_AUTH_USER2" --to "alice@$LAB_DOMAIN"

# --- 1587: refusals ----------------------------------------------------------
for mech in PLAIN LOGIN CRAM-MD5; do
    refused "1587 AUTH $mech with a wrong password" '535 5\.7\.8' \
        "$LAB_AUTH_PORT" starttls --auth "$mech" --auth-user "$U" --auth-password "Wrong-$P" \
        --from "$U" --to "alice@$LAB_DOMAIN"
done
refused "1587 AUTH PLAIN for an unknown user" '535 5\.7\.8' \
    "$LAB_AUTH_PORT" starttls --auth PLAIN --auth-user "nobody@$LAB_DOMAIN" --auth-password "$P" \
    --from "$U" --to "alice@$LAB_DOMAIN"
refused "1587 authenticated as $U, MAIL FROM $LAB_AUTH_USER2 (sender login mismatch)" \
    '553 5\.7\.1.*not owned by user' \
    "$LAB_AUTH_PORT" starttls --auth PLAIN --auth-user "$U" --auth-password "$P" \
    --from "$LAB_AUTH_USER2" --to "alice@$LAB_DOMAIN"
refused "1587 authenticated as $U, MAIL FROM an unlisted address (bob)" \
    '553 5\.7\.1.*not owned by user' \
    "$LAB_AUTH_PORT" starttls --auth PLAIN --auth-user "$U" --auth-password "$P" \
    --from "bob@$LAB_DOMAIN" --to "alice@$LAB_DOMAIN"

# --- 1465: implicit TLS --------------------------------------------------------
if send "$LAB_AUTH_TLS_PORT" implicit --quit-after EHLO &&
    grep -q "250[- ]AUTH PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256" "$OUT"; then
    ok "1465 implicit TLS (cert verified) offers AUTH PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256"
else
    not_ok_with "1465 implicit TLS (cert verified) offers AUTH PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256"
fi
for mech in PLAIN LOGIN CRAM-MD5; do
    # shellcheck disable=SC2086
    delivered "1465 implicit TLS + AUTH $mech as $U delivers to alice" \
        "$LAB_AUTH_TLS_PORT" implicit --auth "$mech" $AS_SCANNER
done
_before=$(alice_count)
if in_lab timeout 20 /usr/bin/python3 tests/integration/smtp_scram.py "$LAB_GW" "$LAB_AUTH_TLS_PORT" \
    implicit "$LAB_CA_FILE" "$U" "$P" "$U" "alice@$LAB_DOMAIN" >"$OUT" 2>&1 &&
    sim/lab/wait-mail alice $((_before + 1)) 5 >>"$OUT" 2>&1; then
    ok "1465 implicit TLS + AUTH SCRAM-SHA-256 as $U delivers"
else
    not_ok_with "1465 implicit TLS + AUTH SCRAM-SHA-256 as $U delivers"
fi
refused "1465 AUTH PLAIN with a wrong password" '535 5\.7\.8' \
    "$LAB_AUTH_TLS_PORT" implicit --auth PLAIN --auth-user "$U" --auth-password "Wrong-$P" \
    --from "$U" --to "alice@$LAB_DOMAIN"
refused "1465 authenticated as $U, MAIL FROM $LAB_AUTH_USER2" '553 5\.7\.1' \
    "$LAB_AUTH_TLS_PORT" implicit --auth PLAIN --auth-user "$U" --auth-password "$P" \
    --from "$LAB_AUTH_USER2" --to "alice@$LAB_DOMAIN"

# --- 2527: greylisting -----------------------------------------------------------
# A fresh triplet per run (postgrey remembers triplets; it also folds digits
# in sender addresses, so the fresh part is letters).
GREY_FROM="grey-$(tr -dc a-z </dev/urandom | head -c 12)@$LAB_DOMAIN"
_t0=$(now_ms)
refused "2527 greylists a new sender/recipient pair" '450 4\.2\.0.*[Gg]reylisted' \
    "$LAB_GREY_PORT" plain --from "$GREY_FROM" --to "alice@$LAB_DOMAIN"
sleep $((LAB_GREY_DELAY + 1))
delivered "2527 accepts the same pair after $LAB_GREY_DELAY s" \
    "$LAB_GREY_PORT" plain --from "$GREY_FROM" --to "alice@$LAB_DOMAIN"
echo "# greylisting round trip: $(( $(now_ms) - _t0 )) ms"

# Dovecot logged the logins (its log is the place to look when AUTH fails).
check "dovecot logged the failed logins in $LAB_DIR/dovecot.log" \
    grep -qi 'password mismatch' "$LAB_DIR/dovecot.log"
finish
