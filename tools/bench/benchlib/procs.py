"""Starting and stopping the two contenders with identical EAL arguments, and
the memory mode they share (2 MB hugepages when they can be reserved, else
--no-huge)."""

import math
import os
import shutil
import signal
import subprocess
import time

from . import inputs as inp
from .telemetry import RUNTIME_ROOT

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


def vdev_args(pcaps):
    """net_pcapK (replay) then net_nullK (sink) per file: ports 2K and 2K+1."""
    args = []
    for k, p in enumerate(pcaps):
        args += ["--vdev", f"net_pcap{k},rx_pcap={p},infinite_rx=1", "--vdev", f"net_null{k},no-rx=1"]
    return args


class Contender:
    """One run of podgate or dpdk-testpmd; stop() always cleans up."""

    def __init__(self, argv, prefix: str, log_path: str, stdin_pipe: bool):
        self.prefix = prefix
        self._log = open(log_path, "w")
        self._log.write(" ".join(argv) + "\n")
        self._log.flush()
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin_pipe else subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self):
        if self.alive():
            if self.proc.stdin is not None:
                try:
                    self.proc.stdin.write(b"\n")  # testpmd: "Press enter to exit"
                    self.proc.stdin.close()
                except OSError:
                    pass
            else:
                self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        shutil.rmtree(os.path.join(RUNTIME_ROOT, self.prefix), ignore_errors=True)


def eal_common(prefix: str, memory: MemoryMode, mb: int, pcaps):
    return ["-l", "0-1", "--no-pci", "--file-prefix", prefix] + memory.eal_args(mb) + vdev_args(pcaps)


def start_podgate(podgate: str, prefix: str, memory: MemoryMode, mb: int, manifest: str, pcaps,
                  ct_capacity: int, extra_mbufs: int, log_path: str) -> Contender:
    pairs = ",".join(f"{2 * k}:{2 * k + 1}" for k in range(len(pcaps)))
    argv = [podgate] + eal_common(prefix, memory, mb, pcaps) + [
        "--", "--manifests", manifest, "--port-pairs", pairs, "--stats-interval", "0",
        "--rx-descriptors", str(inp.MAX_DESCRIPTORS), "--tx-descriptors", str(inp.MAX_DESCRIPTORS),
        "--extra-mbufs", str(extra_mbufs),
        "--metrics-listen", "off", "--conntrack-capacity", str(ct_capacity), "--log-level", "warn"]
    return Contender(argv, prefix, log_path, stdin_pipe=False)


def start_testpmd(testpmd: str, prefix: str, memory: MemoryMode, mb: int, pcaps, mbufs: int,
                  log_path: str) -> Contender:
    argv = [testpmd] + eal_common(prefix, memory, mb, pcaps) + [
        "--", "--forward-mode=io", "--no-flush-rx", "--nb-cores=1", f"--total-num-mbufs={mbufs}"]
    return Contender(argv, prefix, log_path, stdin_pipe=True)


def wait_started(tele, rx_ports, alive, timeout_s: float = 60.0):
    """Until packets flow (podgate loads and compiles before EAL starts)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError("process exited")
        rx, _, _ = tele.totals(rx_ports, [])
        if rx > 0:
            return
        time.sleep(0.1)
    raise RuntimeError(f"no packets after {timeout_s:.0f} s")
