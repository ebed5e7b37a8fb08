"""Benchmark inputs, made once and cached in the work directory (file names
carry every parameter, so a changed parameter makes a new file):

  cluster  podgate-synth --format json       c-PODS-POLICIES-NAMESPACES.json
  flows    podgate-policy flows (exact share) f-...-FLOWS-aALLOW.txt
  packets  podgate-traffic mix (64 B IPv4)    m-...-PACKETS.pcap, replayed
           by one net_pcap port (infinite_rx preloads the whole file: both
           contenders get a pool with room for it, see pool_mbufs).
"""

import os
import subprocess
import sys
from dataclasses import dataclass

PY = "/usr/bin/python3"  # scapy and PyYAML live here, not in the pyenv python3

# podgate sizes its mbuf pool from the ports: per port (rx + tx descriptors),
# plus workers x (2 x burst + 256) + 2048, plus --extra-mbufs. net_pcap's
# infinite_rx preloads every packet of its file into mbufs of that pool, so
# the benchmark asks for the packets as extra mbufs and gives testpmd a pool
# of the same size.
MAX_DESCRIPTORS = 16384
PER_PORT_MBUFS = 2 * MAX_DESCRIPTORS
FIXED_MBUFS = 1 * (2 * 32 + 256) + 2048
WORKING_MBUFS = 8192  # left over for bursts in flight and mempool caches


def extra_mbufs(packets: int) -> int:
    """What podgate's --extra-mbufs must add for `packets` preloaded packets."""
    return packets + WORKING_MBUFS


def pool_mbufs(packets: int) -> int:
    """podgate's pool with one net_pcap port, its net_null sink and room for
    `packets` preloaded packets (testpmd gets the same)."""
    return 2 * PER_PORT_MBUFS + FIXED_MBUFS + extra_mbufs(packets)


@dataclass(frozen=True)
class Cluster:
    pods: int
    policies: int
    namespaces: int
    seed: int = 1

    @property
    def tag(self) -> str:
        return f"{self.pods}-{self.policies}-{self.namespaces}-s{self.seed}"


@dataclass(frozen=True)
class Inputs:
    manifest: str
    flows_file: str
    pcaps: tuple


class InputCache:
    def __init__(self, workdir: str, build: str, source: str, log):
        self.workdir = workdir
        self.synth = os.path.join(build, "tests/support/synth/podgate-synth")
        self.policy = os.path.join(build, "tools/policy/podgate-policy")
        self.traffic = os.path.join(source, "tools/traffic/podgate-traffic")
        self.log = log
        os.makedirs(workdir, exist_ok=True)

    def _run(self, argv):
        self.log("  $ " + " ".join(argv))
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)

    def cluster(self, c: Cluster) -> str:
        path = os.path.join(self.workdir, f"c-{c.tag}.json")
        if not os.path.exists(path):
            tmp = path + ".tmp"
            self._run([self.synth, "--pods", str(c.pods), "--policies", str(c.policies), "--namespaces",
                       str(c.namespaces), "--seed", str(c.seed), "--format", "json", "--out", tmp])
            os.replace(tmp, path)
        return path

    def flows(self, c: Cluster, count: int, allow: float) -> str:
        """Distinct IPv4 flows of cluster `c`, an exact share allowed by podgate's tables."""
        path = os.path.join(self.workdir, f"f-{c.tag}-{count}-a{allow:g}.txt")
        if not os.path.exists(path):
            tmp = path + ".tmp"
            self._run([self.policy, "flows", self.cluster(c), "--count", str(count), "--allow-fraction",
                       f"{allow:g}", "--seed", str(c.seed), "--out", tmp])
            os.replace(tmp, path)
        return path

    def mix(self, flows_file: str, packets: int) -> tuple:
        base = os.path.splitext(os.path.basename(flows_file))[0].replace("f-", "m-", 1)
        path = os.path.join(self.workdir, f"{base}-{packets}.pcap")
        if not os.path.exists(path):
            tmp = path + ".tmp"
            self._run([PY, self.traffic, "mix", "--flows", flows_file, "--out", tmp, "--packets", str(packets)])
            os.replace(tmp, path)
        return (path,)

    def inputs(self, c: Cluster, flows: int, allow: float, packets: int) -> Inputs:
        manifest = self.cluster(c)
        flows_file = self.flows(c, flows, allow)
        return Inputs(manifest, flows_file, self.mix(flows_file, packets))


if __name__ == "__main__":
    sys.exit("benchlib.inputs is a module of pipeline_vs_testpmd.py")
