#!/bin/sh
# Integration test of the lab's client message rate limit (issue 5): port
# LAB_RATE_PORT accepts LAB_RATE_LIMIT messages from one client per
# LAB_RATE_UNIT seconds, refuses the next at MAIL FROM with the 450 reply
# documented in sim/lab/README.md, and accepts again once the unit has passed;
# port 25 has no such limit. swaks runs inside the lab namespace, so the
# client is 198.51.100.1, inside $mynetworks: this also shows that the port
# does not exempt the lab network (smtpd_client_event_limit_exceptions).
# Run as root; brings the lab up if needed and leaves it up. ~6 s (11 s when
# run again within 5 s, see burst).
# Assumes no other client of 198.51.100.1 uses port LAB_RATE_PORT meanwhile.
. "$(dirname "$0")/lib.sh"

OUT=$T_TMP/out
REPLY="450 4.7.1 Error: too much mail from $LAB_GW"
in_lab() { ip netns exec "$LAB_NS" "$@"; }
now_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }
evidence() {
    not_ok "$1"
    tail -n 8 "$OUT" 2>/dev/null | sed 's/^/#   /'
}
# send PORT N: message N of this run (to the catch-all), swaks output in
# $OUT.N; returns swaks' exit code.
send() {
    in_lab swaks --server "$LAB_GW" --port "$1" --timeout 10 --from scanner@example.test \
        --to rate-check@example.test --header "Subject: rate $$ $2" --body "rate $$ $2" \
        >"$OUT.$2" 2>&1
}
accepted() { grep -q '^<- *250 2\.0\.0 Ok: queued' "$OUT.$1"; }
refused() { grep -qx "<\*\* *$REPLY" "$OUT.$1" && ! grep -q '^ -> RCPT' "$OUT.$1"; }

if [ "$(id -u)" != 0 ]; then
    not_ok "the rate test must run as root (network namespace)"
    finish
fi
command -v swaks >/dev/null 2>&1 || { not_ok "missing swaks: run make deps"; finish; }
need_lab

# burst: LAB_RATE_LIMIT + 1 messages in a row on LAB_RATE_PORT; t0 is when
# the first went. Sets over (the number of the last) and early (how many of
# the first LAB_RATE_LIMIT got the rate reply).
burst() {
    t0=$(now_ms)
    i=1
    early=0
    while [ "$i" -le "$LAB_RATE_LIMIT" ]; do
        send "$LAB_RATE_PORT" "$i"
        ! refused "$i" || early=$((early + 1))
        i=$((i + 1))
    done
    over=$i
    send "$LAB_RATE_PORT" "$over"
}
# A window opened by an earlier run (same client, same port: the last
# message of test_rate_lab.sh opens one) refuses some of our first messages:
# then wait for it to pass and start again, once.
warnings() {
    grep -c "Message delivery request rate limit exceeded: $over from unknown\[$LAB_GW\] for service $LAB_RATE_PORT\$" \
        "$LAB_DIR/postfix.log"
}
over=$((LAB_RATE_LIMIT + 1))
warned=$(warnings)
burst
if [ "$early" != 0 ]; then
    echo "# an earlier window is still open ($early refused): waiting ${LAB_RATE_UNIT} s"
    sleep "$LAB_RATE_UNIT"
    burst
fi

all=1
i=1
while [ "$i" -le "$LAB_RATE_LIMIT" ]; do accepted "$i" || { all=0; cp "$OUT.$i" "$OUT"; }; i=$((i + 1)); done
if [ "$all" = 1 ]; then
    ok "port $LAB_RATE_PORT accepts the first $LAB_RATE_LIMIT messages in a row"
else
    evidence "port $LAB_RATE_PORT accepts the first $LAB_RATE_LIMIT messages in a row"
fi
cp "$OUT.$over" "$OUT"
elapsed=$(( $(now_ms) - t0 ))
if [ "$elapsed" -ge $((LAB_RATE_UNIT * 1000)) ]; then
    evidence "the $over. message was sent within the ${LAB_RATE_UNIT} s unit (took $elapsed ms: machine too slow)"
elif refused "$over"; then
    ok "message $over within ${LAB_RATE_UNIT} s is refused at MAIL FROM: $REPLY"
else
    evidence "message $over within ${LAB_RATE_UNIT} s is refused at MAIL FROM: $REPLY"
fi
if [ "$(warnings)" -gt "$warned" ]; then
    ok "Postfix logs the rate limit warning for service $LAB_RATE_PORT"
else
    grep "rate limit" "$LAB_DIR/postfix.log" | tail -n 3 >"$OUT"
    evidence "Postfix logs the rate limit warning for service $LAB_RATE_PORT"
fi

# The window opened with the first message: past it, the count starts again.
left=$(( LAB_RATE_UNIT * 1000 + 300 - ($(now_ms) - t0) ))
[ "$left" -le 0 ] || sleep "$(awk -v ms="$left" 'BEGIN { printf "%.3f\n", ms / 1000 }')"
send "$LAB_RATE_PORT" again
cp "$OUT.again" "$OUT"
if accepted again; then
    ok "after the ${LAB_RATE_UNIT} s unit a message is accepted again"
else
    evidence "after the ${LAB_RATE_UNIT} s unit a message is accepted again"
fi

# Port 25 counts nothing: more than the limit in a row all pass.
all=1
i=1
while [ "$i" -le $((LAB_RATE_LIMIT + 1)) ]; do
    send "$LAB_SMTP_PORT" "p25-$i"
    accepted "p25-$i" || { all=0; cp "$OUT.p25-$i" "$OUT"; }
    i=$((i + 1))
done
if [ "$all" = 1 ]; then
    ok "port $LAB_SMTP_PORT has no rate limit: $((LAB_RATE_LIMIT + 1)) messages in a row are accepted"
else
    evidence "port $LAB_SMTP_PORT has no rate limit: $((LAB_RATE_LIMIT + 1)) messages in a row are accepted"
fi
finish
