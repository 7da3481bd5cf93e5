#!/bin/sh
# The lab's TLS gateways, checked with `openssl s_client` from inside the lab
# namespace against the lab CA (build/lab/tls/ca.crt):
#   587  STARTTLS, the lab CA's certificate: verifies for mail.example.test,
#        smtp.example.test and 198.51.100.1; TLS 1.1 refused
#   465  implicit TLS, the same certificate
#   2587 STARTTLS, a certificate for wrong.example.test: host name check fails
#   2465 implicit TLS, a self-signed certificate: chain check fails
#   25   still plain (no STARTTLS offered)
# Brings the lab up when needed (never restarts it). Run as root.
# Prints ok / not ok lines, then `tls_lab: N passed, M failed`.
set -u
. "$(dirname "$0")/lib.sh"

finish() {
    echo "tls_lab: $T_PASS passed, $T_FAIL failed"
    [ "$T_FAIL" -eq 0 ]
    exit $?
}
OUT=$T_TMP/out
# not_ok_with DESCRIPTION: a failure, with the evidence from $OUT.
not_ok_with() {
    not_ok "$1"
    tail -n 8 "$OUT" | sed 's/^/#   /'
}
in_lab() { ip netns exec "$LAB_NS" "$@"; }

# tls PORT MODE OPENSSL-ARGS...: a handshake from inside the lab that fails
# on any verification error; QUIT goes in after it (only once it succeeded).
tls() {
    _port=$1 _mode=$2
    shift 2
    case $_mode in
        starttls) set -- -starttls smtp "$@" ;;
    esac
    echo QUIT | in_lab timeout 10 openssl s_client -connect "$LAB_GW:$_port" \
        -CAfile "$LAB_CA_FILE" -verify_return_error -brief "$@" >"$OUT" 2>&1
}
# expect DESCRIPTION PATTERN COMMAND...: the command fails and its output
# matches PATTERN (the reason we want, not just any failure).
expect_fail() {
    _d=$1 _p=$2
    shift 2
    if "$@"; then
        not_ok_with "$_d (it succeeded)"
    elif grep -qiE "$_p" "$OUT"; then
        ok "$_d"
    else
        not_ok_with "$_d (not for the expected reason: /$_p/)"
    fi
}
expect_ok() {
    _d=$1
    shift
    if "$@" && grep -q 'Verification: OK' "$OUT" && grep -qE 'Protocol version: TLSv1\.[23]' "$OUT"; then
        ok "$_d ($(sed -n 's/^Protocol version: //p' "$OUT"), $(sed -n 's/^Ciphersuite: //p' "$OUT"))"
    else
        not_ok_with "$_d"
    fi
}

if [ "$(id -u)" != 0 ]; then
    not_ok "the TLS lab test must run as root (namespaces, Postfix)"
    finish
fi
command -v openssl >/dev/null 2>&1 || { not_ok "missing openssl: run make deps"; finish; }
need_lab
check "the lab CA exists ($LAB_CA_FILE)" test -s "$LAB_CA_FILE"
check "the lab CA is a CA (basicConstraints critical CA:TRUE)" \
    sh -c "openssl x509 -in '$LAB_CA_FILE' -noout -text | grep -A1 'Basic Constraints: critical' | grep -q 'CA:TRUE'"

expect_ok "587 STARTTLS verifies against the lab CA for $LAB_TLS_NAME" \
    tls "$LAB_SUBMISSION_PORT" starttls -verify_hostname "$LAB_TLS_NAME" -servername "$LAB_TLS_NAME"
expect_ok "587 STARTTLS verifies for smtp.$LAB_DOMAIN" \
    tls "$LAB_SUBMISSION_PORT" starttls -verify_hostname "smtp.$LAB_DOMAIN"
expect_ok "587 STARTTLS verifies for the IP address $LAB_GW (subjectAltName IP)" \
    tls "$LAB_SUBMISSION_PORT" starttls -verify_ip "$LAB_GW"
expect_fail "587 refuses TLS 1.1 (the server answers alert protocol_version)" "alert protocol version" \
    tls "$LAB_SUBMISSION_PORT" starttls -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0'
expect_ok "465 implicit TLS verifies against the lab CA for $LAB_TLS_NAME" \
    tls "$LAB_SUBMISSIONS_PORT" implicit -verify_hostname "$LAB_TLS_NAME" -servername "$LAB_TLS_NAME"
expect_fail "2587 STARTTLS fails host name verification (wrong.$LAB_DOMAIN)" "hostname mismatch" \
    tls "$LAB_TLS_WRONG_NAME_PORT" starttls -verify_hostname "$LAB_TLS_NAME"
expect_ok "2587's certificate itself chains to the lab CA (only the name is wrong)" \
    tls "$LAB_TLS_WRONG_NAME_PORT" starttls -verify_hostname "wrong.$LAB_DOMAIN"
expect_fail "2465 implicit TLS fails chain verification (self-signed)" "self-signed certificate|self signed certificate" \
    tls "$LAB_TLS_SELF_SIGNED_PORT" implicit -verify_hostname "$LAB_TLS_NAME"

# The plain listeners are unchanged: port 25 offers no STARTTLS.
if printf 'EHLO tls-lab.test\r\nQUIT\r\n' | in_lab timeout 10 openssl s_client -quiet \
    -connect "$LAB_GW:$LAB_SMTP_PORT" -starttls smtp >"$OUT" 2>&1; then
    not_ok_with "25 offers no STARTTLS (a TLS session was set up)"
else
    grep -qi "STARTTLS not supported\|didn't find STARTTLS" "$OUT" && ok "25 offers no STARTTLS" ||
        not_ok_with "25 offers no STARTTLS"
fi
finish
