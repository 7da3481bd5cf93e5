#!/usr/bin/python3
"""Checks a message written by smtp/mime.c with Python's own MIME parser.

Run by tests/unit/mime/test_mime.c with /usr/bin/python3 (Debian's Python).
Usage:
  check_mime.py MESSAGE --from-name N --from-addr A [--reply-to R]
                --to ADDR [--to ADDR ...] [--cc ADDR ...] --subject S
                --text-file F --message-id M --date UNIX_SECONDS
                [--text-cte 7bit|base64] [--att FILENAME TYPE DATA_FILE ...]

Checks the raw form (CRLF only, lines <= 998, header lines <= 78, base64
lines of exactly 76 but the last, no Bcc header anywhere), then parses the
message with email.policy.default and compares every header, the decoded
text and each attachment's name, type and bytes (SHA-256) with what was
asked. Exits 0 and prints "check_mime: OK" when all match; otherwise prints
every mismatch and exits 1 (2 for bad usage).
"""
import argparse
import base64
import binascii
import email.header
import email.policy
import email.utils
import hashlib
import os
import re
import sys
from email.parser import BytesParser

errors = []


def fail(msg):
    errors.append(msg)


def expect(what, got, want):
    if got != want:
        fail(f"{what}: got {got!r}, want {want!r}")


def arg_text(s):
    """argv as the C test wrote it (UTF-8), whatever the locale."""
    return os.fsencode(s).decode("utf-8")


def normalize_breaks(s):
    return s.replace("\r\n", "\n").replace("\r", "\n")


def check_raw(raw, boundary):
    if re.search(rb"(?<!\r)\n", raw):
        fail("raw: a bare LF (line ends must be CRLF)")
    if re.search(rb"\r(?!\n)", raw):
        fail("raw: a bare CR (line ends must be CRLF)")
    if not raw.endswith(b"\r\n"):
        fail("raw: message does not end with CRLF")
    lines = raw.split(b"\r\n")[:-1]
    for i, line in enumerate(lines):
        if len(line) > 998:
            fail(f"raw: line {i + 1} has {len(line)} characters (> 998)")

    # Header blocks: the message's, then each part's after a delimiter line.
    delim = b"--" + boundary.encode("ascii")
    blocks = []  # (header lines, body lines)
    cur_head, cur_body, in_head = [], [], True
    for line in lines:
        if line == delim or line == delim + b"--":
            blocks.append((cur_head, cur_body))
            cur_head, cur_body, in_head = [], [], line == delim
            continue
        if in_head:
            if line == b"":
                in_head = False
            else:
                cur_head.append(line)
        else:
            cur_body.append(line)
    blocks.append((cur_head, cur_body))
    for n, (head, body) in enumerate(blocks):
        where = "message headers" if n == 0 else f"part {n} headers"
        for line in head:
            if len(line) > 78:
                fail(f"raw: {where}: line of {len(line)} characters (> 78): {line[:90]!r}")
            if re.match(rb"(?i)bcc\s*:", line):
                fail(f"raw: {where}: a Bcc header: {line!r}")
        heads = b"\n".join(head).lower()
        if body == [b""]:
            body = []  # an empty body: that CRLF is the delimiter's
        if b"content-transfer-encoding: base64" in heads and body:
            for i, line in enumerate(body):
                last = i == len(body) - 1
                if (not last and len(line) != 76) or (last and not 0 < len(line) <= 76):
                    fail(f"raw: part {n}: base64 line {i + 1} of {len(body)} "
                         f"has {len(line)} characters")
                    break
                if not re.fullmatch(rb"[A-Za-z0-9+/]*={0,2}", line):
                    fail(f"raw: part {n}: base64 line {i + 1} has other characters")
                    break
    if re.search(rb"(?im)^bcc\s*:", raw):
        fail("raw: 'Bcc:' appears at the start of a line")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("message")
    p.add_argument("--from-name", required=True)
    p.add_argument("--from-addr", required=True)
    p.add_argument("--reply-to")
    p.add_argument("--to", action="append", default=[])
    p.add_argument("--cc", action="append", default=[])
    p.add_argument("--subject", required=True)
    p.add_argument("--text-file", required=True)
    p.add_argument("--message-id", required=True)
    p.add_argument("--date", type=int, required=True)
    p.add_argument("--text-cte", choices=["7bit", "base64"])
    p.add_argument("--att", nargs=3, action="append", default=[],
                   metavar=("FILENAME", "TYPE", "DATA_FILE"))
    a = p.parse_args()

    with open(a.message, "rb") as f:
        raw = f.read()
    msg = BytesParser(policy=email.policy.default).parsebytes(raw)

    boundary = msg.get_boundary()
    if not boundary:
        print("check_mime: FAIL: no multipart boundary", file=sys.stderr)
        return 1
    check_raw(raw, boundary)

    for m in [msg] + list(msg.walk())[1:]:
        for d in m.defects:
            fail(f"parser defect in {m.get_content_type()}: {d!r}")
    for h in ("Bcc", "Resent-Bcc"):
        if msg[h] is not None:
            fail(f"header {h} present")

    expect("MIME-Version", str(msg["MIME-Version"]), "1.0")
    expect("Content-Type", msg.get_content_type(), "multipart/mixed")

    frm = msg["From"]
    if frm is None or len(frm.addresses) != 1:
        fail(f"From: not one mailbox: {frm!r}")
    else:
        expect("From address", frm.addresses[0].addr_spec, arg_text(a.from_addr))
        # Python 3.11's policy.default keeps the folding space between two
        # adjacent encoded words of a display name, which RFC 2047 6.2 says
        # to ignore; the compat32 decoder follows the RFC, so judge by it.
        raw_from = BytesParser(policy=email.policy.compat32).parsebytes(raw)["From"]
        name, addr = email.utils.parseaddr(raw_from)
        name = str(email.header.make_header(email.header.decode_header(name)))
        expect("From display name", name, arg_text(a.from_name))
        expect("From address (compat32)", addr, arg_text(a.from_addr))

    if a.reply_to is None:
        expect("Reply-To present", msg["Reply-To"] is not None, False)
    elif msg["Reply-To"] is None:
        fail("Reply-To missing")
    else:
        expect("Reply-To", [x.addr_spec for x in msg["Reply-To"].addresses], [a.reply_to])

    for name, want in (("To", a.to), ("Cc", a.cc)):
        h = msg[name]
        if not want:
            expect(f"{name} present", h is not None, False)
        elif h is None:
            fail(f"{name} missing")
        else:
            expect(name, [x.addr_spec for x in h.addresses], want)

    expect("Subject", str(msg["Subject"]), arg_text(a.subject))
    expect("Message-ID", str(msg["Message-ID"]), a.message_id)
    date = msg["Date"]
    if date is None or date.datetime is None:
        fail(f"Date not parseable: {date!r}")
    else:
        expect("Date (unix seconds)", int(date.datetime.timestamp()), a.date)
        expect("Date UTC offset", date.datetime.utcoffset().total_seconds(), 0.0)

    parts = list(msg.iter_parts())
    expect("number of parts", len(parts), 1 + len(a.att))
    if parts:
        text = parts[0]
        expect("text part type", text.get_content_type(), "text/plain")
        expect("text part charset", text.get_content_charset(), "utf-8")
        if a.text_cte:
            expect("text part encoding", text["Content-Transfer-Encoding"], a.text_cte)
        with open(a.text_file, "rb") as f:
            want_text = f.read().decode("utf-8")
        expect("text", normalize_breaks(text.get_content()), normalize_breaks(want_text))

    for i, (fname, ctype, data_file) in enumerate(a.att):
        if 1 + i >= len(parts):
            break
        part = parts[1 + i]
        what = f"attachment {i + 1}"
        fname = arg_text(fname)
        expect(f"{what} content type", part.get_content_type(), ctype)
        expect(f"{what} disposition", part.get_content_disposition(), "attachment")
        expect(f"{what} filename", part.get_filename(), fname)
        expect(f"{what} Content-Type name", part["Content-Type"].params.get("name"), fname)
        expect(f"{what} encoding", part["Content-Transfer-Encoding"], "base64")
        try:
            body = part.get_payload()
            got = base64.b64decode(body.replace("\r\n", "").replace("\n", ""), validate=True)
        except (binascii.Error, ValueError) as e:
            fail(f"{what}: base64 does not decode: {e}")
            continue
        with open(data_file, "rb") as f:
            want = f.read()
        expect(f"{what} size", len(got), len(want))
        expect(f"{what} SHA-256", hashlib.sha256(got).hexdigest(),
               hashlib.sha256(want).hexdigest())

    if errors:
        print(f"check_mime: FAIL: {a.message}", file=sys.stderr)
        for e in errors:
            print(f"  - {e}", file=sys.stderr)
        return 1
    print(f"check_mime: OK ({len(raw)} bytes, {len(parts)} parts)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
