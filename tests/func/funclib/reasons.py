"""The traffic tool's malformed classes (`reason: malformed:<class>` in its
meta) translated into podgate's malformed counters (the names the stats JSON
uses, pipeline/parse/parsed_packet.hpp). The two taxonomies cut one way
differently: podgate files every header that claims more bytes than the
datagram holds under truncated-l3 ("frame ends inside the IPv4 header (with
options) ...; IPv6 extension header runs past the datagram"), where the tool
names the field that lies (bad_ihl, bad_ext_chain). That case is decided here
from the frame's own bytes, not from the tool's wording."""

import struct

TOOL_TO_PODGATE = {
    "truncated_eth": "truncated-l2",
    "too_many_vlans": "too-many-vlans",
    "truncated_ipv4": "truncated-l3",
    "truncated_ipv6": "truncated-l3",
    "bad_version": "bad-version",
    "bad_ihl": "bad-ihl",
    "bad_total_length": "bad-ip-length",
    "bad_ext_chain": "bad-ext-chain",
    "bad_fragment": "bad-fragment",
    "truncated_tcp": "truncated-l4",
    "truncated_udp": "truncated-l4",
    "truncated_sctp": "truncated-l4",
    "bad_tcp_offset": "bad-l4-header",
    "bad_udp_length": "bad-l4-header",
    "headers_too_long": "headers-too-long",
}


_VLAN_TPIDS = (0x8100, 0x88A8, 0x9100)
_IPV6_EXT = (0, 43, 44, 51, 60)  # hop-by-hop, routing, fragment, AH, destination options


class UnknownClass(ValueError):
    pass


def podgate_reason(tool_reason: str, frame: bytes) -> str:
    """podgate's counter for a packet the tool marked `malformed:<class>`."""
    cls = tool_reason.split(":", 1)[1]
    if cls not in TOOL_TO_PODGATE:
        raise UnknownClass(f"malformed class '{cls}' has no podgate counter: add it to tests/func/funclib/reasons.py")
    if cls == "bad_ihl" and _ipv4_header_overruns(frame):
        return "truncated-l3"
    if cls == "bad_ext_chain" and _ipv6_extension_overruns(frame):
        return "truncated-l3"
    return TOOL_TO_PODGATE[cls]


def _l3_offset(frame: bytes) -> int:
    off = 12
    while struct.unpack_from("!H", frame, off)[0] in _VLAN_TPIDS:
        off += 4
    return off + 2


def _ipv4_header_overruns(frame: bytes) -> bool:
    l3 = _l3_offset(frame)
    ihl = frame[l3] & 0x0F
    return ihl >= 5 and l3 + ihl * 4 > len(frame)


def _ipv6_extension_overruns(frame: bytes) -> bool:
    """True when an extension header (its 8-byte minimum or its stated
    length) runs past the datagram's end: min(frame, payload length)."""
    l3 = _l3_offset(frame)
    end = min(len(frame), l3 + 40 + struct.unpack_from("!H", frame, l3 + 4)[0])
    nxt, off = frame[l3 + 6], l3 + 40
    while nxt in _IPV6_EXT:
        if off + 8 > end:
            return True
        if nxt == 44:
            length = 8
        elif nxt == 51:
            length = (frame[off + 1] + 2) * 4
        else:
            length = (frame[off + 1] + 1) * 8
        if off + length > end:
            return True
        nxt, off = frame[off], off + length
    return False
