#!/bin/sh
# Runs every test kind and ends with one summary line: "tests: N passed, M failed".
# Unit tests (cmocka, ASan+UBSan), short fuzz runs, then integration tests against the lab.
# A suite that cannot start (missing binary, lab down) counts as a failure and says why.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
LOG=$BUILD/test-logs
mkdir -p "$LOG"
pass=0
fail=0
failed_names=""

note_fail() { fail=$((fail + 1)); failed_names="$failed_names $1"; }

SUITES=${SUITES:-unit fuzz budget integration}
want() { case " $SUITES " in *" $1 "*) return 0 ;; esac; return 1; }

# cmocka prints "[       OK ] name" per passing test and returns the number of failures.
want unit && for t in $(find "$BUILD/unit" -type f -perm -u+x -name 'test_*' | sort); do
    name=$(basename "$t")
    "$t" >"$LOG/$name.log" 2>&1
    rc=$?
    ok=$(grep -c '^\[       OK \]' "$LOG/$name.log")
    pass=$((pass + ok))
    if [ $rc -ne 0 ]; then
        n=$(grep -c '^\[  FAILED  \] test_' "$LOG/$name.log")
        [ "$n" -gt 0 ] || n=1
        fail=$((fail + n))
        failed_names="$failed_names $name"
        echo "FAIL unit $name (exit $rc), log: $LOG/$name.log"
        grep -E 'FAILED|ERROR|error|Sanitizer' "$LOG/$name.log" | head -20
    else
        echo "ok   unit $name ($ok tests)"
    fi
done

# Short fuzz runs (long ones: make fuzz).
want fuzz && for f in $(find "$BUILD/fuzz" -type f -perm -u+x -name 'fuzz_*' 2>/dev/null | sort); do
    name=$(basename "$f")
    if "$f" -max_total_time="${FUZZ_SECONDS:-15}" -print_final_stats=0 >"$LOG/$name.log" 2>&1; then
        pass=$((pass + 1)); echo "ok   fuzz $name"
    else
        note_fail "$name"; echo "FAIL fuzz $name, log: $LOG/$name.log"; tail -30 "$LOG/$name.log"
    fi
done

# Memory budget (exact, counting allocator) of the pipeline without ASan.
if want budget; then
    if "$BUILD/bench/bench_job" budget >"$LOG/budget.log" 2>&1; then
        n=$(grep -c '^ok - ' "$LOG/budget.log"); pass=$((pass + n))
        echo "ok   budget ($n checks)"
    else
        note_fail budget; echo "FAIL budget, log: $LOG/budget.log"; cat "$LOG/budget.log"
    fi
fi

# Integration tests print "ok - ..." lines; they bring the lab up themselves.
# A lab this run brought up is taken down at the end; one already up stays.
lab_was_up=0
sh sim/lab/status -q >/dev/null 2>&1 && lab_was_up=1

# Integration tests print "ok - ..." / "not ok - ..." lines.
want integration && for t in $(ls tests/integration/test_*.sh 2>/dev/null | sort); do
    name=$(basename "$t" .sh)
    sh "$t" >"$LOG/$name.log" 2>&1
    rc=$?
    ok=$(grep -c '^ok - ' "$LOG/$name.log")
    bad=$(grep -c '^not ok - ' "$LOG/$name.log")
    pass=$((pass + ok))
    if [ $rc -ne 0 ] && [ "$bad" -eq 0 ]; then bad=1; fi
    fail=$((fail + bad))
    if [ "$bad" -gt 0 ]; then
        failed_names="$failed_names $name"
        echo "FAIL integration $name, log: $LOG/$name.log"
        grep -E '^not ok' "$LOG/$name.log"; tail -15 "$LOG/$name.log"
    else
        echo "ok   integration $name ($ok checks)"
    fi
done

if want integration && [ $lab_was_up -eq 0 ]; then sh sim/lab/down >/dev/null 2>&1; fi

[ -z "$failed_names" ] || echo "failed:$failed_names"
echo "tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
