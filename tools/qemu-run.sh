#!/bin/sh
# qemu-run.sh [IMAGE] [KEY=VALUE...]: boots the board image (default
# build/arm/mfp-board.elf) in QEMU's mps2-an385 on the lab's tap and runs the
# firmware's built-in job (firmware/board_mps2_an385/main.c), changed by the
# KEY=VALUE words (to=, pages=, dpi=, color=, type=, tls=, port=, gateway=,
# subject=, ca=...). The lab's CA is passed as ca=$LAB_CA_FILE unless a ca=
# word is given: the firmware reads it from the host through semihosting.
#
# Brings the lab up first (sim/lab/up). QEMU runs inside the lab namespace
# with an explicit -nic (never QEMU's default user networking), prints the
# UART on stdout and ends with the firmware's exit status (semihosting
# SYS_EXIT): 0 delivered, 1 job failed, 2 bad job words, 3 no board, 70 a
# fault; 124 when QEMU_TIMEOUT (seconds, default 120) ran out.
#
# Environment: QEMU_TIMEOUT, QEMU_MAC (default 52:54:00:a3:85:01),
# QEMU_ICOUNT (e.g. 0: -icount shift=0, a repeatable instruction count).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
. sim/lab/env

IMAGE=build/arm/mfp-board.elf
case ${1:-} in *=*|"") ;; *) IMAGE=$1; shift ;; esac
[ -f "$IMAGE" ] || { echo "qemu-run: no image $IMAGE: build it with 'make arm-image'" >&2; exit 2; }
command -v qemu-system-arm >/dev/null 2>&1 ||
    { echo "qemu-run: qemu-system-arm is missing: run 'make deps'" >&2; exit 2; }

sh sim/lab/up >&2

# The job's words become semihosting arguments (one arg= each; QEMU doubles
# nothing for us, so a comma in a value would split the option: refuse it).
ARGS="arg=mfp-board"
have_ca=0
for w in "$@"; do
    case $w in
        *,*) echo "qemu-run: no commas in job words: '$w'" >&2; exit 2 ;;
        *" "*) echo "qemu-run: no spaces in job words: '$w'" >&2; exit 2 ;;
        ca=*) have_ca=1 ;;
    esac
    ARGS="$ARGS,arg=$w"
done
[ "$have_ca" = 1 ] || ARGS="$ARGS,arg=ca=$LAB_CA_FILE"

ICOUNT=""
[ -z "${QEMU_ICOUNT:-}" ] || ICOUNT="-icount shift=$QEMU_ICOUNT"

rc=0
# shellcheck disable=SC2086
timeout "${QEMU_TIMEOUT:-120}" ip netns exec "$LAB_NS" qemu-system-arm -M mps2-an385 \
    -display none -monitor none -serial stdio $ICOUNT \
    -semihosting-config "enable=on,target=native,$ARGS" \
    -nic "tap,ifname=$LAB_QTAP,script=no,downscript=no,model=lan9118,mac=${QEMU_MAC:-52:54:00:a3:85:01}" \
    -kernel "$IMAGE" </dev/null || rc=$?
[ "$rc" != 124 ] || echo "qemu-run: QEMU did not finish within ${QEMU_TIMEOUT:-120} s" >&2
exit "$rc"
