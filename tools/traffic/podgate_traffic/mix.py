"""`mix`: fixed-size benchmark packets cycling over flows, client -> server only.

One template frame is built per flow with `struct` (no scapy), then the pcap
is written as record header + template, a chunk at a time: a million packets
take about a second.

Sizes follow DPDK's convention: `--size` counts the 4-byte FCS, so a 64-byte
packet is a 60-byte pcap record. The payload fills the frame (the IP length
covers everything after the L2 header) except for SCTP, whose DATA chunk is
padded to 4 bytes: up to 3 bytes of Ethernet padding remain.
"""

import random
import struct
import sys
from dataclasses import dataclass

from . import flowfile, pcapfile, wire
from .flowfile import ICMP, ICMPV6, SCTP, TCP, UDP, InputError

MIN_SIZE = 64  # Ethernet minimum, FCS included
MAX_SIZE = 9216
IPV6_MIN_SIZE = 78  # RFC 5180: the smallest IPv6 frame size to test with
TCP_FLAG_BITS = {"F": 0x01, "S": 0x02, "R": 0x04, "P": 0x08, "A": 0x10, "U": 0x20, "E": 0x40, "C": 0x80}
L4_MIN = {TCP: 20, UDP: 8, ICMP: 8, ICMPV6: 8, SCTP: 12 + 16 + 4}
CHUNK = 65536  # packets per write()


@dataclass
class Options:
    size: int = 64
    size6: int | None = None  # default max(size, 78 + 4 per VLAN tag)
    vlans: tuple = ()
    order: str = "round-robin"
    seed: int = 1
    tcp_flags: str = "S"
    skip_oversize: bool = False

    @property
    def ipv6_size(self) -> int:
        if self.size6 is not None:
            return self.size6
        return max(self.size, IPV6_MIN_SIZE + 4 * len(self.vlans))


class DoesNotFit(Exception):
    def __init__(self, needed: int):
        super().__init__(needed)
        self.needed = needed  # smallest --size (FCS included) that fits


def tcp_flag_bits(flags: str) -> int:
    bits = 0
    for letter in flags.upper():
        if letter not in TCP_FLAG_BITS:
            raise ValueError(f"unknown TCP flag '{letter}' (letters from {''.join(TCP_FLAG_BITS)})")
        bits |= TCP_FLAG_BITS[letter]
    return bits


def template(flow: flowfile.Flow, size: int, vlans: tuple, tcp_flags: int, rng: random.Random) -> bytes:
    """The frame (without FCS) for `flow`, exactly `size - 4` bytes long."""
    frame_len = size - wire.FCS_LEN
    ethertype = wire.ETH_IPV4 if flow.family == 4 else wire.ETH_IPV6
    l2 = wire.ethernet_header(wire.CLIENT_MAC, wire.SERVER_MAC, ethertype, vlans)
    l3_len = 20 if flow.family == 4 else 40
    room = frame_len - len(l2) - l3_len
    needed = L4_MIN.get(flow.proto, 0)
    if room < needed:
        raise DoesNotFit(len(l2) + l3_len + needed + wire.FCS_LEN)
    src, dst = flow.src.packed, flow.dst.packed
    l4 = _l4(flow, src, dst, room, tcp_flags, rng)
    if flow.family == 4:
        l3 = wire.ipv4_header(src, dst, flow.proto, len(l4), ident=rng.getrandbits(16),
                              flags_frag=0x4000 if flow.proto == TCP else 0)
    else:
        l3 = wire.ipv6_header(src, dst, flow.proto, len(l4))
    frame = l2 + l3 + l4
    return frame + b"\0" * (frame_len - len(frame))  # Ethernet padding (SCTP only)


def _l4(flow, src, dst, room, tcp_flags, rng) -> bytes:
    if flow.proto == TCP:
        ack = rng.getrandbits(32) if tcp_flags & TCP_FLAG_BITS["A"] else 0
        hdr = struct.pack("!HHIIBBHHH", flow.sport, flow.dport, rng.getrandbits(32), ack, 5 << 4,
                          tcp_flags, 64240, 0, 0)
        seg = hdr + b"\0" * (room - 20)
        return seg[:16] + struct.pack("!H", wire.l4_checksum(src, dst, TCP, seg)) + seg[18:]
    if flow.proto == UDP:
        seg = struct.pack("!HHHH", flow.sport, flow.dport, room, 0) + b"\0" * (room - 8)
        return seg[:6] + struct.pack("!H", wire.l4_checksum(src, dst, UDP, seg)) + seg[8:]
    if flow.proto in (ICMP, ICMPV6):
        kind = 8 if flow.proto == ICMP else 128
        msg = struct.pack("!BBHHH", kind, 0, 0, flow.sport or (rng.getrandbits(16) or 1), 1) + b"\0" * (room - 8)
        csum = wire.inet_checksum(msg) if flow.proto == ICMP else wire.l4_checksum(src, dst, ICMPV6, msg)
        return msg[:2] + struct.pack("!H", csum) + msg[4:]
    if flow.proto == SCTP:
        chunk_len = (room - 12) & ~3  # DATA chunk, a multiple of 4: no chunk padding
        common = struct.pack("!HHII", flow.sport, flow.dport, rng.getrandbits(32) or 1, 0)
        data = struct.pack("!BBHIHHI", 0, 0x03, chunk_len, rng.getrandbits(32), 0, 0, 0)
        return wire.sctp_with_checksum(common + data + b"\0" * (chunk_len - 16))
    return b"\0" * room


def build_templates(flows, opts: Options) -> tuple[list[bytes], list[flowfile.Flow]]:
    """Per-flow frames; flows that do not fit raise InputError, or are skipped
    with a warning under `skip_oversize`."""
    flags = tcp_flag_bits(opts.tcp_flags)
    frames, used = [], []
    for flow in flows:
        size = opts.size if flow.family == 4 else opts.ipv6_size
        rng = random.Random(f"mix:{opts.seed}:{flow.line}:{flow.text()}")
        try:
            frames.append(template(flow, size, opts.vlans, flags, rng))
            used.append(flow)
        except DoesNotFit as e:
            option = "--size" if flow.family == 4 else "--size6"
            message = (f"{flow.where()}: {flow.proto_name} over IPv{flow.family} needs packets of at least "
                       f"{e.needed} bytes ({option} {e.needed}); {option} is {size}: '{flow.text()}'")
            if not opts.skip_oversize:
                raise InputError(message + " (or --skip-oversize)") from None
            print(f"podgate-traffic mix: warning: skipped {message}", file=sys.stderr)
    if not frames:
        raise InputError("no flow fits the packet size")
    return frames, used


def packet_order(n_flows: int, n_packets: int, order: str, seed: int):
    if order == "round-robin":
        return None  # i % n_flows, computed while writing
    rng = random.Random(f"mix-order:{seed}")
    return rng.choices(range(n_flows), k=n_packets)


def write_mix(path: str, frames: list[bytes], n_packets: int, order: str, seed: int) -> None:
    """Packet i is stamped BASE_TIME + i microseconds."""
    choice = packet_order(len(frames), n_packets, order, seed)
    pack = pcapfile.RECORD_HEADER.pack
    base = pcapfile.BASE_TIME
    n_flows = len(frames)
    lens = [len(f) for f in frames]
    with open(path, "wb") as out:
        out.write(pcapfile.GLOBAL_HEADER)
        for start in range(0, n_packets, CHUNK):
            parts = []
            append = parts.append
            for i in range(start, min(n_packets, start + CHUNK)):
                k = i % n_flows if choice is None else choice[i]
                sec, usec = divmod(i, 1_000_000)
                append(pack(base + sec, usec, lens[k], lens[k]))
                append(frames[k])
            out.write(b"".join(parts))
