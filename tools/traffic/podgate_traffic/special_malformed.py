"""Malformed packets for `special`: each kind starts from the flow's opening
packet (SYN, UDP request, SCTP INIT, echo request) and breaks exactly one
thing; lengths and checksums are repaired around the defect so that nothing
else is wrong. Reasons are `malformed:<class>`."""

import struct

from scapy.layers.inet6 import IPv6ExtHdrDestOpt, IPv6ExtHdrHopByHop

from . import layers, wire
from .flowfile import SCTP, TCP, UDP
from .special import Item, Kind, bytes_item, ethertype_of, first_packet, scapy_item, upper_layer

L4_HEADER = {TCP: 20, UDP: 8, SCTP: 12}


def _split(flow, ctx) -> tuple[bytes, bytes]:
    """(IP header, everything after it) of the flow's opening packet."""
    l3 = bytes(first_packet(flow, ctx))
    cut = 20 if flow.family == 4 else 40
    return l3[:cut], l3[cut:]


def _with_payload(flow, ip_header: bytes, payload: bytes) -> bytes:
    """`ip_header` with its length field set for `payload` (IPv4 checksum redone)."""
    hdr = bytearray(ip_header)
    if flow.family == 4:
        hdr[2:4] = struct.pack("!H", len(hdr) + len(payload))
        return wire.fix_ipv4_checksum(bytes(hdr)) + payload
    hdr[4:6] = struct.pack("!H", len(payload))
    return bytes(hdr) + payload


def _truncated_eth(flow, ctx) -> list[Item]:
    ip_hdr, rest = _split(flow, ctx)
    full = wire.ethernet_header(wire.CLIENT_MAC, wire.SERVER_MAC, ethertype_of(flow), ctx.vlans) + ip_hdr + rest
    tagged = wire.ethernet_header(wire.CLIENT_MAC, wire.SERVER_MAC, ethertype_of(flow), ctx.vlans or (100,))
    cases = [(full[:10], "10-byte frame (inside the source MAC)"),
             (full[:13], "13-byte frame (half an EtherType)"),
             (tagged[:16], "802.1Q TPID followed by half a tag")]
    return [Item(frame, {"what": what, "reason": "malformed:truncated_eth", "flow": flow.text(), "len": len(frame)})
            for frame, what in cases]


def _truncated_ip(flow, ctx) -> list[Item]:
    ip_hdr, rest = _split(flow, ctx)
    reason = f"malformed:truncated_ipv{flow.family}"
    cuts = (12, 19) if flow.family == 4 else (20, 39)
    return [bytes_item(ctx, flow, ethertype_of(flow), ip_hdr[:n], f"frame ends {n} bytes into the IPv{flow.family} "
                       "header", reason) for n in cuts]


def _bad_ihl(flow, ctx) -> list[Item]:
    ip_hdr, rest = _split(flow, ctx)
    out = []
    for ihl, what in ((0, "IHL 0"), (4, "IHL 4 (< 5)"), (15, "IHL 15: a 60-byte header longer than the datagram")):
        hdr = bytearray(ip_hdr)
        hdr[0] = 0x40 | ihl
        out.append(bytes_item(ctx, flow, wire.ETH_IPV4, wire.fix_ipv4_checksum(bytes(hdr)) + rest, what,
                              "malformed:bad_ihl"))
    return out


def _bad_version(flow, ctx) -> list[Item]:
    ip_hdr, rest = _split(flow, ctx)
    versions = (6, 0) if flow.family == 4 else (4, 0)
    ethertype = ethertype_of(flow)
    out = []
    for version in versions:
        hdr = bytearray(ip_hdr)
        hdr[0] = (version << 4) | (hdr[0] & 0x0F)
        if flow.family == 4:
            hdr = bytearray(wire.fix_ipv4_checksum(bytes(hdr)))
        out.append(bytes_item(ctx, flow, ethertype, bytes(hdr) + rest,
                              f"version {version} in an EtherType 0x{ethertype:04x} frame", "malformed:bad_version"))
    return out


def _bad_total_length(flow, ctx) -> list[Item]:
    ip_hdr, rest = _split(flow, ctx)
    actual = len(ip_hdr) + len(rest) if flow.family == 4 else len(rest)
    field = "total length" if flow.family == 4 else "payload length"
    offset = 2 if flow.family == 4 else 4
    cases = [(actual + 100, f"{field} 100 bytes longer than the frame")]
    if flow.family == 4:
        cases.append((19, "total length 19, shorter than the header"))
    out = []
    for value, what in cases:
        hdr = bytearray(ip_hdr)
        hdr[offset:offset + 2] = struct.pack("!H", value)
        if flow.family == 4:
            hdr = bytearray(wire.fix_ipv4_checksum(bytes(hdr)))
        out.append(bytes_item(ctx, flow, ethertype_of(flow), bytes(hdr) + rest, what, "malformed:bad_total_length"))
    # The control case: bytes after the datagram are Ethernet padding/trailer, not an error.
    frame_len = wire.l2_len(ctx.vlans) + len(ip_hdr) + len(rest)
    trailer = 60 - frame_len if frame_len < 60 else 4
    what = "Ethernet padding up to 60 bytes" if frame_len < 60 else "a 4-byte Ethernet trailer"
    ports = {"sport": flow.sport, "dport": flow.dport} if flow.has_ports else {"sport": 0, "dport": 0}
    out.append(bytes_item(ctx, flow, ethertype_of(flow), ip_hdr + rest + b"\0" * trailer,
                          f"{what} after the IP datagram: fine, the parser must go by the IP {field}", "ok",
                          **ports))
    return out


def _bad_ext_chain(flow, ctx) -> list[Item]:
    reason = "malformed:bad_ext_chain"
    l4 = upper_layer(flow, ctx)
    out = [scapy_item(ctx, flow, layers.ip(flow) / IPv6ExtHdrDestOpt() / IPv6ExtHdrHopByHop() / l4,
                      "hop-by-hop header after a destination options header (RFC 8200: HBH only first)", reason)]
    for key in ("sport", "dport", "tcp_flags", "seq", "ack", "payload_len"):
        out[0].meta.pop(key, None)  # a bad chain has no upper layer to trust
    with_opts = bytes(layers.ip(flow) / IPv6ExtHdrDestOpt() / l4.copy())
    overlong = bytearray(with_opts)
    overlong[41] = 10  # Hdr Ext Len: (10 + 1) * 8 = 88 bytes, past the end of the packet
    out.append(bytes_item(ctx, flow, wire.ETH_IPV6, bytes(overlong),
                          "destination options header whose length runs past the end of the packet", reason))
    cut = with_opts[:40 + 4]  # the payload length says 4: half an 8-byte extension header
    out.append(bytes_item(ctx, flow, wire.ETH_IPV6, _with_payload(flow, cut[:40], cut[40:]),
                          "packet ends 4 bytes into a destination options header", reason))
    return out


def _truncated_l4(flow, ctx) -> list[Item]:
    ip_hdr, rest = _split(flow, ctx)
    reason = f"malformed:truncated_{flow.proto_name}"
    minimum = L4_HEADER[flow.proto]
    out = []
    for n in (4, minimum - 1):
        out.append(bytes_item(ctx, flow, ethertype_of(flow), _with_payload(flow, ip_hdr, rest[:n]),
                              f"{flow.proto_name} header cut to {n} of {minimum} bytes (IP length agrees)", reason))
    return out


def _bad_tcp_doff(flow, ctx) -> list[Item]:
    ip_hdr, rest = _split(flow, ctx)
    src, dst = flow.src.packed, flow.dst.packed
    out = []
    for doff, what in ((0, "TCP data offset 0"), (4, "TCP data offset 4 (< 5)"),
                       (15, f"TCP data offset 15: a 60-byte header in a {len(rest)}-byte segment")):
        seg = bytearray(rest)
        seg[12] = (doff << 4) | (seg[12] & 0x0F)
        seg[16:18] = b"\0\0"
        seg[16:18] = struct.pack("!H", wire.l4_checksum(src, dst, TCP, bytes(seg)))
        out.append(bytes_item(ctx, flow, ethertype_of(flow), ip_hdr + bytes(seg), what, "malformed:bad_tcp_offset"))
    return out


def kinds(v4_tcp: str, v6_tcp: str, v4_udp: str, v6_udp: str) -> list[Kind]:
    v4_sctp, v6_sctp = "sctp 10.0.0.1 40002 10.0.0.2 3868", "sctp fd00::1 40002 fd00::2 3868"
    return [
        Kind("truncated-eth", "frames shorter than an Ethernet header (malformed:truncated_eth)",
             _truncated_eth, [v4_tcp]),
        Kind("truncated-ip", "frames ending inside the IPv4/IPv6 header (malformed:truncated_ipv4/6)",
             _truncated_ip, [v4_tcp, v6_tcp]),
        Kind("bad-ihl", "IPv4 IHL 0, 4 and 15 (malformed:bad_ihl)", _bad_ihl, [v4_tcp], (4,)),
        Kind("bad-version", "IP version not matching the EtherType (malformed:bad_version)",
             _bad_version, [v4_tcp, v6_tcp]),
        Kind("bad-total-length", "IP length beyond the frame (malformed:bad_total_length), plus a padded "
             "frame that is fine (ok)", _bad_total_length, [v4_udp, v6_udp]),
        Kind("bad-ext-chain", "IPv6 extension chains: HBH not first, header past the end, chain cut short "
             "(malformed:bad_ext_chain)", _bad_ext_chain, [v6_tcp, v6_udp], (6,), (TCP, UDP)),
        Kind("truncated-l4", "TCP/UDP/SCTP headers cut short, IP lengths consistent "
             "(malformed:truncated_tcp/udp/sctp)", _truncated_l4, [v4_tcp, v4_udp, v4_sctp, v6_tcp, v6_udp, v6_sctp],
             protos=(TCP, UDP, SCTP)),
        Kind("bad-tcp-doff", "TCP data offset 0, 4 and beyond the segment (malformed:bad_tcp_offset)",
             _bad_tcp_doff, [v4_tcp, v6_tcp], protos=(TCP,)),
    ]
