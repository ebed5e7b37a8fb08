#!/usr/bin/python3
"""alternate: podgate against itself, runs interleaved so the VM's drift hits
every contender alike. Each contender is a pipeline_vs_testpmd configuration
run by one podgate binary; run i of every contender comes before run i+1 of
any. Prints every run, the medians, each median against the first
contender's, and each run against the first contender's run of the same
round.

    tools/bench/alternate.py --configs policies-1,policies-10000 [--runs 5]
    tools/bench/alternate.py --configs hits-100k --podgate OLD/podgate,NEW/podgate

The first compares configurations (is the rate flat in the policy count?),
the second builds (did a change help?), without the 20-30% swings between
minutes that separate runs of pipeline_vs_testpmd see on this VM. Same
measurement as there: wait for packets, warm up, Mpps over a window from
/ethdev/stats.
"""

import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
sys.path.insert(1, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "harness"))
from benchlib import inputs as inp  # noqa: E402
from benchlib import procs  # noqa: E402
from pipeline_vs_testpmd import SOURCE, configs, log, measure, port_lists, start  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--configs", required=True, help="pipeline_vs_testpmd configurations, comma-separated")
    ap.add_argument("--podgate", help="podgate binaries, comma-separated (default: BUILD/app/podgate)")
    ap.add_argument("--build", default=os.path.join(SOURCE, "build-bench"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--window", type=float, default=5.0)
    ap.add_argument("--memory", choices=("auto", "huge", "no-huge"), default="auto")
    ap.add_argument("--workdir", default="/tmp/podgate-bench")
    args = ap.parse_args(argv)
    by_name = {c.name: c for c in configs()}
    names = args.configs.split(",")
    binaries = (args.podgate or os.path.join(args.build, "app/podgate")).split(",")
    if any(n not in by_name for n in names) or args.runs < 1:
        ap.error(f"unknown configs {[n for n in names if n not in by_name]} (pipeline_vs_testpmd.py --list)")
    if len(names) * len(binaries) < 2:
        ap.error("nothing to alternate: give two configs or two binaries")
    contenders = [(by_name[n], b, f"{n} {b}" if len(binaries) > 1 else n) for n in names for b in binaries]
    cache = inp.InputCache(args.workdir, args.build, SOURCE, log)
    inputs = {c.name: cache.inputs(c.cluster, c.flows, c.allow, c.packets) for c, _, _ in contenders}
    mb = max(procs.memory_mb(inp.pool_mbufs(c.packets), c.ct_capacity) for c, _, _ in contenders)
    memory = procs.MemoryMode(args.memory, mb, log)
    os.makedirs(os.path.join(args.workdir, "logs"), exist_ok=True)
    rates = {label: [] for _, _, label in contenders}
    try:
        for i in range(args.runs):
            for n, (cfg, binary, label) in enumerate(contenders):
                ins = inputs[cfg.name]
                logf = os.path.join(args.workdir, "logs", f"alternate-{n}-{cfg.name}-{i}.log")
                c = start("podgate", binary, cfg, ins, memory, logf)
                try:
                    r = measure(c, *port_lists(ins), args.warmup, args.window)
                finally:
                    c.stop()
                rates[label].append(r["mpps"])
                log(f"   run {i}: {label}: {r['mpps']:.2f} Mpps")
    finally:
        memory.release()
    first = contenders[0][2]
    base = statistics.median(rates[first])
    print(f"podgate alternated, one worker core, memory: {memory.mode}, {args.runs} runs each "
          f"({args.warmup:g} s warm-up, {args.window:g} s window)")
    for _, _, label in contenders:
        med = statistics.median(rates[label])
        pairs = [r / f for r, f in zip(rates[label], rates[first])]
        print(f"{label:40s} median {med:6.2f} Mpps  x{med / base:.2f} of {first}; runs "
              + " ".join(f"{r:.2f}" for r in rates[label])
              + (f"; run by run x{min(pairs):.2f}..x{max(pairs):.2f}, mean x{statistics.mean(pairs):.2f}"
                 if label != first else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
