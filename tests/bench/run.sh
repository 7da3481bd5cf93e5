#!/bin/sh
# make bench: figures side by side, never pass/fail on time.
#  1. instructions for one page (callgrind, split by function within one run):
#     our encode + spool, MIME writer and SMTP engine, beside cjpeg on the
#     same raster;
#  2. peak heap: counting allocator and massif, beside cjpeg (massif), with
#     max RSS as a rough second figure;
#  3. every file type on a text, a mixed and a photo page at 300 dpi: bytes,
#     instructions (callgrind) and peak heap of our job, beside the tools a
#     user would chain on a PC on the same raster (cjpeg, img2pdf, tiffcp,
#     tiff2pdf, ImageMagick convert), and where we stand against the targets;
#  4. the real job through lwIP and the lab's Postfix: wire and SMTP bytes per
#     attachment byte, client flights; beside swaks mailing the same JPEG,
#     both measured the same way from a packet capture;
#  5. client flights, connections and bytes out for one e-mail and a three-part
#     job to five recipients, plain and STARTTLS + AUTH: mfp-sim beside curl
#     and msmtp sending the same messages; peak heap with TLS
#     (tests/bench/flights.sh);
#  6. instructions per megabyte sent, plain and with TLS (tests/bench/tls_cost.sh);
#  7. the directory: round trips and bytes per keystroke, instructions per
#     decoded entry, peak heap, time to the first suggestion beside ldapsearch
#     (tests/bench/ldap.sh).
# Exits 1 only when a measurement cannot be made (build missing, lab down).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
BJ=$BUILD/bench/bench_job
SIM=$BUILD/mfp-sim
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
CJPEG="cjpeg -quality 85 -baseline"   # libjpeg-turbo defaults: 4:2:0, standard Huffman tables

for f in "$BJ" "$SIM"; do
    [ -x "$f" ] || { echo "bench: $f is not built (make bench builds it)"; exit 1; }
done

row() { printf '%-58s %14s\n' "$1" "$2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }'; }
field() { sed -n "s/^$1 *\([0-9]*\).*/\1/p" "$2"; }   # field NAME FILE (bench_job output)

# Instructions of a whole run: the "summary:" (or "totals:") line of the output file.
cg() { # cg OUTFILE CMD...
    out=$1; shift
    valgrind --tool=callgrind --callgrind-out-file="$out" "$@" >/dev/null 2>&1 || return 1
    sed -n 's/^summary: *//p; s/^totals: *//p' "$out" | head -1
}
# Inclusive instructions of one function (regex on "file:function"), 0 if absent.
# callgrind_annotate runs outside the tree: from the root, it splits functions
# whose debug info names relative source paths into two half entries.
incl() { # incl OUTFILE REGEX
    (cd / && callgrind_annotate --inclusive=yes --threshold=100 --auto=no "$1" 2>/dev/null) |
        awk -v re="$2" '$0 ~ re { gsub(",", "", $1); print $1; found = 1; exit }
                        END { if (!found) print 0 }'
}
massif_peak() { # massif_peak CMD...: peak heap bytes (heap only: --pages-as-heap=no)
    valgrind --tool=massif --pages-as-heap=no --massif-out-file="$T/massif.out" "$@" \
        >/dev/null 2>&1 || return 1
    sed -n 's/^mem_heap_B=//p' "$T/massif.out" | sort -n | tail -1
}
max_rss() { # max_rss CMD...: kilobytes
    /usr/bin/time -v "$@" 2>&1 >/dev/null | sed -n 's/.*Maximum resident set size (kbytes): //p'
}
# SMTP client bytes (TCP payload to port 25) and client flights (runs of client
# payload segments between server payload segments) from a capture. Both tools
# are measured this way, so the figures compare like with like.
pcap_smtp() { # pcap_smtp FILE -> "bytes flights"
    tcpdump -r "$1" -nn 'tcp port 25' 2>/dev/null | awk '
        / length [1-9][0-9]*/ {
            n = $0; sub(/.* length /, "", n); n += 0
            if ($5 ~ /\.25:$/) { bytes += n; if (!client) flights++; client = 1 }
            else client = 0
        }
        END { printf "%d %d\n", bytes, flights }'
}

"$BJ" ppm "$T/page.ppm" || { echo "bench: cannot write the test page"; exit 1; }
"$BJ" job 1 >"$T/job1.txt" || { echo "bench: bench_job job 1 failed"; cat "$T/job1.txt"; exit 1; }
"$BJ" job 5 >"$T/job5.txt" || { echo "bench: bench_job job 5 failed"; exit 1; }

echo "== 1. Instructions for one A4 colour page at 300 dpi (2480x3508), JPEG q85, baseline"
I_JOB=$(cg "$T/cg.job" "$BJ" job 1) || { echo "bench: callgrind failed"; exit 1; }
I_CJ=$(cg "$T/cg.cjpeg" $CJPEG -outfile "$T/cjpeg.jpg" "$T/page.ppm") || { echo "bench: cjpeg failed"; exit 1; }
I_STEP=$(incl "$T/cg.job" 'scan_job\.c:scan_job_step ')
I_RENDER=$(incl "$T/cg.job" ':sim_scanner_read_band ')
I_LJ=0; I_LJC=0
for f in jpeg_start_compress jpeg_write_scanlines jpeg_finish_compress; do
    I_LJ=$((I_LJ + $(incl "$T/cg.job" ":$f ")))
    I_LJC=$((I_LJC + $(incl "$T/cg.cjpeg" ":$f ")))
done
I_SEND=$(incl "$T/cg.job" ':bench_send[ .]')
I_MIME=$(incl "$T/cg.job" ':bench_body_read ')
I_B64=$(incl "$T/cg.job" ':mbedtls_base64_encode ')
I_SCRIPT=$(incl "$T/cg.job" ':bench_server_take[ .]')
I_ENC=$((I_STEP - I_RENDER))
I_SMTP=$((I_SEND - I_MIME - I_SCRIPT))
row "what (one callgrind run of 'bench_job job 1')" "instructions"
row "whole process" "$I_JOB"
row "  simulated scanner rendering the page (hardware's job)" "$I_RENDER"
row "  firmware: scan_job encode + spool (scan_job_step - render)" "$I_ENC"
row "    of which libjpeg (start+write+finish, with our output" "$I_LJ"
row "    callback: spool write + CRC32)" ""
row "  firmware: MIME writer (base64, spool read + CRC check)" "$I_MIME"
row "    of which mbedtls_base64_encode (constant-time)" "$I_B64"
row "  firmware: SMTP engine (bench_send - MIME - script)" "$I_SMTP"
row "  scripted server (test harness)" "$I_SCRIPT"
row "  firmware total per page (encode + MIME + SMTP)" "$((I_ENC + I_MIME + I_SMTP))"
row "cjpeg, whole process (reads the PPM file)" "$I_CJ"
row "  of which libjpeg (start+write+finish, with fwrite output)" "$I_LJC"
row "ratio: firmware encode + spool / cjpeg whole process" "$(ratio "$I_ENC" "$I_CJ")"
row "ratio: firmware libjpeg / cjpeg libjpeg" "$(ratio "$I_LJ" "$I_LJC")"
row "ratio: firmware total (with MIME + SMTP) / cjpeg" "$(ratio "$((I_ENC + I_MIME + I_SMTP))" "$I_CJ")"
row "JPEG bytes: firmware" "$(field page_bytes "$T/job1.txt")"
row "JPEG bytes: cjpeg" "$(stat -c %s "$T/cjpeg.jpg")"

echo
echo "== 2. Peak heap"
row "firmware job 1 page, counting allocator (band buffer apart)" "$(field heap_peak_bytes "$T/job1.txt")"
row "firmware job 5 pages, counting allocator" "$(field heap_peak_bytes "$T/job5.txt")"
row "firmware job, allocation calls (1 page / 5 pages)" \
    "$(field alloc_calls "$T/job1.txt") / $(field alloc_calls "$T/job5.txt")"
row "firmware band buffer (16 lines, the caller's, static)" "$(field band_buffer_bytes "$T/job1.txt")"
row "firmware job 1 page, massif heap (band buffer included)" "$(massif_peak "$BJ" job 1)"
row "cjpeg, massif heap" "$(massif_peak $CJPEG -outfile "$T/c2.jpg" "$T/page.ppm")"
row "rough: max RSS kB, bench_job job 1 (host process)" "$(max_rss "$BJ" job 1)"
row "rough: max RSS kB, cjpeg" "$(max_rss $CJPEG -outfile "$T/c3.jpg" "$T/page.ppm")"

echo
echo "== 3. Every file type on a text, a mixed and a photo page, A4 300 dpi (2480x3508)"
echo "   One raster per page, the same for every tool. Ours: 'bench_job job 1 --input PAGE.ppm'"
echo "   (the raster scanned by sim_input at 1:1, then our job: encode, spool, file, MIME, SMTP)."
echo "   instructions: callgrind, whole process; ours without the simulated scanner (the"
echo "   hardware's job: reading the PPM) and the scripted server. A chain (a + b) sums both."
echo "   heap: ours = counting allocator, job only (+ the band buffer, static, shown apart);"
echo "   PC tools = massif peak heap (max over a chain). 'n/i' = tool not installed."
CONVERT=/usr/bin/convert   # ImageMagick's own (/usr/local/bin/convert may be a stand-in)
have() { command -v "$1" >/dev/null 2>&1; }
# measure OUT CMD...: M_I instructions, M_H massif peak heap, M_B bytes of OUT.
measure() {
    mo=$1; shift
    rm -f "$mo"
    if ! have "$1"; then M_I=n/i M_H=n/i M_B=n/i; return 1; fi
    M_I=$(cg "$T/cg.m" "$@") || M_I=fail
    M_H=$(massif_peak "$@") || M_H=fail
    M_B=$(stat -c %s "$mo" 2>/dev/null) || M_B=fail
    # Debian's ImageMagick policy (/etc/ImageMagick-6/policy.xml) forbids writing PDF.
    case "$M_B" in 0|fail) M_B=refused M_I=- M_H=- ;; esac
}
# chain OUT1 "CMD1" OUT2 "CMD2": two steps, instructions summed, heap the larger.
chain() {
    measure "$1" $2; c_i=$M_I c_h=$M_H
    measure "$3" $4
    case "$c_i$M_I" in *[!0-9]*) M_I=n/a ;; *) M_I=$((c_i + M_I)) ;; esac
    case "$c_h$M_H" in *[!0-9]*) M_H=n/a ;; *) [ "$c_h" -gt "$M_H" ] && M_H=$c_h ;; esac
}
# ours RASTER TYPE COLOR: O_B bytes, O_I instructions, O_E of which encode + spool,
# O_H heap (job), O_BAND band buffer; the files are left in $T/out.
ours() {
    rm -rf "$T/out"; mkdir -p "$T/out"
    set -- job 1 --type "$2" --color "$3" --input "$1"
    if ! "$BJ" "$@" --out "$T/out" >"$T/ours.txt"; then
        O_B=fail O_I=fail O_E=fail O_H=fail O_BAND=0; return 1
    fi
    O_B=$(field file_bytes "$T/ours.txt"); O_H=$(field heap_peak_bytes "$T/ours.txt")
    O_BAND=$(field band_buffer_bytes "$T/ours.txt")
    O_I=$(cg "$T/cg.ours" "$BJ" "$@") || { O_I=fail O_E=fail; return 1; }
    hw=0
    for f in start next_page read_band stop; do
        hw=$((hw + $(incl "$T/cg.ours" ":bench_scanner_$f ")))
    done
    O_E=$(($(incl "$T/cg.ours" 'scan_job\.c:scan_job_step ') - hw))
    O_I=$((O_I - hw - $(incl "$T/cg.ours" ':bench_server_take[ .]')))
}
line3() { printf '  %-44s %10s %13s %10s\n' "$1" "$2" "$3" "$4"; }
oursline() { line3 "$1" "$O_B" "$O_I" "$O_H+$O_BAND"; }
pcline() { line3 "$1" "$M_B" "$M_I" "$M_H"; }
SUMMARY=""
for page in text mixed photo; do
    R=$T/$page.ppm
    "$BJ" raster "$page" "$R" || { echo "bench: cannot write the $page raster"; exit 1; }
    echo
    echo "-- $page page"
    line3 "what" "bytes" "instructions" "peak heap"
    ours "$R" jpeg color; oursline "ours: JPEG colour q85 (scan.jpg)"
    J_I=$O_I J_E=$O_E J_H=$O_H J_BAND=$O_BAND
    measure "$T/cj.jpg" $CJPEG -outfile "$T/cj.jpg" "$R"; pcline "cjpeg -quality 85 -baseline"
    CJ_I=$M_I CJ_H=$M_H
    measure "$T/im.jpg" $CONVERT "$R" -quality 85 "$T/im.jpg"; pcline "convert -quality 85 (.jpg)"
    ours "$R" pdf color; oursline "ours: PDF colour (JPEG pages)"
    P_I=$O_I P_E=$O_E P_H=$O_H
    chain "$T/cj.jpg" "$CJPEG -outfile $T/cj.jpg $R" "$T/i2p.pdf" "img2pdf $T/cj.jpg -o $T/i2p.pdf"
    pcline "cjpeg + img2pdf"
    measure "$T/im.pdf" $CONVERT "$R" -quality 85 "$T/im.pdf"; pcline "convert -quality 85 (.pdf)"
    ours "$R" tiff grey; oursline "ours: TIFF grey (JPEG in TIFF)"
    if have $CONVERT; then $CONVERT "$R" -grayscale Rec601Luma "$T/page.pgm"; fi
    measure "$T/im.tif" $CONVERT "$T/page.pgm" -quality 85 -compress JPEG "$T/im.tif"
    pcline "convert PGM -compress JPEG (.tif)"
    ours "$R" mtiff bw; oursline "ours: MTIFF black and white (G4)"
    # The PC tools start from our bilevel raster, uncompressed.
    tiffcp -c none "$T/out/scan.tif" "$T/bw.tif" 2>/dev/null || echo "  (no bilevel raster: tiffcp failed)"
    measure "$T/g4.tif" tiffcp -c g4 "$T/bw.tif" "$T/g4.tif"; pcline "tiffcp -c g4"
    measure "$T/im4.tif" $CONVERT "$T/bw.tif" -compress Group4 "$T/im4.tif"
    pcline "convert -compress Group4 (.tif)"
    ours "$R" pdf bw; oursline "ours: PDF black and white (G4)"
    chain "$T/g4.tif" "tiffcp -c g4 $T/bw.tif $T/g4.tif" "$T/t2p.pdf" "tiff2pdf -o $T/t2p.pdf $T/g4.tif"
    pcline "tiffcp -c g4 + tiff2pdf"
    chain "$T/g4.tif" "tiffcp -c g4 $T/bw.tif $T/g4.tif" "$T/i2p4.pdf" "img2pdf $T/g4.tif -o $T/i2p4.pdf"
    pcline "tiffcp -c g4 + img2pdf"
    measure "$T/im4.pdf" $CONVERT "$T/bw.tif" -compress Group4 "$T/im4.pdf"
    pcline "convert -compress Group4 (.pdf)"
    SUMMARY="$SUMMARY$page $J_I $J_E $P_I $P_E $CJ_I $J_H $P_H $J_BAND $CJ_H
"
done

echo
echo "  'refused': the tool wrote nothing; ImageMagick's convert refuses to write PDF under"
echo "  Debian's security policy (/etc/ImageMagick-6/policy.xml: coder PDF rights none), which a"
echo "  user policy cannot loosen; the bench leaves the system policy alone."
echo
echo "-- where we stand (targets: instructions per page <= 1.05 x cjpeg alone for colour"
echo "   JPEG and PDF; the whole job's peak heap < cjpeg's peak heap + the band buffer)"
printf '%s' "$SUMMARY" | while read -r page ji je pi pe ci jh ph band ch; do
    awk -v p="$page" -v ji="$ji" -v je="$je" -v pi="$pi" -v pe="$pe" -v ci="$ci" \
        -v jh="$jh" -v ph="$ph" -v band="$band" -v ch="$ch" 'BEGIN {
        if (ci + 0 <= 0 || ch + 0 <= 0) { printf "  %s: cjpeg not measured\n", p; exit }
        if (p == "text") {
            print "   job = encode, spool, file writer, MIME (base64) and SMTP; cjpeg only encodes."
            print "   encode+spool = scan_job_step without the simulated scanner: the like-for-like figure."
        }
        printf "  %-6s JPEG: job %.3f x cjpeg (encode+spool %.3f x) %s;", p, ji / ci, je / ci,
               ji <= 1.05 * ci ? "met" : "NOT met"
        printf " PDF: job %.3f x cjpeg (encode+spool %.3f x) %s\n", pi / ci, pe / ci,
               pi <= 1.05 * ci ? "met" : "NOT met"
        m = jh > ph ? jh : ph
        printf "  %-6s heap: job %d + band %d = %d vs cjpeg %d + band %d = %d: %s\n", p, m, band,
               m + band, ch, band, ch + band, m < ch ? "met" : "NOT met"
    }'
done

echo
echo "== 4. The real job: mfp-sim (lwIP) -> the lab's Postfix, beside swaks"
if ! sh sim/lab/up >"$T/lab.log" 2>&1; then
    echo "bench: the lab does not come up (sh sim/lab/up):"; tail -5 "$T/lab.log"; exit 1
fi
. sim/lab/env
"$SIM" send --json --state "$T/state" --pcap "$T/mfp.pcap" --to alice@example.test \
    --subject bench >"$T/job.json" 2>"$T/job.err" ||
    { echo "bench: mfp-sim send failed"; cat "$T/job.json" "$T/job.err"; exit 1; }
j() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" "$T/job.json" | head -1; }
ATT=$(sed -n 's/.*"pages":\[{[^}]*"bytes":\([0-9]*\).*/\1/p' "$T/job.json")
set -- $(pcap_smtp "$T/mfp.pcap")
M_CAP=$1 M_FL=$2

# swaks mails cjpeg's encode of the same raster (the firmware's size) from
# inside the namespace; the gateway address is local there, so it goes over lo.
cp "$T/cjpeg.jpg" "$T/scan.jpg"
ip netns exec "$LAB_NS" tcpdump -i lo -U -w "$T/swaks.pcap" 'tcp port 25' >"$T/tcpdump.log" 2>&1 &
TD=$!
sleep 1
SWAKS="swaks --server $LAB_GW --from mfp@example.test --to alice@example.test --header Subject:bench --attach-type image/jpeg --attach @$T/scan.jpg --pipeline"
ip netns exec "$LAB_NS" $SWAKS >"$T/swaks.log" 2>&1
SW=$?
sleep 1
kill -INT "$TD" 2>/dev/null; wait "$TD" 2>/dev/null
set -- $(pcap_smtp "$T/swaks.pcap")
S_CAP=$1 S_FL=$2
S_ATT=$(stat -c %s "$T/scan.jpg")

printf '%-46s %16s %16s\n' "" "mfp-sim (lwIP)" "swaks --pipeline"
printf '%-46s %16s %16s\n' "attachment bytes (JPEG)" "$ATT" "$S_ATT"
printf '%-46s %16s %16s\n' "SMTP bytes out, from the capture" "$M_CAP" "$S_CAP"
printf '%-46s %16s %16s\n' "SMTP bytes out / attachment bytes" "$(ratio "$M_CAP" "$ATT")" "$(ratio "$S_CAP" "$S_ATT")"
printf '%-46s %16s %16s\n' "client flights, from the capture" "$M_FL" "$S_FL"
printf '%-46s %16s %16s\n' "SMTP bytes out, engine's count (JSON)" "$(j smtp_bytes_out)" "-"
printf '%-46s %16s %16s\n' "client flights, engine's count (JSON)" "$(j flights)" "-"
printf '%-46s %16s %16s\n' "wire bytes out (Ethernet, incl. DHCP/ARP/DNS)" "$(j wire_bytes_out)" "(loopback)"
printf '%-46s %16s %16s\n' "wire bytes out / attachment bytes" "$(ratio "$(j wire_bytes_out)" "$ATT")" "-"
[ $SW -eq 0 ] || { echo "swaks failed (exit $SW), its figures are not valid:"; tail -5 "$T/swaks.log"; }
echo "   swaks runs inside the namespace and reaches the gateway over lo: no Ethernet"
echo "   framing to count, so its wire bytes are not comparable; SMTP bytes and flights are."

echo
echo "== Commands"
echo "  $BJ ppm PAGE.ppm                 (the simulator's page as a PPM)"
echo "  valgrind --tool=callgrind $BJ job 1; callgrind_annotate --inclusive=yes"
echo "  valgrind --tool=callgrind $CJPEG -outfile OUT.jpg PAGE.ppm"
echo "  $BJ job 1; $BJ job 5             (counting allocator)"
echo "  $BJ raster mixed|text|photo PAGE.ppm   (section 3's rasters)"
echo "  $BJ job 1 --type jpeg|pdf|tiff|mtiff --color color|grey|bw --input PAGE.ppm [--out DIR]"
echo "  $CJPEG -outfile OUT.jpg PAGE.ppm; img2pdf OUT.jpg -o OUT.pdf"
echo "  convert PAGE.ppm -quality 85 OUT.jpg|OUT.pdf; convert PAGE.pgm -quality 85 -compress JPEG OUT.tif"
echo "  tiffcp -c none scan.tif BW.tif (our bilevel raster, uncompressed: the PC tools' input)"
echo "  tiffcp -c g4 BW.tif G4.tif; tiff2pdf -o OUT.pdf G4.tif; img2pdf G4.tif -o OUT.pdf"
echo "  convert BW.tif -compress Group4 OUT.tif|OUT.pdf"
echo "  valgrind --tool=massif --pages-as-heap=no $BJ job 1   (and on the cjpeg command)"
echo "  /usr/bin/time -v $BJ job 1       (and on the cjpeg command)"
echo "  sh sim/lab/up; $SIM send --json --state DIR --pcap mfp.pcap --to alice@example.test --subject bench"
echo "  ip netns exec $LAB_NS tcpdump -i lo -U -w swaks.pcap 'tcp port 25'"
echo "  ip netns exec $LAB_NS $SWAKS" | sed "s|$T/|DIR/|g"
echo "  tcpdump -r FILE.pcap -nn 'tcp port 25'   (payload to port 25 summed; flights = runs)"

echo
BUILD=$BUILD sh tests/bench/flights.sh || exit 1

echo
BUILD=$BUILD sh tests/bench/tls_cost.sh || exit 1

echo
BUILD=$BUILD sh tests/bench/ldap.sh || exit 1
