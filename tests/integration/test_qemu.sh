#!/bin/sh
# The target board under QEMU (mps2-an385, Cortex-M3, LAN9118 on the lab's
# qtap0): the image's built-in job -- 3 colour pages at 300 dpi as one PDF to
# alice@example.test through mail.example.test:587 with STARTTLS verified
# against the lab CA -- is delivered with its 3 pages, and the firmware
# reports its RAM figures; a second run trusting another CA ends with the
# verification error and delivers nothing.
#
# Builds nothing: the image ($BUILD/arm/mfp-board.elf, `make arm-image`) must
# exist, or the test fails and says so.
. "$(dirname "$0")/lib.sh"
IMAGE=${BUILD:-build}/arm/mfp-board.elf
[ -f "$IMAGE" ] || { not_ok "the board image $IMAGE must exist: run 'make arm-image'"; finish; }
command -v qemu-system-arm >/dev/null 2>&1 ||
    { not_ok "qemu-system-arm is missing: run 'make deps'"; finish; }
need_lab
RUN=$(date +%s)-$$
ALICE=$(sh sim/lab/mailbox alice)

# The run: UART in NAME.out, QEMU's exit status in NAME.rc.
board_run() {
    name=$1
    shift
    QEMU_TIMEOUT=120 sh tools/qemu-run.sh "$IMAGE" "subject=board-$name-$RUN" "$@" \
        >"$T_TMP/$name.out" 2>"$T_TMP/$name.err"
    echo $? >"$T_TMP/$name.rc"
}
uart() { grep -q "$2" "$T_TMP/$1.out"; }

board_run good
rc=$(cat "$T_TMP/good.rc")
check "the board's job exits 0 through semihosting (exit $rc; $(grep -E 'FAILED|FAULT' "$T_TMP/good.out" | head -1))" \
    [ "$rc" -eq 0 ]
check "the UART shows the DHCP address and the connection" \
    uart good 'address 198\.51\.100\.[0-9]* (DHCP); connecting to mail.example.test port 587'
check "the UART reports the 3 pages sent" uart good '^sent: 3 page(s) in 1 e-mail(s)'
check "the certificate was verified (TLS 1.2 or newer)" \
    uart good '^tls: TLSv1\.[23] .* certificate verified'
check "the gateway accepted the e-mail for alice" uart good 'alice@example.test: delivered'
check "the UART reports the heap high-water mark" uart good '^ram: .*heap peak [0-9]* of'
check "the UART reports lwIP's MEM and MEMP high-water marks" \
    sh -c "grep -q '^lwip: MEM heap max' '$T_TMP/good.out' && grep -q '^lwip: MEMP TCP_PCB ' '$T_TMP/good.out'"
check "malloc was never refused" sh -c "! grep -q 'malloc was refused' '$T_TMP/good.out'"
if [ "$rc" -eq 0 ] && sh sim/lab/wait-mail alice 1 10 >/dev/null 2>&1 &&
    /usr/bin/python3 tests/integration/check_mail.py "$ALICE" "board-good-$RUN" "$T_TMP/att" \
        --header "To=alice@example.test" >"$T_TMP/att.txt" 2>"$T_TMP/att.err"; then
    ok "the message is in alice's Maildir"
    pdf=$T_TMP/att/$(awk '{print $1; exit}' "$T_TMP/att.txt")
    check "its attachment is a PDF ($(cat "$T_TMP/att.txt"))" grep -q ' application/pdf ' "$T_TMP/att.txt"
    check "the PDF is well-formed (qpdf --check)" sh -c "qpdf --check '$pdf' >/dev/null 2>&1"
    pages=$(qpdf --show-npages "$pdf" 2>/dev/null)
    check "the PDF has 3 pages (has ${pages:-none})" [ "${pages:-0}" -eq 3 ]
else
    not_ok "the message is in alice's Maildir ($(cat "$T_TMP/att.err" 2>/dev/null))"
fi
sed -n '/^sent:/,$p' "$T_TMP/good.out" # the figures, for the log

# The image's budgets from its linker map (make size): flash within 1 MiB,
# static RAM within 512 KiB.
python3 tools/arm/size.py --map "${IMAGE%.elf}.map" --elf "$IMAGE" \
    --board firmware/board_mps2_an385 >"$T_TMP/size.txt" 2>&1
rc=$?
check "the image is within its flash and static RAM budgets: $(grep '^flash' "$T_TMP/size.txt" | tr -s ' ')" [ "$rc" -eq 0 ]
cat "$T_TMP/size.txt"

# The budgets: everything in RAM at the peak within 512 KiB, and the job's
# heap peak the same for 1 page and 10 (PDF, colour; 150 dpi keeps it short).
total=$(sed -n 's/^ram: total in use at peak \([0-9]*\) B.*/\1/p' "$T_TMP/good.out")
check "RAM in use at the peak is within 512 KiB (${total:-?} B)" [ "${total:-999999}" -le 524288 ]
board_run one pages=1 dpi=150
board_run ten pages=10 dpi=150
peak() { sed -n 's/^ram: .*heap peak \([0-9]*\) of.*/\1/p' "$T_TMP/$1.out"; }
p1=$(peak one)
p10=$(peak ten)
check "1 and 10 pages both sent ($(cat "$T_TMP/one.rc"), $(cat "$T_TMP/ten.rc"))" \
    [ "$(cat "$T_TMP/one.rc")" -eq 0 -a "$(cat "$T_TMP/ten.rc")" -eq 0 ]
check "the heap peak does not grow with the page count (1 page ${p1:-?} B, 10 pages ${p10:-?} B)" \
    [ "${p1:-0}" -gt 0 -a "${p10:-999999999}" -le "${p1:-0}" ]

# Another CA: the lab's gateway certificate does not chain to it.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Not the lab CA" \
    -addext "basicConstraints=critical,CA:TRUE" -keyout "$T_TMP/other.key" \
    -out "$T_TMP/other.crt" >/dev/null 2>&1
board_run wrongca "ca=$T_TMP/other.crt"
rc=$(cat "$T_TMP/wrongca.rc")
check "a gateway certificate from another CA fails the job (exit $rc)" [ "$rc" -eq 1 ]
check "the UART says the certificate is not signed by the trusted CA" \
    uart wrongca 'FAILED at tls: .*not correctly signed by the trusted CA'
check "the UART says nothing was sent" uart wrongca 'Nothing was sent'
sleep 2
check "nothing was delivered" \
    sh -c "! grep -rqs '^Subject: board-wrongca-$RUN' '$ALICE/new' '$ALICE/cur'"
finish
