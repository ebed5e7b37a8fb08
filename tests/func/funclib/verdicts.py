"""Expected policy verdicts from the reference evaluator
(`podgate-policy verdict --reference`), never from the compiled tables the
daemon runs on."""

import os
import subprocess

from .case import CaseError

PROTO_NAMES = {1: "icmp", 6: "tcp", 17: "udp", 58: "icmpv6", 132: "sctp"}
PORT_PROTOCOLS = (6, 17, 132)


def policy_tuple(meta: dict) -> tuple:
    """(proto, src, sport, dst, dport) of a packet as policy sees it: ports
    for TCP/UDP/SCTP, 0 for every other protocol (ICMP included)."""
    proto = meta["proto"]
    if proto in PORT_PROTOCOLS:
        if "sport" not in meta or "dport" not in meta:
            raise CaseError(f"packet meta without ports: {meta}")
        return proto, meta["src"], meta["sport"], meta["dst"], meta["dport"]
    return proto, meta["src"], 0, meta["dst"], 0


def flow_text(t: tuple) -> str:
    proto, src, sport, dst, dport = t
    return f"{PROTO_NAMES.get(proto, str(proto))} {src} {sport} {dst} {dport}"


def reference(policy_bin: str, manifests: list[str], non_pod: str, tuples: set, workdir: str) -> dict:
    """tuple -> (allow, reason) for every tuple, in one run of podgate-policy."""
    ordered = sorted(tuples, key=lambda t: flow_text(t))
    if not ordered:
        return {}
    path = os.path.join(workdir, f"verdict-flows-{non_pod}.txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(flow_text(t) + "\n" for t in ordered))
    cmd = [policy_bin, "verdict", "--reference", "--non-pod-traffic", non_pod, "--flows", path, *manifests]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    lines = proc.stdout.splitlines()
    if proc.returncode != 0 or len(lines) != len(ordered):
        raise CaseError(f"{' '.join(cmd)} exited {proc.returncode} with {len(lines)} lines for {len(ordered)} "
                        f"flows: {proc.stderr.strip()}")
    out = {}
    for t, line in zip(ordered, lines):
        words = line.split()
        # A deny's reason is the name of the drop counter it lands in (one vocabulary).
        if len(words) < 2 or words[0] not in ("allow", "deny"):
            raise CaseError(f"podgate-policy verdict: unexpected line '{line}' for '{flow_text(t)}'")
        out[t] = (words[0] == "allow", words[1])
    return out
