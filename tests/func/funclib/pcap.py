"""Classic pcap files, read and written with `struct` (no scapy): the runner
concatenates and splits the traffic tool's output into per-port/queue inputs
and reads back what net_pcap wrote (nanosecond magic, little-endian)."""

import struct

_MAGICS = {0xA1B2C3D4: "usec", 0xA1B23C4D: "nsec"}
_LINKTYPE_ETHERNET = 1
_RECORD = struct.Struct("<IIII")


def read(path: str) -> list[bytes]:
    """The frames of an Ethernet pcap. Raises ValueError on a damaged file."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise ValueError(f"{path}: {len(data)} bytes, shorter than a pcap header")
    magic, _, _, _, _, _, linktype = struct.unpack_from("<IHHiIII", data, 0)
    if magic not in _MAGICS or linktype != _LINKTYPE_ETHERNET:
        raise ValueError(f"{path}: not a little-endian Ethernet pcap (magic {magic:#x}, link type {linktype})")
    frames, pos = [], 24
    while pos < len(data):
        if pos + _RECORD.size > len(data):
            raise ValueError(f"{path}: record header cut short at byte {pos}")
        _, _, caplen, wirelen = _RECORD.unpack_from(data, pos)
        if caplen != wirelen:
            raise ValueError(f"{path}: record {len(frames)} captured {caplen} of {wirelen} bytes")
        pos += _RECORD.size
        if pos + caplen > len(data):
            raise ValueError(f"{path}: record {len(frames)} cut short")
        frames.append(data[pos:pos + caplen])
        pos += caplen
    return frames


def write(path: str, frames: list[bytes]) -> None:
    """A microsecond pcap, packet i stamped i ms after a fixed epoch."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, _LINKTYPE_ETHERNET))
        for i, frame in enumerate(frames):
            sec, usec = divmod(i * 1000, 1_000_000)
            f.write(_RECORD.pack(1_700_000_000 + sec, usec, len(frame), len(frame)))
            f.write(frame)
