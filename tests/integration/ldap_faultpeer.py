#!/usr/bin/python3
"""A scripted LDAP peer for faults no real directory gives (issue 7, Tests).

usage: ldap_faultpeer.py MODE [--host IP] [--port N] [--ready FILE]
                         [--log FILE] [--entries N]

Listens on IP:N (default 198.51.100.1:3389, LAB_GW:LAB_LDAP_FAULT_PORT: run it
inside the lab namespace), serves any number of connections at once, and
talks just enough LDAPv3 (BER by hand, definite lengths) to bring a client to
the point where MODE strikes:

  drop       answer the bind with success; answer a search with --entries
             (default 3) whole SearchResultEntry PDUs, then the first half of
             one more, then close the connection (no SearchResultDone).
             ldapsearch prints the whole entries, then fails with
             "Can't contact LDAP server (-1)": exit code 255.
  malformed  answer the bind with success; answer a search with one PDU whose
             outer SEQUENCE is well framed but whose SearchResultEntry claims
             more bytes than the SEQUENCE holds; the connection stays open.
             ldapsearch: "ldap_result: Decoding error (-4)", exit code 252,
             no entry printed.
  silent     accept the connection and never send a byte (the bind hangs).
             ldapsearch waits until killed: run it under timeout(1), exit 124.
  stall      answer the bind with success, then never answer the search (an
             Abandon or Unbind is read and ignored). ldapsearch: as silent.

Every mode answers a StartTLS request with protocolError (2): the peer has
no TLS. An Unbind closes the connection. Each event the test may assert on
goes to --log FILE, one line each: "connect", "bind", "search", "starttls",
"abandon", "unbind", "drop", "malformed". Once listening, the port number is
written to --ready FILE (write then rename, so a reader never sees half).

How a test runs it (see tests/integration/test_ldap_lab.sh):
    ip netns exec "$LAB_NS" /usr/bin/python3 tests/integration/ldap_faultpeer.py \\
        drop --ready "$T_TMP/ready" --log "$T_TMP/peer.log" &
    peer=$!      # `ip netns exec` execs: this is the python process itself
    ... wait for "$T_TMP/ready" ...; ... ldapsearch -H ldap://198.51.100.1:3389 ...
    kill "$peer"; wait "$peer"
It ends on SIGTERM or SIGINT. Python standard library only.
"""
import argparse
import os
import signal
import socket
import socketserver
import sys
import threading

MODES = ("drop", "malformed", "silent", "stall")

# Protocol op tags (RFC 4511, [APPLICATION n]); constructed unless noted.
OP_BIND_REQ = 0x60
OP_BIND_RESP = 0x61
OP_UNBIND_REQ = 0x42        # primitive
OP_SEARCH_REQ = 0x63
OP_SEARCH_ENTRY = 0x64
OP_SEARCH_DONE = 0x65
OP_ABANDON_REQ = 0x50       # primitive
OP_EXT_REQ = 0x77
OP_EXT_RESP = 0x78
RC_SUCCESS = 0
RC_PROTOCOL_ERROR = 2
MAX_PDU = 1 << 20           # refuse to buffer more than this for one request


def ber_len(n):
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def tlv(tag, content):
    return bytes([tag]) + ber_len(len(content)) + content


def ber_int(tag, n):
    body = n.to_bytes(max(1, (n.bit_length() + 8) // 8), "big", signed=True)
    return tlv(tag, body)


def ldap_message(msgid, op):
    return tlv(0x30, ber_int(0x02, msgid) + op)


def ldap_result(tag, rc, text=""):
    return tlv(tag, ber_int(0x0A, rc) + tlv(0x04, b"") + tlv(0x04, text.encode()))


def search_entry(n):
    dn = "uid=fault%d,ou=people,dc=example,dc=test" % n
    attrs = b""
    for name, value in (("cn", "Fault Peer %d" % n), ("mail", "fault%d@example.test" % n)):
        attrs += tlv(0x30, tlv(0x04, name.encode()) + tlv(0x31, tlv(0x04, value.encode())))
    return tlv(OP_SEARCH_ENTRY, tlv(0x04, dn.encode()) + tlv(0x30, attrs))


def read_pdu(rfile):
    """One whole BER element from the stream, or None at end of stream."""
    head = rfile.read(2)
    if len(head) < 2:
        return None
    n = head[1]
    if n & 0x80:
        count = n & 0x7F
        if count == 0 or count > 4:
            raise ValueError("unsupported length form")
        raw = rfile.read(count)
        if len(raw) < count:
            return None
        n = int.from_bytes(raw, "big")
    if n > MAX_PDU:
        raise ValueError("request too large")
    body = rfile.read(n)
    if len(body) < n:
        return None
    return head[0], body


def parse_request(body):
    """(messageID, op tag) from an LDAPMessage's contents."""
    if len(body) < 3 or body[0] != 0x02 or body[1] == 0 or body[1] > 4:
        raise ValueError("bad messageID")
    idlen = body[1]
    msgid = int.from_bytes(body[2:2 + idlen], "big")
    if len(body) < 2 + idlen + 1:
        raise ValueError("no protocolOp")
    return msgid, body[2 + idlen]


class Handler(socketserver.StreamRequestHandler):
    def log(self, word):
        self.server.log(word)

    def handle(self):
        self.log("connect")
        mode = self.server.mode
        if mode == "silent":
            while self.request.recv(4096):  # until the client gives up
                pass
            return
        while True:
            pdu = read_pdu(self.rfile)
            if pdu is None or pdu[0] != 0x30:
                return
            msgid, op = parse_request(pdu[1])
            if op == OP_BIND_REQ:
                self.log("bind")
                self.send(ldap_message(msgid, ldap_result(OP_BIND_RESP, RC_SUCCESS)))
            elif op == OP_EXT_REQ:
                self.log("starttls")
                self.send(ldap_message(msgid, ldap_result(
                    OP_EXT_RESP, RC_PROTOCOL_ERROR, "ldap_faultpeer: no TLS here")))
            elif op == OP_UNBIND_REQ:
                self.log("unbind")
                return
            elif op == OP_ABANDON_REQ:
                self.log("abandon")
            elif op == OP_SEARCH_REQ:
                self.log("search")
                if self.search(msgid):
                    return
            else:
                return

    def send(self, data):
        self.wfile.write(data)
        self.wfile.flush()

    def search(self, msgid):
        """Answer one search as the mode says; True to end the connection."""
        mode = self.server.mode
        if mode == "stall":
            return False
        if mode == "drop":
            for n in range(1, self.server.entries + 1):
                self.send(ldap_message(msgid, search_entry(n)))
            last = ldap_message(msgid, search_entry(self.server.entries + 1))
            self.send(last[:len(last) // 2])
            self.log("drop")
            return True
        # malformed: the entry's length says 0x7f bytes, the message ends
        # after a few: an honest outer frame around a lying inner one.
        inner = bytes([OP_SEARCH_ENTRY, 0x7F]) + tlv(0x04, b"uid=bad")
        self.send(tlv(0x30, ber_int(0x02, msgid) + inner))
        self.log("malformed")
        return False


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, mode, entries, log_path):
        self.mode = mode
        self.entries = entries
        self.log_path = log_path
        self.log_lock = threading.Lock()
        super().__init__(addr, Handler)

    def log(self, word):
        if self.log_path:
            with self.log_lock, open(self.log_path, "a") as f:
                f.write(word + "\n")

    def handle_error(self, request, client_address):
        # a client that resets or sends garbage ends its own connection only
        pass


def main():
    ap = argparse.ArgumentParser(description="scripted LDAP fault peer")
    ap.add_argument("mode", choices=MODES)
    ap.add_argument("--host", default="198.51.100.1")
    ap.add_argument("--port", type=int, default=3389)
    ap.add_argument("--ready", help="write the port here once listening")
    ap.add_argument("--log", help="append one line per event")
    ap.add_argument("--entries", type=int, default=3, help="whole entries before a drop")
    args = ap.parse_args()

    server = Server((args.host, args.port), args.mode, args.entries, args.log)
    if args.ready:
        tmp = args.ready + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % server.server_address[1])
        os.rename(tmp, args.ready)

    def stop(_sig, _frame):
        # shutdown() waits for serve_forever: call it from another thread
        threading.Thread(target=server.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.serve_forever(poll_interval=0.2)
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
