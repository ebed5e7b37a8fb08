"""Runs the real podgate daemon on net_pcap vdevs: one vdev per port, one
rx_pcap/tx_pcap pair per queue (= per worker), until the input pcaps are
exhausted (--exit-on-idle)."""

import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass

from . import pcap
from .case import Case, Run

_counter = 0


@dataclass
class Result:
    outputs: dict  # (port, queue) -> [frame]
    stats: dict
    command: list[str]
    log: str
    seconds: float


class DaemonError(Exception):
    pass


def _lcores(workers: int) -> list[str]:
    # Main lcore on CPU 0, workers on CPU 1: -l 0-2 needs three CPUs, the
    # remapped form works on two.
    return ["-l", "0-1"] if workers == 1 else ["--lcores", "0@0," + ",".join(f"{w}@1" for w in range(1, workers + 1))]


def run(podgate: str, case: Case, run_: Run, inputs: dict, workdir: str, idle_ms: int) -> Result:
    global _counter
    _counter += 1
    prefix = f"podgate-func-{os.getpid()}-{_counter}"
    tag = f"{case.name}-{run_.name}"
    vdevs = []
    for port in range(case.ports):
        args = [f"net_pcap{port}"]
        for queue in range(case.workers):
            path = os.path.join(workdir, f"{tag}-in-p{port}-q{queue}.pcap")
            pcap.write(path, [p.frame for p in inputs[(port, queue)]])
            args.append(f"rx_pcap={path}")
        for queue in range(case.workers):
            path = os.path.join(workdir, f"{tag}-out-p{port}-q{queue}.pcap")
            if os.path.exists(path):
                os.remove(path)
            args.append(f"tx_pcap={path}")
        vdevs += ["--vdev", ",".join(args)]
    stats_path = os.path.join(workdir, f"{tag}-stats.json")
    if os.path.exists(stats_path):
        os.remove(stats_path)
    manifests = [a for m in case.manifests for a in ("--manifests", m)]
    cmd = [podgate, "--no-huge", "--no-pci", "-m", "512", *_lcores(case.workers), "--file-prefix", prefix, *vdevs,
           "--", *manifests, "--exit-on-idle", str(idle_ms), "--stats-json", stats_path, "--stats-interval", "0",
           *run_.options]
    start = time.monotonic()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired as e:
        raise DaemonError(f"podgate did not stop within {e.timeout} s: {' '.join(cmd)}") from None
    finally:
        shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)  # this run's own runtime directory
    seconds = time.monotonic() - start
    log = proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise DaemonError(f"podgate exited {proc.returncode}: {' '.join(cmd)}\n{log}")
    try:
        with open(stats_path, encoding="utf-8") as f:
            stats = json.load(f)
    except (OSError, ValueError) as e:
        raise DaemonError(f"podgate wrote no usable --stats-json ({e}): {' '.join(cmd)}\n{log}") from None
    outputs = {(port, queue): pcap.read(os.path.join(workdir, f"{tag}-out-p{port}-q{queue}.pcap"))
               for port in range(case.ports) for queue in range(case.workers)}
    return Result(outputs, stats, cmd, log, seconds)
