#!/usr/bin/env python3
"""Helpers for tests/net-tap.sh: the Linux side of kite-net's TAP tests.

Run inside the test's network namespace (the TAP is there). Every subcommand
exits 0 when its check holds, and says why not otherwise. Waits are long
(a loaded host is slow, never wrong): a wait ends as soon as what it waits
for happened, so a healthy run is fast anyway.

  stats FILE [NAME...]               kite-net's counters (net/stats_file.h)
  inject STATS TAP CASE              one crafted frame (cases()): counted in the
                                     right counter, answered only if it should be;
                                     CASE list / list-answered: their names;
                                     CASE all OUT: each, a line in OUT: NAME ok|FAIL ...
  udp-echo KITE PORT SIZE...         a kernel socket's datagrams come back byte-exact
  burst-echo STATS KITE PORT N       N datagrams at once, small and large in turn: all
                                     echoed, in order, byte-exact
  frag STATS KITE PORT SIZE...       datagrams above the MTU (the kernel fragments
                                     them) are counted in drop_fragment, never answered
  unreach KITE PORT SIZE             a connected socket gets ECONNREFUSED
  burst STATS TAP KITE PORT N        N datagrams to a closed port: unreachables
                                     rate limited, the rest counted
  recv ADDR PORT COUNT SIZE SRC READY [HOST]  receive net_client's datagrams byte-exact
                                     (ADDR a group: joined on HOST's interface)
  mcast STATS HOST GROUP PORT SIZE... datagrams to a group come back (echoed) byte-exact
  mcast-none STATS HOST GROUP PORT COUNTER  a datagram to a group is not delivered,
                                     counted in COUNTER, and nothing comes back
  igmp-query STATS TAP HOST KIND [GROUP]  a query (v3 general, v3 group, v2): kite-net
                                     counts it and answers with a report of KIND's version
  sockperf-proto STATS TAP KITE PORT kite-sockperf answers only what sockperf's server does
  sentinel TAP TEXT                  a frame nobody answers, to mark a capture
  kite-stat-json STATS JSON          kite-stat --net --json's counters are these
  checker-pcap OUT MAC               frames from MAC with bad checksums, for the checker's
                                     self-test
"""
import select
import socket
import struct
import sys
import time

WAIT = 120                  # seconds: the bound of every wait (a slow host passes)
FAKE_MAC = bytes.fromhex("026e65740001")   # the injector's station: replies go to it
FAKE_IP = "169.254.77.9"
BCAST = b"\xff" * 6
ETH_P_ALL = 3
SO_TIMESTAMPNS = 35

# counters a case must leave alone unless it expects them (ARP counters are
# not among them: the kernel may probe the kite host at any time)
STRICT_EXTRA = ["rx_dgrams", "tx_dgrams", "icmp_echo_rx", "icmp_unreach_tx",
                "icmp_unreach_limited", "igmp_queries_rx", "igmp_reports_tx"]


class Fail(Exception):
    """A check that does not hold: main prints it and exits 1."""


def fail(msg):
    raise Fail(msg)


# ---- kite-net's counters file ------------------------------------------------
def read_stats(path):
    """{name: value} from a stats file: header, names, values (net/stats_file.h)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"KITENET1":
        raise ValueError(f"{path}: no KITENET1 header")
    count, name_len = struct.unpack_from("=II", data, 8)
    values_off, = struct.unpack_from("=Q", data, 40)
    out = {}
    for i in range(count):
        raw = data[48 + i * name_len:48 + (i + 1) * name_len]
        out[raw.split(b"\0")[0].decode()] = struct.unpack_from("=Q", data, values_off + 8 * i)[0]
    return out


def stats_mac(path):
    with open(path, "rb") as f:
        data = f.read(48)
    return data[32:38]


def stats_addr(path):
    with open(path, "rb") as f:
        addr, = struct.unpack_from("=I", f.read(48), 24)     # host order
    return socket.inet_ntoa(struct.pack("!I", addr))


def wait_stats(path, before, expect, timeout=WAIT):
    """Until every counter in expect grew by at least its value; the last read."""
    end = time.monotonic() + timeout
    while True:
        now = read_stats(path)
        if all(now[k] - before[k] >= v for k, v in expect.items()):
            return now
        if time.monotonic() > end:
            fail("counters did not reach %s within %d s: %s" % (
                expect, timeout, {k: now[k] - before[k] for k in expect}))
        time.sleep(0.01)


def strict_names(st):
    return [k for k in st if k.startswith("drop_")] + STRICT_EXTRA


def check_deltas(before, after, expect):
    """Exactly the expected counters moved, by exactly their amounts."""
    bad = []
    for k in sorted(set(strict_names(after)) | set(expect)):
        d = after[k] - before[k]
        if d != expect.get(k, 0):
            bad.append(f"{k} +{d} (expected +{expect.get(k, 0)})")
    if bad:
        fail("counters: " + ", ".join(bad))


# ---- frames ------------------------------------------------------------------
def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def aton(a):
    return socket.inet_aton(a)


def mac(s):
    return bytes.fromhex(s.replace(":", ""))


def eth(dst, src, etype, payload, tci=None):
    tag = b"" if tci is None else struct.pack("!HH", 0x8100, tci)
    return dst + src + tag + struct.pack("!H", etype) + payload


def ipv4(src, dst, proto, payload, ihl=5, opts=b"", frag=0, tot=None, ver=4, ttl=64, tos=0,
         bad_csum=False, ident=0x4b4e):
    opts = opts.ljust((ihl - 5) * 4, b"\0") if ihl > 5 else b""
    if tot is None:
        tot = 20 + len(opts) + len(payload)
    hdr = struct.pack("!BBHHHBBH4s4s", ver << 4 | ihl, tos, tot, ident, frag, ttl, proto, 0,
                      aton(src), aton(dst)) + opts
    c = csum(hdr) ^ (0x5555 if bad_csum else 0)
    return hdr[:10] + struct.pack("!H", c) + hdr[12:] + payload


def udp(src, dst, sport, dport, data, ulen=None, ck="ok"):
    length = 8 + len(data) if ulen is None else ulen
    seg = struct.pack("!HHHH", sport, dport, length, 0) + data
    if ck == "zero":
        c = 0
    else:
        covered = seg[:max(8, min(length, len(seg)))]
        c = csum(aton(src) + aton(dst) + struct.pack("!BBH", 0, 17, length) + covered) or 0xffff
        if ck == "bad":
            c = c ^ 0x5555 or 1
    return seg[:6] + struct.pack("!H", c) + seg[8:]


def icmp(itype, code, ident, seq, data, bad=False):
    m = struct.pack("!BBHHH", itype, code, 0, ident, seq) + data
    c = csum(m) ^ (0x5555 if bad else 0)
    return m[:2] + struct.pack("!H", c) + m[4:]


def arp(op, sha, spa, tha, tpa, htype=1, ptype=0x0800, hlen=6, plen=4):
    return struct.pack("!HHBBH", htype, ptype, hlen, plen, op) + sha + aton(spa) + tha + aton(tpa)


def igmp_query(max_resp, group="0.0.0.0", v3=True, bad=False):
    m = struct.pack("!BBH4s", 0x11, max_resp, 0, aton(group))
    if v3:
        m += struct.pack("!BBH", 0x02, 125, 0)     # QRV 2, QQIC 125 s, no sources
    c = csum(m) ^ (0x5555 if bad else 0)
    return m[:2] + struct.pack("!H", c) + m[4:]


def parse(f):
    """(dst, src, ethertype, payload, tci) of an Ethernet frame."""
    etype, off, tci = struct.unpack_from("!H", f, 12)[0], 14, None
    if etype == 0x8100 and len(f) >= 18:
        tci, etype = struct.unpack_from("!HH", f, 14)
        off = 18
    return f[:6], f[6:12], etype, f[off:], tci


def ip_payload(p):
    ihl = (p[0] & 0xf) * 4
    tot = struct.unpack_from("!H", p, 2)[0]
    return p[9], p[12:16], p[16:20], p[ihl:tot]


# ---- the wire ----------------------------------------------------------------
class Wire:
    """An AF_PACKET socket on the TAP: sends frames, sees what kite sent."""

    def __init__(self, tap, kite_mac):
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.s.bind((tap, 0))
        self.kite = kite_mac
        self.seen = []      # (timestamp, frame) from kite

    def send(self, frame):
        self.s.send(frame)

    def drain(self, secs):
        end = time.monotonic() + secs
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            if not select.select([self.s], [], [], left)[0]:
                continue
            f, anc, _, _ = self.s.recvmsg(65536, 64)
            ts = time.time()
            for lvl, typ, val in anc:
                if lvl == socket.SOL_SOCKET and typ == SO_TIMESTAMPNS:
                    sec, ns = struct.unpack("qq", val[:16])
                    ts = sec + ns / 1e9
            if f[6:12] == self.kite:
                self.seen.append((ts, f))

    def replies(self, host_mac):
        """What kite sent, less its ARP answers to the kernel (which may ask any time)."""
        out = []
        for ts, f in self.seen:
            dst, _, etype, _, _ = parse(f)
            if etype == 0x0806 and dst == host_mac:
                continue
            out.append(f)
        return out


def tap_mac(tap):
    with open(f"/sys/class/net/{tap}/address") as f:
        return mac(f.read().strip())


# ---- inject: one crafted frame per case -----------------------------------------
def cases(kite_mac, kite_ip):
    """name: (frame, expected counter deltas, expected reply check or None)."""
    K, F, FI = kite_mac, FAKE_MAC, FAKE_IP
    ping = b"kite-net ping   " * 3
    echo = icmp(8, 0, 0x4b4e, 1, ping)

    def ip_to_kite(payload, proto=1, src=FI, **kw):
        return ipv4(src, kite_ip, proto, payload, **kw)

    def e(payload, dst=K, src=F, etype=0x0800, tci=None):
        return eth(dst, src, etype, payload, tci)

    def u(data, dport=7000, src=FI, dst=None, **kw):
        return udp(src, dst or kite_ip, 40000, dport, data, **kw)

    def is_echo_reply(data):
        def chk(f):
            dst, src, etype, p, tci = parse(f)
            if dst != F or etype != 0x0800 or (tci is not None and tci & 0xfff):
                return "not an untagged (or VLAN 0) IPv4 frame to the sender"
            proto, s, d, l4 = ip_payload(p)
            if proto != 1 or s != aton(kite_ip) or d != aton(FI) or csum(p[:(p[0] & 15) * 4]):
                return "IP header wrong"
            if l4[0] != 0 or csum(l4) or l4[4:8] != echo[4:8] or l4[8:] != data:
                return "not the echo reply (type %d, %d data bytes)" % (l4[0], len(l4) - 8)
            return None
        return chk

    def is_udp_reply(data):
        def chk(f):
            dst, src, etype, p, tci = parse(f)
            if dst != F or etype != 0x0800 or tci is not None:
                return "not an untagged IPv4 frame to the sender"
            proto, s, d, l4 = ip_payload(p)
            if proto != 17 or s != aton(kite_ip) or d != aton(FI):
                return "not UDP from kite to the sender"
            sport, dport, ulen, ck = struct.unpack_from("!HHHH", l4)
            if (sport, dport) != (7000, 40000) or l4[8:ulen] != data or ulen != len(l4):
                return f"wrong ports or payload: {sport}->{dport} {l4[8:ulen]!r}"
            if ck == 0 or csum(s + d + struct.pack("!BBH", 0, 17, ulen) + l4[:ulen]):
                return "UDP checksum missing or wrong"
            if data is zsum and ck != 0xffff:
                return f"UDP checksum {ck:#x}: a computed 0 goes out as 0xffff"
            return None
        return chk

    def is_arp_reply_to(asker_ip):
        def chk(f):
            dst, src, etype, p, tci = parse(f)
            if dst != F or src != K or etype != 0x0806 or tci is not None:
                return "not an untagged ARP frame from kite's MAC to the asker"
            op, sha, spa, tha, tpa = struct.unpack_from("!H6s4s6s4s", p, 6)
            if op != 2 or sha != K or spa != aton(kite_ip) or tha != F or tpa != aton(asker_ip):
                return "not the reply: op %d sha %s spa %s tha %s tpa %s" % (
                    op, sha.hex(), socket.inet_ntoa(spa), tha.hex(), socket.inet_ntoa(tpa))
            return None
        return chk
    is_arp_reply = is_arp_reply_to(FI)

    data = b"udp payload 0123456789"
    # a payload whose reply checksum computes to 0: it must go out as 0xffff
    zsum = data + b"\0\0"
    folded = 0xffff & ~csum(aton(kite_ip) + aton(FI) + struct.pack("!BBHHHHH", 0, 17, 8 + len(zsum),
                                                                 7000, 40000, 8 + len(zsum), 0)
                            + zsum)
    zsum = data + struct.pack("!H", 0xffff - folded)
    big = bytes(range(256)) * 5 + bytes(192)     # 1472 bytes
    return {
        # too short for their headers
        "runt-vlan-tag": (K + F + b"\x81\x00\x00", {"drop_runt": 1}, None),
        "runt-ip-header": (e(echo[:10]), {"drop_runt": 1}, None),
        "runt-ip-behind-vlan0": (e(b"\x45\x00" + bytes(8), tci=0), {"drop_runt": 1}, None),
        # IPv4 header
        "ip-ihl-4": (e(ip_to_kite(echo, ihl=4)), {"drop_ip_hdr": 1}, None),
        "ip-version-6": (e(ip_to_kite(echo, ver=6)), {"drop_ip_hdr": 1}, None),
        "ip-total-length-beyond-frame": (e(ip_to_kite(echo, tot=20 + len(echo) + 1)),
                                         {"drop_ip_len": 1}, None),
        "ip-total-length-below-header": (e(ip_to_kite(echo, tot=16)), {"drop_ip_len": 1}, None),
        "ip-ihl-beyond-total-length": (e(ip_to_kite(echo, ihl=15, tot=40)), {"drop_ip_len": 1},
                                       None),
        "ip-bad-checksum": (e(ip_to_kite(echo, bad_csum=True)), {"drop_ip_csum": 1}, None),
        "ip-options": (e(ip_to_kite(echo, ihl=6, opts=b"\x01\x01\x01\x00")),
                       {"drop_ip_options": 1}, None),
        "ip-first-fragment": (e(ip_to_kite(u(data), 17, frag=0x2000)), {"drop_fragment": 1},
                              None),
        "ip-non-first-fragment": (e(ip_to_kite(data * 2, 17, frag=100)), {"drop_fragment": 1},
                                  None),
        "ip-fragmented-echo": (e(ip_to_kite(echo, frag=0x2000)), {"drop_fragment": 1}, None),
        "ip-protocol-253": (e(ip_to_kite(data, 253)), {"drop_proto": 1}, None),
        "ethertype-ipv6": (e(bytes(40), etype=0x86dd), {"drop_proto": 1}, None),
        "ethertype-local-experimental": (e(bytes(46), etype=0x88b5), {"drop_proto": 1}, None),
        # UDP
        "udp-bad-checksum": (e(ip_to_kite(u(data, ck="bad"), 17)), {"drop_udp_csum": 1}, None),
        "udp-bad-checksum-closed-port": (e(ip_to_kite(u(data, 9999, ck="bad"), 17)),
                                         {"drop_udp_csum": 1}, None),
        "udp-length-0": (e(ip_to_kite(u(data, ulen=0), 17)), {"drop_udp_len": 1}, None),
        "udp-length-4": (e(ip_to_kite(u(data, ulen=4), 17)), {"drop_udp_len": 1}, None),
        "udp-length-beyond-ip": (e(ip_to_kite(u(data, ulen=8 + len(data) + 1), 17)),
                                 {"drop_udp_len": 1}, None),
        "udp-header-cut": (e(ip_to_kite(u(data)[:6], 17)), {"drop_udp_len": 1}, None),
        # ICMP
        "icmp-bad-checksum": (e(ip_to_kite(icmp(8, 0, 0x4b4e, 2, ping, bad=True))),
                              {"drop_icmp": 1}, None),
        "icmp-4-bytes": (e(ip_to_kite(echo[:4])), {"drop_icmp": 1}, None),
        "icmp-timestamp-request": (e(ip_to_kite(icmp(13, 0, 1, 1, bytes(12)))),
                                   {"drop_icmp": 1}, None),
        "icmp-echo-code-1": (e(ip_to_kite(icmp(8, 1, 1, 1, ping))), {"drop_icmp": 1}, None),
        "icmp-unsolicited-echo-reply": (e(ip_to_kite(icmp(0, 0, 1, 1, ping))),
                                        {"drop_icmp": 1}, None),
        # IGMP
        "igmp-bad-checksum": (e(ipv4(FI, "224.0.0.1", 2, igmp_query(10, bad=True), ttl=1),
                                dst=mac("01005e000001")), {"drop_igmp": 1}, None),
        "igmp-4-bytes": (e(ipv4(FI, "224.0.0.1", 2, igmp_query(10)[:4], ttl=1),
                           dst=mac("01005e000001")), {"drop_igmp": 1}, None),
        # ARP
        "arp-truncated": (e(arp(1, F, FI, bytes(6), kite_ip)[:20], dst=BCAST, etype=0x0806),
                          {"drop_arp": 1}, None),
        "arp-hardware-type-6": (e(arp(1, F, FI, bytes(6), kite_ip, htype=6), dst=BCAST,
                                  etype=0x0806), {"drop_arp": 1}, None),
        "arp-protocol-ipv6": (e(arp(1, F, FI, bytes(6), kite_ip, ptype=0x86dd), dst=BCAST,
                                etype=0x0806), {"drop_arp": 1}, None),
        "arp-hardware-length-8": (e(arp(1, F, FI, bytes(6), kite_ip, hlen=8), dst=BCAST,
                                    etype=0x0806), {"drop_arp": 1}, None),
        "arp-opcode-3": (e(arp(3, F, FI, bytes(6), kite_ip), dst=BCAST, etype=0x0806),
                         {"drop_arp": 1}, None),
        "arp-sender-broadcast-mac": (e(arp(1, BCAST, FI, bytes(6), kite_ip), dst=BCAST,
                                       etype=0x0806), {"drop_arp": 1}, None),
        "arp-sender-zero-mac": (e(arp(1, bytes(6), FI, bytes(6), kite_ip), dst=BCAST,
                                  etype=0x0806), {"drop_arp": 1}, None),
        "arp-for-another-address": (e(arp(1, F, FI, bytes(6), "169.254.77.3"), dst=BCAST,
                                      etype=0x0806), {"drop_not_ours": 1}, None),
        "arp-to-another-unicast-mac": (e(arp(1, F, FI, bytes(6), kite_ip),
                                         dst=mac("026e65740099"), etype=0x0806),
                                       {"drop_not_ours": 1}, None),
        # VLAN
        "vlan-id-5-echo": (e(ip_to_kite(echo), tci=5), {"drop_vlan": 1}, None),
        "vlan-id-5-arp": (e(arp(1, F, FI, bytes(6), kite_ip), dst=BCAST, etype=0x0806, tci=5),
                          {"drop_vlan": 1}, None),
        "vlan-id-5-udp": (e(ip_to_kite(u(data), 17), tci=0x2005), {"drop_vlan": 1}, None),
        # sources that cannot be answered
        "echo-from-255.255.255.255": (e(ip_to_kite(echo, src="255.255.255.255")),
                                      {"drop_ip_src": 1}, None),
        "echo-from-subnet-broadcast": (e(ip_to_kite(echo, src="169.254.255.255")),
                                       {"drop_ip_src": 1}, None),
        "echo-from-0.0.0.0": (e(ip_to_kite(echo, src="0.0.0.0")), {"drop_ip_src": 1}, None),
        "echo-from-multicast": (e(ip_to_kite(echo, src="224.0.0.5")), {"drop_ip_src": 1}, None),
        "echo-from-loopback": (e(ip_to_kite(echo, src="127.0.0.1")), {"drop_ip_src": 1}, None),
        "echo-from-our-own-address": (e(ip_to_kite(echo, src=kite_ip)), {"drop_ip_src": 1},
                                      None),
        "echo-from-multicast-mac": (e(ip_to_kite(echo), src=mac("01005e000005")),
                                    {"drop_ip_src": 1}, None),
        "udp-from-255.255.255.255": (e(ip_to_kite(u(data, src="255.255.255.255"), 17,
                                                  src="255.255.255.255")),
                                     {"drop_ip_src": 1}, None),
        # not ours: RFC 1122 §3.3.6, a unicast datagram in a link-layer broadcast
        "echo-to-broadcast-mac-for-our-ip": (e(ip_to_kite(echo), dst=BCAST),
                                             {"drop_not_ours": 1}, None),
        "udp-to-broadcast-mac-for-our-ip": (e(ip_to_kite(u(data), 17), dst=BCAST),
                                            {"drop_not_ours": 1}, None),
        "echo-to-another-ip": (e(ipv4(FI, "169.254.77.3", 1, echo)), {"drop_not_ours": 1},
                               None),
        "echo-to-another-mac": (e(ip_to_kite(echo), dst=mac("026e65740099")),
                                {"drop_not_ours": 1}, None),
        "echo-to-subnet-broadcast": (e(ipv4(FI, "169.254.255.255", 1, echo), dst=BCAST),
                                     {"drop_not_ours": 1}, None),
        "echo-to-255.255.255.255": (e(ipv4(FI, "255.255.255.255", 1, echo), dst=BCAST),
                                    {"drop_not_ours": 1}, None),
        "echo-to-all-hosts-group": (e(ipv4(FI, "224.0.0.1", 1, echo, ttl=1),
                                      dst=mac("01005e000001")), {"drop_not_ours": 1}, None),
        "udp-closed-port-subnet-broadcast": (
            e(ipv4(FI, "169.254.255.255", 17, u(data, 9999, dst="169.254.255.255")), dst=BCAST),
            {"drop_no_port": 1}, None),
        "udp-closed-port-group": (
            e(ipv4(FI, "224.0.0.1", 17, u(data, 9999, dst="224.0.0.1"), ttl=1),
              dst=mac("01005e000001")), {"drop_no_port": 1}, None),
        "udp-bad-ip-checksum": (e(ip_to_kite(u(data), 17, bad_csum=True)), {"drop_ip_csum": 1},
                                None),
        "udp-with-ip-options": (e(ip_to_kite(u(data), 17, ihl=6, opts=b"\x01\x01\x01\x00")),
                                {"drop_ip_options": 1}, None),
        "udp-to-another-ip": (e(ipv4(FI, "169.254.77.3", 17, u(data, dst="169.254.77.3"))),
                              {"drop_not_ours": 1}, None),
        "udp-from-multicast-mac": (e(ip_to_kite(u(data), 17), src=mac("01005e000005")),
                                   {"drop_ip_src": 1}, None),
        # delivered, but a source port 0 cannot be answered (RFC 768: no reply wanted;
        # kn_udp_sendto refuses port 0 too)
        "udp-from-source-port-0": (e(ip_to_kite(udp(FI, kite_ip, 0, 7000, data), 17)),
                                   {"rx_dgrams": 1}, None),
        # ARP that is heard but not answered
        "arp-claiming-our-address": (e(arp(1, F, kite_ip, bytes(6), kite_ip), dst=BCAST,
                                       etype=0x0806), {"arp_conflict": 1}, None),
        "arp-unsolicited-reply-to-us": (e(arp(2, F, FI, K, kite_ip), etype=0x0806),
                                        {"arp_replies_rx": 1}, None),
        # answered
        "echo-no-data": (e(ip_to_kite(icmp(8, 0, 0x4b4e, 1, b""))), {"icmp_echo_rx": 1},
                         is_echo_reply(b"")),
        "echo-odd-length": (e(ip_to_kite(icmp(8, 0, 0x4b4e, 1, ping[:33]))),
                            {"icmp_echo_rx": 1}, is_echo_reply(ping[:33])),
        "udp-reply-checksum-0xffff": (e(ip_to_kite(u(zsum), 17)),
                                      {"rx_dgrams": 1, "tx_dgrams": 1}, is_udp_reply(zsum)),
        "arp-probe-for-our-address": (e(arp(1, F, "0.0.0.0", bytes(6), kite_ip), dst=BCAST,
                                        etype=0x0806), {}, is_arp_reply_to("0.0.0.0")),
        "echo-vlan0-priority-tagged": (e(ip_to_kite(echo), tci=0xa000), {"icmp_echo_rx": 1},
                                       is_echo_reply(ping)),
        "echo-with-ethernet-padding": (e(ip_to_kite(echo) + b"PADDING-NOT-PART-OF-IP"),
                                       {"icmp_echo_rx": 1}, is_echo_reply(ping)),
        "echo-1472-bytes": (e(ip_to_kite(icmp(8, 0, 0x4b4e, 1, big))), {"icmp_echo_rx": 1},
                            is_echo_reply(big)),
        "udp-checksum-0": (e(ip_to_kite(u(data, ck="zero"), 17)),
                           {"rx_dgrams": 1, "tx_dgrams": 1}, is_udp_reply(data)),
        "udp-vlan0-priority-tagged": (e(ip_to_kite(u(data), 17), tci=0x6000),
                                      {"rx_dgrams": 1, "tx_dgrams": 1}, is_udp_reply(data)),
        "udp-with-ethernet-padding": (e(ip_to_kite(u(data), 17) + b"PADDING"),
                                      {"rx_dgrams": 1, "tx_dgrams": 1}, is_udp_reply(data)),
        "udp-length-below-ip-payload": (e(ip_to_kite(u(data + b"TRAILER", ulen=8 + len(data)),
                                                     17)),
                                        {"rx_dgrams": 1, "tx_dgrams": 1}, is_udp_reply(data)),
        "arp-request-to-broadcast-mac": (e(arp(1, F, FI, bytes(6), kite_ip), dst=BCAST,
                                           etype=0x0806), {}, is_arp_reply),
        "arp-request-vlan0-priority-tagged": (e(arp(1, F, FI, bytes(6), kite_ip), dst=BCAST,
                                                etype=0x0806, tci=0x2000), {}, is_arp_reply),
    }


def inject_one(w, path, host_mac, table, name):
    """Send case name's frame; what happened (raises Fail if it was wrong)."""
    frame, expect, reply = table[name]
    w.drain(0.05)       # what an earlier case left on the wire is not this one's
    w.seen = []
    before = read_stats(path)
    w.send(frame)
    if expect:
        try:
            wait_stats(path, before, expect)
        except Fail as err:
            w.drain(0.3)
            got = w.replies(host_mac)
            fail(f"{err}; {len(got)} answers " + " ".join(f.hex() for f in got))
    if reply is None:
        # an answer leaves with the count (same poll): give the wire a moment
        w.drain(0.3)
        got = w.replies(host_mac)
        check_deltas(before, read_stats(path), expect)
        if got:
            fail("kite answered: " + " ".join(f.hex() for f in got))
        return f"counted in {', '.join(expect)}, not answered"
    end = time.monotonic() + WAIT
    got = []
    while not got and time.monotonic() < end:
        w.drain(0.05)
        got = w.replies(host_mac)
    w.drain(0.3)        # a second answer would be wrong
    got = w.replies(host_mac)
    check_deltas(before, read_stats(path), expect)
    if len(got) != 1:
        fail(f"{len(got)} answers, expected 1: " + " ".join(f.hex() for f in got))
    why = reply(got[0])
    if why:
        fail(f"answer {got[0].hex()}: {why}")
    return f"answered: {got[0].hex()}"


def cmd_inject(path, tap, name, out=None):
    kite_ip, kmac = stats_addr(path), stats_mac(path)
    table = cases(kmac, kite_ip)
    if name in ("list", "list-answered"):
        print("\n".join(k for k, v in table.items() if name == "list" or v[2]))
        return
    w, hmac = Wire(tap, kmac), tap_mac(tap)
    if name != "all":
        print(f"{name}: {inject_one(w, path, hmac, table, name)}")
        return
    with open(out, "w") as f:
        for n in table:
            try:
                line = f"{n} ok {inject_one(w, path, hmac, table, n)}"
            except Fail as e:
                line = f"{n} FAIL {e}"
            print(line, file=f, flush=True)


# ---- kernel sockets -----------------------------------------------------------
def udp_sock(timeout=WAIT):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    return s


def pattern(k, size):
    return bytes((k * 13 + i * 7 + 1) & 0xff for i in range(size))


def cmd_udp_echo(kite, port, sizes):
    s = udp_sock()
    for k, size in enumerate(int(x) for x in sizes):
        msg = pattern(k, size)
        s.sendto(msg, (kite, port))
        data, addr = s.recvfrom(65536)
        if data != msg or addr != (kite, port):
            fail(f"{size} bytes: got {len(data)} bytes from {addr}, "
                 f"first difference at {next((i for i in range(min(len(data), size)) if data[i] != msg[i]), None)}")
        print(f"{size} bytes echoed byte-exact")


def cmd_burst_echo(path, kite, port, n):
    """n datagrams at once, small (PIO) and large (descriptor) in turn: all come
    back, in the order sent (one queue's frames leave in order), byte-exact."""
    s = udp_sock()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    before = read_stats(path)
    sent = []
    for k in range(n):
        msg = struct.pack("!I", k) + pattern(k, 28 if k % 2 else 1396)
        s.sendto(msg, (kite, port))
        sent.append(msg)
    got = []
    s.settimeout(5.0)
    end = time.monotonic() + WAIT
    while len(got) < n and time.monotonic() < end:
        try:
            data, _ = s.recvfrom(65536)
            got.append(data)
        except socket.timeout:
            if read_stats(path)["tx_dgrams"] - before["tx_dgrams"] >= n:
                break       # all sent by kite: nothing more is coming
    order = [struct.unpack_from("!I", d)[0] for d in got]
    st = read_stats(path)
    print(f"{n} sent, {len(got)} echoed; kite-net: rx_dgrams +{st['rx_dgrams'] - before['rx_dgrams']}"
          f", tx_dgrams +{st['tx_dgrams'] - before['tx_dgrams']}, tx_full +{st['tx_full'] - before['tx_full']}")
    if order != sorted(order):
        fail(f"echoes out of order: {order}")
    if any(d != sent[k] for d, k in zip(got, order)):
        fail("an echo is not its datagram")
    if len(got) != n:
        fail(f"{n - len(got)} datagrams not echoed: {sorted(set(range(n)) - set(order))}")


def cmd_frag(path, kite, port, sizes):
    s = udp_sock()
    before = read_stats(path)
    frags = 0
    for size in (int(x) for x in sizes):
        s.sendto(b"F" * size, (kite, port))
        frags += (size + 8 + 1479) // 1480
    after = wait_stats(path, before, {"drop_fragment": frags})
    s.settimeout(1.0)
    try:
        data, addr = s.recvfrom(65536)
        fail(f"answered: {len(data)} bytes from {addr}")
    except socket.timeout:
        pass
    check_deltas(before, read_stats(path), {"drop_fragment": frags})
    print(f"{frags} fragments counted in drop_fragment, none answered "
          f"({after['drop_fragment'] - before['drop_fragment']})")


def cmd_unreach(kite, port, size):
    s = udp_sock()
    s.connect((kite, port))
    s.send(b"anyone there?".ljust(size, b"."))
    try:
        s.recv(100)
        fail("a reply from a closed port")
    except ConnectionRefusedError:
        print("ECONNREFUSED")
    except socket.timeout:
        fail("no port unreachable (the socket timed out)")


def cmd_burst(path, tap, kite, port, n):
    w = Wire(tap, stats_mac(path))
    s = udp_sock()
    before = read_stats(path)
    t0 = time.monotonic()
    for i in range(n):
        s.sendto(b"burst %d" % i, (kite, port))
    sent = time.monotonic() - t0
    wait_stats(path, before, {"drop_no_port": n})
    after = read_stats(path)
    tx = after["icmp_unreach_tx"] - before["icmp_unreach_tx"]
    lim = after["icmp_unreach_limited"] - before["icmp_unreach_limited"]
    check_deltas(before, after, {"drop_no_port": n, "icmp_unreach_tx": tx,
                                 "icmp_unreach_limited": lim})

    def unreachables():
        out = []
        for ts, f in w.seen:
            _, _, etype, p, _ = parse(f)
            if etype == 0x0800 and p[9] == 1:
                _, _, _, l4 = ip_payload(p)
                if l4[0] == 3 and l4[1] == 3:
                    out.append(ts)
        return out
    end = time.monotonic() + WAIT
    while len(unreachables()) < tx and time.monotonic() < end:      # the wire may lag
        w.drain(0.1)
    w.drain(0.3)
    seen = unreachables()
    span = seen[-1] - seen[0] if seen else 0
    # a bucket of 10 refilled at 100/s (net/icmp.c): what it can allow over the span
    allowed = 10 + int(100 * span) + 1
    print(f"{n} datagrams sent in {sent * 1e3:.1f} ms: {tx} unreachables sent over "
          f"{span * 1e3:.1f} ms (allowed {allowed}), {lim} rate-limited; {len(seen)} seen on the TAP")
    if tx + lim != n:
        fail(f"unreachable {tx} + limited {lim} != {n}")
    if not 1 <= tx <= allowed or lim < 1:
        fail("not rate limited as a 10-message bucket at 100/s")
    if len(seen) != tx:
        fail(f"{tx} counted but {len(seen)} on the wire")


def cmd_recv(addr, port, count, size, src, ready, host=None):
    s = udp_sock()
    s.bind((addr, port))
    if host:    # addr is a group: joined on the interface of address host
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, aton(addr) + aton(host))
    open(ready, "w").close()
    for k in range(count):
        data, frm = s.recvfrom(65536)
        if frm[0] != src or data != pattern(k, size):
            fail(f"datagram {k}: {len(data)} bytes from {frm}, not the pattern")
    print(f"{count} datagrams of {size} bytes from {src}, byte-exact")


def mcast_sock(host):
    s = udp_sock()
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, aton(host))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
    s.bind((host, 0))
    return s


def cmd_mcast(path, host, group, port, sizes):
    s = mcast_sock(host)
    before = read_stats(path)
    for k, size in enumerate(int(x) for x in sizes):
        msg = pattern(k + 100, size)
        s.sendto(msg, (group, port))
        data, addr = s.recvfrom(65536)
        if data != msg:
            fail(f"{size} bytes to {group}: {len(data)} bytes back from {addr}, not the same")
    n = len(sizes)
    wait_stats(path, before, {"rx_dgrams": n, "tx_dgrams": n})
    check_deltas(before, read_stats(path), {"rx_dgrams": n, "tx_dgrams": n})
    print(f"{n} datagrams to {group}:{port} received and echoed byte-exact")


def cmd_mcast_none(path, host, group, port, counter):
    s = mcast_sock(host)
    before = read_stats(path)
    s.sendto(b"not for you", (group, port))
    wait_stats(path, before, {counter: 1})
    s.settimeout(1.0)
    try:
        data, addr = s.recvfrom(65536)
        fail(f"answered from {addr}: {data!r}")
    except socket.timeout:
        pass
    except ConnectionRefusedError:
        fail("an ICMP error came back")
    check_deltas(before, read_stats(path), {counter: 1})
    print(f"{group}:{port} not delivered, counted in {counter}, nothing came back")


def cmd_sentinel(tap, text):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((tap, 0))
    s.send(eth(bytes.fromhex("026e6574ffff"), tap_mac(tap), 0x88b5,
               b"kite-net-tap sentinel " + text.encode() + b" ".ljust(24, b".")))


def cmd_igmp_query(path, tap, host, kind, group=None):
    kmac = stats_mac(path)
    w = Wire(tap, kmac)
    hmac = tap_mac(tap)
    ra = b"\x94\x04\x00\x00"
    if kind == "v3-general":
        q, dst = igmp_query(10), "224.0.0.1"
    elif kind == "v3-group":
        q, dst = igmp_query(10, group), group
    elif kind == "v3-general-from-0":       # as a Linux bridge's querier may send it
        q, dst, host = igmp_query(10), "224.0.0.1", "0.0.0.0"
    elif kind == "v2-general":
        q, dst = igmp_query(10, v3=False), "224.0.0.1"
    else:
        fail(f"unknown query {kind}")
    d = struct.unpack("!I", aton(dst))[0]
    dmac = bytes([1, 0, 0x5e, d >> 16 & 0x7f, d >> 8 & 0xff, d & 0xff])
    before = read_stats(path)
    w.send(eth(dmac, hmac, 0x0800, ipv4(host, dst, 2, q, ihl=6, opts=ra, ttl=1, tos=0xc0)))
    wait_stats(path, before, {"igmp_queries_rx": 1, "igmp_reports_tx": 1})

    def igmp_seen():
        out = []
        for ts, f in w.seen:
            fdst, _, etype, p, _ = parse(f)
            if etype == 0x0800 and p[9] == 2:
                _, s, ipdst, m = ip_payload(p)
                out.append((socket.inet_ntoa(ipdst), m))
        return out
    end = time.monotonic() + WAIT
    while not igmp_seen() and time.monotonic() < end:      # the wire may lag the count
        w.drain(0.1)
    w.drain(0.3)
    check_deltas(before, read_stats(path), {"igmp_queries_rx": 1, "igmp_reports_tx": 1})
    reports = igmp_seen()
    if len(reports) != 1:
        fail(f"{len(reports)} IGMP messages from kite, expected one report")
    ipdst, m = reports[0]
    if csum(m):
        fail("the report's IGMP checksum is wrong")
    if kind.startswith("v3"):
        if ipdst != "224.0.0.22" or m[0] != 0x22 or struct.unpack_from("!H", m, 6)[0] < 1:
            fail(f"not an IGMPv3 report to 224.0.0.22: {ipdst} {m.hex()}")
        rtype, _, _, g = struct.unpack_from("!BBH4s", m, 8)
        if rtype != 2 or (group and socket.inet_ntoa(g) != group):
            fail(f"record type {rtype} for {socket.inet_ntoa(g)}: expected MODE_IS_EXCLUDE (2)")
        print(f"IGMPv3 report: MODE_IS_EXCLUDE {socket.inet_ntoa(g)}")
    else:
        g = socket.inet_ntoa(m[4:8])
        if m[0] != 0x16 or ipdst != g or (group and g != group):
            fail(f"not an IGMPv2 report to its group: {ipdst} {m.hex()}")
        print(f"IGMPv2 report for {g}")


# ---- kite-sockperf's protocol ----------------------------------------------------
def cmd_sockperf_proto(path, tap, kite, port):
    s = udp_sock()
    kmac = stats_mac(path)
    w = Wire(tap, kmac)
    seq = [1000]

    def msg(flags, size=64, length=None, seqno=None):
        if seqno is None:
            seq[0] += 1
            seqno = seq[0]
        body = bytes((seqno + i) & 0xff for i in range(size - 14))
        return struct.pack("!QHI", seqno, flags, size if length is None else length) + body

    def expect_reply(m, what):
        s.sendto(m, (kite, port))
        data, addr = s.recvfrom(65536)
        want = m[:8] + struct.pack("!H", struct.unpack_from("!H", m, 8)[0] & ~1) + m[10:]
        if data != want:
            fail(f"{what}: answer {data[:16].hex()}... ({len(data)} bytes), expected "
                 f"{want[:16].hex()}... ({len(want)} bytes)")

    expect_reply(msg(0x3), "a 64-byte pong request")
    expect_reply(msg(0x3, 14), "a header-only pong request")
    expect_reply(msg(0x3, 1472), "a 1472-byte pong request")
    # each is followed by a pong request: the first answer must be that one's
    bad = [("a 10-byte datagram", msg(0x3)[:10]), ("an empty datagram", b""),
           ("length 0", msg(0x3, 64, 0)), ("length 13", msg(0x3, 64, 13)),
           ("length beyond the datagram", msg(0x3, 64, 65)),
           ("length below the datagram", msg(0x3, 64, 50)),
           ("length 2^32-1", msg(0x3, 64, 0xffffffff)),
           ("a warm-up message", msg(0x7)), ("no pong request", msg(0x1)),
           ("no client flag (a server's message)", msg(0x2))]
    for what, m in bad:
        s.sendto(m, (kite, port))
        expect_reply(msg(0x3), f"after {what}")
    # a pong request from source port 0 (a raw frame: a socket cannot send one)
    probe = udp_sock()
    probe.connect((kite, port))         # no datagram: only the route's source address
    host = probe.getsockname()[0]
    w.seen = []
    w.send(eth(kmac, tap_mac(tap), 0x0800, ipv4(host, kite, 17, udp(host, kite, 0, port, msg(0x3)))))
    expect_reply(msg(0x3), "after a pong request from port 0")
    w.drain(0.3)
    to0 = [f for _, f in w.seen if parse(f)[2] == 0x0800 and parse(f)[3][9] == 17 and
           struct.unpack_from("!H", ip_payload(parse(f)[3])[3], 2)[0] == 0]
    if to0:
        fail(f"a datagram from port 0 was answered (to port 0): {to0[0].hex()}")
    print(f"pong requests answered with the client flag cleared; {len(bad) + 1} others not "
          "answered")


def cmd_kite_stat_json(path, jfile):
    """kite-stat --net --all --json reads the counters this reader reads."""
    import json
    with open(jfile) as f:
        j = json.load(f)
    st = read_stats(path)
    keys = [k for k in st if not k.startswith("arp_") and k != "rx_frames"]    # still
    diff = {k: (j["counters"].get(k), st[k]) for k in keys if j["counters"].get(k) != st[k]}
    if diff or j.get("addr") != stats_addr(path):
        fail(f"kite-stat --net disagrees: {diff} addr {j.get('addr')}")
    print(f"kite-stat --net agrees on {len(keys)} counters")


# ---- the checker's self-test ----------------------------------------------------
def cmd_checker_pcap(out, kmac):
    K, D = mac(kmac), mac("026e65740002")
    good_echo = ipv4("169.254.77.2", "169.254.77.1", 1, icmp(0, 0, 1, 1, b"x" * 32))
    frames = [
        eth(D, K, 0x0800, ipv4("169.254.77.2", "169.254.77.1", 1, icmp(0, 0, 1, 1, b"x" * 32),
                               bad_csum=True)),
        eth(D, K, 0x0800, ipv4("169.254.77.2", "169.254.77.1", 17,
                               udp("169.254.77.2", "169.254.77.1", 1, 2, b"y" * 20, ck="bad"))),
        eth(D, K, 0x0800, ipv4("169.254.77.2", "169.254.77.1", 1,
                               icmp(0, 0, 1, 1, b"x" * 32, bad=True))),
        eth(mac("01005e000016"), K, 0x0800, ipv4("169.254.77.2", "224.0.0.22", 2,
                                                 igmp_query(0, bad=True)[:8], ttl=1)),
        eth(D, K, 0x0800, good_echo[:30]),     # cut short: malformed
    ]
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1000 + i, 0, len(fr), len(fr)) + fr)
    print(f"{len(frames)} bad frames from {kmac}")


def main():
    a = sys.argv[1:]
    if not a:
        sys.exit(__doc__)
    cmd, args = a[0], a[1:]
    if cmd == "stats":
        st = read_stats(args[0])
        for k in args[1:] or st:
            print(k, st[k])
    elif cmd == "inject":
        cmd_inject(args[0], args[1], args[2], args[3] if len(args) > 3 else None)
    elif cmd == "udp-echo":
        cmd_udp_echo(args[0], int(args[1]), args[2:])
    elif cmd == "burst-echo":
        cmd_burst_echo(args[0], args[1], int(args[2]), int(args[3]))
    elif cmd == "frag":
        cmd_frag(args[0], args[1], int(args[2]), args[3:])
    elif cmd == "unreach":
        cmd_unreach(args[0], int(args[1]), int(args[2]))
    elif cmd == "burst":
        cmd_burst(args[0], args[1], args[2], int(args[3]), int(args[4]))
    elif cmd == "recv":
        cmd_recv(args[0], int(args[1]), int(args[2]), int(args[3]), args[4], args[5],
                 args[6] if len(args) > 6 else None)
    elif cmd == "mcast":
        cmd_mcast(args[0], args[1], args[2], int(args[3]), args[4:])
    elif cmd == "mcast-none":
        cmd_mcast_none(args[0], args[1], args[2], int(args[3]), args[4])
    elif cmd == "sentinel":
        cmd_sentinel(args[0], args[1])
    elif cmd == "igmp-query":
        cmd_igmp_query(args[0], args[1], args[2], args[3], args[4] if len(args) > 4 else None)
    elif cmd == "sockperf-proto":
        cmd_sockperf_proto(args[0], args[1], args[2], int(args[3]))
    elif cmd == "kite-stat-json":
        cmd_kite_stat_json(args[0], args[1])
    elif cmd == "checker-pcap":
        cmd_checker_pcap(args[0], args[1])
    else:
        sys.exit(f"unknown command {cmd}\n{__doc__}")


if __name__ == "__main__":
    try:
        main()
    except Fail as err:
        print("FAIL:", err)
        sys.exit(1)
