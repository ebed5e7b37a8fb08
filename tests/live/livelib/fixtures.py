"""The live tests' cluster, policy sets and flows (tests/live/data), the
manifest directory a daemon watches, reference verdicts and traffic from
tools/traffic/podgate-traffic (through podgate_harness)."""

import os

from podgate_harness import pcap, policy
from podgate_harness import traffic as tool

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


reference = policy.reference_lines  # flow line -> (allow, reason) from podgate-policy verdict --reference


def policy_set_dir(workdir: str, name: str) -> str:
    """A throwaway manifest directory holding the cluster and policy set
    `name`, for reference verdicts."""
    return ManifestDir(workdir, f"set-{name}", name).path


traffic = tool.mix  # podgate-traffic mix over flow lines: the frames, in order
generate = tool.generate  # podgate-traffic ARGS: frames and their meta lines


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


write_pcap = pcap.write
read_pcap = pcap.read
