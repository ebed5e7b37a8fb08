"""`special`: packets for the parser and data-plane functional tests.

Every kind is a function flow -> [Item]; an Item is a frame and the meta the
functional tests check: what the packet is and the `reason` the parser (or,
for fragments, the data plane) should report. `reason` is "ok" for a packet
that reaches classification with the ports shown in its meta. Malformed kinds
live in special_malformed.py; this file has the registry and the well-formed
oddities (extension headers, fragments, non-IP, neighbour discovery).
"""

import ipaddress
import random
import struct
from dataclasses import dataclass, field

from scapy.layers.inet6 import (ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6NDOptDstLLAddr, ICMPv6NDOptSrcLLAddr, IPv6,
                                IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop,
                                IPv6ExtHdrSegmentRouting, in6_getnsma, in6_getnsmac)
from scapy.layers.l2 import ARP, Ether

from . import conversation, flowfile, layers, wire
from .flowfile import ICMPV6, SCTP, TCP, UDP


@dataclass
class Context:
    vlans: tuple = ()
    payload: int | None = None  # None: the kind's default
    frag_size: int = 400
    seed: int = 1
    rng: random.Random = field(default_factory=random.Random)


@dataclass
class Item:
    frame: bytes
    meta: dict


@dataclass
class Kind:
    name: str
    help: str
    build: object  # (flow, ctx) -> list[Item]
    default_flows: list[str]
    families: tuple = (4, 6)
    protos: tuple | None = None  # None: any protocol
    default_payload: int = 16

    def incompatibility(self, flow: flowfile.Flow) -> str | None:
        if flow.family not in self.families:
            return f"kind {self.name} needs IPv{self.families[0]} addresses"
        if self.protos is not None and flow.proto not in self.protos:
            names = ", ".join(flowfile.PROTO_NAMES[p] for p in self.protos)
            return f"kind {self.name} needs a {names} flow"
        return None


# -- helpers shared with special_malformed -----------------------------------------------


def scapy_item(ctx: Context, flow, l3, what: str, reason: str = "ok", orig: bool = True,
               dst_mac: str | None = None, **extra) -> Item:
    """A well-formed packet: meta read back from the scapy packet itself."""
    frame = bytes(layers.ether(ctx.vlans, orig, dst_mac) / l3)
    meta = {"what": what, "reason": reason, "flow": flow.text() if flow else None}
    meta.update(layers.describe(Ether(frame)))
    meta.update(extra)
    return Item(frame, meta)


def bytes_item(ctx: Context, flow, ethertype: int, l3: bytes, what: str, reason: str, **extra) -> Item:
    """A frame assembled from bytes (usually broken on purpose): meta given explicitly."""
    frame = wire.ethernet_header(wire.CLIENT_MAC, wire.SERVER_MAC, ethertype, ctx.vlans) + bytes(l3)
    meta = {"what": what, "reason": reason, "flow": flow.text() if flow else None}
    if ctx.vlans:
        meta["vlan"] = list(ctx.vlans)
    if flow is not None:
        meta.update(family=flow.family, src=str(flow.src), dst=str(flow.dst), proto=flow.proto)
    meta.update(extra)
    meta["len"] = len(frame)
    return Item(frame, meta)


def first_packet(flow, ctx: Context, payload: int | None = None):
    """The flow's opening packet (SYN, UDP request, SCTP INIT, echo request, raw) as scapy, from IP on."""
    opts = conversation.Options(payload=payload or ctx.payload or 16, segments=0, seed=ctx.seed)
    return conversation.conversation(flow, opts)[0].l3


def upper_layer(flow, ctx: Context):
    """The opening packet's layers above IP, to put behind extension headers."""
    return first_packet(flow, ctx).payload.copy()


def ethertype_of(flow) -> int:
    return wire.ETH_IPV4 if flow.family == 4 else wire.ETH_IPV6


# -- IPv6 extension headers ---------------------------------------------------------------


def _ipv6_ext(flow, ctx: Context) -> list[Item]:
    def srh():
        return IPv6ExtHdrSegmentRouting(addresses=[str(flow.dst)], segleft=0)

    def atomic():
        return IPv6ExtHdrFragment(offset=0, m=0, id=ctx.rng.getrandbits(32))

    chains = [
        ("hop-by-hop options", [IPv6ExtHdrHopByHop()]),
        ("routing header (segment routing, segments left 0)", [srh()]),
        ("destination options", [IPv6ExtHdrDestOpt()]),
        ("atomic fragment (fragment header, offset 0, M=0: RFC 6946, a whole datagram)", [atomic()]),
        ("chain: hop-by-hop, dest options, routing, atomic fragment, dest options",
         [IPv6ExtHdrHopByHop(), IPv6ExtHdrDestOpt(), srh(), atomic(), IPv6ExtHdrDestOpt()]),
    ]
    out = []
    for what, chain in chains:
        l3 = layers.ip(flow)
        for header in chain:
            l3 = l3 / header
        out.append(scapy_item(ctx, flow, l3 / upper_layer(flow, ctx), what))
    return out


# -- fragments ------------------------------------------------------------------------------


def _datagram_l4(flow, ctx: Context, payload: int) -> bytes:
    """Upper-layer bytes of the flow's first client packet that carries data (TCP:
    the first data segment, SCTP: the DATA chunk), checksum over all of it."""
    opts = conversation.Options(payload=payload, segments=1, seed=ctx.seed)
    index = {TCP: 3, SCTP: 4}.get(flow.proto, 0)
    l3 = conversation.conversation(flow, opts)[index].l3
    return bytes(l3)[20 if flow.family == 4 else 40:]


def _fragments(flow, ctx: Context, orphan: bool) -> list[Item]:
    if ctx.frag_size <= 0 or ctx.frag_size % 8:
        raise flowfile.UsageError("--frag-size must be a positive multiple of 8")
    payload = ctx.payload or 1000
    l4 = _datagram_l4(flow, ctx, payload)
    if len(l4) <= ctx.frag_size:
        raise flowfile.UsageError(f"--payload {payload} fits in one --frag-size {ctx.frag_size} fragment")
    ident = ctx.rng.getrandbits(16 if flow.family == 4 else 32)
    src, dst = flow.src.packed, flow.dst.packed
    out = []
    for offset in range(0, len(l4), ctx.frag_size):
        piece = l4[offset:offset + ctx.frag_size]
        more = offset + ctx.frag_size < len(l4)
        if offset == 0 and orphan:
            continue
        if flow.family == 4:
            l3 = wire.ipv4_header(src, dst, flow.proto, len(piece), ident=ident,
                                  flags_frag=(0x2000 if more else 0) | (offset // 8))
        else:
            frag = struct.pack("!BBHI", flow.proto, 0, offset | (1 if more else 0), ident)
            l3 = wire.ipv6_header(src, dst, 44, len(frag) + len(piece)) + frag
        frag_meta = {"id": ident, "offset": offset, "mf": more}
        if offset == 0:
            what, reason = "first fragment (carries the L4 header)", "ok"
            ports = {"sport": flow.sport, "dport": flow.dport} if flow.has_ports else {"sport": 0, "dport": 0}
        else:
            what = "later fragment, its first fragment never sent" if orphan else "later fragment"
            reason, ports = ("fragment_orphan" if orphan else "fragment_later"), {}
        out.append(bytes_item(ctx, flow, ethertype_of(flow), l3 + piece, what, reason, frag=frag_meta, **ports))
    return out


# -- non-IP and neighbour discovery ---------------------------------------------------------


def _arp(flow, ctx: Context) -> list[Item]:
    request = ARP(op=1, hwsrc=wire.CLIENT_MAC, psrc=str(flow.src), hwdst="00:00:00:00:00:00", pdst=str(flow.dst))
    reply = ARP(op=2, hwsrc=wire.SERVER_MAC, psrc=str(flow.dst), hwdst=wire.CLIENT_MAC, pdst=str(flow.src))
    return [scapy_item(ctx, flow, request, "ARP request (broadcast)", "non_ip", dst_mac="ff:ff:ff:ff:ff:ff"),
            scapy_item(ctx, flow, reply, "ARP reply", "non_ip", orig=False)]


def _lldp_tlv(kind: int, value: bytes) -> bytes:
    return struct.pack("!H", (kind << 9) | len(value)) + value


def _lldp(flow, ctx: Context) -> list[Item]:
    body = (_lldp_tlv(1, b"\x04" + wire.mac_bytes(wire.CLIENT_MAC))  # chassis id: MAC address
            + _lldp_tlv(2, b"\x07eth0")  # port id: locally assigned
            + _lldp_tlv(3, struct.pack("!H", 120))  # TTL
            + _lldp_tlv(0, b""))  # end of LLDPDU
    frame = (wire.ethernet_header(wire.CLIENT_MAC, "01:80:c2:00:00:0e", wire.ETH_LLDP, ctx.vlans) + body)
    frame += b"\0" * max(0, 60 - len(frame))
    meta = {"what": "LLDP frame", "reason": "non_ip", "flow": None, "len": len(frame)}
    if ctx.vlans:
        meta["vlan"] = list(ctx.vlans)
    return [Item(frame, meta)]


def _ndp(flow, ctx: Context) -> list[Item]:
    target = str(flow.dst)
    solicited = str(ipaddress.IPv6Address(in6_getnsma(flow.dst.packed)))
    ns = (IPv6(src=str(flow.src), dst=solicited, hlim=255) / ICMPv6ND_NS(tgt=target)
          / ICMPv6NDOptSrcLLAddr(lladdr=wire.CLIENT_MAC))
    na = (IPv6(src=target, dst=str(flow.src), hlim=255) / ICMPv6ND_NA(tgt=target, R=0, S=1, O=1)
          / ICMPv6NDOptDstLLAddr(lladdr=wire.SERVER_MAC))
    return [scapy_item(ctx, flow, ns, "neighbour solicitation (to the solicited-node group)", "ndp",
                       dst_mac=in6_getnsmac(ipaddress.IPv6Address(solicited).packed)),
            scapy_item(ctx, flow, na, "neighbour advertisement", "ndp", orig=False)]


def _registry() -> list[Kind]:
    from . import special_malformed as m
    v4_tcp, v6_tcp = "tcp 10.0.0.1 40000 10.0.0.2 80", "tcp fd00::1 40000 fd00::2 80"
    v4_udp, v6_udp = "udp 10.0.0.1 40001 10.0.0.2 53", "udp fd00::1 40001 fd00::2 53"
    return [
        Kind("ipv6-ext", "IPv6 extension headers (HBH, routing, dest opts, atomic fragment, a chain) before L4",
             _ipv6_ext, [v6_tcp, v6_udp], (6,), (TCP, UDP, SCTP, ICMPV6)),
        Kind("ipv4-frag", "an IPv4 datagram in fragments: first (ok) then later ones (fragment_later)",
             lambda f, c: _fragments(f, c, False), [v4_udp], (4,), default_payload=1000),
        Kind("ipv4-frag-orphan", "later IPv4 fragments whose first fragment is never sent (fragment_orphan)",
             lambda f, c: _fragments(f, c, True), [v4_udp], (4,), default_payload=1000),
        Kind("ipv6-frag", "an IPv6 datagram in fragments (fragment header): first then later ones",
             lambda f, c: _fragments(f, c, False), [v6_udp], (6,), default_payload=1000),
        Kind("ipv6-frag-orphan", "later IPv6 fragments whose first fragment is never sent",
             lambda f, c: _fragments(f, c, True), [v6_udp], (6,), default_payload=1000),
        Kind("arp", "ARP request and reply (non_ip)", _arp, [v4_tcp], (4,)),
        Kind("lldp", "an LLDP frame (non_ip); the flow is not used", _lldp, [v4_tcp]),
        Kind("ndp", "IPv6 neighbour solicitation and advertisement (ndp)", _ndp, [v6_tcp], (6,)),
    ] + m.kinds(v4_tcp, v6_tcp, v4_udp, v6_udp)


KINDS = {k.name: k for k in _registry()}


def generate(kind_names: list[str], flows: list[flowfile.Flow], ctx: Context) -> list[Item]:
    """Items of every requested kind, for each given flow or the kind's defaults.
    With `all`, flows a kind cannot use are skipped; a named kind refuses them."""
    expand = kind_names == ["all"]
    names = list(KINDS) if expand else kind_names
    items = []
    for name in names:
        if name not in KINDS:
            raise flowfile.UsageError(f"unknown kind '{name}' (see --list-kinds)")
        kind = KINDS[name]
        chosen = flows or [flowfile.parse_flow(text, f"default flow of {name}") for text in kind.default_flows]
        for flow in chosen:
            problem = kind.incompatibility(flow)
            if problem and expand:
                continue
            if problem:
                raise flowfile.UsageError(f"{flow.where()}: {problem}: '{flow.text()}'")
            ctx.rng = random.Random(f"special:{ctx.seed}:{name}:{flow.text()}")
            payload = ctx.payload
            ctx.payload = payload or kind.default_payload
            try:
                for item in kind.build(flow, ctx):
                    item.meta = {"kind": name, **item.meta}
                    items.append(item)
            finally:
                ctx.payload = payload
    if not items:
        raise flowfile.UsageError("no packets: none of the given flows suits the requested kinds")
    return items
