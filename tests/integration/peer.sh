# Helpers for tests against the scripted SMTP peer (faultpeer.py) over
# rootless slirp: source after lib.sh. No lab, no root.
PY=/usr/bin/python3
PEER=
SIMPID=
# End only what this script started, by pid, also on an early exit.
cleanup() {
    [ -n "$SIMPID" ] && kill "$SIMPID" 2>/dev/null
    [ -n "$PEER" ] && kill "$PEER" 2>/dev/null
    rm -rf "$T_TMP"
}
trap cleanup EXIT

# peer_start MODE: the peer on a free port; sets PEER (pid), PORT, LOG.
peer_start() {
    LOG=$T_TMP/$1.log
    : >"$LOG"
    rm -f "$T_TMP/$1.port" # a mode used before must not lend its old port
    "$PY" tests/integration/faultpeer.py "$1" "$T_TMP/$1.port" "$LOG" 2>"$T_TMP/$1.peer.err" &
    PEER=$!
    i=0
    while [ ! -s "$T_TMP/$1.port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    PORT=$(cat "$T_TMP/$1.port" 2>/dev/null)
}
peer_stop() {
    kill "$PEER" 2>/dev/null
    wait "$PEER" 2>/dev/null
    PEER=
}
# run_sim MODE [OPTIONS]: a one-page JPEG job against the peer, in the
# background (SIMPID); the panel's output in $T_TMP/MODE.out, stderr in .err.
run_sim() {
    m=$1
    shift
    "$SIM" send --net slirp --forward "198.51.100.1:25=127.0.0.1:$PORT" \
        --resolve mail.example.test=198.51.100.1 --state "$T_TMP/state" \
        --to alice@example.test --type jpeg --pages 1 --dpi 75 --retry 1s,1s "$@" \
        >"$T_TMP/$m.out" 2>"$T_TMP/$m.err" &
    SIMPID=$!
}
# wait_sim SECONDS: waits for the job at most SECONDS, kills it past that;
# sets RC (124 when it had to be killed).
wait_sim() {
    i=0
    while kill -0 "$SIMPID" 2>/dev/null && [ $i -lt $(($1 * 10)) ]; do
        sleep 0.1
        i=$((i + 1))
    done
    if kill -0 "$SIMPID" 2>/dev/null; then
        kill -KILL "$SIMPID" 2>/dev/null
        wait "$SIMPID" 2>/dev/null
        RC=124
    else
        wait "$SIMPID"
        RC=$?
    fi
    SIMPID=
}
failed_line() { grep -m1 '^FAILED' "$T_TMP/$1.out" | cut -c1-160; }
dots() { grep -c '^dot ' "$LOG"; }
