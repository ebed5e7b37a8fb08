"""Classic pcap files, read and written with `struct` (no scapy), so a test
reads exactly the bytes net_pcap wrote and writes exactly the frames it
chose. Written files are microsecond, little-endian Ethernet; reading also
accepts net_pcap's nanosecond files."""

import struct

_MAGICS = {0xA1B2C3D4: "usec", 0xA1B23C4D: "nsec"}
_LINKTYPE_ETHERNET = 1
_RECORD = struct.Struct("<IIII")
_EPOCH = 1_700_000_000

HEADER = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, _LINKTYPE_ETHERNET)


def record(frame: bytes, index: int, step_us: int = 1000) -> bytes:
    """Record `index` of a file: stamped index x step_us after a fixed epoch."""
    sec, usec = divmod(index * step_us, 1_000_000)
    return _RECORD.pack(_EPOCH + sec, usec, len(frame), len(frame)) + frame


def write(path: str, frames: list[bytes]) -> str:
    """A microsecond pcap, packet i stamped i ms after a fixed epoch."""
    with open(path, "wb") as f:
        f.write(HEADER)
        for i, frame in enumerate(frames):
            f.write(record(frame, i))
    return path


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
