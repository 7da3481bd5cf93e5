#!/bin/sh
# make run: one real scan-to-email job to a lab mailbox, then the delivered
# message is located and checked. The lab stays up (sim/lab/down ends it).
set -u
cd "$(dirname "$0")/.."
. sim/lab/env
SUBJ="Scan $(date '+%Y-%m-%d %H:%M:%S')"
OUT=build/demo
rm -rf "$OUT"
mkdir -p "$OUT"

echo "== mfp-sim send: one A4 colour page, 300 dpi, JPEG, to alice@example.test"
if ! build/mfp-sim send --from scanner@example.test --from-name "MFP 3rd floor" \
        --to alice@example.test --subject "$SUBJ" --message "Scanned on the simulated MFP." --type jpeg \
        --state "$OUT/state" --keep-spool --pcap "$OUT/job.pcap"; then
    echo "make run: the job failed (see above)" >&2
    exit 1
fi
sh sim/lab/wait-mail alice 1 15 || exit 1
echo
echo "== delivered"
MSG=$(grep -l "^Subject: $SUBJ" "$LAB_MAIL_DIR"/alice/new/* | tail -1)
echo "message:    $MSG"
/usr/bin/python3 tests/integration/check_mail.py "$LAB_MAIL_DIR/alice" "$SUBJ" "$OUT/attachments" \
    --absent Bcc | sed 's/^/attachment: /' || exit 1
if cmp -s "$OUT/attachments/scan.jpg" "$OUT/state/q1-p0001.jpg"; then
    echo "check:      attachment is byte-identical to the spooled page"
else
    echo "check:      attachment DIFFERS from the spooled page" >&2
    exit 1
fi
echo "check:      djpeg decodes it to $(djpeg -pnm "$OUT/attachments/scan.jpg" | head -c 20 | sed -n 2p) pixels"
echo "capture:    $OUT/job.pcap (tcpdump -r, or Wireshark)"
echo
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    echo "== the panel in a window (close it to finish)"
    build/mfp-sim panel --state "$OUT/panel" ||
        echo "make run: the panel's window did not open (see above)" >&2
else
    echo "== the panel, headless (no display): the address book filled from a script"
    build/mfp-sim panel --headless --state "$OUT/panel" --script tests/ui/seed_book.panel \
        --snap "$OUT/panel" >/dev/null &&
        echo "snapshots:  $(ls "$OUT"/panel/*.png | head -3 | tr '\n' ' ')"
fi
echo
echo "The lab is still up: mailboxes in $LAB_MAIL_DIR, logs in $LAB_DIR."
echo "Try: build/mfp-sim send --help    End it with: sim/lab/down"
