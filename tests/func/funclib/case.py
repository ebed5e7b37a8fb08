"""A functional-test case: one folder under tests/func/cases holding
case.yaml, the cluster manifests and the flow files (see ../README.md for the
format). `load` checks the file; `build_inputs` makes the packets with
tools/traffic/podgate-traffic and lays them out per port and queue."""

import os
from dataclasses import dataclass, field

import yaml
from podgate_harness import traffic

TOPOLOGIES = ("hairpin", "pair")
_SEGMENT_KEYS = {"conversations", "special", "flows", "vlan", "qinq", "interleave", "segments", "payload",
                 "frag_size", "keep", "seed"}
_CLAIM_KEYS = {"flow", "kind", "direction", "packets", "reason", "runs"}


class CaseError(Exception):
    """The case folder is wrong (not a podgate failure)."""


@dataclass
class Run:
    name: str
    options: list[str]

    def option(self, name: str, default: str) -> str:
        """Value of a daemon option given as `--name value` or `--name=value`."""
        value = default
        for i, arg in enumerate(self.options):
            if arg == f"--{name}" and i + 1 < len(self.options):
                value = self.options[i + 1]
            elif arg.startswith(f"--{name}="):
                value = arg.split("=", 1)[1]
        return value


@dataclass
class Packet:
    """One input packet: where it enters and what the tool says it is."""
    port: int
    queue: int
    index: int  # in its port/queue input pcap, 0-based
    frame: bytes
    meta: dict
    segment: str  # e.g. "conversations vlan.txt"

    def where(self) -> str:
        return f"input port {self.port} queue {self.queue} packet #{self.index}"

    def describe(self) -> str:
        m = self.meta
        parts = [m["kind"]] if "kind" in m else []
        if m.get("flow"):
            parts.append(f"flow '{m['flow']}'")
        if "direction" in m:
            parts.append(m["direction"] + (" (first)" if m.get("first") else ""))
        if "tcp_flags" in m:
            parts.append(f"TCP {m['tcp_flags']}")
        if "frag" in m:
            parts.append(f"fragment offset {m['frag']['offset']}")
        if "what" in m:
            parts.append(m["what"])
        return f"{self.where()} [{self.segment}: {', '.join(parts)}; {len(self.frame)} bytes]"


@dataclass
class Case:
    name: str
    folder: str
    description: str
    manifests: list[str]
    topology: str
    workers: int
    streams: dict  # (port, queue) -> list of segment dicts
    runs: list[Run]
    claims: list[dict] = field(default_factory=list)

    @property
    def ports(self) -> int:
        return 2 if self.topology == "pair" else 1

    def peer(self, port: int) -> int:
        return 1 - port if self.topology == "pair" else port


def _need(cond: bool, where: str, what: str) -> None:
    if not cond:
        raise CaseError(f"{where}: {what}")


def load(folder: str) -> Case:
    name = os.path.basename(folder.rstrip("/"))
    where = os.path.join(folder, "case.yaml")
    try:
        with open(where, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        raise CaseError(f"{where}: {e}") from None
    _need(isinstance(doc, dict), where, "expected a mapping")
    topology = doc.get("topology", "hairpin")
    _need(topology in TOPOLOGIES, where, f"topology must be one of {TOPOLOGIES}")
    workers = doc.get("workers", 1)
    _need(workers in (1, 2), where, "workers must be 1 or 2")
    manifests = [os.path.normpath(os.path.join(folder, m)) for m in doc.get("manifests", ["manifests"])]
    for m in manifests:
        _need(os.path.exists(m), where, f"manifests path {m} does not exist")
    case = Case(name, folder, str(doc.get("description", "")).strip(), manifests, topology, workers, {}, [])
    for s in doc.get("streams") or []:
        port, queue = s.get("port", 0), s.get("queue", 0)
        _need(0 <= port < case.ports and 0 <= queue < workers, where,
              f"stream port {port} queue {queue} outside {case.ports} port(s) x {workers} queue(s)")
        _need((port, queue) not in case.streams, where, f"two streams for port {port} queue {queue}")
        segments = s.get("traffic") or []
        for seg in segments:
            unknown = set(seg) - _SEGMENT_KEYS
            _need(not unknown, where, f"unknown segment keys {sorted(unknown)}")
            _need(("conversations" in seg) != ("special" in seg), where,
                  "a segment is either `conversations: FLOWS` or `special: [KIND...]`")
            _need(seg.get("keep", "both") in ("orig", "reply", "both"), where, "keep: orig | reply | both")
        case.streams[(port, queue)] = segments
    _need(case.streams, where, "no streams")
    for r in doc.get("runs") or [{"name": "default"}]:
        opts = [str(o) for o in r.get("options", [])]
        case.runs.append(Run(str(r["name"]), opts))
    for claim in doc.get("expect") or []:
        unknown = set(claim) - _CLAIM_KEYS
        _need(not unknown, where, f"unknown expect keys {sorted(unknown)}")
        _need(claim.get("packets") in ("pass", "drop", "drop-first"), where, "expect.packets: pass|drop|drop-first")
        _need("flow" in claim or "kind" in claim, where, "expect needs `flow` or `kind`")
        case.claims.append(claim)
    return case


class TrafficTool:
    """Runs podgate-traffic; remembers what it made so a segment used on two
    ports (e.g. the two directions of one conversation) is generated once."""

    def __init__(self, workdir: str):
        self._workdir = workdir
        self._cache = {}

    def generate(self, case: Case, seg: dict) -> tuple[list[bytes], list[dict], str]:
        args, label = self._arguments(case, seg)
        key = tuple(args)
        if key not in self._cache:
            try:
                self._cache[key] = traffic.generate(self._workdir, f"gen{len(self._cache)}", *args)
            except traffic.TrafficError as e:
                raise CaseError(f"{label}: {e}") from None
        frames, metas = self._cache[key]
        keep = seg.get("keep", "both")
        chosen = [(f, m) for f, m in zip(frames, metas) if keep == "both" or m.get("direction") == keep]
        if keep != "both":
            label += f" ({keep} only)"
        return [f for f, _ in chosen], [m for _, m in chosen], label

    @staticmethod
    def _arguments(case: Case, seg: dict) -> tuple[list[str], str]:
        if "conversations" in seg:
            flows = os.path.join(case.folder, seg["conversations"])
            args, label = ["conversations", "--flows", flows], f"conversations {seg['conversations']}"
            if seg.get("interleave"):
                args.append("--interleave")
            if "segments" in seg:
                args += ["--segments", str(seg["segments"])]
        else:
            kinds = seg["special"] if isinstance(seg["special"], list) else [seg["special"]]
            args, label = ["special", "--kind", ",".join(kinds)], f"special {','.join(kinds)}"
            for flow in seg.get("flows", []):
                args += ["--flow", flow]
            if "frag_size" in seg:
                args += ["--frag-size", str(seg["frag_size"])]
        if "vlan" in seg:
            args += ["--vlan", str(seg["vlan"])]
            label += f" vlan {seg['vlan']}"
        if "qinq" in seg:
            args += ["--qinq", ",".join(map(str, seg["qinq"]))]
            label += f" qinq {seg['qinq']}"
        if "payload" in seg:
            args += ["--payload", str(seg["payload"])]
        args += ["--seed", str(seg.get("seed", 1))]
        return args, label


def build_inputs(case: Case, tool: TrafficTool) -> dict:
    """(port, queue) -> [Packet] for every port and queue of the topology
    (empty when the case gives that queue nothing)."""
    inputs = {}
    for port in range(case.ports):
        for queue in range(case.workers):
            packets = []
            for seg in case.streams.get((port, queue), []):
                frames, metas, label = tool.generate(case, seg)
                for frame, meta in zip(frames, metas):
                    packets.append(Packet(port, queue, len(packets), frame, meta, label))
            inputs[(port, queue)] = packets
    return inputs
