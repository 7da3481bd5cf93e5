#!/bin/sh
# Faults no real server gives (issue 5, Tests): a scripted peer
# (tests/integration/faultpeer.py) on loopback, reached over rootless slirp.
# Needs no lab and no root.
. "$(dirname "$0")/lib.sh"
[ -x "$SIM" ] || { not_ok "build/mfp-sim must exist (make)"; finish; }
. "$(dirname "$0")/peer.sh"

# 1. 421 at each stage. RFC 5321 3.8: 421 may come at any time and means
# the server is closing; it is a temporary failure (issue 5, point 6): the
# job may try again, but must end in failure, show the 421 and say at which
# stage the gateway closed, and never say something was delivered.
for st in greeting ehlo mail rcpt data dot; do
    m=421-$st
    stage=$st
    [ "$st" = dot ] && stage='content|final dot' # the reply to the dot: stage "content"
    peer_start "$m"
    run_sim "$m"
    wait_sim 15
    check "$m: the job fails (rc=$RC, want 1)" [ "$RC" -eq 1 ]
    check "$m: the panel shows the gateway's 421" grep -q '421' "$T_TMP/$m.out"
    check "$m: the failure line quotes the 421 ($(failed_line "$m"))" \
        grep -q '^FAILED.*421' "$T_TMP/$m.out"
    # "at STAGE", "after STAGE"...: a bare word would match "ask the mail administrator".
    check "$m: the failure line names the stage '$stage'" \
        grep -Eiq "^FAILED.*(at|after|during|to) (the )?($stage)([^a-z]|\$)" "$T_TMP/$m.out"
    check "$m: the panel does not say anything was delivered" \
        sh -c "! grep -Eq 'the rest was delivered|: delivered' '$T_TMP/$m.out'"
    peer_stop
done

# 2. The link drops after the final dot, before the reply. The message MAY
# have been delivered (the server may have queued it before dying): the job
# must not claim success, and when it sends again it uses the same
# Message-ID so the recipient's side can drop the duplicate (issue 5, point 6).
m=drop-dot
peer_start "$m"
run_sim "$m"
wait_sim 15
check "$m: the job fails (rc=$RC, want 1)" [ "$RC" -eq 1 ]
check "$m: the failure is at content or a closed connection ($(failed_line "$m"))" \
    grep -Eiq '^FAILED.*(content|closed|dropped|connection)' "$T_TMP/$m.out"
check "$m: the whole message reached the peer ($(dots) time(s))" [ "$(dots)" -ge 1 ]
n=$(sed -n 's/^dot //p' "$LOG" | sort -u | wc -l)
check "$m: every copy sent carries the same Message-ID ($n distinct)" [ "$n" -eq 1 ]
check "$m: the panel does not say the message was sent" \
    sh -c "! grep -Eq 'gateway: (sent|accepted)|: delivered|the rest was delivered' '$T_TMP/$m.out'"
peer_stop

# 3. A reply line of 100 KB (to EHLO): a clear protocol error, no crash.
m=long-line
peer_start "$m"
run_sim "$m"
wait_sim 10
check "$m: the job fails, no crash (rc=$RC, want 1)" [ "$RC" -eq 1 ]
check "$m: the panel says the reply line is too long ($(failed_line "$m"))" \
    grep -q '^FAILED at ehlo: .*line too long' "$T_TMP/$m.out"
check "$m: no sanitizer or abort report" sh -c "! grep -Eq 'ERROR: AddressSanitizer|runtime error|Aborted' '$T_TMP/$m.err'"
check "$m: nothing was delivered" [ "$(dots)" -eq 0 ]
peer_stop

# 4. 10,000 continuation lines in the EHLO reply: too many lines.
m=many-lines
peer_start "$m"
run_sim "$m"
wait_sim 10
check "$m: the job fails, no crash (rc=$RC, want 1)" [ "$RC" -eq 1 ]
check "$m: the panel says too many reply lines ($(failed_line "$m"))" \
    grep -q '^FAILED at ehlo: .*too many reply lines' "$T_TMP/$m.out"
check "$m: the panel does not call a 250 reply a refusal" \
    sh -c "! grep -q 'refused at ehlo: 250' '$T_TMP/$m.out'"
check "$m: nothing was delivered" [ "$(dots)" -eq 0 ]
peer_stop

# 5. A reply that never comes (no greeting). The engine's timeouts are RFC
# 5321's (minutes) and mfp-sim has no option to shorten them, so this is the
# Stop key: SIGTERM after 3 s; the job must end promptly as cancelled.
m=silent
peer_start "$m"
run_sim "$m"
sleep 3
check "$m: the job is still waiting for the greeting after 3 s" kill -0 "$SIMPID"
kill -TERM "$SIMPID" 2>/dev/null
wait_sim 5
check "$m: after Stop the job exits non-zero within 5 s (rc=$RC)" \
    sh -c "[ $RC -ne 0 ] && [ $RC -ne 124 ]"
check "$m: the panel says it was stopped ($(failed_line "$m"))" \
    grep -q '^FAILED at cancel' "$T_TMP/$m.out"
check "$m: the peer saw one connection and no message" \
    sh -c "[ \$(grep -c '^connect' '$LOG') -eq 1 ] && [ $(dots) -eq 0 ]"
peer_stop

echo "faults: $T_PASS passed, $T_FAIL failed"
[ "$T_FAIL" -eq 0 ]
