"""Expected policy verdicts from the reference evaluator
(`podgate-policy verdict --reference`), never from the compiled tables the
daemon runs on; and the flow text both speak."""

import ipaddress
import os
import subprocess

from . import binaries, counters

PROTO_NAMES = {1: "icmp", 6: "tcp", 17: "udp", 58: "icmpv6", 132: "sctp"}
PORT_PROTOCOLS = (6, 17, 132)


class PolicyError(Exception):
    pass


def flow_text(t: tuple) -> str:
    """(proto, src, sport, dst, dport) -> 'tcp 10.0.0.1 40000 10.0.0.2 80'."""
    proto, src, sport, dst, dport = t
    return f"{PROTO_NAMES.get(proto, str(proto))} {src} {sport} {dst} {dport}"


def parse_flow_text(text: str) -> tuple:
    """'tcp 10.0.0.1 40000 10.0.0.2 80' -> policy tuple (portless protocols,
    ICMP included: ports 0)."""
    words = text.split()
    numbers = {v: k for k, v in PROTO_NAMES.items()}
    proto = numbers[words[0].lower()] if words[0].lower() in numbers else int(words[0])
    src, dst = str(ipaddress.ip_address(words[1])), str(ipaddress.ip_address(words[3]))
    if proto in PORT_PROTOCOLS:
        return proto, src, int(words[2]), dst, int(words[4])
    return proto, src, 0, dst, 0


def reference(manifests: list[str], non_pod: str, tuples: set, workdir: str) -> dict:
    """tuple -> (allow, reason) for every policy tuple, in one run of
    podgate-policy; PolicyError when it fails or answers oddly."""
    ordered = sorted(tuples, key=flow_text)
    if not ordered:
        return {}
    path = os.path.join(workdir, f"verdict-flows-{non_pod}.txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(flow_text(t) + "\n" for t in ordered))
    cmd = [binaries.find("podgate-policy"), "verdict", "--reference", "--non-pod-traffic", non_pod, "--flows", path,
           *manifests]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    lines = proc.stdout.splitlines()
    if proc.returncode != 0 or len(lines) != len(ordered):
        raise PolicyError(f"{' '.join(cmd)} exited {proc.returncode} with {len(lines)} lines for {len(ordered)} "
                          f"flows: {proc.stderr.strip()}")
    out = {}
    for t, line in zip(ordered, lines):
        words = line.split()
        if not words or words[0] not in ("allow", "deny") or (
                words[0] == "deny" and words[1] not in counters.policy_drop_reasons()):
            raise PolicyError(f"podgate-policy verdict: unexpected line '{line}' for '{flow_text(t)}'")
        out[t] = (words[0] == "allow", words[1])
    return out


def reference_lines(manifests: list[str], flows: list[str], workdir: str, non_pod: str = "allow") -> dict:
    """flow line -> (allow, reason)."""
    tuples = {parse_flow_text(f): f for f in flows}
    return {tuples[t]: v for t, v in reference(manifests, non_pod, set(tuples), workdir).items()}
