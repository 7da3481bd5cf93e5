#!/usr/bin/python3
"""Finds the message with a given Subject in a Maildir, checks its headers with
Python's email package and writes its attachments to a folder.

usage: check_mail.py MAILDIR SUBJECT OUTDIR [--header NAME=VALUE]... [--absent NAME]...
Prints one line per attachment: FILENAME CONTENT-TYPE BYTES. Exit 1 with the
reason on any mismatch."""
import email
import email.policy
import os
import sys


def fail(msg):
    print("check_mail: " + msg, file=sys.stderr)
    sys.exit(1)


def main():
    if len(sys.argv) < 4:
        fail(__doc__)
    maildir, subject, outdir = sys.argv[1:4]
    want, absent = {}, []
    args = sys.argv[4:]
    while args:
        flag, val = args[0], args[1]
        args = args[2:]
        if flag == "--header":
            k, v = val.split("=", 1)
            want[k] = v
        elif flag == "--absent":
            absent.append(val)
        else:
            fail("unknown flag " + flag)
    found = []
    for sub in ("new", "cur"):
        d = os.path.join(maildir, sub)
        for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            with open(os.path.join(d, name), "rb") as f:
                msg = email.message_from_binary_file(f, policy=email.policy.default)
            if str(msg["Subject"]) == subject:
                found.append(msg)
    if len(found) != 1:
        fail("%d messages with subject %r in %s" % (len(found), subject, maildir))
    msg = found[0]
    for k, v in want.items():
        if str(msg[k]) != v:
            fail("header %s is %r, expected %r" % (k, str(msg[k]), v))
    for k in absent:
        if msg[k] is not None:
            fail("header %s must not be present (%r)" % (k, str(msg[k])))
    if msg.get_content_type() != "multipart/mixed":
        fail("content type " + msg.get_content_type())
    os.makedirs(outdir, exist_ok=True)
    n = 0
    for part in msg.iter_attachments():
        data = part.get_content()
        fn = part.get_filename()
        with open(os.path.join(outdir, fn), "wb") as f:
            f.write(data)
        print(fn, part.get_content_type(), len(data))
        n += 1
    if n == 0:
        fail("no attachment")


main()
