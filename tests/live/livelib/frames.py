"""Just enough frame parsing to tell which flow a frame belongs to, and a
pcapng reader for podgate's drop capture (struct only, so a test reads exactly
the bytes the daemon wrote)."""

import ipaddress
import struct

from podgate_harness.policy import PORT_PROTOCOLS as _PORTS
from podgate_harness.policy import PROTO_NAMES, flow_text, parse_flow_text

# The flow text the tests and podgate-policy speak is podgate_harness's, named here too.
__all__ = ["PROTO_NAMES", "flow_text", "parse_flow_text", "policy_tuple", "PcapngError", "read_pcapng"]


def policy_tuple(frame: bytes) -> tuple:
    """(proto, src, sport, dst, dport) as policy sees it (ports 0 for portless
    protocols, ICMP included) of an untagged Ethernet IPv4/IPv6 frame whose
    transport header follows the IP header directly. Raises ValueError."""
    if len(frame) < 14:
        raise ValueError("frame shorter than Ethernet")
    ethertype = struct.unpack_from("!H", frame, 12)[0]
    if ethertype == 0x0800:
        ihl = (frame[14] & 0x0F) * 4
        proto = frame[23]
        src = str(ipaddress.IPv4Address(frame[26:30]))
        dst = str(ipaddress.IPv4Address(frame[30:34]))
        l4 = 14 + ihl
    elif ethertype == 0x86DD:
        proto = frame[20]
        src = str(ipaddress.IPv6Address(frame[22:38]))
        dst = str(ipaddress.IPv6Address(frame[38:54]))
        l4 = 54
    else:
        raise ValueError(f"not IP (EtherType {ethertype:#06x})")
    if proto in _PORTS:
        sport, dport = struct.unpack_from("!HH", frame, l4)
        return proto, src, sport, dst, dport
    return proto, src, 0, dst, 0


class PcapngError(ValueError):
    pass


def read_pcapng(path: str) -> list[dict]:
    """Enhanced Packet Blocks of a little-endian pcapng file, in order:
    {"interface", "data" (captured bytes), "orig_len"}. Checks the section
    header, that each packet names a described interface, and block framing."""
    with open(path, "rb") as f:
        data = f.read()
    packets, interfaces, pos = [], 0, 0
    if len(data) < 28:
        raise PcapngError(f"{path}: {len(data)} bytes, shorter than a section header")
    while pos < len(data):
        if pos + 12 > len(data):
            raise PcapngError(f"{path}: block header cut short at byte {pos}")
        btype, blen = struct.unpack_from("<II", data, pos)
        if pos == 0 and (btype != 0x0A0D0D0A or struct.unpack_from("<I", data, 8)[0] != 0x1A2B3C4D):
            raise PcapngError(f"{path}: no little-endian section header block")
        if blen < 12 or blen % 4 or pos + blen > len(data):
            raise PcapngError(f"{path}: block at byte {pos} has bad length {blen}")
        if struct.unpack_from("<I", data, pos + blen - 4)[0] != blen:
            raise PcapngError(f"{path}: block at byte {pos}: trailing length differs")
        if btype == 1:  # interface description
            interfaces += 1
        elif btype == 6:  # enhanced packet
            iface, _, _, caplen, orig = struct.unpack_from("<IIIII", data, pos + 8)
            if iface >= interfaces:
                raise PcapngError(f"{path}: packet {len(packets)} on undescribed interface {iface}")
            if 28 + caplen > blen - 4:
                raise PcapngError(f"{path}: packet {len(packets)} captured length {caplen} overruns its block")
            packets.append({"interface": iface, "data": data[pos + 28:pos + 28 + caplen], "orig_len": orig})
        pos += blen
    return packets
