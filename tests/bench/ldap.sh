#!/bin/sh
# Directory figures of issue 7, side by side with ldapsearch; never pass/fail
# on time (exits 1 only when a measurement cannot be made: build missing,
# lab down, a run failed). Run as root; brings the lab up (sh sim/lab/up).
#  1. round trips and bytes per keystroke typing a full address into
#     autocomplete (mfp-sim ldap type, StartTLS, the service account);
#  2. instructions per decoded entry: callgrind on tests/bench/ldap_bench.c
#     (built here by hand) fed a search response recorded from the lab's
#     slapd, the largest the client accepts (LDAP_ENTRIES_MAX entries);
#  3. peak heap of a search returning the maximum result count (massif on
#     mfp-sim ldap search --max 10) and the client's own context sizes;
#  4. time from a keystroke to the first suggestion, beside ldapsearch for
#     the same filter (both inside the lab namespace, medians of RUNS runs).
# SIM_NET_ARGS (e.g. "--tap tldap0 --mac 02:12:34:56:78:c7") when tap0 is taken.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
SIM=${MFP_SIM:-$BUILD/mfp-sim}
BENCH=$BUILD/bench/ldap_bench
RUNS=${RUNS:-7}
SIM_NET_ARGS=${SIM_NET_ARGS:-}
ADDR=anna.petrova@example.test  # typed key by key; in the lab fixture
PREFIX=a                        # the one-letter search of sections 3 and 4
T=$(mktemp -d)
umask 077 # the bind password files
trap 'rm -rf "$T"' EXIT

fail() { echo "ldap bench: $*"; exit 1; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ms_now() { date +%s%N | awk '{ printf "%.3f\n", $1 / 1e6 }'; }
row() { printf '  %-52s %12s  %s\n' "$1" "$2" "${3:-}"; }

[ "$(id -u)" = 0 ] || fail "run as root (the lab is a network namespace)"
[ -x "$SIM" ] || fail "$SIM is not built (make)"
for t in valgrind callgrind_annotate ldapsearch /usr/bin/python3; do
    command -v "$t" >/dev/null 2>&1 || fail "$t is missing (sh tools/deps.sh --bench)"
done
mkdir -p "$BUILD/bench"
# shellcheck disable=SC2086
cc -O2 -g -std=c11 -Wall -Wextra -Werror -D_DEFAULT_SOURCE -D_GNU_SOURCE -Iaddrbook/include \
    -o "$BENCH" tests/bench/ldap_bench.c addrbook/ldap_client.c addrbook/ldap_filter.c \
    addrbook/ldap_complete.c -lmbedcrypto || fail "cannot build $BENCH"
sh sim/lab/up >"$T/lab.log" 2>&1 || { tail -5 "$T/lab.log"; fail "the lab does not come up (sh sim/lab/up)"; }
. sim/lab/env
NS="ip netns exec $LAB_NS"
printf '%s\n' "$LAB_LDAP_BIND_PW" >"$T/bind.pw"
SVC="--ca $LAB_CA_FILE --bind-dn $LAB_LDAP_BIND_DN --bind-password-file $T/bind.pw --base $LAB_LDAP_PEOPLE"
# The autocomplete filter for a prefix, as ldap_filter writes it.
filter() { echo "(&(mail=*)(|(cn=$1*)(displayName=$1*)(mail=$1*)(sn=$1*)(givenName=$1*)))"; }
LDAPSEARCH="ldapsearch -c -LLL -o ldif-wrap=no -x -ZZ -H ldap://$LAB_LDAP_HOST -D $LAB_LDAP_BIND_DN -y $T/bind.pw.raw -b $LAB_LDAP_PEOPLE -z 11"
printf '%s' "$LAB_LDAP_BIND_PW" >"$T/bind.pw.raw"   # -y takes the whole file, newline included
export LDAPTLS_CACERT="$LAB_CA_FILE" LDAPTLS_REQCERT=demand

echo "== Directory (LDAP) figures: mfp-sim beside ldapsearch, lab slapd with $LAB_LDAP_COUNT people"

# --- 1. typing a full address ----------------------------------------------------
# shellcheck disable=SC2086
"$SIM" ldap type "$ADDR" $SVC --json $SIM_NET_ARGS >"$T/type.json" 2>"$T/type.err" ||
    { tail -3 "$T/type.err"; fail "mfp-sim ldap type failed"; }
/usr/bin/python3 - "$T/type.json" >"$T/type.txt" <<'PY' || fail "cannot read mfp-sim ldap type --json"
import json, statistics, sys
j = json.load(open(sys.argv[1]))
k = j["keys"]
n = len(k)
searched = [x for x in k if x["searches"] > 0]
local = [x for x in k if x["searches"] == 0]
tot = lambda f: sum(x[f] for x in k)
print("keys", n)
print("searches", tot("searches"))
print("requests", tot("requests"))
print("answered_locally", len(local))
print("out", tot("ldap_bytes_out")); print("in", tot("ldap_bytes_in")); print("wire", tot("wire_bytes"))
print("first_search_ms", statistics.median([x["first_ms"] for x in searched]) if searched else "n/a")
print("first_local_ms", statistics.median([x["first_ms"] for x in local]) if local else "n/a")
print("connect_ms", j["connect_ms"])
PY
v() { sed -n "s/^$1 //p" "$T/type.txt"; }
KEYS=$(v keys)
per() { awk -v a="$1" -v n="$KEYS" 'BEGIN { printf "%.1f", a / n }'; }
echo "1. Typing \"$ADDR\" ($KEYS keys; StartTLS; the next key once the list is final)"
row "searches sent / keys answered from the cache" "$(v searches) / $(v answered_locally)"
row "round trips (LDAP requests) per keystroke" "$(per "$(v requests)")" "($(v requests) in all)"
row "LDAP bytes out / in per keystroke" "$(per "$(v out)") / $(per "$(v in)")"
row "wire bytes (Ethernet, TLS) per keystroke" "$(per "$(v wire)")"
echo "  (ldapsearch has no per-key mode: a run per key costs TCP + StartTLS + TLS handshake +"
echo "   bind + search, 6 round trips, where mfp-sim keeps one bound session and a cache)"

# --- 2. instructions per decoded entry ----------------------------------------------
EMAX=$(sed -n 's/^#define LDAP_ENTRIES_MAX \([0-9]*\).*/\1/p' addrbook/include/ldap_opts.h)
$NS /usr/bin/python3 tests/bench/ldap_record.py "$LAB_GW" "$LAB_LDAP_ANON_PORT" "$LAB_LDAP_PEOPLE" \
    "$T/resp.ber" "$PREFIX" "$EMAX" >/dev/null || fail "cannot record a search response from slapd"
"$BENCH" "$T/resp.ber" >"$T/bench.txt" || fail "ldap_bench failed on the recorded response"
valgrind --tool=callgrind --callgrind-out-file="$T/cg.out" "$BENCH" "$T/resp.ber" >/dev/null 2>&1 ||
    fail "callgrind on ldap_bench failed"
b() { sed -n "s/^$1 //p" "$T/bench.txt"; }
IR=$( (cd / && callgrind_annotate --inclusive=yes --threshold=100 --auto=no "$T/cg.out" 2>/dev/null) |
    awk '/ldap_bench_decode/ { gsub(",", "", $1); print $1; exit }')
[ -n "$IR" ] || fail "ldap_bench_decode not found in the callgrind output"
echo "2. Decoding a recorded response: $(b entries) entries, $(b response_bytes) bytes (slapd, prefix \"$PREFIX\", result $(b result_code))"
row "instructions per decoded entry (callgrind)" "$(awk -v i="$IR" -v n="$(b entries)" 'BEGIN { printf "%.0f", i / n }')"
row "bytes per entry on the wire (LDAP)" "$(awk -v a="$(b response_bytes)" -v n="$(b entries)" 'BEGIN { printf "%.0f", a / n }')"

# --- 3. peak heap -------------------------------------------------------------------
# shellcheck disable=SC2086
valgrind --tool=massif --pages-as-heap=no --massif-out-file="$T/massif.out" \
    "$SIM" ldap search "$PREFIX" --max 10 $SVC --json $SIM_NET_ARGS >"$T/search.json" 2>"$T/massif.err" ||
    { tail -3 "$T/massif.err"; fail "massif on mfp-sim ldap search failed"; }
PEAK=$(sed -n 's/^mem_heap_B=//p' "$T/massif.out" | sort -n | tail -1)
NSUG=$(/usr/bin/python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["suggestions"]))' "$T/search.json")
echo "3. Memory of a search returning the maximum result count (--max 10: $NSUG suggestions)"
row "peak heap, whole mfp-sim ldap search (massif; TLS in)" "$PEAK" "bytes"
row "ldap_client_t + its output buffer (caller-owned)" "$(( $(b sizeof_ldap_client_t) + $(b client_outbuf) ))" "bytes, no heap"
row "ldap_complete_t (session cache, caller-owned)" "$(b sizeof_ldap_complete_t)" "bytes, no heap"

# --- 4. keystroke to first suggestion -------------------------------------------------
F=$(filter "$PREFIX")
i=0
: >"$T/sim.ms"; : >"$T/ls1.ms"; : >"$T/lsn.ms"; : >"$T/type.ms"
# ldapsearch -f: one search per line of the file on one bound connection.
for j in $(seq 1 20); do echo "$F"; done >"$T/lines20"
echo "$F" >"$T/lines1"
while [ $i -lt "$RUNS" ]; do
    i=$((i + 1))
    # shellcheck disable=SC2086
    "$SIM" ldap search "$PREFIX" $SVC --json $SIM_NET_ARGS >"$T/s.json" 2>/dev/null || fail "mfp-sim ldap search failed"
    /usr/bin/python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["total_ms"] - j["connect_ms"], j["total_ms"])' "$T/s.json" >>"$T/sim.ms"
    # shellcheck disable=SC2086
    "$SIM" ldap type "$PREFIX" $SVC --json $SIM_NET_ARGS >"$T/t.json" 2>/dev/null || fail "mfp-sim ldap type failed"
    /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["keys"][0]["first_ms"])' "$T/t.json" >>"$T/type.ms"
    t0=$(ms_now); $NS $LDAPSEARCH "$F" displayName mail >"$T/ls.out" 2>&1; rc=$?; t1=$(ms_now)
    [ $rc -eq 0 ] || [ $rc -eq 4 ] || { tail -3 "$T/ls.out"; fail "ldapsearch failed (rc $rc)"; }
    echo "$t0 $t1" | awk '{ printf "%.1f\n", $2 - $1 }' >>"$T/ls1.ms"
    t0=$(ms_now); $NS $LDAPSEARCH -f "$T/lines20" "%s" displayName mail >"$T/ls20.out" 2>&1; t1=$(ms_now)
    t2=$(ms_now); $NS $LDAPSEARCH -f "$T/lines1" "%s" displayName mail >/dev/null 2>&1; t3=$(ms_now)
    [ "$(grep -c '^mail:' "$T/ls20.out")" -ge 200 ] || { tail -3 "$T/ls20.out"; fail "ldapsearch -f did not run 20 searches"; }
    echo "$t0 $t1 $t2 $t3" | awk '{ printf "%.2f\n", (($2 - $1) - ($4 - $3)) / 19 }' >>"$T/lsn.ms"
done
DEB=$(awk '{ print $1 }' "$T/sim.ms" | median)
echo "4. Keystroke to first suggestion, prefix \"$PREFIX\", filter $F (medians of $RUNS)"
row "mfp-sim, bound session: key -> first suggestion" "$(median <"$T/type.ms") ms" "(150 ms debounce included)"
row "mfp-sim, bound session, the search alone" "$DEB ms" "(search sent -> list)"
row "mfp-sim, a key the session cache answers (section 1)" "$(v first_local_ms) ms" "(no request, no debounce)"
row "ldapsearch, one search on a bound connection" "$(median <"$T/lsn.ms") ms" "((20 searches - 1) / 19, -f)"
row "mfp-sim ldap search, connect+StartTLS+bind+search" "$(awk '{ print $2 }' "$T/sim.ms" | median) ms" "(lease cached)"
row "ldapsearch, process+connect+StartTLS+bind+search" "$(median <"$T/ls1.ms") ms" "(wall)"
echo "  reproduce: $SIM ldap type $ADDR --ca CA --bind-dn DN --bind-password-file F --base $LAB_LDAP_PEOPLE"
echo "             ip netns exec $LAB_NS ldapsearch -x -ZZ -H ldap://$LAB_LDAP_HOST -D DN -y F -b $LAB_LDAP_PEOPLE -z 11 '$F' displayName mail"
