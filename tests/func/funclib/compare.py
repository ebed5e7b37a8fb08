"""Daemon output against the model: every output pcap packet by packet
(byte-identical frames, in order) and the stats JSON counters. Problems are
sentences naming the case, the output and input packet numbers and what the
model expected."""

import difflib
from collections import defaultdict, deque

from .model import Expectation

_MAX_LISTED = 8


def _stat(stats: dict, path: str):
    head, _, rest = path.partition(".")
    if head == "ports":
        port, _, field = rest.partition(".")
        entry = next((p for p in stats.get("ports", []) if p.get("port") == int(port)), None)
        return None if entry is None else entry.get(field)
    if head == "lcores":
        index, _, field = rest.partition(".")
        lcores = stats.get("lcores", [])
        return lcores[int(index)].get(field) if int(index) < len(lcores) else None
    node = stats
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def counters(exp: Expectation, stats: dict) -> list[str]:
    return [f"stats {path}: expected {want} (model), got {_stat(stats, path)}"
            for path, want in exp.counters.items() if _stat(stats, path) != want]


def outputs(label: str, case, exp: Expectation, inputs: dict, actual: dict) -> list[str]:
    problems = []
    for (port, queue), want in sorted(exp.outputs.items()):
        got = actual[(port, queue)]
        if [p.frame for p in want] == got:
            continue
        where = f"{label}: output port {port} queue {queue}"
        sources = [p for (in_port, in_queue), ps in inputs.items()
                   if case.peer(in_port) == port and in_queue == queue for p in ps]
        problems.append(_describe_diff(where, want, got, sources, exp))
    return problems


def _identify(got: list[bytes], sources: list) -> list:
    """Each output frame as the input packet it is (first unused byte-equal one), or None."""
    by_bytes = defaultdict(deque)
    for p in sources:
        by_bytes[p.frame].append(p)
    return [by_bytes[f].popleft() if by_bytes[f] else None for f in got]


def _describe_diff(where: str, want: list, got: list[bytes], sources: list, exp: Expectation) -> str:
    ids = _identify(got, sources)
    fate = lambda p: exp.outcomes[(p.port, p.queue, p.index)]  # noqa: E731
    lines = [f"{where}: {len(got)} packets, expected {len(want)}"]
    first = next((k for k in range(min(len(want), len(got))) if want[k].frame != got[k]), min(len(want), len(got)))
    if first < len(want):
        p = want[first]
        lines.append(f"  first difference at output packet #{first}: expected {p.describe()} ({fate(p)})")
    else:
        lines.append(f"  first difference at output packet #{first}: expected no more packets")
    if first < len(got):
        q = ids[first]
        lines.append("  got " + (f"{q.describe()} (model: {fate(q)})" if q else
                                 f"a {len(got[first])}-byte frame that is in no input: {got[first][:64].hex()}"))
    matcher = difflib.SequenceMatcher(None, [id(p) for p in want], [id(q) if q else None for q in ids],
                                      autojunk=False)
    missing, extra = [], []
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op in ("delete", "replace"):
            missing += [(a, want[a]) for a in range(a1, a2)]
        if op in ("insert", "replace"):
            extra += [(b, ids[b]) for b in range(b1, b2)]
    if missing:
        lines.append(f"  {len(missing)} expected packet(s) missing:")
        lines += [f"    expected output #{k}: {p.describe()} ({fate(p)})" for k, p in missing[:_MAX_LISTED]]
    if extra:
        lines.append(f"  {len(extra)} packet(s) not expected there:")
        lines += [f"    output #{k}: " + (f"{q.describe()} (model: {fate(q)})" if q else "a frame in no input")
                  for k, q in extra[:_MAX_LISTED]]
    return "\n".join(lines)
