#!/bin/sh
# Instructions per megabyte sent, plain and with TLS (issue 5's figure):
# callgrind on three runs of the same 3-page job through the lab -- scanned
# and packed only (--no-wait), sent to port 25, sent with implicit TLS to
# 465 (certificate verified) -- so that the sending costs are differences
# of whole runs: (plain - packed) / MB and (TLS - packed) / MB, the TLS run
# including its handshake. Run as root with the lab up (make bench does).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
SIM=$BUILD/mfp-sim
NET=${SIM_NET_ARGS:-} # e.g. "--tap t1 --mac 02:..": another tap of the lab
. sim/lab/env
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
JOB="--to alice@example.test --type jpeg --pages 3 --dpi 150 --subject bench-tls --json"

# ir NAME ARGS...: instructions of one mfp-sim run (its own state directory).
ir() {
    name=$1
    shift
    valgrind --tool=callgrind --callgrind-out-file="$T/$name.cg" "$SIM" send --state "$T/$name" \
        $JOB $NET "$@" >"$T/$name.json" 2>"$T/$name.err"
    rc=$?
    [ "$rc" -eq 0 ] || [ "$name" = packed -a "$rc" -eq 4 ] ||
        { echo "tls_cost: the $name run failed (rc $rc): $(tail -2 "$T/$name.err")"; exit 1; }
    callgrind_annotate "$T/$name.cg" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }'
}
a=$(ir packed --no-wait) || exit 1
b=$(ir plain) || exit 1
c=$(ir tls --tls implicit --ca "$LAB_CA_FILE") || exit 1
bytes=$(sed -n 's/.*"smtp_bytes_out":\([0-9]*\).*/\1/p' "$T/plain.json")
awk -v a="$a" -v b="$b" -v c="$c" -v n="$bytes" 'BEGIN {
    mb = n / 1048576
    printf "Sending cost, 3 pages at 150 dpi, %d SMTP bytes (%.2f MB), instructions (callgrind):\n", n, mb
    printf "  %-44s %14d\n", "scan + pack only (--no-wait)", a
    printf "  %-44s %14d\n", "plain, port 25", b
    printf "  %-44s %14d\n", "implicit TLS, port 465, verified", c
    printf "  %-44s %14.0f\n", "plain: instructions per MB sent", (b - a) / mb
    printf "  %-44s %14.0f\n", "TLS: instructions per MB sent (handshake in)", (c - a) / mb
    printf "  %-44s %14.0f\n", "TLS over plain, per MB", (c - b) / mb
}'
