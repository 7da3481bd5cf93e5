#!/bin/sh
# make bench: figures side by side, never pass/fail on time.
#  1. instructions per page (callgrind): our encode, our encode + MIME + SMTP
#     engine, beside cjpeg on the same raster;
#  2. peak heap: counting allocator and massif, beside cjpeg (massif);
#  3. the real job through lwIP and the lab's Postfix: wire and SMTP bytes per
#     attachment byte, client flights; beside swaks mailing the same JPEG.
set -u
cd "$(dirname "$0")/../.."
B=build/bench
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
BJ=$B/bench_job

cg() { # cg OUTFILE CMD...: instructions of a whole run
    out=$1; shift
    valgrind --tool=callgrind --callgrind-out-file="$out" "$@" >/dev/null 2>&1 || return 1
    sed -n 's/^summary: *//p; s/^totals: *//p' "$out" | head -1
}
massif_peak() { # massif_peak CMD...: peak heap bytes
    valgrind --tool=massif --massif-out-file="$T/massif.out" "$@" >/dev/null 2>&1 || return 1
    sed -n 's/^mem_heap_B=//p' "$T/massif.out" | sort -n | tail -1
}

"$BJ" ppm "$T/page.ppm" || { echo "bench: cannot write the test page"; exit 1; }
echo "== 1. One A4 colour page at 300 dpi (2480x3508), JPEG quality 85, baseline"
I_ENC=$(cg "$T/cg.enc" "$BJ" encode 1)
I_JOB=$(cg "$T/cg.job" "$BJ" job 1)
I_CJPEG=$(cg "$T/cg.cjpeg" cjpeg -quality 85 -baseline -outfile "$T/cjpeg.jpg" "$T/page.ppm")
I_PPM=$(cg "$T/cg.ppm" "$BJ" ppm "$T/page2.ppm")
printf '%-52s %15s\n' "what" "instructions"
printf '%-52s %15s\n' "mfp: scan (render) + encode + spool, 1 page" "$I_ENC"
printf '%-52s %15s\n' "mfp: scan + encode + spool + MIME + SMTP engine" "$I_JOB"
printf '%-52s %15s\n' "mfp: MIME + SMTP engine alone (difference)" "$((I_JOB - I_ENC))"
printf '%-52s %15s\n' "test page render to PPM (bench_job ppm)" "$I_PPM"
printf '%-52s %15s\n' "cjpeg -quality 85 -baseline on that PPM" "$I_CJPEG"
printf '%-52s %15s\n' "mfp encode+spool minus render, vs cjpeg (ratio)" \
    "$(awk -v a="$I_ENC" -v r="$I_PPM" -v c="$I_CJPEG" 'BEGIN { printf "%.2f", (a - r) / c }')"
echo "   (render is counted in both 'mfp' and 'ppm' rows; cjpeg also parses the PPM file)"
echo "   JPEG sizes: mfp $("$BJ" encode 1 | sed -n 's/jpeg_bytes *//p') bytes, cjpeg $(stat -c %s "$T/cjpeg.jpg") bytes"

echo
echo "== 2. Peak heap"
printf '%-52s %15s\n' "mfp job, counting allocator (band buffer apart)" \
    "$("$BJ" job 1 | sed -n 's/heap_peak_bytes *//p')"
printf '%-52s %15s\n' "mfp job, band buffer (static, 16 lines)" \
    "$("$BJ" job 1 | sed -n 's/band_buffer_bytes *\([0-9]*\).*/\1/p')"
printf '%-52s %15s\n' "mfp job, massif (includes band buffer)" "$(massif_peak "$BJ" job 1)"
printf '%-52s %15s\n' "cjpeg, massif" "$(massif_peak cjpeg -quality 85 -baseline -outfile "$T/c2.jpg" "$T/page.ppm")"
printf '%-52s %15s\n' "mfp job, 5 pages, counting allocator" "$("$BJ" job 5 | sed -n 's/heap_peak_bytes *//p')"

echo
echo "== 3. The real job: lwIP -> lab Postfix (sim/lab/up)"
if ! sh sim/lab/up >"$T/lab.log" 2>&1; then
    echo "bench: the lab does not come up:"; tail -5 "$T/lab.log"; exit 1
fi
. sim/lab/env
build/mfp-sim send --json --state "$T/state" --to alice@example.test --subject "bench" \
    >"$T/job.json" 2>/dev/null || { echo "bench: mfp-sim send failed"; cat "$T/job.json"; exit 1; }
j() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" "$T/job.json" | head -1; }
ATT=$(sed -n 's/.*"pages":\[{[^}]*"bytes":\([0-9]*\).*/\1/p' "$T/job.json")
printf '%-52s %15s\n' "attachment bytes (JPEG)" "$ATT"
printf '%-52s %15s\n' "SMTP bytes out (client)" "$(j smtp_bytes_out)"
printf '%-52s %15s\n' "wire bytes out (Ethernet frames, incl. DHCP/ARP)" "$(j wire_bytes_out)"
printf '%-52s %15s\n' "wire bytes / attachment bytes" \
    "$(awk -v w="$(j wire_bytes_out)" -v a="$ATT" 'BEGIN { printf "%.3f", w / a }')"
printf '%-52s %15s\n' "SMTP bytes / attachment bytes" \
    "$(awk -v w="$(j smtp_bytes_out)" -v a="$ATT" 'BEGIN { printf "%.3f", w / a }')"
printf '%-52s %15s\n' "client flights after connect (EHLO, envelope, content+QUIT)" "$(j flights)"

# swaks on the same JPEG, from inside the namespace (its own address: loopback).
cp "$T/cjpeg.jpg" "$T/scan.jpg"
ip netns exec "$LAB_NS" tcpdump -i lo -w "$T/swaks.pcap" -U 'tcp port 25' >/dev/null 2>&1 &
TD=$!
sleep 1
ip netns exec "$LAB_NS" swaks --server "$LAB_GW" --from mfp@example.test --to alice@example.test \
    --attach-type image/jpeg --attach "@$T/scan.jpg" --pipeline >"$T/swaks.log" 2>&1
SW=$?
sleep 1
kill -INT "$TD" 2>/dev/null; wait "$TD" 2>/dev/null
if [ $SW -eq 0 ]; then
    SATT=$(stat -c %s "$T/scan.jpg")
    # Client->server SMTP bytes: the highest relative sequence number the
    # client sent (loopback in the namespace: frame overheads not comparable).
    SWIRE=$(tcpdump -r "$T/swaks.pcap" -nn 'tcp dst port 25' 2>/dev/null |
        sed -n 's/.*seq [0-9]*:\([0-9]*\),.*/\1/p' | sort -n | tail -1)
    # Client flights: runs of client lines (" -> ") between server lines.
    SFL=$(awk '/^ *-> /{ if (!c) n++; c = 1; next } /^ *<-/{ c = 0 } END { print n }' "$T/swaks.log")
    printf '%-52s %15s\n' "swaks --pipeline: attachment bytes" "$SATT"
    printf '%-52s %15s\n' "swaks: SMTP bytes out (client, from the capture)" "$SWIRE"
    printf '%-52s %15s\n' "swaks: SMTP bytes / attachment bytes" \
        "$(awk -v w="$SWIRE" -v a="$SATT" 'BEGIN { printf "%.3f", w / a }')"
    printf '%-52s %15s\n' "swaks: client flights (from its transcript)" "$SFL"
else
    echo "swaks failed (exit $SW):"; tail -5 "$T/swaks.log"
fi
echo
echo "commands: $BJ encode|job 1 under valgrind --tool=callgrind; cjpeg -quality 85 -baseline;"
echo "          valgrind --tool=massif; build/mfp-sim send --json; swaks --pipeline in netns $LAB_NS"
