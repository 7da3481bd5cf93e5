# Helpers for integration tests: TAP-like "ok - " / "not ok - " lines.
# Source after setting nothing; run from anywhere.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
. sim/lab/env
SIM=${MFP_SIM:-$ROOT/build/mfp-sim} # MFP_SIM: another build (or a wrapper)
T_PASS=0
T_FAIL=0
T_TMP=$(mktemp -d)
trap 'rm -rf "$T_TMP"' EXIT

ok() { echo "ok - $*"; T_PASS=$((T_PASS + 1)); }
not_ok() { echo "not ok - $*"; T_FAIL=$((T_FAIL + 1)); }
# check DESCRIPTION COMMAND...: ok when the command exits 0.
check() {
    d=$1
    shift
    if "$@"; then ok "$d"; else not_ok "$d"; fi
}
# A test that needs the lab brings it up and fails (never skips) when it cannot.
need_lab() {
    if ! sh sim/lab/up >"$T_TMP/lab-up.log" 2>&1; then
        not_ok "the lab must come up (sim/lab/up): $(tail -3 "$T_TMP/lab-up.log")"
        finish
    fi
}
finish() {
    echo "$(basename "$0" .sh): $T_PASS passed, $T_FAIL failed"
    [ "$T_FAIL" -eq 0 ]
    exit $?
}
