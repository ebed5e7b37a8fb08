"""Flow lines: `PROTO SRC_IP SRC_PORT DST_IP DST_PORT`, one per line.

The same format `podgate-policy verdict` reads. PROTO is tcp, udp, sctp, icmp,
icmpv6 or a number 0-255 (6, 17, 132, 1 and 58 mean the named protocols).
Ports are 0 where the protocol has none; icmp/icmpv6 may carry the echo
identifier in SRC_PORT. `#` starts a comment; blank lines are skipped.
"""

import ipaddress
from dataclasses import dataclass


class InputError(Exception):
    """Bad input data (a flows file, a manifest): exit code 1."""


class UsageError(Exception):
    """Bad command-line usage: exit code 2."""


TCP, UDP, SCTP, ICMP, ICMPV6 = 6, 17, 132, 1, 58
PROTO_NUMBERS = {"tcp": TCP, "udp": UDP, "sctp": SCTP, "icmp": ICMP, "icmpv6": ICMPV6}
PROTO_NAMES = {number: name for name, number in PROTO_NUMBERS.items()}
PORTED = frozenset({TCP, UDP, SCTP})

# Next-header values that are IPv6 extension headers, not upper layers: a raw
# packet with one of these would be a malformed extension chain (see `special`).
IPV6_EXTENSION_HEADERS = frozenset({0, 43, 44, 60, 135, 139, 140, 253, 254})


@dataclass(frozen=True)
class Flow:
    proto: int
    src: ipaddress.IPv4Address | ipaddress.IPv6Address
    sport: int
    dst: ipaddress.IPv4Address | ipaddress.IPv6Address
    dport: int
    line: int = 0  # 1-based line in `source`; 0 when not from a file
    source: str = ""

    @property
    def family(self) -> int:
        return self.src.version

    @property
    def proto_name(self) -> str:
        return PROTO_NAMES.get(self.proto, str(self.proto))

    @property
    def has_ports(self) -> bool:
        return self.proto in PORTED

    def text(self) -> str:
        return f"{self.proto_name} {self.src} {self.sport} {self.dst} {self.dport}"

    def where(self) -> str:
        if self.source and self.line:
            return f"{self.source}:{self.line}"
        return self.source or "--flow"


def _parse_proto(token: str) -> int:
    name = token.lower()
    if name in PROTO_NUMBERS:
        return PROTO_NUMBERS[name]
    if name.isascii() and name.isdigit() and int(name) <= 255:
        return int(name)
    raise ValueError(f"unknown protocol '{token}' (tcp, udp, sctp, icmp, icmpv6 or 0-255)")


def _parse_port(token: str, what: str) -> int:
    if not (token.isascii() and token.isdigit()) or int(token) > 65535:
        raise ValueError(f"{what} '{token}' is not a port number 0-65535")
    return int(token)


def _parse_address(token: str, what: str):
    try:
        return ipaddress.ip_address(token)
    except ValueError:
        raise ValueError(f"{what} '{token}' is not an IPv4 or IPv6 address") from None


def parse_flow(text: str, source: str = "", line: int = 0) -> Flow:
    """Parses one flow line (comment already removed). Raises InputError
    naming `source:line` and the offending field."""
    where = f"{source}:{line}" if source and line else (source or "--flow")
    fields = text.split()
    try:
        if len(fields) != 5:
            raise ValueError(f"expected 5 fields 'PROTO SRC_IP SRC_PORT DST_IP DST_PORT', got {len(fields)}")
        proto = _parse_proto(fields[0])
        src = _parse_address(fields[1], "SRC_IP")
        sport = _parse_port(fields[2], "SRC_PORT")
        dst = _parse_address(fields[3], "DST_IP")
        dport = _parse_port(fields[4], "DST_PORT")
        _check_consistent(proto, src, sport, dst, dport)
    except ValueError as e:
        raise InputError(f"{where}: {e}: '{text.strip()}'") from None
    return Flow(proto, src, sport, dst, dport, line, source)


def _check_consistent(proto, src, sport, dst, dport) -> None:
    if src.version != dst.version:
        raise ValueError("SRC_IP and DST_IP are of different address families")
    if proto == ICMP and src.version == 6:
        raise ValueError("icmp (1) needs IPv4 addresses; use icmpv6 for IPv6")
    if proto == ICMPV6 and src.version == 4:
        raise ValueError("icmpv6 (58) needs IPv6 addresses; use icmp for IPv4")
    if src.version == 6 and proto in IPV6_EXTENSION_HEADERS:
        raise ValueError(f"protocol {proto} is an IPv6 extension header, not an upper layer "
                         "(use `podgate-traffic special --kind ipv6-ext` or bad-ext-chain)")
    if proto in PORTED:
        return
    if dport != 0:
        raise ValueError(f"protocol {PROTO_NAMES.get(proto, proto)} has no ports: DST_PORT must be 0")
    if sport != 0 and proto not in (ICMP, ICMPV6):
        raise ValueError(f"protocol {proto} has no ports: SRC_PORT must be 0")


def parse_flow_lines(lines, source: str) -> list[Flow]:
    flows = []
    for number, raw in enumerate(lines, start=1):
        text = raw.split("#", 1)[0]
        if text.strip():
            flows.append(parse_flow(text, source, number))
    return flows


def read_flows(path: str) -> list[Flow]:
    """Reads a flows file. Raises InputError (unreadable file, bad line, no flows)."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot read flows file: {e}") from None
    flows = parse_flow_lines(lines, path)
    if not flows:
        raise InputError(f"{path}: no flows (only blank lines and comments)")
    return flows
