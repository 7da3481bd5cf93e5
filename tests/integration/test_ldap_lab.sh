#!/bin/sh
# Integration test of the lab's directory (issue 7), with ldapsearch and
# ldapwhoami run inside the lab namespace: the fixtures (count, prefix and
# UTF-8 searches, the escaping fixtures, limits), TLS (StartTLS, ldaps, a
# wrong host name and a foreign CA refused), binds (service account, sign-in
# user, wrong password, locked account, anonymous), and the scripted fault
# peer's modes (tests/integration/ldap_faultpeer.py). Expected entries are
# derived from the fixture LDIF the directory was loaded from, not from
# slapd. Run as root; brings the lab up if needed and leaves it up.
. "$(dirname "$0")/lib.sh"

LDIF=$LAB_LDAP_DIR/cache/main.ldif
. "$(dirname "$0")/ldap_peer.sh"

OUT=$T_TMP/out
in_lab() { ip netns exec "$LAB_NS" "$@"; }
# evidence DESCRIPTION: not ok, with the last lines of $OUT.
evidence() {
    not_ok "$1"
    tail -n 8 "$OUT" 2>/dev/null | sed 's/^/#   /'
}
# search URL [OPTIONS...] FILTER [ATTRS...]: ldapsearch as the service
# account, base ou=people, into $OUT (LDIF, no wrapping); returns its exit
# code. TLS settings come from LDAPTLS_CACERT and, when set, TLS_REQCERT (for
# LDAPTLS_REQCERT).
search() {
    _url=$1
    shift
    in_lab env ${TLS_REQCERT:+LDAPTLS_REQCERT=$TLS_REQCERT} ldapsearch -x -H "$_url" \
        -D "$LAB_LDAP_BIND_DN" -w "$LAB_LDAP_BIND_PW" \
        -b "$LAB_LDAP_PEOPLE" -LLL -o ldif-wrap=no "$@" >"$OUT" 2>&1
}
dns() { grep '^dn: ' "$OUT" | sed 's/^dn: //' | sort; }
# expected prefix|equal VALUE ATTR...: DNs in the fixture LDIF with a value
# of one of ATTR starting with (or equal to) VALUE, case-insensitive, UTF-8;
# sorted, one a line.
expected() {
    /usr/bin/python3 - "$LDIF" "$@" <<'EOF'
import base64, sys
path, how, want = sys.argv[1], sys.argv[2], sys.argv[3].casefold()
attrs = {a.lower() for a in sys.argv[4:]}
test = str.startswith if how == "prefix" else str.__eq__
hits = []
for block in open(path, encoding="utf-8").read().split("\n\n"):
    dn, match = None, False
    for line in block.splitlines():
        name, sep, val = line.partition(":")
        if not sep:
            continue
        if val.startswith(":"):
            val = base64.b64decode(val[1:].strip()).decode("utf-8")
        else:
            val = val.strip()
        if name == "dn":
            dn = val
        elif name.lower() in attrs and test(val.casefold(), want):
            match = True
    if dn and match and ",ou=people," in dn:
        hits.append(dn)
print("\n".join(sorted(hits)))
EOF
}
b64() { printf '%s' "$1" | base64 -w0; }

if [ "$(id -u)" != 0 ]; then
    not_ok "the LDAP lab test must run as root (network namespace)"
    finish
fi
for cmd in ldapsearch ldapwhoami timeout base64 /usr/bin/python3; do
    command -v "$cmd" >/dev/null 2>&1 || { not_ok "missing $cmd: run make deps (ldap-utils)"; finish; }
done
need_lab
[ -s "$LDIF" ] || { not_ok "the fixture LDIF $LDIF exists (made by sim/lab/slapd-setup)"; finish; }

LDAP=ldap://$LAB_LDAP_HOST:$LAB_LDAP_PORT
LDAPS=ldaps://$LAB_LDAP_HOST:$LAB_LDAPS_PORT
export LDAPTLS_CACERT="$LAB_CA_FILE"

# --- fixtures and limits -------------------------------------------------------
search "$LDAP" -E pr=500/noprompt '(objectClass=inetOrgPerson)' dn
rc=$?
n=$(grep -c '^dn: ' "$OUT")
if [ "$rc" = 0 ] && [ "$n" = "$LAB_LDAP_COUNT" ]; then
    ok "a paged search (500 a page) returns all $LAB_LDAP_COUNT people, result 0"
else
    evidence "a paged search returns all $LAB_LDAP_COUNT people (got $n, exit $rc)"
fi

search "$LDAP" '(objectClass=inetOrgPerson)' dn
rc=$?
n=$(grep -c '^dn: ' "$OUT")
if [ "$rc" = 4 ] && [ "$n" = "$LAB_LDAP_SIZELIMIT" ]; then
    ok "without paging the soft limit gives $LAB_LDAP_SIZELIMIT entries and result 4 (sizeLimitExceeded)"
else
    evidence "without paging: $LAB_LDAP_SIZELIMIT entries and result 4 (got $n, exit $rc)"
fi

search "$LDAP" -z 5000 '(objectClass=inetOrgPerson)' dn
rc=$?
n=$(grep -c '^dn: ' "$OUT")
if [ "$rc" = 4 ] && [ "$n" = "$LAB_LDAP_HARD_SIZELIMIT" ]; then
    ok "a client size limit above the hard limit is capped at $LAB_LDAP_HARD_SIZELIMIT (result 4)"
else
    evidence "a client size limit is capped at $LAB_LDAP_HARD_SIZELIMIT (got $n, exit $rc)"
fi

# Autocomplete's filter for "ann": every attribute of issue 7's default list.
want=$(expected prefix ann cn displayName mail sn givenName)
search "$LDAP" -E pr=500/noprompt \
    '(&(mail=*)(|(cn=ann*)(displayName=ann*)(mail=ann*)(sn=ann*)(givenName=ann*)))' cn mail
rc=$?
got=$(dns)
nwant=$(echo "$want" | grep -c .)
if [ "$rc" = 0 ] && [ "$nwant" -gt 0 ] && [ "$got" = "$want" ]; then
    ok "prefix search 'ann' returns exactly the $nwant fixture entries that match"
else
    echo "$want" >"$T_TMP/want"
    echo "$got" | diff "$T_TMP/want" - >"$OUT" 2>&1
    evidence "prefix search 'ann' returns exactly the matching fixture entries (want $nwant, exit $rc)"
fi

search "$LDAP" '(mail=jose.muller@example.test)' cn displayName mail
if grep -qx "cn:: $(b64 'José Müller')" "$OUT" && grep -qx "displayName:: $(b64 'José Müller')" "$OUT"; then
    ok "jose.muller@example.test is 'José Müller' in UTF-8"
else
    evidence "jose.muller@example.test is 'José Müller' in UTF-8"
fi

# Common names repeat (mail and uid then carry a number): expect them all.
want=$(expected equal 'Анна Петрова' cn)
search "$LDAP" '(cn=Анна Петрова)' mail
if [ "$(dns)" = "$want" ] && grep -qx 'mail: anna.petrova@example.test' "$OUT"; then
    ok "an equality search for the Cyrillic cn 'Анна Петрова' finds its $(echo "$want" | wc -l) entries, anna.petrova@example.test among them"
else
    evidence "an equality search for 'Анна Петрова' finds anna.petrova@example.test"
fi

want=$(expected prefix 'Анна' cn displayName givenName)
search "$LDAP" -E pr=500/noprompt '(|(cn=Анна*)(displayName=Анна*)(givenName=Анна*))' dn
got=$(dns)
nwant=$(echo "$want" | grep -c .)
if [ "$nwant" -gt 1 ] && [ "$got" = "$want" ]; then
    ok "a Cyrillic prefix search 'Анна' returns exactly the $nwant matching entries"
else
    evidence "a Cyrillic prefix search 'Анна' returns the matching entries (want $nwant, got $(echo "$got" | grep -c .))"
fi

# RFC 4515 escaping, the way the client must send a typed prefix.
search "$LDAP" '(|(cn=a\2a\29\28mail=\2a*)(mail=a\2a\29\28mail=\2a*))' dn
rc=$?
if [ "$rc" = 0 ] && [ -z "$(dns)" ]; then
    ok "the escaped injection attempt 'a*)(mail=*' matches nothing (result 0)"
else
    evidence "the escaped injection attempt 'a*)(mail=*' matches nothing (exit $rc)"
fi
search "$LDAP" '(cn=Star\2a*)' dn
a=$(dns)
search "$LDAP" '(cn=Paren \28Sales\29*)' dn
b=$(dns)
search "$LDAP" '(cn=Back\5cSlash*)' dn
c=$(dns)
if [ "$a" = "uid=star.person,$LAB_LDAP_PEOPLE" ] && [ "$b" = "uid=paren.team,$LAB_LDAP_PEOPLE" ] &&
    [ "$c" = "uid=back.slash,$LAB_LDAP_PEOPLE" ]; then
    ok "escaped '*', '(', ')' and '\\' find exactly their fixture entries"
else
    echo "star: $a / paren: $b / backslash: $c" >"$OUT"
    evidence "escaped '*', '(', ')' and '\\' find exactly their fixture entries"
fi

# A directory address is a lab mailbox: a job to it is delivered there.
search "$LDAP" '(cn=Alice*)' mail
addr=$(sed -n 's/^mail: \(alice@.*\)/\1/p' "$OUT")
before=$(find "$(sim/lab/mailbox alice)/new" -type f | wc -l)
tok=ldap-$$
if [ "$addr" = alice@example.test ] &&
    in_lab swaks --server "$LAB_GW" --port "$LAB_SMTP_PORT" --timeout 10 --from scanner@example.test \
        --to "$addr" --header "Subject: $tok" --body "token $tok" >"$OUT" 2>&1 &&
    sim/lab/wait-mail alice $((before + 1)) 10 >>"$OUT" 2>&1 &&
    grep -l "token $tok" "$(sim/lab/mailbox alice)"/new/* >/dev/null 2>&1; then
    ok "the directory's alice@example.test is a lab mailbox: mail to it is delivered"
else
    evidence "the directory's alice@example.test is a lab mailbox (found '$addr')"
fi

# --- TLS -----------------------------------------------------------------------
search "$LDAP" -ZZ "(uid=$LAB_LDAP_USER)" mail
if [ $? = 0 ] && grep -qx "mail: $LAB_LDAP_USER_MAIL" "$OUT"; then
    ok "StartTLS (-ZZ) to $LAB_LDAP_HOST:$LAB_LDAP_PORT verifies with the lab CA and searches"
else
    evidence "StartTLS (-ZZ) to $LAB_LDAP_HOST:$LAB_LDAP_PORT verifies with the lab CA and searches"
fi
search "$LDAPS" "(uid=$LAB_LDAP_USER)" mail
r1=$?
search "ldaps://$LAB_GW:$LAB_LDAPS_PORT" "(uid=$LAB_LDAP_USER)" mail
r2=$?
if [ "$r1" = 0 ] && [ "$r2" = 0 ] && grep -qx "mail: $LAB_LDAP_USER_MAIL" "$OUT"; then
    ok "ldaps on $LAB_LDAPS_PORT verifies by name ($LAB_LDAP_HOST) and by IP ($LAB_GW)"
else
    evidence "ldaps on $LAB_LDAPS_PORT verifies by name and by IP (exits $r1, $r2)"
fi
LDAPTLS_CACERT=$LAB_TLS_DIR/self.crt
search "$LDAPS" "(uid=$LAB_LDAP_USER)" mail
rc=$?
LDAPTLS_CACERT=$LAB_CA_FILE
if [ "$rc" != 0 ] && ! grep -q '^dn: ' "$OUT"; then
    ok "ldaps with a foreign CA as the only trust is refused (exit $rc)"
else
    evidence "ldaps with a foreign CA as the only trust is refused (exit $rc)"
fi
# wrong_name URL [ARGS...]: the second slapd's wrong.example.test certificate
# is refused; with verification off the same search succeeds (so what is
# refused is the certificate, not a dead server).
wrong_name() {
    _u=$1
    shift
    search "$_u" "$@" "(uid=$LAB_LDAP_USER)" mail
    _rc=$?
    TLS_REQCERT=never search "$_u" "$@" "(uid=$LAB_LDAP_USER)" mail
    _rc_off=$?
    if [ "$_rc" != 0 ] && [ "$_rc_off" = 0 ] && grep -qx "mail: $LAB_LDAP_USER_MAIL" "$OUT"; then
        ok "$_u${*:+ $*}: the wrong.example.test certificate is refused (exit $_rc; unverified, it answers)"
    else
        evidence "$_u${*:+ $*}: the wrong.example.test certificate is refused (exit $_rc, unverified exit $_rc_off)"
    fi
}
wrong_name "ldaps://$LAB_LDAP_HOST:$LAB_LDAPS_WRONG_PORT"
wrong_name "ldap://$LAB_LDAP_HOST:$LAB_LDAP_WRONG_PORT" -ZZ

# --- binds ---------------------------------------------------------------------
in_lab ldapwhoami -x -H "$LDAP" -ZZ -D "$LAB_LDAP_BIND_DN" -w "$LAB_LDAP_BIND_PW" >"$OUT" 2>&1
if [ $? = 0 ] && grep -qix "dn:$LAB_LDAP_BIND_DN" "$OUT"; then
    ok "the service account $LAB_LDAP_BIND_DN binds"
else
    evidence "the service account $LAB_LDAP_BIND_DN binds"
fi
# Sign-in as the panel does it: find the user by uid, then bind as its DN.
search "$LDAP" "(uid=$LAB_LDAP_USER)" mail displayName
dn=$(dns)
if [ "$dn" = "$LAB_LDAP_USER_DN" ] && grep -qx "mail: $LAB_LDAP_USER_MAIL" "$OUT" &&
    grep -qx "displayName: $LAB_LDAP_USER_NAME" "$OUT" &&
    in_lab ldapwhoami -x -H "$LDAP" -ZZ -D "$dn" -w "$LAB_LDAP_USER_PW" >"$OUT" 2>&1 &&
    grep -qix "dn:$LAB_LDAP_USER_DN" "$OUT"; then
    ok "sign-in: uid $LAB_LDAP_USER is found ($LAB_LDAP_USER_MAIL, '$LAB_LDAP_USER_NAME') and binds with its password"
else
    evidence "sign-in: uid $LAB_LDAP_USER is found and binds with its password"
fi
in_lab ldapwhoami -x -H "$LDAP" -D "$LAB_LDAP_USER_DN" -w "not-$LAB_LDAP_USER_PW" >"$OUT" 2>&1
rc=$?
if [ "$rc" = 49 ] && grep -q 'Invalid credentials (49)' "$OUT"; then
    ok "a wrong password gives 49 (invalidCredentials)"
else
    evidence "a wrong password gives 49 (exit $rc)"
fi
in_lab ldapwhoami -x -H "$LDAP" -D "$LAB_LDAP_LOCKED_DN" -w "$LAB_LDAP_LOCKED_PW" -e ppolicy >"$OUT" 2>&1
rc=$?
if [ "$rc" = 49 ] && grep -q 'Invalid credentials (49); Account locked' "$OUT"; then
    ok "the locked account's right password gives 49, 'Account locked' in the ppolicy control"
else
    evidence "the locked account's right password gives 49 with 'Account locked' (exit $rc)"
fi
in_lab ldapsearch -x -H "$LDAP" -b "$LAB_LDAP_PEOPLE" -LLL "(uid=$LAB_LDAP_USER)" mail >"$OUT" 2>&1
rc=$?
if [ "$rc" = 32 ] && ! grep -q '^dn: ' "$OUT"; then
    ok "an anonymous search on $LAB_LDAP_PORT sees nothing (32 noSuchObject)"
else
    evidence "an anonymous search on $LAB_LDAP_PORT sees nothing (exit $rc)"
fi
in_lab ldapsearch -x -H "ldap://$LAB_GW:$LAB_LDAP_ANON_PORT" -b "$LAB_LDAP_PEOPLE" -LLL \
    "(uid=$LAB_LDAP_USER)" mail userPassword >"$OUT" 2>&1
rc=$?
if [ "$rc" = 0 ] && grep -qx "mail: $LAB_LDAP_USER_MAIL" "$OUT" && ! grep -qi '^userPassword' "$OUT"; then
    ok "an anonymous search on $LAB_LDAP_ANON_PORT finds entries, never a userPassword"
else
    evidence "an anonymous search on $LAB_LDAP_ANON_PORT finds entries, never a userPassword (exit $rc)"
fi

# --- the fault peer --------------------------------------------------------------
FAULT=ldap://$LAB_GW:$LAB_LDAP_FAULT_PORT
# fault MODE: ldapsearch against the peer under a 3 s timeout; sets rc.
fault() {
    timeout 3 ip netns exec "$LAB_NS" ldapsearch -x -H "$FAULT" -b "$LAB_LDAP_BASE" -LLL \
        -o ldif-wrap=no '(cn=a*)' cn mail >"$OUT" 2>&1
    rc=$?
}

if start_peer drop; then
    fault
    if [ "$rc" = 255 ] && [ "$(grep -c '^dn: ' "$OUT")" = 3 ] &&
        grep -q "Can't contact LDAP server (-1)" "$OUT" && grep -qx drop "$T_TMP/peer.log"; then
        ok "fault peer 'drop': 3 whole entries, then the connection ends mid-PDU (ldapsearch exit 255)"
    else
        evidence "fault peer 'drop': 3 entries, then the connection ends (exit $rc)"
    fi
    stop_peer
else
    evidence "the fault peer starts on $LAB_GW:$LAB_LDAP_FAULT_PORT (mode drop)"
fi
if start_peer malformed; then
    fault
    if [ "$rc" = 252 ] && grep -q 'Decoding error (-4)' "$OUT" && ! grep -q '^dn: ' "$OUT" &&
        grep -qx malformed "$T_TMP/peer.log"; then
        ok "fault peer 'malformed': a lying inner length gives a decoding error (ldapsearch exit 252)"
    else
        evidence "fault peer 'malformed': a decoding error (exit $rc)"
    fi
    stop_peer
else
    evidence "the fault peer starts on $LAB_GW:$LAB_LDAP_FAULT_PORT (mode malformed)"
fi
for mode in silent stall; do
    if start_peer "$mode"; then
        fault
        case $mode in silent) seen=connect ;; stall) seen=search ;; esac
        if [ "$rc" = 124 ] && ! grep -q '^dn: ' "$OUT" && grep -qx "$seen" "$T_TMP/peer.log"; then
            ok "fault peer '$mode': no answer (after '$seen'), ldapsearch is ended by the 3 s timeout"
        else
            evidence "fault peer '$mode': no answer, ldapsearch ended by the timeout (exit $rc)"
        fi
        stop_peer
    else
        evidence "the fault peer starts on $LAB_GW:$LAB_LDAP_FAULT_PORT (mode $mode)"
    fi
done

finish
