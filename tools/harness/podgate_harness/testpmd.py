"""dpdk-testpmd on the same EAL arguments as podgate, the baseline of the
benchmarks. It runs non-interactively only with a stdin to wait on, and
exits on Enter (Process.stop writes it)."""

from . import binaries, eal
from .process import Process


def command(prefix: str, vdevs: list[str], options: list[str], memory: list[str] | None = None,
            cores: list[str] | None = None, binary: str | None = None) -> list[str]:
    return [binary or binaries.find("dpdk-testpmd"), *eal.args(prefix, vdevs, memory, cores), "--", *options]


def io_forwarding(mbufs: int) -> list[str]:
    """--forward-mode=io on one core; --no-flush-rx so a net_pcap source
    keeps the packets it preloaded."""
    return ["--forward-mode=io", "--no-flush-rx", "--nb-cores=1", f"--total-num-mbufs={mbufs}"]


class Testpmd(Process):
    def __init__(self, prefix: str, argv: list[str], log_path: str):
        super().__init__(argv, log_path, "dpdk-testpmd", stdin_pipe=True)
        self.prefix = prefix

    def close(self) -> None:
        super().close()
        eal.remove_runtime(self.prefix)
