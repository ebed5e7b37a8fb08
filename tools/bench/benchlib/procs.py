"""The two contenders (podgate_harness.podgate and .testpmd) on identical EAL
arguments and inputs, and the memory mode they share (2 MB hugepages when
they can be reserved, else --no-huge)."""

import math
import os
import subprocess
import time

from podgate_harness import eal, podgate, telemetry, testpmd

from . import inputs as inp

HUGEPAGE_BYTES = 2 << 20
MBUF_BYTES = 2560  # 2176 data room + 128 header + mempool object header, rounded up
CT_ENTRY_BYTES = 120  # conntrack: a position takes 88 B (docs/configuration.md); the rest is headroom


def memory_mb(mbufs: int, ct_capacity: int) -> int:
    """EAL memory a run needs: the mbuf pool, podgate's conntrack (testpmd gets
    the same budget), fragments and slack."""
    need = mbufs * MBUF_BYTES + ct_capacity * CT_ENTRY_BYTES + (256 << 20)
    return int(math.ceil(need / (256 << 20))) * 256


class MemoryMode:
    """'huge' (with --in-memory: no files left behind) or 'no-huge'."""

    def __init__(self, want: str, mb_needed: int, log):
        self.log = log
        self._restore_pages = None
        self.mode = "no-huge"
        if want in ("auto", "huge"):
            if self._reserve(mb_needed):
                self.mode = "huge"
            elif want == "huge":
                raise RuntimeError("hugepages asked for but could not be reserved (root needed)")
        self.pages = self._total_pages() if self.mode == "huge" else 0

    @staticmethod
    def _total_pages() -> int:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("HugePages_Total:"):
                    return int(line.split()[1])
        return 0

    @staticmethod
    def _free_pages() -> int:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("HugePages_Free:"):
                    return int(line.split()[1])
        return 0

    def _reserve(self, mb: int) -> bool:
        pages = int(math.ceil(mb * (1 << 20) / HUGEPAGE_BYTES))
        try:
            with open("/proc/sys/vm/nr_hugepages") as f:
                before = int(f.read())
            if self._free_pages() < pages:
                with open("/proc/sys/vm/nr_hugepages", "w") as f:
                    f.write(str(before + pages - self._free_pages()))
                self._restore_pages = before
            if not any(line.split()[2] == "hugetlbfs" for line in open("/proc/mounts")):
                os.makedirs("/dev/hugepages", exist_ok=True)
                subprocess.run(["mount", "-t", "hugetlbfs", "nodev", "/dev/hugepages"], check=True)
        except (OSError, subprocess.CalledProcessError) as e:
            self.log(f"hugepages: cannot reserve ({e}); using --no-huge")
            self.release()
            return False
        if self._free_pages() < pages:
            self.log(f"hugepages: only {self._free_pages()} of {pages} 2 MB pages free; using --no-huge")
            self.release()
            return False
        self.log(f"hugepages: {self._free_pages()} x 2 MB free (needed {pages})")
        return True

    def release(self):
        """Gives back the pages this run reserved."""
        if self._restore_pages is not None:
            with open("/proc/sys/vm/nr_hugepages", "w") as f:
                f.write(str(self._restore_pages))
            self._restore_pages = None

    def eal_args(self, mb: int):
        return ["--in-memory"] if self.mode == "huge" else ["--no-huge", "-m", str(mb)]


def vdevs(pcaps) -> list[str]:
    """net_pcapK (replay) then net_nullK (sink) per file: ports 2K and 2K+1."""
    out = []
    for k, p in enumerate(pcaps):
        out += [f"net_pcap{k},rx_pcap={p},infinite_rx=1", f"net_null{k},no-rx=1"]
    return out


def start_podgate(binary: str, memory: MemoryMode, mb: int, manifest: str, pcaps, ct_capacity: int,
                  extra_mbufs: int, log_path: str) -> podgate.Podgate:
    """podgate pairing each pcap port with its sink; started, not yet
    forwarding (see wait_started)."""
    pairs = ",".join(f"{2 * k}:{2 * k + 1}" for k in range(len(pcaps)))
    options = ["--manifests", manifest, "--port-pairs", pairs, "--stats-interval", "0",
               "--rx-descriptors", str(inp.MAX_DESCRIPTORS), "--tx-descriptors", str(inp.MAX_DESCRIPTORS),
               "--extra-mbufs", str(extra_mbufs), "--conntrack-capacity", str(ct_capacity), "--log-level", "warn"]
    name = os.path.splitext(os.path.basename(log_path))[0]
    d = podgate.Podgate(os.path.dirname(log_path), name, vdevs(pcaps), options, kind="bench", metrics_listen="off",
                        memory=memory.eal_args(mb), binary=binary, stats_json=False)
    return d.start(ready=None)  # at --log-level warn it logs no ready line: wait_started watches the packets


def start_testpmd(binary: str, memory: MemoryMode, mb: int, pcaps, mbufs: int, log_path: str) -> testpmd.Testpmd:
    prefix = eal.unique_prefix("bench-testpmd")
    argv = testpmd.command(prefix, vdevs(pcaps), testpmd.io_forwarding(mbufs), memory.eal_args(mb), binary=binary)
    return testpmd.Testpmd(prefix, argv, log_path).start()


def wait_started(tele: telemetry.Client, rx_ports, alive, timeout_s: float = 60.0):
    """Until packets flow (podgate loads and compiles before EAL starts)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError("process exited")
        rx, _, _ = tele.ethdev_totals(rx_ports, [])
        if rx > 0:
            return
        time.sleep(0.1)
    raise RuntimeError(f"no packets after {timeout_s:.0f} s")
