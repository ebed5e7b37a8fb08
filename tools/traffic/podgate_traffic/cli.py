"""Command line of podgate-traffic. Exit codes: 0 done, 1 bad input (flows
file, unwritable output), 2 usage error. Flow lists drawn from manifests
come from `podgate-policy flows`."""

import argparse
import json
import sys
import time

from . import flowfile
from .flowfile import InputError, UsageError

PROG = "podgate-traffic"


def _int_range(lo: int, hi: int):
    def parse(text: str) -> int:
        try:
            value = int(text, 0)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not an integer") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{value} is outside {lo}..{hi}")
        return value
    return parse


def _qinq(text: str) -> tuple:
    parts = text.split(",")
    if len(parts) != 2:
        raise argparse.ArgumentTypeError(f"'{text}' is not OUTER,INNER")
    vid = _int_range(0, 4095)
    return vid(parts[0]), vid(parts[1])


def _add_l2(p) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument("--vlan", type=_int_range(0, 4095), metavar="ID", help="one 802.1Q tag (TPID 0x8100)")
    group.add_argument("--qinq", type=_qinq, metavar="OUTER,INNER",
                       help="802.1ad S-tag (TPID 0x88a8) OUTER, then 802.1Q C-tag INNER")


def _vlans(args) -> tuple:
    if args.qinq:
        return args.qinq
    return (args.vlan,) if args.vlan is not None else ()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="Test traffic for podgate (pcap files).")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    seed = {"type": int, "default": 1, "metavar": "S", "help": "random seed (default 1): same seed, same bytes"}

    p = sub.add_parser("conversations", help="every flow as a whole conversation (functional tests)")
    p.add_argument("--flows", required=True, metavar="FILE")
    p.add_argument("--out", required=True, metavar="OUT.pcap")
    _add_l2(p)
    p.add_argument("--payload", type=_int_range(1, 1400), default=32, metavar="N",
                   help="payload bytes per data packet (default 32)")
    p.add_argument("--segments", type=_int_range(0, 10000), default=1, metavar="K",
                   help="TCP data segments each way (default 1)")
    p.add_argument("--interleave", action="store_true", help="mix conversations (seeded); default one after another")
    p.add_argument("--meta", metavar="OUT.jsonl", help="one JSON line per packet")
    p.add_argument("--seed", **seed)

    p = sub.add_parser("special", help="parser corner cases and malformed packets (functional tests)")
    p.add_argument("--out", metavar="OUT.pcap")
    p.add_argument("--kind", action="append", default=[], metavar="KIND",
                   help="comma-separated, repeatable; 'all' for every kind (see --list-kinds)")
    p.add_argument("--flow", action="append", default=[], metavar="'PROTO SRC SPORT DST DPORT'",
                   help="repeatable; default: each kind's own flows")
    p.add_argument("--list-kinds", action="store_true", help="describe the kinds and exit")
    _add_l2(p)
    p.add_argument("--payload", type=_int_range(1, 60000), metavar="N",
                   help="payload bytes (fragment kinds: datagram payload, default 1000; others 16)")
    p.add_argument("--frag-size", type=_int_range(8, 9000), default=400, metavar="N",
                   help="fragment payload bytes, a multiple of 8 (default 400)")
    p.add_argument("--meta", metavar="OUT.jsonl")
    p.add_argument("--seed", **seed)

    p = sub.add_parser("mix", help="fixed-size client->server packets cycling over flows (benchmarks)")
    p.add_argument("--flows", required=True, metavar="FILE")
    p.add_argument("--out", required=True, metavar="OUT.pcap")
    p.add_argument("--packets", type=_int_range(1, 1 << 40), required=True, metavar="N", help="packets to write")
    p.add_argument("--size", type=_int_range(64, 9216), default=64, metavar="BYTES",
                   help="IPv4 packet size counting the 4-byte FCS, as DPDK does (default 64: 60-byte records)")
    p.add_argument("--size6", type=_int_range(64, 9216), metavar="BYTES",
                   help="IPv6 packet size, FCS counted (default max(--size, 78), +4 per VLAN tag)")
    p.add_argument("--repeat-order", choices=["round-robin", "random"], default="round-robin",
                   help="packet i is flow i %% F (default), or a seeded random flow")
    p.add_argument("--tcp-flags", default="S", metavar="LETTERS", help="TCP flags of every TCP packet (default S)")
    p.add_argument("--skip-oversize", action="store_true",
                   help="warn about and leave out flows whose headers do not fit, instead of failing")
    _add_l2(p)
    p.add_argument("--seed", **seed)

    return parser


def _open_meta(path):
    if not path:
        return None
    try:
        return open(path, "w", encoding="utf-8")
    except OSError as e:
        raise InputError(f"{path}: cannot write: {e}") from None


def _dump(meta_file, record: dict) -> None:
    if meta_file:
        meta_file.write(json.dumps(record, separators=(",", ":")) + "\n")


def cmd_conversations(args) -> str:
    from . import conversation, pcapfile
    flows = flowfile.read_flows(args.flows)
    opts = conversation.Options(_vlans(args), args.payload, args.segments, args.seed)
    convs = [conversation.conversation(f, opts) for f in flows]
    pkts = conversation.interleave(convs, args.seed) if args.interleave else [p for c in convs for p in c]
    meta = _open_meta(args.meta)
    with pcapfile.PcapWriter(args.out) as out:
        for index, pkt in enumerate(pkts):
            frame = bytes(pkt.frame(opts.vlans))
            out.write(frame)
            _dump(meta, conversation.meta_record(index, pkt, frame))
    if meta:
        meta.close()
    return f"{len(pkts)} packets, {len(flows)} conversations -> {args.out}"


def cmd_special(args) -> str:
    from . import pcapfile, special
    if args.list_kinds:
        for kind in special.KINDS.values():
            print(f"{kind.name:18} {kind.help}")
        return ""
    if not args.out or not args.kind:
        raise UsageError("special needs --out and --kind (or --list-kinds)")
    names = [n.strip() for k in args.kind for n in k.split(",") if n.strip()]
    if "all" in names and names != ["all"]:
        raise UsageError("--kind all cannot be combined with other kinds")
    try:
        flows = [flowfile.parse_flow(text, f"--flow #{i}") for i, text in enumerate(args.flow, start=1)]
    except InputError as e:
        raise UsageError(str(e)) from None
    ctx = special.Context(vlans=_vlans(args), payload=args.payload, frag_size=args.frag_size, seed=args.seed)
    items = special.generate(names, flows, ctx)
    meta = _open_meta(args.meta)
    with pcapfile.PcapWriter(args.out) as out:
        for index, item in enumerate(items):
            out.write(item.frame)
            _dump(meta, {"index": index, **item.meta})
    if meta:
        meta.close()
    return f"{len(items)} packets ({', '.join(dict.fromkeys(i.meta['kind'] for i in items))}) -> {args.out}"


def cmd_mix(args) -> str:
    from . import mix
    flows = flowfile.read_flows(args.flows)
    try:
        mix.tcp_flag_bits(args.tcp_flags)
    except ValueError as e:
        raise UsageError(f"--tcp-flags: {e}") from None
    opts = mix.Options(args.size, args.size6, _vlans(args), args.repeat_order, args.seed, args.tcp_flags,
                       args.skip_oversize)
    start = time.monotonic()
    frames, used = mix.build_templates(flows, opts)
    mix.write_mix(args.out, frames, args.packets, opts.order, opts.seed)
    sizes = sorted({len(f) + 4 for f in frames})
    return (f"{args.packets} packets of {'/'.join(map(str, sizes))} bytes (FCS counted) over {len(used)} flows, "
            f"{opts.order} -> {args.out} in {time.monotonic() - start:.2f} s")


COMMANDS = {"conversations": cmd_conversations, "special": cmd_special, "mix": cmd_mix}


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    try:
        summary = COMMANDS[args.command](args)
    except UsageError as e:
        print(f"{PROG} {args.command}: error: {e}", file=sys.stderr)
        return 2
    except InputError as e:
        print(f"{PROG} {args.command}: error: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"{PROG} {args.command}: error: {e.filename}: {e.strerror}", file=sys.stderr)
        return 1
    if summary:
        print(f"{PROG} {args.command}: {summary}", file=sys.stderr)
    return 0
