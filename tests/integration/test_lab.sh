#!/bin/sh
# Integration test of the network lab itself (sim/lab): down, up, idempotence,
# delivery through the real Postfix gateway, refusals, DNS and DHCP from
# dnsmasq. Run as root. Leaves the lab UP for the other integration tests.
#
# Prints one `ok - ...` / `not ok - ...` line per check, then
# `lab: N passed, M failed`; exits non-zero on any failure.
set -u
PATH=$PATH:/usr/sbin:/sbin
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
LAB=$ROOT/sim/lab
LAB_ROOT=$ROOT
. "$LAB/env"

passed=0
failed=0
OUT=$(mktemp)
CLIENT_NS=$LAB_NS-c
trap 'rm -f "$OUT"; ip netns del "$CLIENT_NS" 2>/dev/null' EXIT

ok() { passed=$((passed + 1)); echo "ok - $*"; }
not_ok() {
    failed=$((failed + 1))
    echo "not ok - $*"
    # the evidence: last lines of the failing command's output
    [ -s "$OUT" ] && tail -n 12 "$OUT" | sed 's/^/#   /'
    return 0
}
# check DESCRIPTION COMMAND...: the command's success is the check.
check() {
    _desc=$1; shift
    if "$@" >"$OUT" 2>&1; then ok "$_desc"; else not_ok "$_desc"; fi
}
finish() {
    echo "lab: $passed passed, $failed failed"
    [ "$failed" = 0 ]
    exit $?
}
now_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }
in_lab() { ip netns exec "$LAB_NS" "$@"; }
# send PORT TO[,TO...] TOKEN: one message through the gateway, from inside.
send() {
    in_lab swaks --server "$LAB_GW" --port "$1" --timeout 10 \
        --from scanner@example.test --to "$2" \
        --header "Subject: lab test $3" --body "token $3" >"$OUT" 2>&1
}
count() { find "$("$LAB/mailbox" "$1")/new" -type f 2>/dev/null | wc -l; }
# delivered USER BEFORE TOKEN: USER got one more message, carrying TOKEN.
delivered() {
    "$LAB/wait-mail" "$1" $(($2 + 1)) 10 &&
        grep -l "token $3" "$("$LAB/mailbox" "$1")"/new/* >/dev/null
}
pids() { cat "$LAB_DIR"/*.pid 2>/dev/null | sort | tr '\n' ' '; }

if [ "$(id -u)" != 0 ]; then
    not_ok "the lab test must run as root (namespaces, taps, Postfix)"
    finish
fi
for cmd in swaks dig ip /usr/bin/python3; do
    command -v "$cmd" >/dev/null 2>&1 || { not_ok "missing $cmd: run make deps"; finish; }
done

# --- down, up, idempotence ---------------------------------------------------
"$LAB/up" >"$OUT" 2>&1 || not_ok "lab up before testing down"
old_pids=$(pids)
check "down takes a running lab down" "$LAB/down"
gone=1
for p in $old_pids; do
    state=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | cut -d' ' -f1)
    case $state in ''|Z|X) ;; *) gone=0; echo "pid $p still running ($state)" >"$OUT" ;; esac
done
if [ "$gone" = 1 ] && [ ! -e "/run/netns/$LAB_NS" ] && [ ! -e "/etc/netns/$LAB_NS" ] &&
    ! ls "$LAB_DIR"/*.pid >/dev/null 2>&1; then
    ok "down ends every recorded pid, deletes the namespace, pid files and /etc/netns entry"
else
    not_ok "down ends every recorded pid, deletes the namespace, pid files and /etc/netns entry"
fi
check "down when already down returns 0" "$LAB/down"

t=$(now_ms)
check "up from down succeeds" "$LAB/up"
cold=$(( $(now_ms) - t ))
echo "# lab up from down: $cold ms"
check "status reports the lab up" "$LAB/status"
first_pids=$(pids)
t=$(now_ms)
check "up when already up returns 0" "$LAB/up"
warm=$(( $(now_ms) - t ))
echo "# lab up when already up: $warm ms"
if [ "$(pids)" = "$first_pids" ] && [ -n "$first_pids" ]; then
    ok "up when already up keeps the same processes ($first_pids)"
else
    not_ok "up when already up keeps the same processes (was $first_pids, now $(pids))"
fi
if [ "$warm" -lt 2000 ]; then ok "up when already up is quick (${warm} ms)"
else not_ok "up when already up is quick (${warm} ms >= 2000 ms)"; fi

# --- topology ----------------------------------------------------------------
ports=$(ip -n "$LAB_NS" -o link show master "$LAB_BRIDGE" 2>&1)
echo "$ports" >"$OUT"
if echo "$ports" | grep -q " $LAB_TAP: <[^>]*UP" && echo "$ports" | grep -q " $LAB_QTAP: <[^>]*UP"; then
    ok "taps $LAB_TAP and $LAB_QTAP are up on $LAB_BRIDGE"
else
    not_ok "taps $LAB_TAP and $LAB_QTAP are up on $LAB_BRIDGE"
fi
check "$LAB_BRIDGE holds $LAB_GW/$LAB_PREFIXLEN" \
    sh -c "ip -n $LAB_NS -o -4 addr show dev $LAB_BRIDGE | grep -q ' $LAB_GW/$LAB_PREFIXLEN '"
check "IPv6 is off in the namespace" \
    sh -c "[ \"\$(ip netns exec $LAB_NS sysctl -n net.ipv6.conf.all.disable_ipv6)\" = 1 ]"
check "/etc/netns/$LAB_NS/resolv.conf names the gateway" \
    grep -qx "nameserver $LAB_GW" "/etc/netns/$LAB_NS/resolv.conf"

# --- SMTP gateway --------------------------------------------------------------
tok=$$-$(now_ms)
before=$(count alice)
check "swaks to alice@example.test is accepted on port $LAB_SMTP_PORT" send "$LAB_SMTP_PORT" alice@example.test "a$tok"
check "the message lands in alice's Maildir" delivered alice "$before" "a$tok"

before=$(count catchall)
check "swaks to an unlisted address (zed@example.test) is accepted" send "$LAB_SMTP_PORT" zed@example.test "z$tok"
check "the message lands in the catchall Maildir" delivered catchall "$before" "z$tok"

before=$(count bob)
send "$LAB_SMTP_PORT" "bob@example.test,reject@example.test,reject-quota@example.test" "r$tok"
if grep -q '550 5\.1\.1 <reject@example\.test>: Recipient address rejected: User unknown' "$OUT"; then
    ok "reject@example.test is refused at RCPT with 550 5.1.1 User unknown"
else
    not_ok "reject@example.test is refused at RCPT with 550 5.1.1 User unknown"
fi
if grep -q '550 5\.1\.1 <reject-quota@example\.test>: Recipient address rejected: User unknown' "$OUT"; then
    ok "reject-quota@example.test is refused at RCPT with 550 5.1.1"
else
    not_ok "reject-quota@example.test is refused at RCPT with 550 5.1.1"
fi
check "bob, in the same message as the refused recipients, gets it" delivered bob "$before" "r$tok"

before=$(count carol)
check "submission port $LAB_SUBMISSION_PORT accepts mail for carol" send "$LAB_SUBMISSION_PORT" carol@example.test "c$tok"
check "the submitted message lands in carol's Maildir" delivered carol "$before" "c$tok"

before=$(count outside)
check "mail to another domain is accepted from the lab network" send "$LAB_SMTP_PORT" someone@elsewhere.invalid "o$tok"
check "and kept in the outside Maildir, not relayed" delivered outside "$before" "o$tok"

if send "$LAB_REFUSE_PORT" alice@example.test "x$tok"; then
    not_ok "port $LAB_REFUSE_PORT refuses the sender (swaks succeeded)"
elif grep -q '^<\*\* *554 5\.7\.1 <scanner@example\.test>: Sender address rejected: ' "$OUT" &&
    grep -q '^ -> MAIL FROM' "$OUT" && ! grep -q '^ -> RCPT' "$OUT"; then
    ok "port $LAB_REFUSE_PORT refuses the sender at MAIL FROM with 554 5.7.1"
else
    not_ok "port $LAB_REFUSE_PORT refuses the sender at MAIL FROM with 554 5.7.1"
fi

in_lab swaks --server "$LAB_GW" --quit-after EHLO >"$OUT" 2>&1
if grep -q "250-SIZE $LAB_MAX_SIZE" "$OUT" && grep -q 'ENHANCEDSTATUSCODES' "$OUT"; then
    ok "EHLO advertises SIZE $LAB_MAX_SIZE and ENHANCEDSTATUSCODES"
else
    not_ok "EHLO advertises SIZE $LAB_MAX_SIZE and ENHANCEDSTATUSCODES"
fi

"$LAB/wait-mail" dave 1 0.2 >"$OUT" 2>&1
rc=$?
if [ "$rc" = 1 ] && grep -q 'timeout' "$OUT"; then
    ok "wait-mail exits 1 with a timeout message when mail does not come"
else
    not_ok "wait-mail exits 1 with a timeout message when mail does not come (rc $rc)"
fi
check "mailbox maps names and addresses to their Maildirs" sh -c "
    [ \"\$('$LAB/mailbox' alice)\" = '$LAB_MAIL_DIR/alice' ] &&
    [ \"\$('$LAB/mailbox' frank@example.test)\" = '$LAB_MAIL_DIR/frank' ] &&
    [ \"\$('$LAB/mailbox' nobody-here@example.test)\" = '$LAB_MAIL_DIR/catchall' ] &&
    [ \"\$('$LAB/mailbox' x@elsewhere.invalid)\" = '$LAB_MAIL_DIR/outside' ]"

# --- DNS -------------------------------------------------------------------------
dig_lab() { in_lab dig @"$LAB_GW" +time=2 +tries=2 "$@"; }
check "dnsmasq answers mail.example.test A $LAB_GW (TTL 60)" \
    sh -c "ip netns exec $LAB_NS dig @$LAB_GW +noall +answer mail.example.test A |
           tee /dev/stderr | grep -Eq '^mail\.example\.test\.[[:space:]]+60[[:space:]]+IN[[:space:]]+A[[:space:]]+$LAB_GW\$'"
check "dnsmasq answers smtp.example.test A $LAB_GW" \
    sh -c "[ \"\$(ip netns exec $LAB_NS dig @$LAB_GW +short smtp.example.test A)\" = $LAB_GW ]"
check "dnsmasq answers example.test MX 10 mail.example.test" \
    sh -c "[ \"\$(ip netns exec $LAB_NS dig @$LAB_GW +short example.test MX)\" = '10 mail.example.test.' ]"
check "dnsmasq answers _submission._tcp SRV 587 mail.example.test" \
    sh -c "[ \"\$(ip netns exec $LAB_NS dig @$LAB_GW +short _submission._tcp.example.test SRV)\" = '0 0 587 mail.example.test.' ]"
dig_lab www.outside.invalid A >"$OUT" 2>&1
if grep -q 'status: REFUSED' "$OUT"; then ok "names outside the lab are REFUSED (nothing forwarded)"
else not_ok "names outside the lab are REFUSED (nothing forwarded)"; fi
check "tools in the namespace resolve lab names through /etc/netns resolv.conf" \
    sh -c "ip netns exec $LAB_NS getent hosts mail.example.test | grep -q '^$LAB_GW '"

# --- DHCP: a lease for a client in a namespace of its own ------------------------
ip netns del "$CLIENT_NS" 2>/dev/null
ip -n "$LAB_NS" link del vdhcp0 2>/dev/null
if ip netns add "$CLIENT_NS" &&
    ip -n "$LAB_NS" link add vdhcp0 type veth peer name vdhcp1 netns "$CLIENT_NS" &&
    ip -n "$LAB_NS" link set vdhcp0 master "$LAB_BRIDGE" up &&
    ip -n "$CLIENT_NS" link set vdhcp1 up; then
    t=$(now_ms)
    ip netns exec "$CLIENT_NS" /usr/bin/python3 "$LAB/dhcp-probe.py" vdhcp1 8 >"$OUT" 2>&1
    rc=$?
    echo "# DHCP lease in $(( $(now_ms) - t )) ms: $(tr '\n' ' ' <"$OUT")"
    ip_got=$(sed -n 's/^ip=//p' "$OUT")
    last=${ip_got##*.}
    if [ "$rc" = 0 ] && [ "${ip_got%.*}" = 198.51.100 ] && [ "$last" -ge 100 ] && [ "$last" -le 199 ]; then
        ok "DHCP gives a lease in $LAB_DHCP_FIRST-$LAB_DHCP_LAST ($ip_got)"
    else
        not_ok "DHCP gives a lease in $LAB_DHCP_FIRST-$LAB_DHCP_LAST"
    fi
    if grep -qx "router=$LAB_GW" "$OUT" && grep -qx "dns=$LAB_GW" "$OUT" &&
        grep -qx "domain=$LAB_DOMAIN" "$OUT" && grep -qx "lease=86400" "$OUT"; then
        ok "the lease names router and DNS $LAB_GW, domain $LAB_DOMAIN, 1 day"
    else
        not_ok "the lease names router and DNS $LAB_GW, domain $LAB_DOMAIN, 1 day"
    fi
    mac=$(sed -n 's/^mac=//p' "$OUT")
    check "dnsmasq records the lease in its leasefile" \
        grep -q " $mac $ip_got " "$LAB_DIR/dnsmasq.leases"
else
    not_ok "set up a DHCP client namespace $CLIENT_NS"
fi
ip -n "$LAB_NS" link del vdhcp0 2>/dev/null  # and its peer, at once
ip netns del "$CLIENT_NS" 2>/dev/null

# The simulator's path: frames through a tap, the bridge, to dnsmasq. A tap of
# the test's own, made like tap0 (which a running simulator may hold). The
# first frames after a tap opens can be lost (the bridge port comes up a
# moment later), so the probe repeats its DISCOVER every second.
ip -n "$LAB_NS" link del tprobe0 2>/dev/null
if ip -n "$LAB_NS" tuntap add dev tprobe0 mode tap &&
    ip -n "$LAB_NS" link set tprobe0 master "$LAB_BRIDGE" up; then
    t=$(now_ms)
    check "a client on a tap like $LAB_TAP gets a lease through $LAB_BRIDGE" \
        sh -c "ip netns exec $LAB_NS /usr/bin/python3 '$LAB/dhcp-probe.py' --tap tprobe0 8 |
               grep -Eq '^ip=198\.51\.100\.1[0-9][0-9]\$'"
    echo "# DHCP lease over a tap in $(( $(now_ms) - t )) ms"
else
    not_ok "add a probe tap tprobe0 to $LAB_BRIDGE"
fi
ip -n "$LAB_NS" link del tprobe0 2>/dev/null

check "the lab is left up" "$LAB/status"
finish
