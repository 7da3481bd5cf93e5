#!/bin/sh
# A real scan-to-email job through the lab's Postfix, read back from the Maildirs.
. "$(dirname "$0")/lib.sh"
need_lab
[ -x "$SIM" ] || { not_ok "build/mfp-sim must exist (make)"; finish; }

STATE=$T_TMP/state
RUN=$(date +%s)-$$

# 1. One page to To + Cc + Bcc, JSON result.
SUBJ="integration one page $RUN"
"$SIM" send --json --state "$STATE" --keep-spool --from scanner@example.test \
    --from-name "Scanner 3rd floor" --to alice@example.test --cc bob@example.test \
    --bcc carol@example.test --subject "$SUBJ" --message "Your scan" --pages 1 --type jpeg \
    >"$T_TMP/send1.json" 2>"$T_TMP/send1.err"
rc=$?
check "mfp-sim send exits 0 when the gateway accepts (rc=$rc: $(cat "$T_TMP/send1.err" | tail -2))" [ $rc -eq 0 ]
check "JSON result says ok" grep -q '"ok":true' "$T_TMP/send1.json"
check "JSON result has the gateway's 250 reply" grep -q '"code":250' "$T_TMP/send1.json"
check "JSON reports the flights" grep -q '"flights":3' "$T_TMP/send1.json"
for u in alice bob carol; do
    check "$u's Maildir receives the message" sh sim/lab/wait-mail "$u" 1 15
done
/usr/bin/python3 tests/integration/check_mail.py "$LAB_MAIL_DIR/alice" "$SUBJ" "$T_TMP/att" \
    --header "To=alice@example.test" --header "Cc=bob@example.test" \
    --header "From=Scanner 3rd floor <scanner@example.test>" --absent Bcc >"$T_TMP/att.txt"
check "the delivered message parses, headers right, no Bcc header" [ $? -eq 0 ]
check "the attachment is scan.jpg, image/jpeg" grep -q '^scan.jpg image/jpeg ' "$T_TMP/att.txt"
f=$(grep -l "^Subject: $SUBJ" "$LAB_MAIL_DIR"/alice/new/* | head -1)
check "EHLO names the device: host name + DHCP domain ($(grep -m1 '^Received: from' "$f"))" \
    grep -q '^Received: from mfp-sim\.example\.test ' "$f"
SPOOL=$(sed -n 's/.*"spool":"\([^"]*\)".*/\1/p' "$T_TMP/send1.json")
check "the attachment is byte-identical to the spooled JPEG ($SPOOL)" \
    cmp -s "$T_TMP/att/scan.jpg" "$STATE/$SPOOL"
dims=$(djpeg -pnm "$T_TMP/att/scan.jpg" 2>/dev/null | head -c 20 | sed -n 2p)
check "djpeg decodes it to 2480x3508 (got '$dims')" [ "$dims" = "2480 3508" ]

# 2. Three pages: three attachments, human output with progress.
SUBJ="integration three pages $RUN"
"$SIM" send --state "$STATE" --to dave@example.test --subject "$SUBJ" --pages 3 --type jpeg \
    >"$T_TMP/send3.out" 2>"$T_TMP/send3.err"
check "a three-page job exits 0" [ $? -eq 0 ]
check "progress is shown while scanning" grep -q 'scanning page 3 of 3' "$T_TMP/send3.err"
sh sim/lab/wait-mail dave 1 15
/usr/bin/python3 tests/integration/check_mail.py "$LAB_MAIL_DIR/dave" "$SUBJ" "$T_TMP/att3" \
    >"$T_TMP/att3.txt"
check "three pages arrive as scan.jpg, scan_2.jpg, scan_3.jpg" \
    [ "$(cut -d' ' -f1 "$T_TMP/att3.txt" | tr '\n' ' ')" = "scan.jpg scan_2.jpg scan_3.jpg " ]

# 3. One recipient refused by the gateway, the other still served.
SUBJ="integration partial $RUN"
"$SIM" send --state "$STATE" --to erin@example.test,reject@example.test --subject "$SUBJ" \
    >"$T_TMP/part.out" 2>&1
rc=$?
check "a refused recipient gives exit 3 (rc=$rc)" [ $rc -eq 3 ]
check "the refused recipient is reported with the gateway's 550 5.1.1" \
    grep -q 'reject@example.test: REJECTED (550 5.1.1' "$T_TMP/part.out"
check "the other recipient still gets the message" sh sim/lab/wait-mail erin 1 15
"$SIM" log --state "$STATE" --json >"$T_TMP/log1.json"
check "the job log's newest entry: partly sent, with the refused recipient's 550 5.1.1" \
    sh -c "head -1 '$T_TMP/log1.json' | grep -q '\"result\":\"partly sent\".*\"code\":550,\"enhanced\":\"5.1.1\"'"

# 3b. A gateway's recipient limit (452 4.5.3 past 2): the rest go in further
# transactions of the same session, every recipient gets the message once.
SUBJ="integration rcpt limit $RUN"
"$SIM" send --json --state "$STATE" --to alice@example.test,bob@example.test,carol@example.test \
    --cc dave@example.test --bcc frank@example.test --type jpeg --subject "$SUBJ" \
    --gateway "$LAB_GW:$LAB_RCPT_PORT" >"$T_TMP/rcpt.json" 2>"$T_TMP/rcpt.err"
check "5 recipients through a 2-recipient limit exit 0" [ $? -eq 0 ]
check "in 3 transactions" grep -q '"transactions":3' "$T_TMP/rcpt.json"
check "every recipient delivered" [ "$(grep -o '"delivered":true' "$T_TMP/rcpt.json" | wc -l)" -eq 5 ]
n=0
for u in alice bob carol dave frank; do
    sh sim/lab/wait-mail "$u" 1 10 >/dev/null 2>&1
    n=$((n + $(grep -l "^Subject: $SUBJ" "$LAB_MAIL_DIR/$u"/new/* 2>/dev/null | wc -l)))
done
check "each of the 5 mailboxes has the message exactly once ($n)" [ "$n" -eq 5 ]

# 3c. Three e-mails to five recipients in one session, pipelined: 5 flights.
"$SIM" send --json --state "$STATE" --to alice@example.test,bob@example.test,carol@example.test \
    --cc dave@example.test --bcc frank@example.test --type jpeg --pages 3 \
    --max-attachment 800K --subject "three by five $RUN" >"$T_TMP/3x5.json" 2>/dev/null
check "3 e-mails x 5 recipients exit 0" [ $? -eq 0 ]
check "in 5 client flights after the greeting" grep -q '"flights":5,' "$T_TMP/3x5.json"

# 3d. Greylisting (postgrey, 450 4.2.0): the deferred recipients are tried
# again after the --retry wait in a new session, and delivered once.
GREYFROM="grey-$(tr -dc a-z </dev/urandom | head -c 10)@example.test"
SUBJ="integration greylist $RUN"
"$SIM" send --state "$STATE" --from "$GREYFROM" --to erin@example.test,frank@example.test \
    --type jpeg --subject "$SUBJ" --gateway "$LAB_GW:$LAB_GREY_PORT" --retry 3s \
    >"$T_TMP/grey.out" 2>"$T_TMP/grey.err"
check "a greylisted job exits 0 ($(grep FAILED "$T_TMP/grey.out"))" [ $? -eq 0 ]
check "the panel says the gateway deferred the recipients" grep -q 'the gateway deferred 2 recipient' "$T_TMP/grey.err"
sleep 1
n=$(grep -l "^Subject: $SUBJ" "$LAB_MAIL_DIR"/erin/new/* "$LAB_MAIL_DIR"/frank/new/* 2>/dev/null | wc -l)
check "both recipients have it exactly once after the retry ($n)" [ "$n" -eq 2 ]

# 3d'. A client message rate limit (anvil: LAB_RATE_LIMIT messages per
# LAB_RATE_UNIT s, then 450 4.7.1 at MAIL FROM): the e-mails over the limit
# wait for the retry and go in a later session; each arrives once.
SUBJ="integration rate $RUN"
"$SIM" send --state "$STATE" --to carol@example.test --type jpeg --pages 3 --max-attachment 800K \
    --subject "$SUBJ" --gateway "$LAB_GW:$LAB_RATE_PORT" --retry "$((LAB_RATE_UNIT + 1))s" \
    >"$T_TMP/rate.out" 2>"$T_TMP/rate.err"
check "a rate-limited 3-part job exits 0 ($(grep FAILED "$T_TMP/rate.out"))" [ $? -eq 0 ]
check "the gateway's rate limit reply was seen and waited out" \
    grep -q 'the gateway deferred 1 recipient' "$T_TMP/rate.err"
sleep 1
for part in 1 2 3; do
    n=$(grep -l "^Subject: $SUBJ ($part/3)" "$LAB_MAIL_DIR"/carol/new/* 2>/dev/null | wc -l)
    check "part $part/3 arrived exactly once ($n)" [ "$n" -eq 1 ]
done

# 3d''. International addresses (RFC 6531): a UTF-8 local part goes with
# SMTPUTF8 where the gateway offers it; where it does not, a clear refusal
# before MAIL and nothing sent.
SUBJ="integration smtputf8 $RUN"
"$SIM" send --state "$STATE" --to "анна@example.test" --type jpeg --dpi 75 --subject "$SUBJ" \
    >"$T_TMP/utf8.out" 2>"$T_TMP/utf8.err"
check "a Cyrillic local part is delivered through a gateway with SMTPUTF8" \
    grep -q '^sent: ' "$T_TMP/utf8.out"
sleep 1
check "it reached the catch-all mailbox, To: анна@example.test" \
    sh -c "grep -l '^Subject: $SUBJ\$' '$LAB_MAIL_DIR/$LAB_CATCHALL'/new/* | xargs grep -q '^To: анна@example.test'"
"$SIM" send --state "$STATE" --to "анна@example.test" --type jpeg --dpi 75 --subject "$SUBJ 2" \
    --gateway "$LAB_GW:$LAB_SMALL_PORT" >"$T_TMP/utf8no.out" 2>"$T_TMP/utf8no.err"
check "without SMTPUTF8 the job fails and says why: $(grep -m1 FAILED "$T_TMP/utf8no.out" | cut -c1-100)" \
    grep -q '^FAILED at smtputf8: .*non-ASCII letters' "$T_TMP/utf8no.out"

# 3e. Backup gateways: an unknown name and a closed port are skipped, the
# third gateway in the list takes the job.
"$SIM" send --json --state "$STATE" --to alice@example.test --type jpeg --subject "failover $RUN" \
    --gateway nosuch.example.test --gateway "$LAB_GW:2599" --gateway mail.example.test \
    >"$T_TMP/failover.json" 2>"$T_TMP/failover.err"
check "with two unreachable gateways first, the third delivers (exit 0)" [ $? -eq 0 ]
check "the result names the gateway that took it" \
    grep -q '"gateway":"mail.example.test","port":25' "$T_TMP/failover.json"

# 4. A gateway that refuses: non-zero exit, the server's reply shown.
"$SIM" send --state "$STATE" --to frank@example.test --subject "refused $RUN" \
    --gateway "$LAB_GW:$LAB_REFUSE_PORT" >"$T_TMP/refuse.out" 2>&1
rc=$?
check "a refusing gateway makes mfp-sim exit 1 (rc=$rc)" [ $rc -eq 1 ]
check "the output carries the gateway's 5xx reply ($(grep FAILED "$T_TMP/refuse.out"))" \
    grep -Eq 'FAILED at (sender|mail|rcpt|data): .*5[0-9][0-9] 5\.' "$T_TMP/refuse.out"

# The job log keeps the evidence: the refusal above, newest first.
"$SIM" log --state "$STATE" --json >"$T_TMP/log.json"
check "the job log's newest entry is the refusal, with the gateway's 554 5.7.1 at sender" \
    sh -c "head -1 '$T_TMP/log.json' | grep -q '\"result\":\"failed\".*\"stage\":\"sender\",\"code\":554,\"enhanced\":\"5.7.1\"'"

# 5. Nothing listens: a clear connect error.
"$SIM" send --state "$STATE" --to frank@example.test --gateway "$LAB_GW:2599" \
    >"$T_TMP/noconn.out" 2>&1
check "a closed port fails at connect with a clear message" \
    grep -q 'FAILED at connect: Cannot connect to the gateway' "$T_TMP/noconn.out"

# 6. A name that does not resolve.
"$SIM" send --state "$STATE" --to frank@example.test --gateway nosuch.example.test \
    >"$T_TMP/dns.out" 2>&1
check "an unknown gateway name fails at dns" grep -q 'FAILED at dns' "$T_TMP/dns.out"

# 7. Header injection refused before anything is scanned or sent.
"$SIM" send --state "$STATE" --to frank@example.test --subject "$(printf 'a\r\nBcc: x@example.test')" \
    >"$T_TMP/inj.out" 2>&1
rc=$?
check "a Subject with CR/LF is refused naming the field (rc=$rc)" \
    grep -q 'Subject is not valid' "$T_TMP/inj.out"

# 8. The lab missing: a clear message.
"$SIM" send --state "$STATE" --lab nosuchlab --to frank@example.test >"$T_TMP/nolab.out" 2>&1
check "a missing lab namespace is reported clearly" \
    grep -q 'network namespace nosuchlab not found: run sim/lab/up' "$T_TMP/nolab.out"

# 9. A capture of the job opens in tcpdump and shows the SMTP conversation.
"$SIM" send --state "$STATE" --to frank@example.test --subject "pcap $RUN" \
    --pcap "$T_TMP/job.pcap" >/dev/null 2>&1
check "a job with --pcap succeeds" [ $? -eq 0 ]
n=$(tcpdump -r "$T_TMP/job.pcap" -n 'tcp port 25' 2>/dev/null | wc -l)
check "tcpdump reads the capture: $n SMTP segments" [ "$n" -gt 100 ]

# 10. Rootless: restricted slirp forwarding to a loopback smtp-sink.
PORT=$((20000 + $$ % 10000))
mkdir -p "$T_TMP/sink"
chmod 711 "$T_TMP"
chown postfix "$T_TMP/sink"
smtp-sink -u postfix -d "$T_TMP/sink/%M." 127.0.0.1:$PORT 5 >"$T_TMP/sink.log" 2>&1 &
SINK=$!
for i in 1 2 3 4 5 6 7 8 9 10; do
    grep -q ":$(printf '%04X' $PORT) 00000000:0000 0A" /proc/net/tcp && break
    sleep 0.2
done
"$SIM" send --net slirp --forward "198.51.100.1:25=127.0.0.1:$PORT" \
    --resolve mail.example.test=198.51.100.1 --state "$STATE" --to alice@example.test \
    --subject "slirp $RUN" >"$T_TMP/slirp.out" 2>&1
rc=$?
check "a job over restricted slirp to a loopback gateway exits 0 (rc=$rc: $(tail -1 "$T_TMP/slirp.out"))" [ $rc -eq 0 ]
check "the loopback gateway received the message" \
    sh -c "grep -l 'slirp $RUN' '$T_TMP'/sink/* >/dev/null 2>&1"
kill "$SINK" 2>/dev/null
wait "$SINK" 2>/dev/null

finish
