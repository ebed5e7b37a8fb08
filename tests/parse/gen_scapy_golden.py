#!/usr/bin/python3
"""Writes scapy_golden.inc: frames built by scapy and the fields scapy's own
dissector reads back, as an oracle independent of packet_builder.hpp.

Run from this directory with /usr/bin/python3 (the one with scapy) and commit
the output. The fuzz seed corpus (tests/fuzz/parse_corpus) is written too.
"""
import os
from scapy.all import (AH, ARP, Dot1AD, Dot1Q, Ether, ICMP, ICMPv6EchoReply, ICMPv6EchoRequest,
                       ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6ND_RA, IP, IPv6, IPv6ExtHdrDestOpt,
                       IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, Padding, Raw,
                       SCTP, TCP, UDP, fragment, raw)
from scapy.layers.inet import IPOption_NOP, IPOption_RR

E = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")


def frames():
    yield "v4 tcp syn", E / IP(src="10.244.1.5", dst="10.96.0.10", id=77) / TCP(sport=43210, dport=53, flags="S")
    yield "v4 options udp", E / IP(src="192.0.2.1", dst="198.51.100.7", options=[IPOption_RR(routers=["1.2.3.4"]), IPOption_NOP()]) / UDP(sport=9, dport=5353) / Raw(b"hi")
    yield "dot1q v4 sctp", E / Dot1Q(vlan=101) / IP(src="10.0.0.1", dst="10.0.0.2") / SCTP(sport=3868, dport=3869)
    yield "qinq v6 tcp", E / Dot1AD(vlan=300) / Dot1Q(vlan=42) / IPv6(src="fd00::1", dst="fd00::2") / TCP(sport=1024, dport=443, flags="PA", options=[("MSS", 1460), ("NOP", None), ("WScale", 7)]) / Raw(b"x" * 20)
    yield "v4 icmp echo padded", E / IP(src="10.1.1.1", dst="10.1.1.2") / ICMP(type=8, id=0x1a2b, seq=3) / Padding(b"\xff" * 18)
    frags = fragment(E / IP(src="10.2.0.1", dst="10.2.0.9", id=0x5555) / UDP(sport=4789, dport=4789) / Raw(b"z" * 60), fragsize=32)
    yield "v4 first fragment", frags[0]
    yield "v4 later fragment", frags[1]
    yield "v6 hbh routing dst udp", E / IPv6(src="2001:db8::a", dst="2001:db8::b") / IPv6ExtHdrHopByHop() / IPv6ExtHdrRouting(addresses=["2001:db8::c"]) / IPv6ExtHdrDestOpt() / UDP(sport=547, dport=546)
    yield "v6 first fragment tcp", E / IPv6(src="2001:db8::1", dst="2001:db8::2") / IPv6ExtHdrFragment(m=1, offset=0, id=0xcafe0001) / TCP(sport=80, dport=50000, flags="A") / Raw(b"y" * 12)
    yield "v6 later fragment", E / IPv6(src="2001:db8::1", dst="2001:db8::2") / IPv6ExtHdrFragment(nh=6, m=0, offset=3, id=0xcafe0001) / Raw(b"y" * 12)
    yield "v6 ah tcp", E / IPv6(src="2001:db8::5", dst="2001:db8::6") / AH(nh=6, payloadlen=4, spi=1, seq=1, icv=b"\x00" * 12) / TCP(sport=22, dport=2222)
    yield "v6 echo request", E / IPv6(src="fe80::1", dst="fe80::2") / ICMPv6EchoRequest(id=0x0bad, seq=1)
    yield "v6 echo reply", E / IPv6(src="fe80::2", dst="fe80::1") / ICMPv6EchoReply(id=0x0bad, seq=1)
    yield "v6 nd ns", E / IPv6(src="fe80::1", dst="ff02::1:ff00:2", hlim=255) / ICMPv6ND_NS(tgt="fe80::2")
    yield "v6 nd na", E / IPv6(src="fe80::2", dst="fe80::1", hlim=255) / ICMPv6ND_NA(tgt="fe80::2")
    yield "v6 nd ra", E / IPv6(src="fe80::1", dst="ff02::1", hlim=255) / ICMPv6ND_RA()
    yield "arp", E / ARP(hwsrc="02:00:00:00:00:01", psrc="10.0.0.1", pdst="10.0.0.2")
    yield "dot1q arp", E / Dot1Q(vlan=7) / ARP(hwsrc="02:00:00:00:00:01", psrc="10.0.0.1", pdst="10.0.0.2")


def l3(pkt):
    return pkt[IP] if IP in pkt else pkt[IPv6]


def expect(name, pkt):
    data = raw(pkt)
    pkt = Ether(data)  # re-dissect the bytes
    vlans = [layer.vlan for layer in (pkt.getlayer(Dot1AD), pkt.getlayer(Dot1Q)) if layer is not None]
    e = dict(name=name, data=data, status="not_ip", family=4, src="0.0.0.0", dst="0.0.0.0", proto=0,
             sport=0, dport=0, has_ports=0, frag=0, first=0, frag_id=0, l3_offset=14 + 4 * len(vlans),
             l4_offset=0, l3_end=0, vlans=vlans, icmp_type=0, echo=0, echo_id=0, nd=0)
    if IP not in pkt and IPv6 not in pkt:
        return e
    ip = l3(pkt)
    # raw(layer) runs to the end of the frame (Ethernet padding included).
    e.update(status="ok", src=ip.src, dst=ip.dst, l3_offset=len(data) - len(raw(ip)))
    if IP in pkt:
        e.update(family=4, proto=ip.proto, l3_end=e["l3_offset"] + ip.len, frag_id=ip.id,
                 frag=int(ip.frag != 0 or bool(ip.flags.MF)), first=int(ip.frag == 0 and bool(ip.flags.MF)))
        later = ip.frag != 0
        upper = ip.payload
    else:
        e.update(family=6, l3_end=e["l3_offset"] + 40 + ip.plen)
        layer, nh, later = ip.payload, ip.nh, False
        while isinstance(layer, (IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, AH)):
            nh = layer.nh
            if isinstance(layer, IPv6ExtHdrFragment):
                e.update(frag_id=layer.id, frag=int(layer.offset != 0 or layer.m == 1), first=int(layer.offset == 0 and layer.m == 1))
                later = layer.offset != 0
            layer = layer.payload
            if later:
                break
        e["proto"], upper = nh, layer
    e["l4_offset"] = len(data) - len(raw(upper))
    if later:
        return e
    if isinstance(upper, Raw) and e["proto"] in (6, 17, 132):
        upper = {6: TCP, 17: UDP, 132: SCTP}[e["proto"]](raw(upper))  # scapy binds nothing after AH
    for proto in (TCP, UDP, SCTP):
        if isinstance(upper, proto):
            e.update(sport=upper.sport, dport=upper.dport, has_ports=1)
    if hasattr(upper, "type") and e["proto"] in (1, 58):
        e["icmp_type"] = upper.type
        if e["proto"] == 1 and upper.type in (0, 8) or e["proto"] == 58 and upper.type in (128, 129):
            e.update(echo=1, echo_id=upper.id)
        if e["proto"] == 58 and 133 <= upper.type <= 137 and ip.hlim == 255:
            e["nd"] = 1
    return e


def c_row(e):
    vl = e["vlans"] + [0] * (2 - len(e["vlans"]))
    data = ", ".join(f"0x{b:02x}" for b in e["data"])
    return (f'    {{"{e["name"]}", {{{data}}},\n'
            f'     parse_status::{e["status"]}, {e["family"]}, "{e["src"]}", "{e["dst"]}", {e["proto"]}, '
            f'{e["sport"]}, {e["dport"]}, {e["has_ports"]}, {e["frag"]}, {e["first"]}, {e["frag_id"]}u, '
            f'{e["l3_offset"]}, {e["l4_offset"]}, {e["l3_end"]}, {len(e["vlans"])}, {vl[0]}, {vl[1]}, '
            f'{e["icmp_type"]}, {e["echo"]}, {e["echo_id"]}, {e["nd"]}}},\n')


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    corpus = os.path.join(here, "..", "fuzz", "parse_corpus")
    os.makedirs(corpus, exist_ok=True)
    rows = []
    for name, pkt in frames():
        e = expect(name, pkt)
        rows.append(c_row(e))
        with open(os.path.join(corpus, name.replace(" ", "_") + ".bin"), "wb") as f:
            f.write(e["data"])
    with open(os.path.join(here, "scapy_golden.inc"), "w") as f:
        f.write("// Generated by gen_scapy_golden.py (scapy builds and dissects); do not edit.\n")
        f.writelines(rows)


if __name__ == "__main__":
    main()
