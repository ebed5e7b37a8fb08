"""Runs the real podgate daemon on net_pcap vdevs: one vdev per port, one
rx_pcap/tx_pcap pair per queue (= per worker), until the input pcaps are
exhausted (--exit-on-idle)."""

import os
from dataclasses import dataclass

from podgate_harness import eal, pcap, podgate

from .case import Case, Run

DaemonError = podgate.DaemonError


@dataclass
class Result:
    outputs: dict  # (port, queue) -> [frame]
    stats: dict
    command: list[str]
    log: str
    seconds: float


def run(case: Case, run_: Run, inputs: dict, workdir: str, idle_ms: int) -> Result:
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
        vdevs.append(",".join(args))
    manifests = [a for m in case.manifests for a in ("--manifests", m)]
    done = podgate.run_to_exit(workdir, tag, vdevs, [*manifests, "--exit-on-idle", str(idle_ms), "--stats-interval",
                                                     "0", *run_.options], "func", eal.lcores(case.workers))
    outputs = {(port, queue): pcap.read(os.path.join(workdir, f"{tag}-out-p{port}-q{queue}.pcap"))
               for port in range(case.ports) for queue in range(case.workers)}
    return Result(outputs, done.stats, done.command, done.log, done.seconds)
