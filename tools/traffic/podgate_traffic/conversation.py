"""`conversations`: every flow line becomes a whole, valid conversation.

  tcp     SYN, SYN-ACK, ACK, K x (client data, server data+ACK), client FIN-ACK,
          server FIN-ACK, client ACK
  udp     request, response
  icmp    echo request, echo reply (identifier = SRC_PORT, or derived when 0)
  sctp    INIT, INIT-ACK, COOKIE-ECHO, COOKIE-ACK, DATA, SACK
  other   one raw IP packet each way

Sequence numbers, tags and IP ids come from a Random seeded with (seed, line),
so a flow's packets do not change when other lines are added or removed.
"""

import random
from dataclasses import dataclass, field

from scapy.layers.inet import ICMP, TCP, UDP
from scapy.layers.inet6 import ICMPv6EchoReply, ICMPv6EchoRequest
from scapy.layers.l2 import Ether
from scapy.layers.sctp import (SCTP, SCTPChunkCookieAck, SCTPChunkCookieEcho, SCTPChunkData,
                               SCTPChunkInit, SCTPChunkInitAck, SCTPChunkParamStateCookie,
                               SCTPChunkSACK)
from scapy.packet import Raw

from . import flowfile, layers

MSS = 1460
WINDOW = 64240


@dataclass
class Options:
    vlans: tuple = ()
    payload: int = 32
    segments: int = 1
    seed: int = 1


@dataclass
class Packet:
    flow: flowfile.Flow
    orig: bool  # client -> server
    l3: object  # scapy packet from the IP header on
    first: bool = False
    built: object = field(default=None, repr=False)

    def frame(self, vlans: tuple):
        if self.built is None:
            self.built = layers.ether(vlans, self.orig) / self.l3
        return self.built


def payload_bytes(n: int, salt: int) -> bytes:
    """Deterministic, recognisable payload (differs per flow and direction)."""
    return bytes((salt + i) & 0xFF for i in range(n))


class _Builder:
    """Stamps IP headers for one flow; keeps an IP id counter per direction."""

    def __init__(self, flow, rng):
        self.flow = flow
        self._ids = [rng.getrandbits(16), rng.getrandbits(16)]

    def ip(self, orig: bool, df: bool = False, **fields):
        if self.flow.family == 6:
            return layers.ip(self.flow, orig, **fields)
        side = 0 if orig else 1
        self._ids[side] = (self._ids[side] + 1) & 0xFFFF
        return layers.ip(self.flow, orig, id=self._ids[side], flags="DF" if df else 0, **fields)


def conversation(flow: flowfile.Flow, opts: Options) -> list[Packet]:
    rng = random.Random(f"conversation:{opts.seed}:{flow.line}:{flow.text()}")
    b = _Builder(flow, rng)
    builders = {flowfile.TCP: _tcp, flowfile.UDP: _udp, flowfile.SCTP: _sctp,
                flowfile.ICMP: _icmp, flowfile.ICMPV6: _icmp}
    pkts = builders.get(flow.proto, _raw)(b, opts, rng)
    pkts[0].first = True
    return pkts


def _tcp(b: _Builder, opts: Options, rng) -> list[Packet]:
    f = b.flow
    cseq, sseq = rng.getrandbits(32), rng.getrandbits(32)
    out = []

    def seg(orig, flags, seq, ack, data=b"", options=()):
        sport, dport = (f.sport, f.dport) if orig else (f.dport, f.sport)
        tcp = TCP(sport=sport, dport=dport, flags=flags, seq=seq & 0xFFFFFFFF, ack=ack & 0xFFFFFFFF,
                  window=WINDOW, options=list(options))
        l3 = b.ip(orig, df=True) / tcp
        if data:
            l3 = l3 / Raw(data)
        out.append(Packet(f, orig, l3))

    seg(True, "S", cseq, 0, options=[("MSS", MSS)])
    seg(False, "SA", sseq, cseq + 1, options=[("MSS", MSS)])
    cseq, sseq = cseq + 1, sseq + 1
    seg(True, "A", cseq, sseq)
    for k in range(opts.segments):
        seg(True, "PA", cseq, sseq, payload_bytes(opts.payload, k))
        cseq += opts.payload
        seg(False, "PA", sseq, cseq, payload_bytes(opts.payload, 128 + k))
        sseq += opts.payload
    seg(True, "FA", cseq, sseq)
    seg(False, "FA", sseq, cseq + 1)
    seg(True, "A", cseq + 1, sseq + 1)
    return out


def _udp(b: _Builder, opts: Options, rng) -> list[Packet]:
    f = b.flow
    return [Packet(f, True, b.ip(True) / UDP(sport=f.sport, dport=f.dport) / Raw(payload_bytes(opts.payload, 0))),
            Packet(f, False, b.ip(False) / UDP(sport=f.dport, dport=f.sport) / Raw(payload_bytes(opts.payload, 128)))]


def _icmp(b: _Builder, opts: Options, rng) -> list[Packet]:
    f = b.flow
    ident = f.sport or (rng.getrandbits(16) or 1)
    data = payload_bytes(opts.payload, 0)
    if f.family == 4:
        request = ICMP(type=8, id=ident, seq=1) / Raw(data)
        reply = ICMP(type=0, id=ident, seq=1) / Raw(data)
    else:
        request = ICMPv6EchoRequest(id=ident, seq=1, data=data)
        reply = ICMPv6EchoReply(id=ident, seq=1, data=data)
    return [Packet(f, True, b.ip(True) / request), Packet(f, False, b.ip(False) / reply)]


def _sctp(b: _Builder, opts: Options, rng) -> list[Packet]:
    f = b.flow
    ctag, stag = rng.getrandbits(32) or 1, rng.getrandbits(32) or 1
    ctsn, stsn = rng.getrandbits(32), rng.getrandbits(32)
    cookie = payload_bytes(16, 64)

    def chunk(orig, vtag, c):
        sport, dport = (f.sport, f.dport) if orig else (f.dport, f.sport)
        return Packet(f, orig, b.ip(orig) / SCTP(sport=sport, dport=dport, tag=vtag) / c)

    return [
        chunk(True, 0, SCTPChunkInit(init_tag=ctag, a_rwnd=WINDOW, n_out_streams=1, n_in_streams=1,
                                     init_tsn=ctsn)),
        chunk(False, ctag, SCTPChunkInitAck(init_tag=stag, a_rwnd=WINDOW, n_out_streams=1, n_in_streams=1,
                                            init_tsn=stsn, params=[SCTPChunkParamStateCookie(cookie=cookie)])),
        chunk(True, stag, SCTPChunkCookieEcho(cookie=cookie)),
        chunk(False, ctag, SCTPChunkCookieAck()),
        chunk(True, stag, SCTPChunkData(tsn=ctsn, stream_id=0, stream_seq=0, proto_id=0, beginning=1,
                                        ending=1, data=payload_bytes(opts.payload, 0))),
        chunk(False, ctag, SCTPChunkSACK(cumul_tsn_ack=ctsn, a_rwnd=WINDOW)),
    ]


def _raw(b: _Builder, opts: Options, rng) -> list[Packet]:
    f = b.flow
    key = "proto" if f.family == 4 else "nh"
    return [Packet(f, orig, b.ip(orig, **{key: f.proto}) / Raw(payload_bytes(opts.payload, salt)))
            for orig, salt in ((True, 0), (False, 128))]


def interleave(conversations: list[list[Packet]], seed: int) -> list[Packet]:
    """Merges conversations at random (seeded) while keeping each one's order."""
    rng = random.Random(f"interleave:{seed}")
    queues = [list(reversed(c)) for c in conversations if c]
    out = []
    while queues:
        i = rng.randrange(len(queues))
        out.append(queues[i].pop())
        if not queues[i]:
            queues[i] = queues[-1]
            queues.pop()
    return out


def meta_record(index: int, pkt: Packet, frame: bytes) -> dict:
    """The --meta line of a packet: fields read back from the frame's bytes."""
    rec = {"index": index, "flow_line": pkt.flow.line, "flow": pkt.flow.text(),
           "direction": "orig" if pkt.orig else "reply", "first": pkt.first}
    rec.update(layers.describe(Ether(frame)))
    return rec
