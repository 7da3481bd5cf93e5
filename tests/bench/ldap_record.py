#!/usr/bin/python3
"""Record a search response from slapd for tests/bench/ldap_bench.c.

usage: ldap_record.py HOST PORT BASE OUT PREFIX SIZE

Anonymous bind (message 1), then the autocomplete search for PREFIX
(message 2: the filter ldap_filter writes, (&(mail=*)(|(cn=P*)(displayName=P*)
(mail=P*)(sn=P*)(givenName=P*))), attributes displayName and mail, size limit
SIZE), then unbind. OUT gets the server's bytes as they came: the
BindResponse, the entries and the SearchResultDone. Plain LDAP only (the
lab's anonymous port, inside the lab namespace): the bytes are what the
client decodes after TLS.
"""
import socket
import sys


def ber_len(n):
    if n < 128:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def tlv(tag, body):
    return bytes([tag]) + ber_len(len(body)) + body


def message(msgid, op):
    return tlv(0x30, tlv(0x02, bytes([msgid])) + op)


def read_through(sock, optag):
    """Bytes up to and including the first whole LDAPMessage whose
    protocolOp has tag optag."""
    buf = b""
    while True:
        i = 0
        while i + 2 <= len(buf):
            n, h = buf[i + 1], 2
            if n & 0x80:
                h = 2 + (n & 0x7F)
                if i + h > len(buf):
                    break
                n = int.from_bytes(buf[i + 2:i + h], "big")
            if i + h + n > len(buf):
                break
            op = i + h + 2 + buf[i + h + 1]  # after the messageID
            if buf[op] == optag:
                return buf[:i + h + n]
            i += h + n
        data = sock.recv(65536)
        if not data:
            sys.exit("ldap_record: the server closed before the response ended")
        buf += data


def main():
    host, port, base, out, prefix, size = sys.argv[1:7]
    p = prefix.encode()
    subs = b"".join(tlv(0xA4, tlv(0x04, a) + tlv(0x30, tlv(0x80, p)))
                    for a in (b"cn", b"displayName", b"mail", b"sn", b"givenName"))
    flt = tlv(0xA0, tlv(0x87, b"mail") + tlv(0xA1, subs))
    search = tlv(0x63, tlv(0x04, base.encode()) + tlv(0x0A, b"\x02") + tlv(0x0A, b"\x00")
                 + tlv(0x02, int(size).to_bytes(2, "big")) + tlv(0x02, b"\x00")
                 + tlv(0x01, b"\x00") + flt
                 + tlv(0x30, tlv(0x04, b"displayName") + tlv(0x04, b"mail")))
    sock = socket.create_connection((host, int(port)), timeout=5)
    sock.sendall(message(1, tlv(0x60, tlv(0x02, b"\x03") + tlv(0x04, b"") + tlv(0x80, b""))))
    rec = read_through(sock, 0x61)
    sock.sendall(message(2, search))
    rec += read_through(sock, 0x65)
    sock.sendall(message(3, tlv(0x42, b"")))
    sock.close()
    with open(out, "wb") as f:
        f.write(rec)
    print(len(rec))


main()
