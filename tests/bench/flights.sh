#!/bin/sh
# Client flights, connections and bytes out for the same mail sent three ways
# to the lab's Postfix: mfp-sim (the firmware on lwIP), curl and msmtp.
#
# Cases: one e-mail (one JPEG page, one recipient) and a three-part job (three
# JPEG pages split by --max-attachment 800K into three e-mails, to 3 To + 1 Cc
# + 1 Bcc), each over plain SMTP (port 25) and over STARTTLS + AUTH (1587).
# curl and msmtp send one message per run, so the three-part job is three runs
# for them: flights, bytes and connections are summed over the runs. They send
# the very messages mfp-sim sent, rebuilt from its spooled JPEGs (--keep-spool)
# with the subjects and recipients of its JSON result and the same MIME layout.
#
# Every figure comes from a packet capture taken inside the lab namespace:
# mfp-sim's frames on br0 (filtered by a MAC address of its own), the PC tools'
# on lo (inside the namespace 198.51.100.1 is a local address). A flight is a
# run of client->server TCP segments carrying payload between two
# server->client payload segments, counted per connection and summed.
# Exits 1 only when a measurement cannot be made (build missing, lab down).
# The lists of arguments and of figures are split into words on purpose.
# shellcheck disable=SC2046,SC2086
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
SIM=$BUILD/mfp-sim
PY=/usr/bin/python3
MAC=02:00:5e:f1:19:01          # this bench's simulator: its frames alone on br0
T=$(mktemp -d)
TD=""
trap '[ -z "$TD" ] || kill -INT "$TD" 2>/dev/null; rm -rf "$T"' EXIT

[ -x "$SIM" ] || { echo "flights: $SIM is not built"; exit 1; }
for c in curl msmtp tcpdump "$PY"; do
    command -v "$c" >/dev/null 2>&1 ||
        { echo "flights: '$c' is missing (sh tools/deps.sh --bench)"; exit 1; }
done
if ! sh sim/lab/up >"$T/lab.log" 2>&1; then
    echo "flights: the lab does not come up (sh sim/lab/up):"; tail -5 "$T/lab.log"; exit 1
fi
. sim/lab/env
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.4f", a / b; else print "n/a" }'; }

# cap_start IFACE FILE FILTER: tcpdump inside the namespace, headers only
# (the pcap records keep each frame's original length).
cap_start() {
    ip netns exec "$LAB_NS" tcpdump -i "$1" -U --immediate-mode -s 200 -w "$2" "$3" >"$2.log" 2>&1 &
    TD=$!
    n=0
    until grep -q "listening on" "$2.log" 2>/dev/null || [ $n -ge 50 ]; do
        sleep 0.1; n=$((n + 1))
    done
}
cap_stop() {
    sleep 0.5
    kill -INT "$TD" 2>/dev/null; wait "$TD" 2>/dev/null; TD=""
}

# pcap_stats FILE PORT -> "connections flights payload frames frame_bytes eth_bytes"
# all client->server: TCP payload bytes, frames and their captured lengths,
# and an Ethernet estimate at MTU 1500 (MSS 1448, 66 header bytes per frame:
# Ethernet 14 + IPv4 20 + TCP 20 + timestamps 12) for loopback captures,
# whose segments are up to 64 KiB and have no wire framing.
pcap_stats() {
    "$PY" - "$1" "$2" <<'EOF'
import struct, sys
path, port = sys.argv[1], int(sys.argv[2])
data = open(path, "rb").read()
magic = struct.unpack("<I", data[:4])[0]
end = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
link = struct.unpack(end + "I", data[20:24])[0]
if link != 1:
    sys.exit("flights: %s: link type %d, expected Ethernet" % (path, link))
conns, last = set(), {}
flights = payload = frames = frame_bytes = eth = 0
off = 24
while off + 16 <= len(data):
    _, _, incl, orig = struct.unpack(end + "IIII", data[off:off + 16])
    f = data[off + 16:off + 16 + incl]
    off += 16 + incl
    if len(f) < 34 or f[12:14] != b"\x08\x00" or f[23] != 6:
        continue
    ihl = (f[14] & 15) * 4
    tot = struct.unpack(">H", f[16:18])[0]
    t = 14 + ihl
    sport, dport = struct.unpack(">HH", f[t:t + 4])
    doff = (f[t + 12] >> 4) * 4
    syn, ack = f[t + 13] & 2, f[t + 13] & 16
    n = tot - ihl - doff
    if dport == port:
        key = (f[26:30], sport)
        if syn and not ack:
            conns.add(key)
        frames += 1
        frame_bytes += orig
        segs = max(1, -(-n // 1448))
        eth += n + 66 * segs
        payload += n
        if n > 0:
            if last.get(key) != "c":
                flights += 1
            last[key] = "c"
    elif sport == port and n > 0:
        last[(f[30:34], dport)] = "s"
print(len(conns), flights, payload, frames, frame_bytes, eth)
EOF
}

# massif_tls OUT LIBRE WRAP CMD...: "peak peak_while_tls tls_own" heap bytes of a
# run under massif (every snapshot detailed): the whole process's peak, its
# peak while the TLS library holds memory, and the TLS library's own peak
# (allocations whose direct caller lies in a shared object matching LIBRE).
# WRAP ("" or "ip netns exec NS") runs valgrind itself, which traces CMD alone.
massif_tls() {
    mo=$1 re=$2 wrap=$3; shift 3
    $wrap valgrind --tool=massif --pages-as-heap=no --detailed-freq=1 --threshold=0 \
        --max-snapshots=1000 --massif-out-file="$mo" "$@" >"$mo.log" 2>&1 ||
        { echo "fail fail fail"; return 1; }
    "$PY" - "$mo" "$re" <<'EOF2'
import re, sys
caller = re.compile(r"^ n\d+: (\d+) 0x[0-9A-Fa-f]+: .*\(in \S*(%s)[^/]*\)$" % sys.argv[2])
peak = tls_total = tls_own = total = own = 0
def flush():
    global tls_total, tls_own
    if own > 0:
        tls_total, tls_own = max(tls_total, total), max(tls_own, own)
for line in open(sys.argv[1]):
    if line.startswith("snapshot="):
        flush(); total = own = 0
    elif line.startswith("mem_heap_B="):
        total = int(line.split("=")[1]); peak = max(peak, total)
    else:
        m = caller.match(line)
        if m:
            own += int(m.group(1))
flush()
print(peak, tls_total, tls_own)
EOF2
}

# build_msgs JSON SPOOL FROM OUTDIR: one message file per e-mail mfp-sim sent
# (its subjects, recipients and JPEGs, the same MIME layout and base64 line
# length, CRLF), and OUTDIR/list: "file recipient..." per message.
build_msgs() {
    "$PY" - "$@" <<'EOF'
import json, os, secrets, sys
from email import encoders, policy
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formatdate
res_path, spool, sender, out = sys.argv[1:5]
res = json.load(open(res_path))
files = {f["name"]: f for f in res["files"]}
with open(os.path.join(out, "list"), "w") as lst:
    for i, m in enumerate(res["messages"], 1):
        rc = m["recipients"]
        msg = MIMEMultipart("mixed", boundary="=_mfp_" + secrets.token_hex(16))
        msg["Date"] = formatdate(usegmt=True)
        msg["From"] = '"MFP Scanner" <%s>' % sender
        msg["To"] = ", ".join(r["address"] for r in rc if r["kind"] == "to")
        cc = [r["address"] for r in rc if r["kind"] == "cc"]
        if cc:
            msg["Cc"] = ", ".join(cc)
        msg["Subject"] = m["subject"]
        msg["Message-ID"] = "<%s.%d@example.test>" % (secrets.token_hex(12), i)
        text = MIMEText("", "plain", "utf-8")
        del text["Content-Transfer-Encoding"]
        text["Content-Transfer-Encoding"] = "7bit"
        msg.attach(text)
        for name in m["files"]:
            page = res["pages"][files[name]["first_page"] - 1]
            part = MIMEBase("image", "jpeg", name=name)
            part.set_payload(open(os.path.join(spool, page["spool"]), "rb").read())
            encoders.encode_base64(part)
            part.add_header("Content-Disposition", "attachment", filename=name)
            msg.attach(part)
        path = os.path.join(out, "msg-%d.eml" % i)
        blob = msg.as_bytes(policy=policy.SMTP)
        open(path, "wb").write(blob)
        lst.write(" ".join([path] + [r["address"] for r in rc]) + "\n")
        print("  message %d: %d bytes here, %d bytes from mfp-sim" % (i, len(blob), m["bytes"]))
EOF
}

printf '%s\n' "$LAB_AUTH_PASS" >"$T/password"
printf 'machine %s login %s password %s\n' "$LAB_GW" "$LAB_AUTH_USER" "$LAB_AUTH_PASS" >"$T/netrc"
cat >"$T/msmtprc" <<EOF
defaults
host $LAB_GW
timeout 30
account plain
port $LAB_SMTP_PORT
from mfp@example.test
tls off
auth off
account secure
port $LAB_AUTH_PORT
from $LAB_AUTH_USER
tls on
tls_starttls on
tls_trust_file $LAB_CA_FILE
auth on
user $LAB_AUTH_USER
password $LAB_AUTH_PASS
EOF
chmod 600 "$T/msmtprc" "$T/netrc" "$T/password"

ONE="--to alice@example.test --pages 1"
THREE="--to a@example.test,b@example.test,c@example.test --cc d@example.test --bcc e@example.test --pages 3"
COMMON="send --json --type jpeg --max-attachment 800K --keep-spool --mac $MAC"
SECURE="--tls starttls --ca $LAB_CA_FILE --gateway $LAB_MX_HOST:$LAB_AUTH_PORT --user $LAB_AUTH_USER --password-file $T/password --from $LAB_AUTH_USER"
CURL_SECURE="--ssl-reqd --cacert $LAB_CA_FILE --netrc-file $T/netrc"
FAILED=""
ROWS=""

# run_case NAME plain|secure ONE|THREE [EXTRA [sim-only]]: mfp-sim (with the
# EXTRA arguments), then curl and msmtp per message unless sim-only.
run_case() {
    name=$1 mode=$2 job=$3 extra=${4:-} only=${5:-}
    d=$T/$name; mkdir -p "$d/spool"
    if [ "$mode" = secure ]; then
        port=$LAB_AUTH_PORT from=$LAB_AUTH_USER sec=$SECURE csec=$CURL_SECURE
    else
        port=$LAB_SMTP_PORT from=mfp@example.test sec="" csec=""
    fi
    echo "-- $name: mfp-sim $job $extra"
    cap_start br0 "$d/mfp.pcap" "ether host $MAC and tcp port $port"
    "$SIM" $COMMON --state "$d/spool" $job $sec $extra >"$d/job.json" 2>"$d/job.err"
    rc=$?
    cap_stop
    [ $rc -eq 0 ] || { FAILED="$FAILED $name/mfp-sim"; echo "  mfp-sim failed ($rc):"; tail -3 "$d/job.err"; }
    att=$("$PY" -c 'import json,sys; print(sum(p["bytes"] for p in json.load(open(sys.argv[1]))["pages"]))' "$d/job.json" 2>/dev/null || echo 0)
    jf() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" "$d/job.json" | head -1; }
    set -- $(pcap_stats "$d/mfp.pcap" "$port")
    ROWS="$ROWS$name mfp-sim $1 $2 $3 $4 $5 $5 $att $(jf flights) $(jf wire_bytes_out) $(jf sessions)
"
    [ -z "$only" ] || return 0
    mkdir -p "$d/msgs"
    build_msgs "$d/job.json" "$d/spool" "$from" "$d/msgs" || { echo "flights: cannot build the messages"; exit 1; }
    for tool in curl msmtp; do
        cap_start lo "$d/$tool.pcap" "tcp port $port"
        while read -r msg rcpts; do
            if [ $tool = curl ]; then
                set -- --mail-from "$from"
                for r in $rcpts; do set -- "$@" --mail-rcpt "$r"; done
                ip netns exec "$LAB_NS" curl -sS "smtp://$LAB_GW:$port" "$@" $csec -T "$msg" \
                    >>"$d/$tool.log" 2>&1 || FAILED="$FAILED $name/curl"
            else
                ip netns exec "$LAB_NS" msmtp -C "$T/msmtprc" -a "$mode" $rcpts <"$msg" \
                    >>"$d/$tool.log" 2>&1 || FAILED="$FAILED $name/msmtp"
            fi
        done <"$d/msgs/list"
        cap_stop
        set -- $(pcap_stats "$d/$tool.pcap" "$port")
        ROWS="$ROWS$name $tool $1 $2 $3 $4 $5 $6 $att - - -
"
    done
}

echo "== 5. Flights vs curl and msmtp (packet captures inside the lab namespace)"
run_case one-plain plain "$ONE"
run_case three-plain plain "$THREE"
run_case one-tls secure "$ONE"
run_case three-tls secure "$THREE"
run_case one-tls-pl secure "$ONE" "--auth plain" sim-only

echo
echo "   one = 1 e-mail, 1 JPEG page, 1 recipient; three = 3 pages split into 3 e-mails"
echo "   (--max-attachment 800K) to 5 recipients (3 To, 1 Cc, 1 Bcc); plain = port 25;"
echo "   tls = STARTTLS + AUTH on port $LAB_AUTH_PORT. Client->server, from the captures;"
echo "   curl and msmtp: one run (one connection) per e-mail, summed."
echo "   eth = estimated Ethernet bytes at MTU 1500 (frames of MSS 1448 + 66 header bytes);"
echo "   for mfp-sim 'eth' is the frames on br0 as captured (lwIP: MSS 1460, no timestamps)."
printf '%-12s %-8s %5s %7s %9s %6s %9s %8s %9s %8s\n' case tool conns flights payload frames eth "eth/att" "pay/att" engine
printf '%s' "$ROWS" | while read -r c tool conns fl pay fr _ eth att efl _ _; do
    printf '%-12s %-8s %5s %7s %9s %6s %9s %8s %9s %8s\n' "$c" "$tool" "$conns" "$fl" "$pay" "$fr" \
        "$eth" "$(ratio "$eth" "$att")" "$(ratio "$pay" "$att")" "$efl"
done
echo "   payload = TCP payload bytes out (SMTP, or TLS records); att = JPEG bytes (base64"
echo "   costs 4/3 and line breaks 2/76 more, so 1.37 is the floor); engine = the flights"
echo "   mfp-sim's SMTP engine counted itself (JSON stats.flights)."
printf '%s' "$ROWS" | while read -r c tool _ _ _ _ _ _ att _ ewire sess; do
    [ "$tool" = mfp-sim ] || continue
    printf '   %-12s attachment %s bytes; mfp-sim JSON: sessions %s, wire_bytes_out %s (%s x att,\n' \
        "$c" "$att" "$sess" "$ewire" "$(ratio "$ewire" "$att")"
    echo "                DHCP, ARP and DNS included)"
done
echo "   one-tls-pl = one-tls with mfp-sim forced to AUTH PLAIN (default: SCRAM-SHA-256, the"
echo "   strongest offered, one more round trip than CRAM-MD5 and two more than PLAIN)."
echo
echo "-- TLS cost: payload bytes out with STARTTLS + AUTH minus plain (handshake, AUTH, records)"
printf '%s' "$ROWS" | awk '
    { pay[$1 " " $2] = $5; fl[$1 " " $2] = $4 }
    END {
        n = split("mfp-sim curl msmtp", tools, " ")
        for (j = 1; j <= 2; j++) {
            c = j == 1 ? "one" : "three"
            for (i = 1; i <= n; i++) {
                t = tools[i]; a = c "-plain " t; b = c "-tls " t
                if ((a in pay) && (b in pay))
                    printf "   %-6s %-8s +%8d bytes (%.2f%% of plain), +%d flights\n", c, t,
                        pay[b] - pay[a], 100 * (pay[b] - pay[a]) / pay[a], fl[b] - fl[a]
            }
        }
    }'
[ -z "$FAILED" ] || echo "   FAILED (their figures are not valid):$FAILED"

echo
echo "-- Peak heap with TLS, one e-mail over STARTTLS + AUTH (massif, heap only, every"
echo "   snapshot detailed): the whole process; the process while the TLS library holds"
echo "   memory; the TLS library's own allocations (direct caller in its shared objects)."
printf '   %-34s %10s %12s %10s\n' "" "peak" "during TLS" "TLS lib"
H=$T/heap; mkdir -p "$H/spool"
set -- $(massif_tls "$H/mfp.massif" libmbed "" "$SIM" $COMMON --state "$H/spool" $ONE $SECURE)
printf '   %-34s %10s %12s %10s\n' "mfp-sim (whole job, Mbed TLS 2.28)" "$1" "$2" "$3"
set -- $(massif_tls "$H/curl.massif" 'libssl|libcrypto' "ip netns exec $LAB_NS" \
    curl -sS "smtp://$LAB_GW:$LAB_AUTH_PORT" --mail-from "$LAB_AUTH_USER" \
    --mail-rcpt alice@example.test $CURL_SECURE -T "$T/one-tls/msgs/msg-1.eml")
printf '   %-34s %10s %12s %10s\n' "curl (OpenSSL 3)" "$1" "$2" "$3"
set -- $(massif_tls "$H/msmtp.massif" 'libgnutls|libnettle|libhogweed|libgmp|libtasn1|libp11' \
    "ip netns exec $LAB_NS" msmtp -C "$T/msmtprc" -a secure alice@example.test \
    <"$T/one-tls/msgs/msg-1.eml")
printf '   %-34s %10s %12s %10s\n' "msmtp (GnuTLS)" "$1" "$2" "$3"
echo "   mfp-sim's peak includes scanning and JPEG encoding before the session; curl and"
echo "   msmtp read a ready message file."

echo
echo "== 5. Commands"
echo "  ip netns exec $LAB_NS tcpdump -i br0 -U --immediate-mode -s 200 -w mfp.pcap 'ether host $MAC and tcp port 25|1587'"
echo "  $SIM $COMMON --state DIR $ONE"
echo "  $SIM $COMMON --state DIR $THREE"
echo "    (secure: add $SECURE)" | sed "s|$T/|DIR/|g"
echo "  ip netns exec $LAB_NS tcpdump -i lo -U --immediate-mode -s 200 -w TOOL.pcap 'tcp port 25|1587'"
echo "  ip netns exec $LAB_NS curl -sS smtp://$LAB_GW:25 --mail-from mfp@example.test --mail-rcpt a@example.test [--mail-rcpt ...] -T msg-N.eml"
echo "    (secure: smtp://$LAB_GW:$LAB_AUTH_PORT --mail-from $LAB_AUTH_USER $CURL_SECURE)" | sed "s|$T/|DIR/|g"
echo "  valgrind --tool=massif --pages-as-heap=no --detailed-freq=1 --threshold=0 CMD  (heap)"
echo "  ip netns exec $LAB_NS msmtp -C DIR/msmtprc -a plain|secure a@example.test [...] < msg-N.eml"
echo "  msmtprc:"
sed -e "s|$T/|DIR/|g" -e "s|password .*|password (LAB_AUTH_PASS)|" -e 's/^/    /' "$T/msmtprc"
echo "  messages: msg-N.eml rebuilt from mfp-sim's spooled JPEGs (--keep-spool) with Python's"
echo "  email package: the same subjects, recipients, parts and base64 line length, CRLF."
[ -z "$FAILED" ] || exit 1
exit 0
