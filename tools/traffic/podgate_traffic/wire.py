"""Byte-level packet pieces without scapy: Ethernet/VLAN headers, IP headers,
the Internet checksum and SCTP's CRC32c. `mix` builds its per-flow templates
from these (scapy costs ~1 ms a packet here); `special` uses them to repair
checksums after it breaks a header on purpose."""

import struct

# Fixed Ethernet addresses (locally administered). The client is the side that
# opens the flow (SRC_IP of the flow line); replies swap them.
CLIENT_MAC = "02:00:00:00:00:01"
SERVER_MAC = "02:00:00:00:00:02"

ETH_IPV4 = 0x0800
ETH_IPV6 = 0x86DD
ETH_ARP = 0x0806
ETH_LLDP = 0x88CC
TPID_8021Q = 0x8100  # C-tag (--vlan, inner tag of --qinq)
TPID_8021AD = 0x88A8  # S-tag (outer tag of --qinq)

FCS_LEN = 4  # counted in DPDK's "64-byte packet", absent from pcap records


def mac_bytes(mac: str) -> bytes:
    return bytes(int(x, 16) for x in mac.split(":"))


def ethernet_header(src_mac: str, dst_mac: str, ethertype: int, vlans: tuple = ()) -> bytes:
    """`vlans` = () untagged, (id,) one 802.1Q tag, (outer, inner) 802.1ad + 802.1Q."""
    out = mac_bytes(dst_mac) + mac_bytes(src_mac)
    tpids = {0: (), 1: (TPID_8021Q,), 2: (TPID_8021AD, TPID_8021Q)}[len(vlans)]
    for tpid, vid in zip(tpids, vlans):
        out += struct.pack("!HH", tpid, vid & 0x0FFF)
    return out + struct.pack("!H", ethertype)


def l2_len(vlans: tuple) -> int:
    return 14 + 4 * len(vlans)


def inet_checksum(data: bytes) -> int:
    """RFC 1071 one's-complement sum, returned complemented (ready to store)."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def pseudo_header(src: bytes, dst: bytes, proto: int, length: int) -> bytes:
    if len(src) == 4:
        return src + dst + struct.pack("!BBH", 0, proto, length)
    return src + dst + struct.pack("!IxxxB", length, proto)


def l4_checksum(src: bytes, dst: bytes, proto: int, segment: bytes) -> int:
    """TCP/UDP/ICMPv6 checksum of `segment` (its checksum field zeroed)."""
    value = inet_checksum(pseudo_header(src, dst, proto, len(segment)) + segment)
    if proto == 17 and value == 0:
        return 0xFFFF  # UDP: 0 means "no checksum"
    return value


def _crc32c_table() -> list[int]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C = _crc32c_table()


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for b in data:
        crc = _CRC32C[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def sctp_with_checksum(packet: bytes) -> bytes:
    """SCTP common header + chunks with the CRC32c filled in (RFC 4960 app. B:
    the checksum is stored little-endian)."""
    zeroed = packet[:8] + b"\0\0\0\0" + packet[12:]
    return packet[:8] + struct.pack("<I", crc32c(zeroed)) + packet[12:]


def ipv4_header(src: bytes, dst: bytes, proto: int, payload_len: int, ident: int = 0,
                flags_frag: int = 0, ttl: int = 64) -> bytes:
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + payload_len, ident & 0xFFFF, flags_frag,
                      ttl, proto, 0, src, dst)
    return fix_ipv4_checksum(hdr)


def fix_ipv4_checksum(ip: bytes, header_len: int = 20) -> bytes:
    """Recomputes the header checksum over the first `header_len` bytes."""
    hdr = bytearray(ip)
    hdr[10:12] = b"\0\0"
    hdr[10:12] = struct.pack("!H", inet_checksum(bytes(hdr[:header_len])))
    return bytes(hdr)


def ipv6_header(src: bytes, dst: bytes, next_header: int, payload_len: int, hop_limit: int = 64) -> bytes:
    return struct.pack("!IHBB16s16s", 0x60000000, payload_len, next_header, hop_limit, src, dst)
