"""Classic pcap output (microsecond, little-endian, LINKTYPE_ETHERNET), written
with `struct` so output is byte-for-byte reproducible: timestamps are fixed,
not the time of the run."""

import struct

PCAP_MAGIC_USEC = 0xA1B2C3D4
LINKTYPE_ETHERNET = 1
SNAPLEN = 65535
GLOBAL_HEADER = struct.pack("<IHHiIII", PCAP_MAGIC_USEC, 2, 4, 0, 0, SNAPLEN, LINKTYPE_ETHERNET)
RECORD_HEADER = struct.Struct("<IIII")

# Packet i is stamped BASE_TIME + i * step microseconds.
BASE_TIME = 1_700_000_000


def record_header(index: int, length: int, step_us: int) -> bytes:
    sec, usec = divmod(index * step_us, 1_000_000)
    return RECORD_HEADER.pack(BASE_TIME + sec, usec, length, length)


class PcapWriter:
    def __init__(self, path: str, step_us: int = 1000):
        self._f = open(path, "wb")
        self._f.write(GLOBAL_HEADER)
        self._step = step_us
        self.count = 0

    def write(self, frame: bytes) -> None:
        self._f.write(record_header(self.count, len(frame), self._step))
        self._f.write(frame)
        self.count += 1

    def close(self) -> None:
        self._f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
