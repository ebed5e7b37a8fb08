"""scapy helpers shared by `conversations` and `special`: the Ethernet/VLAN
prefix, IP headers for a flow's two directions, and `describe`, which reads the
protocol fields of a built packet back for the --meta file."""

from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import (ICMPv6EchoReply, ICMPv6EchoRequest, IPv6, IPv6ExtHdrDestOpt,
                                IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting,
                                IPv6ExtHdrSegmentRouting)
from scapy.layers.l2 import Dot1AD, Dot1Q, Ether
from scapy.layers.sctp import SCTP
from scapy.packet import Raw

from . import wire

SCTP_CHUNK_NAMES = {0: "data", 1: "init", 2: "init_ack", 3: "sack", 4: "heartbeat", 6: "abort",
                    7: "shutdown", 10: "cookie_echo", 11: "cookie_ack"}
EXT_HEADER_NAMES = {IPv6ExtHdrHopByHop: "hop_by_hop", IPv6ExtHdrRouting: "routing",
                    IPv6ExtHdrSegmentRouting: "routing", IPv6ExtHdrDestOpt: "dest_opts",
                    IPv6ExtHdrFragment: "fragment"}


def ether(vlans: tuple, orig: bool = True, dst_mac: str | None = None):
    """Ethernet (+ tags): client -> server when `orig`, server -> client otherwise."""
    src, dst = (wire.CLIENT_MAC, wire.SERVER_MAC) if orig else (wire.SERVER_MAC, wire.CLIENT_MAC)
    l2 = Ether(src=src, dst=dst_mac or dst)
    if len(vlans) == 2:
        l2 = l2 / Dot1AD(vlan=vlans[0]) / Dot1Q(vlan=vlans[1])
    elif len(vlans) == 1:
        l2 = l2 / Dot1Q(vlan=vlans[0])
    return l2


def ip(flow, orig: bool = True, **fields):
    """IPv4 or IPv6 header of `flow` (upper-layer protocol left for scapy to fill)."""
    src, dst = (str(flow.src), str(flow.dst)) if orig else (str(flow.dst), str(flow.src))
    if flow.family == 4:
        return IP(src=src, dst=dst, **fields)
    return IPv6(src=src, dst=dst, **fields)


def describe(pkt) -> dict:
    """Protocol fields of a well-formed packet, as the --meta file reports them."""
    out = {}
    vlans = [layer.vlan for layer in _layers(pkt) if isinstance(layer, (Dot1Q, Dot1AD))]
    if vlans:
        out["vlan"] = vlans
    l3 = pkt.getlayer(IP) or pkt.getlayer(IPv6)
    if l3 is None:
        out["len"] = len(pkt)
        return out
    out["family"] = 4 if isinstance(l3, IP) else 6
    out["src"], out["dst"] = l3.src, l3.dst
    ext = [EXT_HEADER_NAMES[type(x)] for x in _layers(l3) if type(x) in EXT_HEADER_NAMES]
    if ext:
        out["ext"] = ext
    out.update(_upper_layer(pkt, l3))
    out["len"] = len(pkt)
    return out


def _layers(pkt):
    layer = pkt
    while layer is not None and not isinstance(layer, Raw) and layer.name != "NoPayload":
        yield layer
        layer = layer.payload if layer.payload else None


def _upper_protocol(l3):
    """(protocol number, its layer) after the IPv6 extension headers, if any."""
    if isinstance(l3, IP):
        return l3.proto, l3.payload
    nh, layer = l3.nh, l3.payload
    while type(layer) in EXT_HEADER_NAMES:
        nh, layer = layer.nh, layer.payload
    return nh, layer


def _upper_layer(pkt, l3) -> dict:
    proto, layer = _upper_protocol(l3)
    out = {"proto": proto, "sport": 0, "dport": 0}
    if isinstance(layer, (TCP, UDP, SCTP)):
        out.update(sport=layer.sport, dport=layer.dport)
    if isinstance(layer, TCP):
        out.update(tcp_flags=str(layer.flags), seq=layer.seq, ack=layer.ack, payload_len=len(layer.payload))
    elif isinstance(layer, UDP):
        out["payload_len"] = len(layer.payload)
    elif isinstance(layer, SCTP):
        out["sctp_vtag"] = layer.tag
        out["sctp_chunks"] = [SCTP_CHUNK_NAMES.get(c.type, str(c.type)) for c in _layers(layer.payload)]
    elif proto in (1, 58) and hasattr(layer, "type"):
        out.update(icmp_type=layer.type, icmp_code=layer.code)
        if isinstance(layer, (ICMP, ICMPv6EchoRequest, ICMPv6EchoReply)) and layer.type in (0, 8, 128, 129):
            out.update(icmp_id=layer.id, icmp_seq=layer.seq)
    return out
