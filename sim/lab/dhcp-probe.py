#!/usr/bin/python3
"""dhcp-probe.py [--tap] IFNAME [TIMEOUT_S]: obtain one DHCP lease on IFNAME.

A minimal DHCP client (DISCOVER, OFFER, REQUEST, ACK) for testing the lab's
dnsmasq. It configures nothing: it prints the lease as `key=value` lines (ip,
mac, server, router, dns, domain, lease) and exits 0, or exits 1 with a
message on timeout or NAK. Run it as root inside a namespace (ip netns exec).

IFNAME is a kernel interface (a UDP socket bound to it, port 68), or with
--tap a tap device such as tap0: then the probe opens the tap like the
simulator does and moves whole Ethernet frames, with a random local MAC.
"""
import fcntl
import os
import random
import select
import socket
import struct
import sys
import time

MAGIC = b"\x63\x82\x53\x63"
DISCOVER, OFFER, REQUEST, ACK, NAK = 1, 2, 3, 5, 6


def packet(xid, mac, msg_type, extra=b""):
    # op, htype, hlen, hops, xid, secs, flags (broadcast: we have no address)
    head = struct.pack("!BBBBIHH", 1, 1, 6, 0, xid, 0, 0x8000)
    addrs = bytes(16)  # ciaddr, yiaddr, siaddr, giaddr
    chaddr = mac + bytes(10)
    opts = bytes([53, 1, msg_type]) + extra + bytes([55, 4, 1, 3, 6, 15, 255])
    return head + addrs + chaddr + bytes(64 + 128) + MAGIC + opts


def parse(data, xid):
    if len(data) < 240 or data[0] != 2 or data[236:240] != MAGIC:
        return None
    if struct.unpack("!I", data[4:8])[0] != xid:
        return None
    opts, i = {}, 240
    while i < len(data) and data[i] != 255:
        if data[i] == 0:
            i += 1
            continue
        if i + 1 >= len(data):
            break
        code, length = data[i], data[i + 1]
        opts[code] = data[i + 2:i + 2 + length]
        i += 2 + length
    return socket.inet_ntoa(data[16:20]), opts


class UdpLink:
    """DHCP over a UDP socket bound to a kernel interface."""

    def __init__(self, ifname):
        with open("/sys/class/net/%s/address" % ifname) as f:
            self.mac = bytes.fromhex(f.read().strip().replace(":", ""))
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, ifname.encode())
        self.sock.bind(("0.0.0.0", 68))

    def send(self, payload):
        self.sock.sendto(payload, ("255.255.255.255", 67))

    def recv(self, timeout):
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(2048)
        except socket.timeout:
            return None


class TapLink:
    """DHCP in Ethernet/IPv4/UDP frames through a tap device."""

    TUNSETIFF = 0x400454CA
    IFF_TAP, IFF_NO_PI = 0x0002, 0x1000

    def __init__(self, ifname):
        self.mac = bytes([0x02]) + random.getrandbits(40).to_bytes(5, "big")
        self.fd = os.open("/dev/net/tun", os.O_RDWR)
        fcntl.ioctl(self.fd, self.TUNSETIFF,
                    struct.pack("16sH", ifname.encode(), self.IFF_TAP | self.IFF_NO_PI))

    def send(self, payload):
        udp = struct.pack("!HHHH", 68, 67, 8 + len(payload), 0) + payload
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                         bytes(4), b"\xff" * 4)
        words = struct.unpack("!10H", ip)
        total = sum(words)
        total = (total & 0xFFFF) + (total >> 16)
        total = (total & 0xFFFF) + (total >> 16)
        ip = ip[:10] + struct.pack("!H", ~total & 0xFFFF) + ip[12:]
        os.write(self.fd, b"\xff" * 6 + self.mac + b"\x08\x00" + ip + udp)

    def recv(self, timeout):
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                return None
            frame = os.read(self.fd, 2048)
            if len(frame) < 42 or frame[12:14] != b"\x08\x00" or frame[23] != 17:
                continue
            ihl = (frame[14] & 0x0F) * 4
            udp = frame[14 + ihl:]
            if len(udp) >= 8 and struct.unpack("!H", udp[2:4])[0] == 68:
                return udp[8:]


def exchange(link, xid, pkt, want, deadline):
    """Send pkt (again every second) until a reply of type want arrives."""
    while time.monotonic() < deadline:
        link.send(pkt)
        resend = min(deadline, time.monotonic() + 1.0)
        while time.monotonic() < resend:
            data = link.recv(max(0.01, resend - time.monotonic()))
            if data is None:
                break
            reply = parse(data, xid)
            if reply and 53 in reply[1]:
                kind = reply[1][53][0]
                if kind == NAK:
                    sys.exit("dhcp-probe: server answered NAK")
                if kind == want:
                    return reply
    sys.exit("dhcp-probe: no answer (wanted DHCP type %d)" % want)


def main():
    args = sys.argv[1:]
    tap = bool(args) and args[0] == "--tap"
    if tap:
        args = args[1:]
    if len(args) not in (1, 2):
        sys.exit("usage: dhcp-probe.py [--tap] IFNAME [TIMEOUT_S]")
    timeout = float(args[1]) if len(args) == 2 else 8.0
    link = TapLink(args[0]) if tap else UdpLink(args[0])
    mac = link.mac
    xid = random.getrandbits(32)
    deadline = time.monotonic() + timeout

    yiaddr, opts = exchange(link, xid, packet(xid, mac, DISCOVER), OFFER, deadline)
    server = opts.get(54, b"")
    req = bytes([50, 4]) + socket.inet_aton(yiaddr) + bytes([54, len(server)]) + server
    yiaddr, opts = exchange(link, xid, packet(xid, mac, REQUEST, req), ACK, deadline)

    def ip(code):
        return socket.inet_ntoa(opts[code][:4]) if len(opts.get(code, b"")) >= 4 else ""

    print("ip=%s" % yiaddr)
    print("mac=%s" % mac.hex(":"))
    print("server=%s" % ip(54))
    print("router=%s" % ip(3))
    print("dns=%s" % ip(6))
    print("domain=%s" % opts.get(15, b"").decode(errors="replace"))
    lease = opts.get(51, b"")
    print("lease=%s" % (struct.unpack("!I", lease)[0] if len(lease) == 4 else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
