"""Shared by the podgate-traffic tests: run the tool, read pcaps back, and
check checksums with code written here, independently of the tool's own
(tools/traffic/podgate_traffic/wire.py) and of scapy."""

import os
import struct
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.environ.get("PODGATE_TRAFFIC") or os.path.join(HERE, "..", "..", "tools", "traffic", "podgate-traffic")
TOOL_DIR = os.path.dirname(os.path.abspath(TOOL))
DATA = os.path.join(HERE, "data")

sys.dont_write_bytecode = True


def run(*args, check=True):
    """Runs the tool; returns CompletedProcess. `check` asserts exit code 0."""
    proc = subprocess.run([TOOL, *map(str, args)], capture_output=True, text=True, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"podgate-traffic {' '.join(map(str, args))} exited {proc.returncode}:\n{proc.stderr}")
    return proc


class TempDirTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="podgate-traffic-test-")
        self.dir = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def path(self, name: str) -> str:
        return os.path.join(self.dir, name)

    def write(self, name: str, text: str) -> str:
        with open(self.path(name), "w") as f:
            f.write(text)
        return self.path(name)


# -- pcap -------------------------------------------------------------------------------


def read_pcap(path: str) -> list[bytes]:
    """Frames of a classic little-endian microsecond pcap, checking record headers."""
    with open(path, "rb") as f:
        data = f.read()
    magic, major, minor, _, _, snaplen, linktype = struct.unpack_from("<IHHiIII", data, 0)
    assert (magic, major, minor, linktype) == (0xA1B2C3D4, 2, 4, 1), "not a LE usec Ethernet pcap"
    frames, pos = [], 24
    while pos < len(data):
        _, _, caplen, wirelen = struct.unpack_from("<IIII", data, pos)
        assert caplen == wirelen, f"record at {pos}: caplen {caplen} != len {wirelen}"
        assert caplen <= snaplen
        frames.append(data[pos + 16:pos + 16 + caplen])
        pos += 16 + caplen
    assert pos == len(data), "trailing bytes after the last record"
    return frames


def read_meta(path: str) -> list[dict]:
    import json
    with open(path) as f:
        return [json.loads(line) for line in f]


# -- independent header decoding ---------------------------------------------------------------


def l2(frame: bytes):
    """(list of (tpid, vid), ethertype, offset of L3)."""
    tags, pos = [], 12
    ethertype = struct.unpack_from("!H", frame, pos)[0]
    while ethertype in (0x8100, 0x88A8):
        tags.append((ethertype, struct.unpack_from("!H", frame, pos + 2)[0] & 0xFFF))
        pos += 4
        ethertype = struct.unpack_from("!H", frame, pos)[0]
    return tags, ethertype, pos + 2


EXT = {0, 43, 44, 60}


def ipv6_chain(l3: bytes):
    """(list of ext header types, upper protocol, offset of upper layer, fragment fields or None)."""
    nh, pos, chain, frag = l3[6], 40, [], None
    while nh in EXT:
        chain.append(nh)
        if nh == 44:
            off_m, ident = struct.unpack_from("!HI", l3, pos + 2)
            frag = {"offset": off_m & 0xFFF8, "m": off_m & 1, "id": ident}
            nh, pos = l3[pos], pos + 8
        else:
            nh, pos = l3[pos], pos + (l3[pos + 1] + 1) * 8
    return chain, nh, pos, frag


def ones_sum(data: bytes) -> int:
    if len(data) & 1:
        data += b"\0"
    total = 0
    for i in range(0, len(data), 2):
        total += (data[i] << 8) | data[i + 1]
    while total > 0xFFFF:
        total = (total >> 16) + (total & 0xFFFF)
    return total


def crc32c_bitwise(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 * (crc & 1))
    return ~crc & 0xFFFFFFFF


def upper_checksum_ok(proto: int, src: bytes, dst: bytes, seg: bytes) -> bool:
    if proto == 132:
        stored = struct.unpack_from("<I", seg, 8)[0]
        return stored == crc32c_bitwise(seg[:8] + b"\0\0\0\0" + seg[12:])
    if proto == 1:
        return ones_sum(seg) == 0xFFFF
    if len(src) == 4:
        pseudo = src + dst + bytes([0, proto]) + struct.pack("!H", len(seg))
    else:
        pseudo = src + dst + struct.pack("!I", len(seg)) + bytes([0, 0, 0, proto])
    return ones_sum(pseudo + seg) == 0xFFFF


def checksums(frame: bytes) -> dict:
    """{'ipv4': ok, '<proto>': ok} for each checksum present in a well-formed frame
    (L4 only for whole datagrams: not for fragments)."""
    _, ethertype, pos = l2(frame)
    out = {}
    if ethertype == 0x0800:
        ihl = (frame[pos] & 0xF) * 4
        total = struct.unpack_from("!H", frame, pos + 2)[0]
        out["ipv4"] = ones_sum(frame[pos:pos + ihl]) == 0xFFFF
        l3 = frame[pos:pos + total]
        proto, frag = l3[9], struct.unpack_from("!H", l3, 6)[0]
        if frag & 0x3FFF == 0 and proto in (1, 6, 17, 132):
            out[proto] = upper_checksum_ok(proto, l3[12:16], l3[16:20], l3[ihl:])
    elif ethertype == 0x86DD:
        plen = struct.unpack_from("!H", frame, pos + 4)[0]
        l3 = frame[pos:pos + 40 + plen]
        _, proto, upper, frag = ipv6_chain(l3)
        whole = frag is None or (frag["offset"] == 0 and frag["m"] == 0)
        if whole and proto in (6, 17, 58, 132):
            out[proto] = upper_checksum_ok(proto, l3[8:24], l3[24:40], l3[upper:])
    return out


def five_tuple(frame: bytes):
    """(proto, src, sport, dst, dport) of a well-formed, unfragmented frame, addresses as text."""
    import ipaddress
    _, ethertype, pos = l2(frame)
    if ethertype == 0x0800:
        l3 = frame[pos:]
        proto, upper = l3[9], (l3[0] & 0xF) * 4
        src, dst = ipaddress.IPv4Address(l3[12:16]), ipaddress.IPv4Address(l3[16:20])
    else:
        l3 = frame[pos:]
        _, proto, upper, _ = ipv6_chain(l3)
        src, dst = ipaddress.IPv6Address(l3[8:24]), ipaddress.IPv6Address(l3[24:40])
    sport = dport = 0
    if proto in (6, 17, 132):
        sport, dport = struct.unpack_from("!HH", l3, upper)
    return proto, str(src), sport, str(dst), dport


TCP_FLAGS = "FSRPAUEC"


def tcp_flags(frame: bytes) -> str:
    """Flags of the TCP segment in `frame`, in scapy's letter order (e.g. 'SA', 'PA', 'FA')."""
    _, ethertype, pos = l2(frame)
    if ethertype == 0x0800:
        upper = pos + (frame[pos] & 0xF) * 4
    else:
        upper = pos + ipv6_chain(frame[pos:])[2]
    bits = frame[upper + 13]
    return "".join(letter for i, letter in enumerate(TCP_FLAGS) if bits & (1 << i))


# -- runner ---------------------------------------------------------------------------------


def main(name: str) -> None:
    """unittest.main, then a closing `N passed, N failed` line CI can read."""
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules["__main__"])
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    passed = result.testsRun - failed - skipped
    print(f"{name}: {passed} passed, {failed} failed, {skipped} skipped")
    sys.exit(0 if failed == 0 and result.testsRun > 0 else 1)
