#!/bin/sh
# Integration test of the firmware's directory client (issue 7) through
# `mfp-sim ldap` against the lab's slapd and the LDAP fault peer: autocomplete
# from one letter to a full address, UTF-8 names, an injection attempt,
# StartTLS and LDAPS verified with the lab CA, a wrong-host certificate
# refused before any LDAP byte, LDAP Test, sign-in (right, wrong, locked), and
# the fault peer's drop/malformed/silent/stall modes under a short timeout.
# Expected data come from the fixture LDIF and sim/lab/env. Run as root.
# SIM_NET_ARGS (e.g. "--tap tldap0 --mac 02:12:34:56:78:c7") picks another
# tap when tap0 is taken by another simulator; MFP_SIM another mfp-sim.
. "$(dirname "$0")/lib.sh"
SIM=${MFP_SIM:-$SIM} # another build's mfp-sim, e.g. while developing

. "$(dirname "$0")/ldap_peer.sh"

OUT=$T_TMP/out
ERR=$T_TMP/err
ALL=$T_TMP/all   # every output, checked for passwords at the end
evidence() {
    not_ok "$1"
    { cat "$OUT"; cat "$ERR"; } 2>/dev/null | tail -n 8 | sed 's/^/#   /'
}
# ldap ARGS...: mfp-sim ldap with the lab's settings; stdout in $OUT, stderr
# in $ERR; returns its exit status.
ldap() {
    # shellcheck disable=SC2086
    "$SIM" ldap "$@" $SIM_NET_ARGS >"$OUT" 2>"$ERR"
    _rc=$?
    cat "$OUT" "$ERR" >>"$ALL"
    return $_rc
}
# json EXPR: evaluates a Python expression over the JSON in $OUT (as j).
json() {
    /usr/bin/python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$OUT" "$1" 2>/dev/null
}

if [ "$(id -u)" != 0 ]; then
    not_ok "the LDAP test must run as root (network namespace)"
    finish
fi
[ -x "$SIM" ] || { not_ok "$SIM is built (make)"; finish; }
need_lab

printf '%s\n' "$LAB_LDAP_BIND_PW" >"$T_TMP/bind.pw"
printf '%s\n' "$LAB_LDAP_USER_PW" >"$T_TMP/user.pw"
printf '%s\n' "not-$LAB_LDAP_USER_PW" >"$T_TMP/wrong.pw"
printf '%s\n' "$LAB_LDAP_LOCKED_PW" >"$T_TMP/locked.pw"
printf '%s\n' "not-$LAB_LDAP_BIND_PW" >"$T_TMP/wrongbind.pw"
SVC="--ca $LAB_CA_FILE --bind-dn $LAB_LDAP_BIND_DN --bind-password-file $T_TMP/bind.pw --base $LAB_LDAP_PEOPLE"

# --- autocomplete --------------------------------------------------------------
# shellcheck disable=SC2086
ldap type anna.petrova@example.test $SVC --json
rc=$?
if [ "$rc" = 0 ] && [ "$(json 'j["keys"][0]["text"], j["keys"][0]["suggestions"] > 0, j["keys"][0]["searches"]')" = "('a', True, 1)" ] &&
    [ "$(json 'j["keys"][-1]["state"], j["keys"][-1]["suggestions"], j["keys"][-1]["first"]')" = "('done', 1, 'anna.petrova@example.test')" ] &&
    [ "$(json 'len(j["keys"])')" = 25 ]; then
    ok "autocomplete from 'a' to anna.petrova@example.test: 25 keystrokes, the last shows exactly that address ($(json 'sum(k["searches"] for k in j["keys"])') searches)"
else
    evidence "autocomplete from 'a' to anna.petrova@example.test (exit $rc)"
fi
if [ "$(json 'all(k["requests"] == 0 for k in j["keys"] if k["state"] == "done" and k["searches"] == 0)')" = True ] &&
    [ "$(json 'sum(1 for k in j["keys"] if k["searches"] == 0)')" -gt 10 ]; then
    ok "once a prefix's results are complete, longer prefixes are answered locally (no request)"
else
    evidence "longer prefixes are answered locally once the results are complete"
fi

# shellcheck disable=SC2086
ldap search 'Анна' $SVC --json
if [ "$(json 'j["ok"] and len(j["suggestions"]) > 0 and all(s["name"].startswith("Анна") for s in j["suggestions"])')" = True ]; then
    ok "a Cyrillic prefix 'Анна' gives suggestions, every name starting with 'Анна' ($(json 'len(j["suggestions"])'))"
else
    evidence "a Cyrillic prefix 'Анна' gives suggestions named 'Анна …'"
fi
# shellcheck disable=SC2086
ldap search 'José M' $SVC --json
if [ "$(json '{"name": "José Müller", "mail": "jose.muller@example.test"} in j["suggestions"]')" = True ]; then
    ok "an accented prefix 'José M' suggests 'José Müller' <jose.muller@example.test>"
else
    evidence "an accented prefix 'José M' suggests José Müller"
fi

# shellcheck disable=SC2086
ldap search 'a*)(mail=*' $SVC --json
rc=$?
if [ "$rc" = 0 ] && [ "$(json 'j["ok"], len(j["suggestions"])')" = "(True, 0)" ]; then
    ok "the injection attempt 'a*)(mail=*' is a literal prefix: no entry matches (result 0)"
else
    evidence "the injection attempt 'a*)(mail=*' matches nothing (exit $rc)"
fi
# shellcheck disable=SC2086
ldap search 'Star*' $SVC --json
if [ "$(json '[s["mail"] for s in j["suggestions"]]')" = "['star.person@example.test']" ]; then
    ok "the prefix 'Star*' finds exactly the entry whose name holds a literal '*'"
else
    evidence "the prefix 'Star*' finds exactly star.person"
fi

# --- TLS -----------------------------------------------------------------------
# shellcheck disable=SC2086
ldap test $SVC --tls starttls --json
r1=$(json 'j["ok"], j["tls_version"]')
# shellcheck disable=SC2086
ldap test $SVC --tls ldaps --json
r2=$(json 'j["ok"], j["tls_version"]')
# shellcheck disable=SC2086
ldap test $SVC --tls ldaps --server "$LAB_GW" --json
r3=$(json 'j["ok"], j["tls_version"]')
if [ "$r1" = "(True, 'TLSv1.2')" ] && [ "$r2" = "$r1" ] && [ "$r3" = "$r1" ]; then
    ok "StartTLS (389) and LDAPS (636, by name and by IP $LAB_GW) verify with the lab CA"
else
    evidence "StartTLS and LDAPS verify with the lab CA ($r1 / $r2 / $r3)"
fi
ldap test --ca "$LAB_TLS_DIR/self.crt" --bind-dn "$LAB_LDAP_BIND_DN" \
    --bind-password-file "$T_TMP/bind.pw" --base "$LAB_LDAP_PEOPLE" --tls ldaps --json
if [ "$(json 'j["ok"], j["stage"]')" = "(False, 'tls')" ] && grep -q 'not trusted' "$OUT"; then
    ok "a foreign CA as the only trust: refused at the TLS stage (not trusted)"
else
    evidence "a foreign CA as the only trust is refused"
fi

WLOG=$LAB_DIR/slapd-wrong.log
ops() { grep -c ' \(BIND\|SRCH\) ' "$WLOG" 2>/dev/null; }
for how in "ldaps $LAB_LDAPS_WRONG_PORT" "starttls $LAB_LDAP_WRONG_PORT"; do
    set -- $how
    before=$(ops)
    # shellcheck disable=SC2086
    ldap test $SVC --tls "$1" --port "$2" --json
    res=$(json 'j["ok"], j["stage"]')
    msg=$(json 'j["message"]')
    sleep 0.3
    after=$(ops)
    # shellcheck disable=SC2086
    ldap test $SVC --tls "$1" --port "$2" --insecure --json
    res_off=$(json 'j["ok"]')
    sleep 0.3
    after_off=$(ops)
    if [ "$res" = "(False, 'tls')" ] && echo "$msg" | grep -q 'another name' &&
        [ -n "$before" ] && [ "$after" = "$before" ] && [ "$res_off" = True ] && [ "$after_off" -gt "$after" ]; then
        ok "$1 to :$2 (wrong.example.test certificate): refused at TLS, no BIND or SRCH reached slapd (with --insecure they do)"
    else
        evidence "$1 to :$2: wrong-host certificate refused, nothing after the handshake ($res; ops $before/$after/$after_off)"
    fi
done

# --- LDAP Test -------------------------------------------------------------------
# shellcheck disable=SC2086
ldap test $SVC
rc=$?
if [ "$rc" = 0 ] && grep -q '^LDAP Test OK: found .*<[^@]*@example.test>' "$OUT"; then
    ok "$(head -1 "$OUT")"
else
    evidence "LDAP Test OK against the lab (exit $rc)"
fi
ldap test --ca "$LAB_CA_FILE" --bind-dn "$LAB_LDAP_BIND_DN" --bind-password-file "$T_TMP/wrongbind.pw" \
    --base "$LAB_LDAP_PEOPLE" --json
if [ "$(json 'j["ok"], j["stage"], j["result_code"]')" = "(False, 'bind', 49)" ] && grep -q 'bind DN' "$ERR"; then
    ok "LDAP Test with a wrong bind password: fails at bind, result 49, says to check the bind DN and password"
else
    evidence "LDAP Test with a wrong bind password fails at bind with 49"
fi
# shellcheck disable=SC2086
ldap test $SVC --base "ou=nobody,$LAB_LDAP_BASE" --json
if [ "$(json 'j["ok"], j["stage"], j["result_code"]')" = "(False, 'search', 32)" ] && grep -q 'base DN' "$ERR"; then
    ok "LDAP Test with a base DN that does not exist: fails at search, result 32, names the base DN"
else
    evidence "LDAP Test with a missing base DN fails at search with 32"
fi
# shellcheck disable=SC2086
ldap test $SVC --server "$LAB_GW" --port 3999 --json
if [ "$(json 'j["ok"], j["stage"]')" = "(False, 'connect')" ] && grep -q 'refused' "$ERR"; then
    ok "LDAP Test to a port nobody listens on: fails at connect (refused), says to check address and port"
else
    evidence "LDAP Test to a closed port fails at connect"
fi
ldap test --bind-dn "$LAB_LDAP_BIND_DN" --bind-password-file "$T_TMP/bind.pw" --base "$LAB_LDAP_PEOPLE" --json
if [ "$(json 'j["ok"], j["stage"]')" = "(False, 'settings')" ] && grep -q 'CA certificate' "$ERR"; then
    ok "LDAP Test with TLS and no CA: refused by settings validation before connecting"
else
    evidence "LDAP Test with TLS and no CA is refused by validation"
fi
ldap test --tls none --bind-dn "$LAB_LDAP_BIND_DN" --bind-password-file "$T_TMP/bind.pw" --base "$LAB_LDAP_PEOPLE" --json
if [ "$(json 'j["ok"], j["stage"]')" = "(False, 'settings')" ] && grep -q 'cleartext' "$ERR"; then
    ok "a bind password without TLS is refused by validation (cleartext)"
else
    evidence "a bind password without TLS is refused by validation"
fi

# --- sign-in ---------------------------------------------------------------------
# shellcheck disable=SC2086
ldap signin "$LAB_LDAP_USER" --password-file "$T_TMP/user.pw" $SVC --json
if [ "$(json 'j["ok"], j["mail"], j["name"], j["dn"]')" = "(True, '$LAB_LDAP_USER_MAIL', '$LAB_LDAP_USER_NAME', '$LAB_LDAP_USER_DN')" ]; then
    ok "sign-in as $LAB_LDAP_USER: From $LAB_LDAP_USER_MAIL, name '$LAB_LDAP_USER_NAME'"
else
    evidence "sign-in as $LAB_LDAP_USER with the right password"
fi
# shellcheck disable=SC2086
ldap signin "$LAB_LDAP_USER" --password-file "$T_TMP/wrong.pw" $SVC --json
if [ "$(json 'j["ok"], j["stage"], j["result_code"]')" = "(False, 'user bind', 49)" ] &&
    grep -q 'wrong user name or password' "$ERR"; then
    ok "sign-in with a wrong password: 'wrong user name or password' (49)"
else
    evidence "sign-in with a wrong password says so"
fi
# shellcheck disable=SC2086
ldap signin "$LAB_LDAP_LOCKED" --password-file "$T_TMP/locked.pw" $SVC --json
if [ "$(json 'j["ok"], j["stage"], j["result_code"]')" = "(False, 'user bind', 49)" ] &&
    grep -q 'account is locked' "$ERR" && grep -q 'administrator' "$ERR"; then
    ok "sign-in as the locked $LAB_LDAP_LOCKED (right password): 'your account is locked' (ppolicy)"
else
    evidence "sign-in as the locked account says it is locked"
fi
# shellcheck disable=SC2086
ldap signin "$LAB_LDAP_USER" --password-file "$T_TMP/user.pw" $SVC --server "$LAB_GW" --port 3999 --json
if [ "$(json 'j["ok"], j["stage"]')" = "(False, 'connect')" ] && grep -q 'directory server .* refused' "$ERR"; then
    ok "sign-in with the server down: fails at connect, 'the directory server … refused the connection'"
else
    evidence "sign-in with the server down says the server cannot be reached"
fi

# --- the fault peer (start_peer: ldap_peer.sh) -------------------------------------
for case in "drop:closed the connection during the search" \
    "malformed:cannot be decoded" \
    "silent:did not answer the search within 2 s" \
    "stall:did not answer the search within 2 s"; do
    mode=${case%%:*}
    want=${case#*:}
    if ! start_peer "$mode"; then
        evidence "the fault peer starts on $LAB_GW:$LAB_LDAP_FAULT_PORT (mode $mode)"
        continue
    fi
    t0=$(date +%s%N)
    ldap search ann --server "$LAB_GW" --port "$LAB_LDAP_FAULT_PORT" --tls none --base "$LAB_LDAP_BASE" \
        --timeout 2 --json
    rc=$?
    ms=$((($(date +%s%N) - t0) / 1000000))
    stop_peer
    if [ "$rc" = 1 ] && [ "$(json 'j["ok"], j["stage"]')" = "(False, 'search')" ] &&
        grep -q "$want" "$ERR" && grep -q "what to do" "$ERR" && [ "$ms" -lt 6000 ]; then
        ok "fault peer '$mode': '$want' after $ms ms (timeout 2 s), exit 1"
    else
        evidence "fault peer '$mode': a clear message within the timeout (exit $rc, $ms ms)"
    fi
done

# --- secrets ---------------------------------------------------------------------
leaks=""
for pw in "$LAB_LDAP_BIND_PW" "$LAB_LDAP_USER_PW" "$LAB_LDAP_LOCKED_PW"; do
    grep -qF -- "$pw" "$ALL" && leaks="$leaks $pw"
done
if [ -s "$ALL" ] && [ -z "$leaks" ]; then
    ok "no password appears in any output of mfp-sim ldap ($(wc -l <"$ALL") lines checked)"
else
    not_ok "no password appears in the output (found:$leaks)"
fi

finish
