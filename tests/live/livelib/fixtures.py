"""The live tests' cluster, policy sets and flows (tests/live/data), the
manifest directory a daemon watches, reference verdicts and traffic from
tools/traffic/podgate-traffic."""

import json
import os
import subprocess

from funclib import pcap as funcpcap  # noqa: E402  (tests/func on sys.path, see run_live.py)
from funclib import verdicts as funcverdicts

from . import frames
from .daemon import Binaries

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")
CLUSTER = os.path.join(DATA, "cluster.yaml")
FLOWS = os.path.join(DATA, "flows.txt")
POLICY_SETS = ("a", "b", "closed")


def policy_text(name: str) -> str:
    with open(os.path.join(DATA, "policies", f"{name}.yaml"), encoding="utf-8") as f:
        return f.read()


def flow_classes(path: str = FLOWS) -> dict[str, list[str]]:
    """class -> flow lines, from the '# CLASS:' comments of flows.txt."""
    classes, current = {}, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line.startswith("#"):
                head = line[1:].split(":", 1)[0].strip()
                if ":" in line and " " not in head:
                    current = head
                    classes.setdefault(current, [])
                continue
            if line:
                if current is None:
                    raise ValueError(f"{path}: flow '{line}' before any '# CLASS:' line")
                classes[current].append(line)
    return classes


class ManifestDir:
    """A directory holding cluster.yaml and policy.yaml, replaced only by
    rename (what an editor or a deployment tool does), so the daemon never
    reads a half-written file."""

    def __init__(self, workdir: str, name: str = "manifests", policy: str | None = "a"):
        self.path = os.path.join(workdir, name)
        os.makedirs(self.path, exist_ok=True)
        with open(CLUSTER, encoding="utf-8") as f:
            self.write("cluster.yaml", f.read())
        if policy is not None:
            self.write("policy.yaml", policy_text(policy))

    def file(self, name: str) -> str:
        return os.path.join(self.path, name)

    def write(self, name: str, text: str, directory: str | None = None) -> str:
        """Atomic: a dot-file (which neither the loader nor the watcher
        considers) renamed over the target."""
        directory = directory or self.path
        target = os.path.join(directory, name)
        tmp = os.path.join(directory, f".{name}.tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, target)
        return target

    def set_policy(self, name: str) -> None:
        self.write("policy.yaml", policy_text(name))


def reference(manifests: list[str], flows: list[str], workdir: str, non_pod: str = "allow") -> dict:
    """flow line -> (allow, reason) from podgate-policy verdict --reference."""
    tuples = {frames.parse_flow_text(f): f for f in flows}
    out = funcverdicts.reference(Binaries.policy, manifests, non_pod, set(tuples), workdir)
    return {tuples[t]: v for t, v in out.items()}


def policy_set_dir(workdir: str, name: str) -> str:
    """A throwaway manifest directory holding the cluster and policy set
    `name`, for reference verdicts."""
    return ManifestDir(workdir, f"set-{name}", name).path


def traffic(workdir: str, name: str, flows: list[str], packets: int, *extra: str) -> list[bytes]:
    """`podgate-traffic mix` over `flows` (round-robin unless extra says
    otherwise): the frames, in order."""
    flows_path = os.path.join(workdir, f"{name}-flows.txt")
    with open(flows_path, "w", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in flows))
    out = os.path.join(workdir, f"{name}.pcap")
    cmd = ["/usr/bin/python3", Binaries.traffic, "mix", "--flows", flows_path, "--out", out,
           "--packets", str(packets), *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.strip()}")
    return funcpcap.read(out)


def generate(workdir: str, name: str, *args: str) -> tuple[list[bytes], list[dict]]:
    """podgate-traffic ARGS --out NAME.pcap --meta NAME.jsonl: frames and
    their meta lines (conversations, special)."""
    out, meta = os.path.join(workdir, f"{name}.pcap"), os.path.join(workdir, f"{name}.jsonl")
    cmd = ["/usr/bin/python3", Binaries.traffic, *args, "--out", out, "--meta", meta]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.strip()}")
    with open(meta, encoding="utf-8") as f:
        metas = [json.loads(line) for line in f]
    frames_ = funcpcap.read(out)
    if len(frames_) != len(metas):
        raise RuntimeError(f"{' '.join(cmd)}: {len(frames_)} packets but {len(metas)} meta lines")
    return frames_, metas


def conversation(workdir: str, name: str, flow: str, segments: int) -> list[tuple[bytes, dict]]:
    """One TCP/UDP/... conversation of `flow` (podgate-traffic conversations)."""
    path = os.path.join(workdir, f"{name}-flows.txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write(flow + "\n")
    frames_, metas = generate(workdir, name, "conversations", "--flows", path, "--segments", str(segments))
    return list(zip(frames_, metas))


def arp_frame(workdir: str) -> bytes:
    """An ARP request: filler that crosses podgate without touching conntrack
    or policy (non-IP frames are forwarded by default)."""
    frames_, metas = generate(workdir, "arp", "special", "--kind", "arp")
    return next(f for f, m in zip(frames_, metas) if "request" in m["what"])


def write_pcap(path: str, frames_: list[bytes]) -> str:
    funcpcap.write(path, frames_)
    return path


def read_pcap(path: str) -> list[bytes]:
    return funcpcap.read(path)
