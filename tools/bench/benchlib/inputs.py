"""Benchmark inputs, made once and cached in the work directory (file names
carry every parameter, so a changed parameter makes a new file):

  cluster  podgate-synth --format json       c-PODS-POLICIES-NAMESPACES.json
  flows    bench_flows (exact allowed share)  f-...-FLOWS-aALLOW.txt
  packets  podgate-traffic mix (64 B IPv4)    m-...-PACKETS.pcap, split in K
           contiguous parts (m-...-PACKETS.JofK.pcap) when one net_pcap port's
           share of podgate's mbuf pool is too small to preload them (see
           split_count).
"""

import os
import struct
import subprocess
import sys
from dataclasses import dataclass

PY = "/usr/bin/python3"  # scapy and PyYAML live here, not in the pyenv python3

# podgate sizes its mbuf pool from the ports: per port (rx + tx descriptors),
# plus workers x (2 x burst + 256) + 2048. net_pcap's infinite_rx preloads
# every packet of its file into mbufs of that pool, so the packets must fit.
MAX_DESCRIPTORS = 16384
PER_PORT_MBUFS = 2 * MAX_DESCRIPTORS
FIXED_MBUFS = 1 * (2 * 32 + 256) + 2048
WORKING_MBUFS = 8192  # left over for bursts in flight and mempool caches
MAX_PORTS = 16  # podgate's limit (pipeline/counters.hpp)


def pool_mbufs(pcap_ports: int) -> int:
    """podgate's pool with `pcap_ports` net_pcap + as many net_null ports."""
    return 2 * pcap_ports * PER_PORT_MBUFS + FIXED_MBUFS


def split_count(packets: int) -> int:
    """How many pcap ports `packets` preloaded packets need."""
    k = 1
    while pool_mbufs(k) < packets + WORKING_MBUFS:
        k += 1
    if 2 * k > MAX_PORTS:
        raise ValueError(
            f"{packets} packets need {k} pcap ports ({2 * k} ports with their sinks); podgate takes at most "
            f"{MAX_PORTS} ports, and its mbuf pool grows only with ports x descriptors (max {MAX_DESCRIPTORS})")
    return k


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
        self.synth = os.path.join(build, "tools/synth/podgate-synth")
        self.bench_flows = os.path.join(build, "tools/bench/bench_flows")
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
        path = os.path.join(self.workdir, f"f-{c.tag}-{count}-a{allow:g}.txt")
        if not os.path.exists(path):
            tmp = path + ".tmp"
            self._run([self.bench_flows, "--pods", str(c.pods), "--policies", str(c.policies), "--namespaces",
                       str(c.namespaces), "--seed", str(c.seed), "--count", str(count), "--allow-fraction",
                       f"{allow:g}", "--out", tmp])
            os.replace(tmp, path)
        return path

    def mix(self, flows_file: str, packets: int) -> tuple:
        base = os.path.splitext(os.path.basename(flows_file))[0].replace("f-", "m-", 1)
        path = os.path.join(self.workdir, f"{base}-{packets}.pcap")
        if not os.path.exists(path):
            tmp = path + ".tmp"
            self._run([PY, self.traffic, "mix", "--flows", flows_file, "--out", tmp, "--packets", str(packets)])
            os.replace(tmp, path)
        k = split_count(packets)
        if k == 1:
            return (path,)
        parts = tuple(f"{path[:-5]}.{i}of{k}.pcap" for i in range(k))
        if not all(os.path.exists(p) for p in parts):
            split_pcap(path, parts)
        return parts

    def inputs(self, c: Cluster, flows: int, allow: float, packets: int) -> Inputs:
        manifest = self.cluster(c)
        flows_file = self.flows(c, flows, allow)
        return Inputs(manifest, flows_file, self.mix(flows_file, packets))


def split_pcap(path: str, parts) -> None:
    """Contiguous chunks: part j gets records [j*n/k, (j+1)*n/k). Each part of
    a round-robin mix then keeps the mix's order and its share of allowed
    flows (bench_flows interleaves them); a split by record index modulo k
    would sort alternating allowed/denied flows into different parts."""
    with open(path, "rb") as f:
        header = f.read(24)
        endian = "<" if struct.unpack("<I", header[:4])[0] in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    total = pcap_packets(path)
    k = len(parts)
    with open(path, "rb") as f:
        f.read(24)
        for j, p in enumerate(parts):
            with open(p + ".tmp", "wb") as o:
                o.write(header)
                for _ in range((j + 1) * total // k - j * total // k):
                    rec = f.read(16)
                    caplen = struct.unpack(endian + "IIII", rec)[2]
                    o.write(rec + f.read(caplen))
    for p in parts:
        os.replace(p + ".tmp", p)


def pcap_packets(path: str) -> int:
    n = 0
    with open(path, "rb") as f:
        header = f.read(24)
        endian = "<" if struct.unpack("<I", header[:4])[0] in (0xA1B2C3D4, 0xA1B23C4D) else ">"
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return n
            f.seek(struct.unpack(endian + "IIII", rec)[2], 1)
            n += 1


if __name__ == "__main__":
    sys.exit("benchlib.inputs is a module of pipeline_vs_testpmd.py")
