"""EAL arguments shared by podgate and dpdk-testpmd. Every process gets a
--file-prefix of its own (several --no-huge processes may run at once), and
the runtime directory that prefix owns is removed after the process."""

import itertools
import os
import shutil

RUNTIME_DIR = "/var/run/dpdk"
_serial = itertools.count(1)

# Main lcore on CPU 0, the worker on CPU 1: the machines this runs on may
# have two CPUs only.
ONE_WORKER = ("-l", "0-1")


def unique_prefix(kind: str) -> str:
    """podgate-KIND-PID-N: unique within the machine while this process runs."""
    return f"podgate-{kind}-{os.getpid()}-{next(_serial)}"


def lcores(workers: int) -> list[str]:
    """Main lcore 0 on CPU 0, every worker on CPU 1 (-l 0-2 needs three CPUs,
    the remapped form works on two)."""
    if workers == 1:
        return list(ONE_WORKER)
    return ["--lcores", "0@0," + ",".join(f"{w}@1" for w in range(1, workers + 1))]


def args(prefix: str, vdevs: list[str], memory: list[str] | None = None, cores: list[str] | None = None) -> list[str]:
    """EAL arguments: no PCI, `memory` (default --no-huge -m 512), `cores`
    (default one worker), the prefix, one --vdev per entry."""
    memory = ["--no-huge", "-m", "512"] if memory is None else memory
    cores = list(ONE_WORKER) if cores is None else cores
    return ["--no-pci", *memory, *cores, "--file-prefix", prefix, *[a for v in vdevs for a in ("--vdev", v)]]


def runtime_dir(prefix: str) -> str:
    return os.path.join(RUNTIME_DIR, prefix)


def remove_runtime(prefix: str) -> None:
    """This prefix's own runtime directory (never another process's)."""
    shutil.rmtree(runtime_dir(prefix), ignore_errors=True)
