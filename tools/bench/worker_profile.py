#!/usr/bin/python3
"""worker_profile: where a forwarding core's wall time goes, in ns per packet.
Runs podgate and dpdk-testpmd (io) on one configuration of
pipeline_vs_testpmd (same inputs, same EAL arguments, same memory mode),
samples the forwarding lcore with `perf record -e cpu-clock` (a timer: this
VM has no hardware counters, so cache misses show up as time spent on the
instruction that waits) and splits each contender's time per packet by
shared object and by symbol.

    tools/bench/worker_profile.py --config hits-100k [--build build-bench]
        [--side podgate,testpmd] [--seconds 5] [--top 8] [--keep DIR]

The rate is read over DPDK telemetry during the sampled window, so
"ns/packet" = share of samples / rate. Sampling at 20 kHz slows both
contenders a few percent; the figures are for comparing where time goes,
the throughput figures come from pipeline_vs_testpmd. --keep DIR leaves the
perf.data files there (then: perf annotate -i DIR/podgate.data -s SYMBOL).
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
sys.path.insert(1, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "harness"))
from benchlib import inputs as inp  # noqa: E402
from benchlib import procs  # noqa: E402
from podgate_harness import telemetry  # noqa: E402
from pipeline_vs_testpmd import SOURCE, configs, log, port_lists, start  # noqa: E402


def worker_tid(pid: int) -> str:
    """The thread DPDK named for lcore 1 (the only forwarding lcore)."""
    out = subprocess.run(["ps", "-L", "-o", "tid=,comm=", "-p", str(pid)], capture_output=True, text=True,
                         check=True).stdout
    for line in out.splitlines():
        tid, comm = line.split(None, 1)
        if comm.strip().endswith("-1") or comm.strip() in ("rte-worker-1", "lcore-worker-1"):
            return tid
    raise RuntimeError(f"no lcore-1 thread in {out!r}")


def shares(data: str, sort: str):
    """(percent, name) rows of `perf report --sort SORT`."""
    out = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", sort, "--stdio"],
                         capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        m = re.match(r"\s*([0-9.]+)%\s+(.*\S)", line)
        if m and not line.lstrip().startswith("#"):
            name = re.sub(r"(\s+-)+$", "", m.group(2))  # perf's empty srcline columns
            rows.append((float(m.group(1)), re.sub(r"\s+", " ", name)))
    return rows


def profile(side, cfg, args, cache, memory, outdir):
    ins = cache.inputs(cfg.cluster, cfg.flows, cfg.allow, cfg.packets)
    binary = os.path.join(args.build, "app/podgate") if side == "podgate" else args.testpmd
    c = start(side, binary, cfg, ins, memory, os.path.join(outdir, f"{side}.log"))
    rx_ports, _ = port_lists(ins)
    data = os.path.join(outdir, f"{side}.data")
    try:
        tele = telemetry.Client(c.prefix, wait_s=120, alive=c.running)
        procs.wait_started(tele, rx_ports, c.running)
        time.sleep(args.warmup)
        tid = worker_tid(c.proc.pid)
        rx0, _, t0 = tele.ethdev_totals(rx_ports, [])
        subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-F", "20000", "-t", tid, "-o", data, "--",
                        "sleep", str(args.seconds)], check=True, capture_output=True)
        rx1, _, t1 = tele.ethdev_totals(rx_ports, [])
        tele.close()
    finally:
        c.stop()
    mpps = (rx1 - rx0) / (t1 - t0) / 1e6
    return mpps, data


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", required=True, help="a pipeline_vs_testpmd configuration (its --list)")
    ap.add_argument("--build", default=os.path.join(SOURCE, "build-bench"))
    ap.add_argument("--testpmd", default="dpdk-testpmd")
    ap.add_argument("--side", default="podgate,testpmd")
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--top", type=int, default=8, help="symbols listed per contender")
    ap.add_argument("--memory", choices=("auto", "huge", "no-huge"), default="auto")
    ap.add_argument("--workdir", default="/tmp/podgate-bench")
    ap.add_argument("--keep", help="directory for the perf.data files")
    args = ap.parse_args(argv)
    chosen = [c for c in configs() if c.name == args.config]
    if not chosen:
        ap.error(f"unknown config {args.config} (pipeline_vs_testpmd.py --list)")
    cfg = chosen[0]
    cache = inp.InputCache(args.workdir, args.build, SOURCE, log)
    memory = procs.MemoryMode(args.memory, procs.memory_mb(inp.pool_mbufs(cfg.packets), cfg.ct_capacity), log)
    outdir = args.keep or tempfile.mkdtemp(prefix="worker-profile-")
    os.makedirs(outdir, exist_ok=True)
    try:
        for side in args.side.split(","):
            mpps, data = profile(side, cfg, args, cache, memory, outdir)
            ns = 1e3 / mpps if mpps else 0.0
            print(f"{side} on {cfg.name}: {mpps:.2f} Mpps while sampled = {ns:.1f} ns per packet "
                  f"(memory: {memory.mode})")
            for pct, name in shares(data, "dso")[:6]:
                print(f"  {pct:6.2f}%  {pct * ns / 100:6.1f} ns  {name}")
            print("  top symbols:")
            for pct, name in shares(data, "dso,symbol")[:args.top]:
                print(f"  {pct:6.2f}%  {pct * ns / 100:6.1f} ns  {name}")
    finally:
        memory.release()
        if not args.keep:
            subprocess.run(["rm", "-rf", outdir], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
