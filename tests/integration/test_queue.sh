#!/bin/sh
# The queue (issue 5, point 6): a job is journaled once packed, so it
# survives a power cut (kill -9) and --no-wait; `mfp-sim queue run` goes on
# with it. E-mails the gateway accepted are never sent again; the others go
# with the Message-ID they had. Scripted peer over slirp: no lab, no root.
. "$(dirname "$0")/lib.sh"
[ -x "$SIM" ] || { not_ok "build/mfp-sim must exist (make)"; finish; }
. "$(dirname "$0")/peer.sh"

# queue CMD [OPTIONS]: mfp-sim queue CMD with run_sim's state and network.
queue() {
    cmd=$1
    shift
    "$SIM" queue "$cmd" --net slirp --forward "198.51.100.1:25=127.0.0.1:$PORT" \
        --resolve mail.example.test=198.51.100.1 --state "$T_TMP/state" "$@"
}
# wait_for FILE PATTERN SECONDS: until FILE holds PATTERN (0) or time is up (1).
wait_for() {
    i=0
    while ! grep -q "$2" "$1" 2>/dev/null; do
        [ $i -ge $(($3 * 10)) ] && return 1
        sleep 0.1
        i=$((i + 1))
    done
}
power_cut() {
    kill -KILL "$SIMPID" 2>/dev/null
    wait "$SIMPID" 2>/dev/null
    SIMPID=
}
ids() { sed -n 's/^dot //p' "$LOG"; }

# 1. --no-wait: the job is queued and nothing is sent; queue run sends it.
peer_start accept
run_sim nowait --no-wait
wait_sim 15
check "--no-wait returns 4, queued (rc=$RC)" [ "$RC" -eq 4 ]
check "--no-wait: nothing was sent yet ($(dots))" [ "$(dots)" -eq 0 ]
queue list >"$T_TMP/list1.out" 2>&1
check "queue list shows the job: $(head -1 "$T_TMP/list1.out")" \
    grep -q '^q1- .*1 recipient(s), 1 page(s) in 1 e-mail(s)' "$T_TMP/list1.out"
queue run >"$T_TMP/run1.out" 2>&1
RC=$?
check "queue run delivers it (rc=$RC, want 0)" [ "$RC" -eq 0 ]
check "the gateway received it once ($(dots))" [ "$(dots)" -eq 1 ]
queue list >"$T_TMP/list2.out" 2>&1
check "the queue is empty afterwards" grep -q '^no queued job' "$T_TMP/list2.out"
peer_stop

# 2. Power cut after the gateway accepted the first of two e-mails (the
# second got 421 and waits for its retry): only the second goes again.
peer_start 421-dot2
run_sim cut --pages 2 --max-attachment 150000 --retry 1h
if wait_for "$T_TMP/cut.err" 'trying again' 15; then ok "the job waits to retry after the 421"
else not_ok "the job waits to retry after the 421: $(tail -2 "$T_TMP/cut.err")"; fi
power_cut
first=$(ids | sed -n 1p)
second=$(ids | sed -n 2p)
check "two e-mails reached the gateway before the cut ($(dots))" [ "$(dots)" -eq 2 ]
queue list >"$T_TMP/list3.out" 2>&1
check "the job is still queued after the cut: $(head -1 "$T_TMP/list3.out")" \
    grep -q '^q1- .*in 2 e-mail(s), 1 session(s) so far; waiting to retry' "$T_TMP/list3.out"
peer_stop
peer_start accept
queue run --now >"$T_TMP/run2.out" 2>&1
RC=$?
check "queue run finishes the job (rc=$RC, want 0)" [ "$RC" -eq 0 ]
check "only one e-mail went again ($(dots))" [ "$(dots)" -eq 1 ]
check "it is the second one, same Message-ID ($(ids))" [ "$(ids)" = "$second" ]
check "the first one was not sent again" sh -c "! grep -qF '$first' '$LOG'"
check "the result lists both e-mails as accepted" \
    [ "$(grep -c 'gateway: accepted' "$T_TMP/run2.out")" -eq 2 ]
peer_stop

# 3. The link drops after the final dot (the gateway may have the message),
# then the power goes: the message goes again with the same Message-ID.
peer_start drop-dot
run_sim drop --retry 1h
if wait_for "$T_TMP/drop.err" 'trying again' 15; then ok "the job waits to retry after the drop"
else not_ok "the job waits to retry after the drop: $(tail -2 "$T_TMP/drop.err")"; fi
power_cut
dropped=$(ids | sed -n 1p)
peer_stop
peer_start accept
queue run --now >"$T_TMP/run3.out" 2>&1
RC=$?
check "queue run delivers it (rc=$RC, want 0)" [ "$RC" -eq 0 ]
check "with the Message-ID of the dropped copy ($dropped)" [ "$(ids)" = "$dropped" ]
peer_stop

# 4. A damaged journal: a clear message, and the queue is cleared.
peer_start accept
run_sim damaged --no-wait
wait_sim 15
printf 'X' | dd of="$T_TMP/state/q1-job" bs=1 seek=40 conv=notrunc 2>/dev/null
queue run >"$T_TMP/run4.out" 2>&1
RC=$?
check "a damaged journal fails the job (rc=$RC, want 1)" [ "$RC" -eq 1 ]
check "and says why: $(grep -m1 FAILED "$T_TMP/run4.out")" \
    grep -q '^FAILED at queue: .*damaged (checksum)' "$T_TMP/run4.out"
check "nothing was sent" [ "$(dots)" -eq 0 ]
queue list >"$T_TMP/list4.out" 2>&1
check "the queue is empty afterwards" grep -q '^no queued job' "$T_TMP/list4.out"
peer_stop
finish
