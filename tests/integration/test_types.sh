#!/bin/sh
# Every file type and scan option through the lab's Postfix, checked with the
# tools a user would open the files with (qpdf, pdfinfo, pdftoppm, tiffinfo,
# djpeg), and splitting by attachment size and by the gateway's SIZE.
. "$(dirname "$0")/lib.sh"
need_lab
[ -x "$SIM" ] || { not_ok "build/mfp-sim must exist (make)"; finish; }
STATE=$T_TMP/state
RUN=$(date +%s)-$$
N=0

# send NAME MAILBOX ARGS...: a job to MAILBOX@example.test; its attachments
# land in $T_TMP/NAME/ (one folder per e-mail: 1/, 2/, ...), JSON in NAME.json.
send() {
    name=$1 box=$2
    shift 2
    N=$((N + 1))
    "$SIM" send --json --state "$STATE" --to "$box@example.test" --subject "$name $RUN" "$@" \
        >"$T_TMP/$name.json" 2>"$T_TMP/$name.err"
}
# fetch NAME MAILBOX COUNT: waits (20 s at most) for the COUNT e-mails
# "NAME RUN (i/COUNT)" (one unnumbered when COUNT is 1) and extracts their
# attachments into $T_TMP/NAME/i/.
fetch() {
    name=$1 box=$2 count=$3
    i=1
    while [ $i -le "$count" ]; do
        subj="$name $RUN"
        [ "$count" -gt 1 ] && subj="$subj ($i/$count)"
        t=0
        until /usr/bin/python3 tests/integration/check_mail.py "$LAB_MAIL_DIR/$box" "$subj" \
                "$T_TMP/$name/$i" >/dev/null 2>&1; do
            t=$((t + 1))
            [ $t -lt 100 ] || return 1
            sleep 0.2
        done
        i=$((i + 1))
    done
}
json_count() { grep -o "\"$2\"" "$T_TMP/$1.json" | wc -l; }

# 1. PDF, colour, 3 pages, A4 300 dpi: one file, checked by qpdf and poppler.
send pdf alice --type pdf --pages 3
check "a 3-page colour PDF job exits 0 ($(tail -1 "$T_TMP/pdf.err"))" [ $? -eq 0 ]
check "its e-mail is delivered" fetch pdf alice 1
F=$T_TMP/pdf/1/scan.pdf
check "qpdf --check passes on scan.pdf" sh -c "qpdf --check '$F' >/dev/null"
check "pdfinfo: 3 pages" sh -c "pdfinfo '$F' | grep -q '^Pages: *3$'"
check "pdfinfo: A4 page size" sh -c "pdfinfo '$F' | grep -q 'Page size: *595.2 x 841.92 pts (A4)'"
check "pdfinfo: title is the file name" sh -c "pdfinfo '$F' | grep -q '^Title: *scan$'"
check "pdftoppm renders every page" sh -c "pdftoppm -r 20 -png '$F' '$T_TMP/pdfr' && [ \$(ls '$T_TMP'/pdfr*.png | wc -l) -eq 3 ]"
check "pdfimages: DCT (JPEG) images at 300 ppi" \
    sh -c "pdfimages -list '$F' | grep -c ' jpeg .* 300   300 ' | grep -qx 3"

# 2. Black and white, duplex, multi-page TIFF: CCITT G4 pages.
send mtiff bob --type mtiff --color bw --pages 2 --duplex --dpi 200 --size letter
check "a duplex black-and-white MTIFF job exits 0" [ $? -eq 0 ]
check "its e-mail is delivered" fetch mtiff bob 1
F=$T_TMP/mtiff/1/scan.tif
check "tiffinfo -D decodes all 4 pages (2 sheets, both sides)" \
    sh -c "tiffinfo -D '$F' 2>&1 >/dev/null | grep -v . ; [ \$(tiffinfo '$F' 2>/dev/null | grep -c 'CCITT Group 4') -eq 4 ]"
check "letter at 200 dpi: 1700 x 2200, min-is-white" \
    sh -c "tiffinfo '$F' | grep -q 'Image Width: 1700 Image Length: 2200' && tiffinfo '$F' | grep -q 'min-is-white'"
check "tiff2rgba converts the file" tiff2rgba "$F" "$T_TMP/mtiff.rgba.tif"

# 3. Black and white PDF with error diffusion: CCITT pages in a PDF.
send pdfbw carol --type pdf --color bw --halftone --darkness 1 --pages 2
check "a black-and-white PDF job exits 0" [ $? -eq 0 ]
check "its e-mail is delivered" fetch pdfbw carol 1
F=$T_TMP/pdfbw/1/scan.pdf
check "qpdf --check passes" sh -c "qpdf --check '$F' >/dev/null"
check "pdfimages: two CCITT 1-bit images" sh -c "[ \$(pdfimages -list '$F' | grep -c ccitt) -eq 2 ]"

# 4. Greyscale single-page TIFFs: one file per page, JPEG-in-TIFF.
send tiff dave --type tiff --color grey --pages 2 --dpi 150
check "a greyscale TIFF job exits 0" [ $? -eq 0 ]
check "its e-mail is delivered" fetch tiff dave 1
check "two files scan.tif and scan_2.tif, each a valid TIFF" \
    sh -c "tiffinfo -D '$T_TMP/tiff/1/scan.tif' >/dev/null 2>&1 && tiffinfo -D '$T_TMP/tiff/1/scan_2.tif' >/dev/null 2>&1"

# 5. JPEG, 75 dpi, Letter: JFIF density and size.
send jpeg erin --type jpeg --dpi 75 --size letter --quality low
check "a 75 dpi JPEG job exits 0" [ $? -eq 0 ]
check "its e-mail is delivered" fetch jpeg erin 1
dims=$(djpeg -pnm "$T_TMP/jpeg/1/scan.jpg" 2>/dev/null | head -c 20 | sed -n 2p)
check "djpeg decodes letter at 75 dpi to 638 x 825 (got '$dims')" [ "$dims" = "638 825" ]

# 6. An image file as input.
/usr/bin/python3 - "$T_TMP/in.ppm" <<'PY'
import sys
w, h = 400, 300
data = bytearray()
for y in range(h):
    for x in range(w):
        data += bytes((x * 255 // w, y * 255 // h, 128))
open(sys.argv[1], "wb").write(b"P6\n%d %d\n255\n" % (w, h) + data)
PY
send input frank --type jpeg --input "$T_TMP/in.ppm" --dpi 75
check "a job from an image file exits 0 ($(tail -1 "$T_TMP/input.err"))" [ $? -eq 0 ]
check "its e-mail is delivered" fetch input frank 1
dims=$(djpeg -pnm "$T_TMP/input/1/scan.jpg" 2>/dev/null | head -c 20 | sed -n 2p)
check "the image is placed on an A4 page at 75 dpi (620 x 877, got '$dims')" [ "$dims" = "620 877" ]
printf 'P6\n400 300\n255\n' >"$T_TMP/short.ppm"
send badinput frank --type jpeg --input "$T_TMP/short.ppm"
check "a truncated image fails with a message naming the file" \
    grep -q "short.ppm" "$T_TMP/badinput.json" "$T_TMP/badinput.err"

# 7. Splitting a 20-page job by maximum attachment size.
# Limits from 100 KB to 10 MB; greyscale pages need re-encoding under 400 KB.
for case in 100K:bw 150K:grey 400K:grey 1M:grey 10M:grey; do
    limit=${case%:*}
    name=split$limit
    send "$name" catchall-"$limit" --type pdf --color "${case#*:}" --dpi 150 --pages 20 \
        --max-attachment "$limit"
    rc=$?
    mails=$(json_count "$name" message_id)
    check "20 pages, limit $limit: job exits 0 in $mails e-mail(s) ($(tail -1 "$T_TMP/$name.err"))" [ $rc -eq 0 ]
    case $limit in
        *K) bytes=$((${limit%K} * 1024)) ;;
        *M) bytes=$((${limit%M} * 1048576)) ;;
    esac
    /usr/bin/python3 - "$T_TMP/$name.json" "$bytes" <<'PY' >"$T_TMP/$name.check" 2>&1
import json, sys
j = json.load(open(sys.argv[1])); limit = int(sys.argv[2])
pages = []
for f in j["files"]:
    assert f["bytes"] <= limit, "file %s is %d > %d" % (f["name"], f["bytes"], limit)
    pages += range(f["first_page"], f["first_page"] + f["pages"])
assert pages == list(range(1, 21)), "pages %s" % pages
assert all(m["accepted"] for m in j["messages"])
print(len(j["messages"]))
PY
    check "limit $limit: every file <= limit, every page once and in order" [ $? -eq 0 ]
    check "limit $limit: the gateway received all $mails e-mails" fetch "$name" catchall "$mails"
    total=0
    i=1
    while [ $i -le "$mails" ]; do
        p=$(pdfinfo "$T_TMP/$name/$i"/*.pdf 2>/dev/null | sed -n 's/^Pages: *//p')
        total=$((total + ${p:-0}))
        i=$((i + 1))
    done
    check "limit $limit: the delivered PDFs hold 20 pages in all (got $total)" [ "$total" -eq 20 ]
done
[ "$(json_count split150K message_id)" -gt "$(json_count split1M message_id)" ]
check "a smaller limit gives more e-mails" [ $? -eq 0 ]

# 8. A gateway whose SIZE is below the message: split further, never refused.
send small carol --type pdf --pages 3 --gateway "$LAB_GW:$LAB_SMALL_PORT"
check "a job to a gateway with SIZE $LAB_SMALL_SIZE exits 0 ($(tail -1 "$T_TMP/small.err"))" [ $? -eq 0 ]
mails=$(json_count small message_id)
check "it was split into several e-mails ($mails)" [ "$mails" -gt 1 ]
check "every e-mail fits the gateway's SIZE" /usr/bin/python3 -c "
import json,sys; j=json.load(open('$T_TMP/small.json'))
sys.exit(0 if all(m['bytes'] <= $LAB_SMALL_SIZE for m in j['messages']) else 1)"
check "they are all delivered" fetch small carol "$mails"

# 9. A page that cannot fit even at the lowest quality: nothing is sent.
before=$(find "$LAB_MAIL_DIR/alice/new" -type f | wc -l)
send toobig alice --type jpeg --pages 2 --max-attachment 20K
rc=$?
check "a page over the limit at any quality fails (rc=$rc)" [ $rc -eq 1 ]
check "the message names the page, its size and the limit" \
    grep -q 'Page 1 is [0-9]* bytes.*maximum attachment size is 20480 bytes' "$T_TMP/toobig.json"
sleep 1
check "nothing was sent" [ "$(find "$LAB_MAIL_DIR/alice/new" -type f | wc -l)" -eq "$before" ]

# 10. Scanner faults: a clear message on the panel, nothing sent.
"$SIM" send --state "$STATE" --to frank@example.test --pages 3 --jam-at 2 >"$T_TMP/jam.out" 2>&1
check "a paper jam at sheet 2 fails the job with what to do" \
    grep -q 'FAILED at scan: Scanning stopped at page 2.*clear the paper jam' "$T_TMP/jam.out"
"$SIM" send --state "$STATE" --to frank@example.test --stall-at 1 >"$T_TMP/stall.out" 2>&1
check "a stalled feed fails the job with what to do" grep -q 'the feed stalled' "$T_TMP/stall.out"

finish
