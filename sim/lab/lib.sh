# Helpers shared by the sim/lab scripts (sourced, not executed).
#
# The caller sets LAB_SELF to its own path ($0) before sourcing; we derive the
# project root from it so the scripts work from any directory.

# ip, dnsmasq and postfix live in sbin, which a plain `su` leaves off PATH.
PATH=$PATH:/usr/sbin:/sbin
export PATH
LAB_ROOT=${LAB_ROOT:-$(cd "$(dirname "$LAB_SELF")/../.." && pwd)}
. "$LAB_ROOT/sim/lab/env"
LAB_NAME=$(basename "$LAB_SELF")
LAB_LOG=$LAB_DIR/lab.log

# Print a progress line and keep it, time-stamped, in $LAB_LOG.
lab_say() {
    echo "lab $LAB_NAME: $*"
    if [ -d "$LAB_DIR" ] && [ -w "$LAB_DIR" ]; then
        echo "$(date '+%F %T') $LAB_NAME[$$]: $*" >>"$LAB_LOG" 2>/dev/null || :
    fi
}

lab_die() {
    echo "lab $LAB_NAME: error: $*" >&2
    if [ -d "$LAB_DIR" ] && [ -w "$LAB_DIR" ]; then
        echo "$(date '+%F %T') $LAB_NAME[$$]: error: $*" >>"$LAB_LOG" 2>/dev/null || :
    fi
    exit 1
}

lab_need_root() {
    [ "$(id -u)" = 0 ] || lab_die "must run as root (network namespaces, taps, Postfix)"
}

# Run a command, its output going to $LAB_LOG; die with its name on failure.
lab_run() {
    echo "+ $*" >>"$LAB_LOG"
    "$@" >>"$LAB_LOG" 2>&1 || lab_die "failed: $* (see $LAB_LOG)"
}

# Monotonic-enough wall clock in milliseconds, for timings.
lab_now_ms() {
    awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime
}

lab_ns_exists() {
    [ -e "/run/netns/$LAB_NS" ]
}

# lab_proc_field PID N: field N of /proc/PID/stat counted after the command
# name (1 = state, 2 = ppid, 20 = starttime); empty if the process is gone.
lab_proc_field() {
    _lab_stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    # the command name may hold spaces and parentheses: cut after the last ')'
    echo "${_lab_stat##*) }" | awk -v n="$2" '{ print $n }'
}

# lab_proc_live PID [STARTTIME]: the process exists, is not a zombie, and (if
# given) is the very process we started (the pid was not reused).
# kill -0 is no test: it succeeds on a zombie.
lab_proc_live() {
    _lab_state=$(lab_proc_field "$1" 1)
    case $_lab_state in
        ''|Z|X|x) return 1 ;;
    esac
    [ -z "${2:-}" ] || [ "$(lab_proc_field "$1" 20)" = "$2" ]
}

# lab_pid_record NAME PID: build/lab/NAME.pid holds the pid, NAME.start its
# start time (to recognise our process later).
lab_pid_record() {
    echo "$2" >"$LAB_DIR/$1.pid"
    lab_proc_field "$2" 20 >"$LAB_DIR/$1.start"
}

# lab_pid_read NAME: sets LAB_PID and LAB_START (empty if unrecorded).
lab_pid_read() {
    LAB_PID=$(cat "$LAB_DIR/$1.pid" 2>/dev/null || :)
    LAB_START=$(cat "$LAB_DIR/$1.start" 2>/dev/null || :)
}

# lab_pid_live NAME: the recorded process NAME is alive.
lab_pid_live() {
    lab_pid_read "$1"
    [ -n "$LAB_PID" ] && lab_proc_live "$LAB_PID" "$LAB_START"
}

# lab_descendants PID...: every live descendant of the given pids, one snapshot.
lab_descendants() {
    cat /proc/[0-9]*/stat 2>/dev/null | awk -v roots="$*" '
        {
            pid = $1; rest = $0
            sub(/.*\) /, "", rest); split(rest, f, " ")
            if (f[1] == "Z" || f[1] == "X") next
            parent[pid] = f[2]; order[n++] = pid
        }
        END {
            split(roots, r, " ")
            for (i in r) mark[r[i]] = 1
            do {
                grew = 0
                for (k = 0; k < n; k++) {
                    p = order[k]
                    if (!(p in mark) && (parent[p] in mark)) { mark[p] = 1; grew = 1; print p }
                }
            } while (grew)
        }'
}

# lab_end PID:START...: SIGTERM each live process, wait up to 5 s for all of
# them to be gone (or zombies: their parent or init reaps them), then SIGKILL
# what is left and wait again. Only the listed processes are signalled.
lab_end() {
    for _lab_ps in "$@"; do
        lab_proc_live "${_lab_ps%%:*}" "${_lab_ps#*:}" && kill -TERM "${_lab_ps%%:*}" 2>/dev/null || :
    done
    for _lab_sig in KILL none; do
        _lab_t=0
        while :; do
            _lab_left=""
            for _lab_ps in "$@"; do
                lab_proc_live "${_lab_ps%%:*}" "${_lab_ps#*:}" && _lab_left="$_lab_left $_lab_ps"
            done
            [ -n "$_lab_left" ] || return 0
            [ "$_lab_t" -lt 100 ] || break
            sleep 0.05; _lab_t=$((_lab_t + 1))
        done
        [ "$_lab_sig" = none ] && break
        lab_say "still running after SIGTERM, sending SIGKILL:$_lab_left"
        for _lab_ps in $_lab_left; do kill -KILL "${_lab_ps%%:*}" 2>/dev/null || :; done
    done
    lab_say "warning: could not end:$_lab_left"
    return 1
}

# lab_hex IP PORT: the local address as written in /proc/net/{tcp,udp}.
# Shell builtins only: status and up call it once per socket.
lab_hex() {
    _lab_ifs=$IFS
    IFS=.
    # shellcheck disable=SC2086
    set -- $1 "$2"
    IFS=$_lab_ifs
    printf '%02X%02X%02X%02X:%04X\n' "$4" "$3" "$2" "$1" "$5"
}

# lab_sockets: "tcp|udp HEXADDR:HEXPORT STATE" for every socket in the lab
# namespace. Reading /proc/net beats connecting: a probe connection would
# count against Postfix's anvil limits and show in the logs.
lab_sockets() {
    ip netns exec "$LAB_NS" awk '
        FNR == 1 { proto = (FILENAME ~ /udp/) ? "udp" : "tcp"; next }
        { print proto, $2, $4 }' /proc/net/tcp /proc/net/udp 2>/dev/null
}

# lab_listening SOCKETS PROTO IP PORT: SOCKETS (from lab_sockets) shows a
# listening TCP socket or a bound UDP socket at IP:PORT.
lab_listening() {
    _lab_want="$2 $(lab_hex "$3" "$4")"
    case $2 in tcp) _lab_want="$_lab_want 0A" ;; udp) _lab_want="$_lab_want 07" ;; esac
    # a whole line of SOCKETS, without a grep per socket
    case "
$1
" in
        *"
$_lab_want
"*) return 0 ;;
    esac
    return 1
}

# The sockets a working lab listens on: "name proto ip port", one per line.
lab_expected_sockets() {
    cat <<EOF
dns udp $LAB_GW $LAB_DNS_PORT
dns-tcp tcp $LAB_GW $LAB_DNS_PORT
dhcp udp 0.0.0.0 67
smtp tcp $LAB_GW $LAB_SMTP_PORT
submission tcp $LAB_GW $LAB_SUBMISSION_PORT
refuse tcp $LAB_GW $LAB_REFUSE_PORT
small tcp $LAB_GW $LAB_SMALL_PORT
rcptlimit tcp $LAB_GW $LAB_RCPT_PORT
submissions tcp $LAB_GW $LAB_SUBMISSIONS_PORT
tls-wrong-name tcp $LAB_GW $LAB_TLS_WRONG_NAME_PORT
tls-self-signed tcp $LAB_GW $LAB_TLS_SELF_SIGNED_PORT
auth tcp $LAB_GW $LAB_AUTH_PORT
auth-tls tcp $LAB_GW $LAB_AUTH_TLS_PORT
grey tcp $LAB_GW $LAB_GREY_PORT
postgrey tcp 127.0.0.1 $LAB_GREY_POLICY_PORT
rate tcp $LAB_GW $LAB_RATE_PORT
ldap tcp $LAB_GW $LAB_LDAP_PORT
ldaps tcp $LAB_GW $LAB_LDAPS_PORT
ldap-anon tcp $LAB_GW $LAB_LDAP_ANON_PORT
ldap-wrong-name tcp $LAB_GW $LAB_LDAP_WRONG_PORT
ldaps-wrong-name tcp $LAB_GW $LAB_LDAPS_WRONG_PORT
EOF
}

# lab_mailbox_dir ADDRESS-OR-NAME: the Maildir that mail for it lands in.
lab_mailbox_dir() {
    _lab_user=${1%@*}
    case $1 in
        *@*) [ "${1#*@}" = "$LAB_DOMAIN" ] || _lab_user=$LAB_OUTSIDE ;;
    esac
    for _lab_m in $LAB_MAILBOXES $LAB_CATCHALL $LAB_OUTSIDE; do
        if [ "$_lab_m" = "$_lab_user" ]; then
            echo "$LAB_MAIL_DIR/$_lab_m"
            return 0
        fi
    done
    echo "$LAB_MAIL_DIR/$LAB_CATCHALL"
}
