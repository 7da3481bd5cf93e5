#!/usr/bin/python3
"""AUTH SCRAM-SHA-256 (RFC 5802, RFC 7677) over SMTP, for the lab's AUTH ports.

swaks has no SCRAM, so this client does it with the standard library only:
  smtp_scram.py HOST PORT starttls|implicit CAFILE USER PASSWORD FROM TO
Sends one short message. Prints the server's replies; exit 0 when the
message was accepted, 1 on an SMTP error (the reply is printed), 2 when the
server's final SCRAM message does not prove it knows the password.
"""
import base64
import hashlib
import hmac
import os
import smtplib
import ssl
import sys


def b64(data):
    return base64.b64encode(data).decode("ascii")


def scram_sha256(conn, user, password):
    """Run AUTH SCRAM-SHA-256 on an EHLO'd connection; raise on failure."""
    nonce = b64(os.urandom(18))
    # saslname: '=' and ',' must be escaped (RFC 5802, 5.1)
    name = user.replace("=", "=3D").replace(",", "=2C")
    first_bare = "n=%s,r=%s" % (name, nonce)
    code, reply = conn.docmd("AUTH", "SCRAM-SHA-256 " + b64(("n,," + first_bare).encode()))
    print("AUTH SCRAM-SHA-256 ->", code, reply.decode(errors="replace"))
    if code != 334:
        raise smtplib.SMTPAuthenticationError(code, reply)
    server_first = base64.b64decode(reply).decode()
    fields = dict(f.split("=", 1) for f in server_first.split(","))
    if not fields["r"].startswith(nonce):
        raise ValueError("server nonce does not extend ours")
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(fields["s"]),
                                 int(fields["i"]))
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    final_bare = "c=%s,r=%s" % (b64(b"n,,"), fields["r"])
    auth_msg = ",".join((first_bare, server_first, final_bare)).encode()
    signature = hmac.new(stored_key, auth_msg, hashlib.sha256).digest()
    proof = bytes(a ^ b for a, b in zip(client_key, signature))
    code, reply = conn.docmd(b64((final_bare + ",p=" + b64(proof)).encode()))
    print("client-final ->", code, reply.decode(errors="replace"))
    if code == 334:
        server_final = base64.b64decode(reply).decode()
        server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
        want = "v=" + b64(hmac.new(server_key, auth_msg, hashlib.sha256).digest())
        if not hmac.compare_digest(server_final, want):
            print("server signature is wrong:", server_final)
            sys.exit(2)
        code, reply = conn.docmd("")
        print("server-final ok ->", code, reply.decode(errors="replace"))
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, reply)


def main():
    host, port, mode, cafile, user, password, sender, rcpt = sys.argv[1:9]
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.check_hostname = False  # the lab is reached by address; the chain is checked
    try:
        if mode == "implicit":
            conn = smtplib.SMTP_SSL(host, int(port), context=ctx, timeout=10)
            conn.ehlo("scram.test")
        else:
            conn = smtplib.SMTP(host, int(port), timeout=10)
            conn.ehlo("scram.test")
            conn.starttls(context=ctx)
            conn.ehlo("scram.test")
        print("AUTH offered:", conn.esmtp_features.get("auth", "(none)"))
        scram_sha256(conn, user, password)
        msg = "From: %s\r\nTo: %s\r\nSubject: SCRAM-SHA-256 test\r\n\r\nsent after SCRAM\r\n" % (
            sender, rcpt)
        conn.sendmail(sender, [rcpt], msg)
        print("message accepted")
        conn.quit()
    except smtplib.SMTPResponseException as e:
        print("SMTP error:", e.smtp_code, e.smtp_error.decode(errors="replace"))
        return 1
    except smtplib.SMTPRecipientsRefused as e:
        for r, (c, m) in e.recipients.items():
            print("SMTP error:", c, m.decode(errors="replace"))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
