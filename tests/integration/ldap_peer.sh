# Helpers for tests against the scripted LDAP peer (ldap_faultpeer.py) inside
# the lab namespace: source after lib.sh.
PEER=""
OUT=$T_TMP/out # a failed start_peer copies the peer's stderr here
# stop_peer: end the peer this script started, by pid.
stop_peer() {
    [ -n "$PEER" ] || return 0
    kill "$PEER" 2>/dev/null
    wait "$PEER" 2>/dev/null
    PEER=""
}
trap 'stop_peer; rm -rf "$T_TMP"' EXIT

# start_peer MODE [OPTIONS...]: ldap_faultpeer.py MODE (and OPTIONS) in the
# lab on LAB_LDAP_FAULT_PORT, its log in $T_TMP/peer.log, its stderr in
# $T_TMP/peer.err; 0 once it listens, 1 (peer ended, its stderr copied to
# $OUT) when it does not within 5 s.
start_peer() {
    _m=$1
    shift
    rm -f "$T_TMP/ready" "$T_TMP/peer.log"
    # not through in_lab: $! must be the peer itself (ip netns exec execs)
    ip netns exec "$LAB_NS" /usr/bin/python3 tests/integration/ldap_faultpeer.py "$_m" --port "$LAB_LDAP_FAULT_PORT" \
        "$@" --ready "$T_TMP/ready" --log "$T_TMP/peer.log" 2>"$T_TMP/peer.err" &
    PEER=$!
    _n=0
    while [ ! -f "$T_TMP/ready" ]; do
        if [ "$_n" -ge 100 ] || ! kill -0 "$PEER" 2>/dev/null; then
            cp "$T_TMP/peer.err" "$OUT"
            stop_peer
            return 1
        fi
        sleep 0.05
        _n=$((_n + 1))
    done
}
