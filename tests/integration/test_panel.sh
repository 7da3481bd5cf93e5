#!/bin/sh
# The panel end to end in the simulator (mfp-sim panel --headless), with the
# real services: the Local address book and the settings in --state, E-mail
# Setup's Test against the lab's gateway, and a Send E-mail job that must
# arrive at the lab's Postfix with the headers the panel set.
# The scripts are tests/ui/*.panel; snapshots go to $PANEL_SNAP (or a
# temporary folder).
. "$(dirname "$0")/lib.sh"
SIM=${PANEL_SIM:-$SIM}
need_lab
[ -x "$SIM" ] || { not_ok "$SIM must exist (make)"; finish; }

STATE=$T_TMP/state
SNAP=${PANEL_SNAP:-$T_TMP/snap}
mkdir -p "$STATE" "$SNAP"
RUN=$(date +%s)-$$
SUBJ="Panel $RUN"
BOB=$(find "$(sh sim/lab/mailbox bob)/new" -type f 2>/dev/null | wc -l)
PASS=$LAB_AUTH_PASS
PANEL_LIMIT=300
. "$(dirname "$0")/ldap_peer.sh"
# panel NAME SCRIPT [options]: one mfp-sim process playing SCRIPT.
panel() {
    name=$1
    script=$2
    shift 2
    sed -e "s/@SUBJECT@/$SUBJ/g" -e "s/@USER@/$LAB_AUTH_USER/g" -e "s/@PASS@/$PASS/g" \
        -e "s/@LDAP_HOST@/$LAB_LDAP_HOST/g" -e "s/@LDAP_BASE@/$LAB_LDAP_PEOPLE/g" \
        -e "s/@LDAP_BIND_DN@/$LAB_LDAP_BIND_DN/g" -e "s/@LDAP_BIND_PW@/$LAB_LDAP_BIND_PW/g" \
        -e "s/@LDAP_USER@/$LAB_LDAP_USER/g" -e "s/@LDAP_USER_PW@/$LAB_LDAP_USER_PW/g" \
        -e "s/@LDAP_USER_MAIL@/$LAB_LDAP_USER_MAIL/g" -e "s/@LDAP_LOCKED@/$LAB_LDAP_LOCKED/g" \
        -e "s/@LDAP_LOCKED_PW@/$LAB_LDAP_LOCKED_PW/g" -e "s/@FAULT_PORT@/$LAB_LDAP_FAULT_PORT/g" \
        -e "s/@FAULT_MODE@/$FAULT_MODE/g" -e "s/@FAULT_MS@/$FAULT_MS/g" -e "s/@FAULT_TEST_MS@/$FAULT_TEST_MS/g" \
        -e "s/@FAULT_WHY@/$FAULT_WHY/g" -e "s/@FAULT_TEST_WHY@/$FAULT_TEST_WHY/g" \
        -e "s/@FAULT_SIGNIN_WHY@/$FAULT_SIGNIN_WHY/g" "$script" >"$T_TMP/$name.run"
    # The lab's tap is shared: while another simulator holds it, wait (60 s).
    # PANEL_LIMIT bounds one run: a hung panel fails (timeout's 124).
    for try in $(seq 30); do
        timeout "$PANEL_LIMIT" "$SIM" panel --headless --state "$STATE" --snap "$SNAP" --script "$T_TMP/$name.run" "$@" \
            >"$T_TMP/$name.out" 2>"$T_TMP/$name.err" && return 0
        grep -q 'tap0 is busy' "$T_TMP/$name.err" || return 1
        sleep 2
    done
    return 1
}
why() { tail -3 "$T_TMP/$1.err" | tr '\n' ' '; }

# 1. The Local address book through the panel, then autocomplete from it in
#    a second process: the book was saved in --state.
panel seed tests/ui/seed_book.panel
check "address book: five names added with New (Name, Address) $(why seed)" [ $? -eq 0 ]
check "the book is a record store's slot in --state" test -s "$STATE/addrbook.a"
panel send_offline tests/ui/flow_send.panel
check "after a restart: autocomplete (al, ОЛЬ, no match) fills To $(why send_offline)" [ $? -eq 0 ]

# The player's checks can fail: a wrong expectation must stop the script.
printf 'press E-mail\nexpect field subject not the default\n' >"$T_TMP/wrong.panel"
panel wrong "$T_TMP/wrong.panel"
check "a false expectation fails the run" [ $? -ne 0 ]
check "... and says what the model held" grep -q 'subject is "Scanned document"' "$T_TMP/wrong.err"

# 2. E-mail Setup: a wrong port fails, the submission port with STARTTLS and
#    sign-in gives "Gateways OK"; saved.
panel setup tests/ui/lab_setup.panel --ca "$LAB_CA_FILE"
check "E-mail Setup: Test fails on a closed port, then Gateways OK on $LAB_AUTH_PORT with TLS and sign-in, saved $(why setup)" [ $? -eq 0 ]
check "the settings are a record store's slot in --state" test -s "$STATE/settings.a"

# 3. Restart: the settings are back (password not shown), then the Send
#    E-mail flow to the lab.
panel send tests/ui/lab_send.panel --ca "$LAB_CA_FILE" --pages 2
check "after a restart: settings back, password not shown; Send E-mail ends in a sent result $(why send)" [ $? -eq 0 ]
if grep -q -- "$PASS" "$T_TMP"/*.out "$T_TMP"/*.err; then
    not_ok "the SMTP password never appears in the panel's output"
else
    ok "the SMTP password never appears in the panel's output"
fi
check "bob's Maildir receives the panel's message" sh sim/lab/wait-mail bob $((BOB + 1)) 20
/usr/bin/python3 tests/integration/check_mail.py "$LAB_MAIL_DIR/bob" "$SUBJ" "$T_TMP/att" \
    --header "To=bob@example.test" --header "Cc=carol@example.test" \
    --header "From=Lab Scanner <$LAB_AUTH_USER>" >"$T_TMP/att.txt" 2>"$T_TMP/att.err"
check "the message has the panel's Subject, From (display name), To and Cc $(cat "$T_TMP/att.err")" [ $? -eq 0 ]
check "carol (Cc, from the address book) gets it too" grep -rqs "^Subject: $SUBJ" "$LAB_MAIL_DIR/carol/new"
check "More Options: two JPEG pages ($(tr '\n' ' ' <"$T_TMP/att.txt"))" \
    [ "$(grep -c ' image/jpeg ' "$T_TMP/att.txt")" = 2 ]
first=$(ls "$T_TMP"/att/*.jpg 2>/dev/null | head -1)
head=$(djpeg -pnm "$first" 2>/dev/null | head -c 20 | sed -n 1,2p | tr '\n' ' ')
check "More Options: grey (P5) at 200 dpi, A4 = 1654x2339 (got '$head')" [ "$head" = "P5 1654 2339 " ]

# 4. Stop during the scan: cancelled, nothing sent, the panel says so.
panel stop tests/ui/lab_stop.panel --ca "$LAB_CA_FILE" --pages 5
check "Stop cancels the job and the result says it failed $(why stop)" [ $? -eq 0 ]

# 5. The directory: LDAP Setup entered at the panel (StartTLS, lab CA), LDAP
#    Test OK; then sign-in (wrong password, locked account, scanuser: From
#    locked to its mail), "anna" autocompleted from the directory, sent.
# A fresh --state: the lab's authenticated port (1587) refuses a From its
# login does not own (smtpd_sender_login_maps), so this job goes through the
# factory gateway (mail.example.test:25), which takes the user's own From.
SUBJ="Panel LDAP $RUN"
STATE=$T_TMP/state-ldap
mkdir -p "$STATE"
CATCH=$(find "$LAB_MAIL_DIR/$LAB_CATCHALL/new" -type f 2>/dev/null | wc -l)
panel ldap tests/ui/lab_ldap.panel --ca "$LAB_CA_FILE"
check "LDAP Setup: the bind DN without its password is refused, then LDAP Test OK over StartTLS with the lab CA, saved $(why ldap)" [ $? -eq 0 ]
panel signin tests/ui/lab_signin.panel --ca "$LAB_CA_FILE"
check "Sign in: wrong password and locked account each say so; scanuser's From is $LAB_LDAP_USER_MAIL, locked; 'anna' gives the directory's anna.petrova, Enter takes it; sent $(why signin)" [ $? -eq 0 ]
if grep -q -e "$LAB_LDAP_BIND_PW" -e "$LAB_LDAP_USER_PW" -e "$LAB_LDAP_LOCKED_PW" "$T_TMP"/*.out "$T_TMP"/*.err; then
    not_ok "the LDAP passwords never appear in the panel's output"
else
    ok "the LDAP passwords never appear in the panel's output"
fi
check "the directory's address gets the message (catch-all Maildir)" sh sim/lab/wait-mail "$LAB_CATCHALL" $((CATCH + 1)) 20
/usr/bin/python3 tests/integration/check_mail.py "$LAB_MAIL_DIR/$LAB_CATCHALL" "$SUBJ" "$T_TMP/att2" \
    --header "To=anna.petrova@example.test" --header "From=$LAB_LDAP_USER_NAME <$LAB_LDAP_USER_MAIL>" \
    >"$T_TMP/att2.txt" 2>"$T_TMP/att2.err"
check "the message has To anna.petrova (from the directory) and From the signed-in user $(cat "$T_TMP/att2.err")" [ $? -eq 0 ]

# 6. The directory fails: LDAP Setup points at the fault peer
#    (tests/integration/ldap_faultpeer.py, inside the namespace) with a 2 s
#    timeout. For drop, malformed and silent: LDAP Test fails with a clear
#    message; "al" in To keeps the Local alice@example.test and the status
#    line says the directory failed and why, within 2 s + 2.5 s; Home, E-mail
#    again, typing and Cc's autocomplete still work; Sign in fails clearly in
#    the same bound. The book is the one section 1 seeded; each mode gets a
#    fresh --state. Each panel run is bounded (PANEL_LIMIT): nothing hangs.
PANEL_LIMIT=60
FAULT_MS=4500      # the 2 s timeout + 2.5 s
FAULT_TEST_MS=9500 # the same + DHCP (the Test brings the network up)
# mode|autocomplete's reason|LDAP Test's|Sign in's
for case in "drop|connection to the directory closed|closed the connection during the search|closed the connection" \
    "malformed|malformed or unexpected server message|cannot be decoded|cannot be decoded" \
    "silent|no answer from the directory in time|did not answer the search within 2 s|did not answer the search within 2 s"; do
    IFS='|' read -r FAULT_MODE FAULT_WHY FAULT_TEST_WHY FAULT_SIGNIN_WHY <<EOC
$case
EOC
    STATE=$T_TMP/state-fault-$FAULT_MODE
    mkdir -p "$STATE"
    cp "$T_TMP/state/addrbook.a" "$STATE/"
    if ! start_peer "$FAULT_MODE" --entries 0; then
        not_ok "the fault peer starts on $LAB_GW:$LAB_LDAP_FAULT_PORT (mode $FAULT_MODE): $(tail -2 "$T_TMP/peer.err")"
        continue
    fi
    t0=$(date +%s)
    panel "fault_$FAULT_MODE" tests/ui/lab_ldap_fault.panel
    rc=$?
    t=$(($(date +%s) - t0))
    stop_peer
    check "fault peer '$FAULT_MODE': LDAP Test says '$FAULT_TEST_WHY'; 'al' keeps the Local alice@example.test and the status says 'Local addresses only. Directory: ... $FAULT_WHY' within $FAULT_MS ms; Home, E-mail, typing, Cc still work; Sign in says '$FAULT_SIGNIN_WHY' within $FAULT_MS ms ($t s in all, rc $rc) $(why "fault_$FAULT_MODE")" [ "$rc" -eq 0 ]
    check "fault peer '$FAULT_MODE': the panel really connected to it (its log)" \
        grep -q connect "$T_TMP/peer.log"
    check "fault peer '$FAULT_MODE': the directory's failure is in the panel's log" \
        grep -q "panel: directory autocomplete: .*$FAULT_WHY" "$T_TMP/fault_$FAULT_MODE.err"
done
finish
