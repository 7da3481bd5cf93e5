#!/bin/sh
# Heap budget of the firmware pipeline (exact, counting allocator, no ASan):
# prints "ok - ..." / "not ok - ..." lines and "budget: N passed, M failed";
# exits non-zero on any failure. Needs $BUILD/bench/bench_job (make test builds it).
set -u
cd "$(dirname "$0")/../.."
BJ=${BUILD:-build}/bench/bench_job
if [ ! -x "$BJ" ]; then
    echo "not ok - $BJ is not built (make $BJ)"
    echo "budget: 0 passed, 1 failed"
    exit 1
fi
exec "$BJ" budget
