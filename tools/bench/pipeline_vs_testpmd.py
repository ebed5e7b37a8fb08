#!/usr/bin/python3
"""pipeline_vs_testpmd: podgate against dpdk-testpmd --forward-mode=io on one
worker core, identical inputs, measured from outside through DPDK telemetry.

    tools/bench/pipeline_vs_testpmd.py [--build build-bench] [--configs all|NAME,...]
        [--runs 3] [--warmup 3] [--window 5] [--memory auto|huge|no-huge]
        [--workdir /tmp/podgate-bench] [--json FILE] [--list]

Per configuration: a synthetic cluster (podgate-synth), distinct IPv4 flows
with an exact allowed share (podgate-policy flows, decided by podgate's own tables), a
64-byte mix (podgate-traffic mix, round-robin over the flows), replayed by
net_pcap (infinite_rx) into net_null (no-rx) sinks. Both contenders get the
same EAL arguments (-l 0-1: main lcore 0, one forwarding/worker lcore 1, the
same vdevs, the same memory mode); podgate pairs the ports (--port-pairs
0:1,...), testpmd forwards its default paired topology. A run waits for
packets, warms up, then reads /ethdev/stats of the pcap ports at the start
and the end of a fixed window: Mpps = received packets / window. Runs
alternate podgate, testpmd, podgate, ... and the medians are compared.

Built (copied) nowhere: run it from the source tree. Needs root for
hugepages; falls back to --no-huge (the output says which).
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass, field

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
sys.path.insert(1, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "harness"))

from benchlib import inputs as inp  # noqa: E402
from benchlib import procs  # noqa: E402
from podgate_harness import podgate, telemetry  # noqa: E402

SOURCE = os.path.realpath(os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", ".."))
BIG = inp.Cluster(100000, 10000, 2000)


@dataclass(frozen=True)
class Config:
    name: str
    what: str
    cluster: inp.Cluster
    flows: int
    allow: float
    packets: int
    ct_capacity: int = 1 << 20
    targets: tuple = field(default_factory=tuple)


def configs():
    c = []
    for n in (1, 100, 1000, 10000):
        c.append(Config(f"policies-{n}", f"{n} policies, 100k pods, 100k flows, 50% allowed",
                        inp.Cluster(100000, n, 2000), 100000, 0.5, 100000, targets=("flat",)))
    c.append(Config("pods-1k", "100 policies, 1k pods, 100k flows, 50% allowed", inp.Cluster(1000, 100, 20),
                    100000, 0.5, 100000))
    c.append(Config("pods-10k", "1000 policies, 10k pods, 100k flows, 50% allowed", inp.Cluster(10000, 1000, 200),
                    100000, 0.5, 100000))
    c.append(Config("hits-1k", "10k policies, 100k pods, 1k flows all allowed: conntrack hits", BIG, 1000, 1.0,
                    32000))
    c.append(Config("hits-100k", "10k policies, 100k pods, 100k flows all allowed: conntrack hits", BIG, 100000,
                    1.0, 100000, targets=("hits",)))
    c.append(Config("mixed-100k", "10k policies, 100k pods, 100k flows, 50% allowed (hits) / 50% denied (lookups)",
                    BIG, 100000, 0.5, 100000, targets=("mixed",)))
    c.append(Config("deny-100k", "10k policies, 100k pods, 100k flows all denied: a policy lookup per packet",
                    BIG, 100000, 0.0, 100000))
    c.append(Config("hits-1m", "10k policies, 100k pods, 1M flows all allowed: conntrack hits past the caches",
                    BIG, 1000000, 1.0, 1000000))
    c.append(Config("mixed-1m", "10k policies, 100k pods, 1M flows, 50% allowed", BIG, 1000000, 0.5, 1000000))
    c.append(Config("new-flows", "10k policies, 100k pods, 100k flows all allowed, conntrack of 4096: every "
                    "packet a miss, a lookup and an entry (evicting)", BIG, 100000, 1.0, 100000, ct_capacity=4096))
    return c


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def measure(contender, rx_ports, tx_ports, warmup, window):
    tele = telemetry.Client(contender.prefix, wait_s=120, alive=contender.running)
    try:
        procs.wait_started(tele, rx_ports, contender.running)
        time.sleep(warmup)
        is_podgate = isinstance(contender, podgate.Podgate)
        s0 = tele.command("/podgate/stats") if is_podgate else None
        rx0, tx0, t0 = tele.ethdev_totals(rx_ports, tx_ports)
        time.sleep(window)
        rx1, tx1, t1 = tele.ethdev_totals(rx_ports, tx_ports)
        s1 = tele.command("/podgate/stats") if is_podgate else None
    finally:
        tele.close()
    dt = t1 - t0
    r = {"mpps": (rx1 - rx0) / dt / 1e6, "forwarded": (tx1 - tx0) / max(rx1 - rx0, 1), "seconds": dt}
    if is_podgate and s0 and s1:
        got = rx1 - rx0
        r["policy_lookups_per_packet"] = (s1["policy_lookups"] - s0["policy_lookups"]) / max(got, 1)
        # podgate flattens nested counters for telemetry: conntrack.hits -> conntrack_hits
        r["ct_hits_per_packet"] = (s1.get("conntrack_hits", 0) - s0.get("conntrack_hits", 0)) / max(got, 1)
    return r


def start(side, binary, cfg, ins, memory, log_path):
    """podgate (`binary`) or testpmd on configuration `cfg` with its inputs
    `ins`: the same EAL memory and mbuf pool for both."""
    mbufs = inp.pool_mbufs(cfg.packets)
    mb = procs.memory_mb(mbufs, cfg.ct_capacity)
    if side == "podgate":
        return procs.start_podgate(binary, memory, mb, ins.manifest, ins.pcaps, cfg.ct_capacity,
                                   inp.extra_mbufs(cfg.packets), log_path)
    return procs.start_testpmd(binary, memory, mb, ins.pcaps, mbufs, log_path)


def port_lists(ins):
    """(rx, tx) ports: net_pcapK is port 2K, its net_null sink 2K+1."""
    k = len(ins.pcaps)
    return [2 * i for i in range(k)], [2 * i + 1 for i in range(k)]


def run_config(cfg, args, cache, memory):
    log(f"== {cfg.name}: {cfg.what}")
    ins = cache.inputs(cfg.cluster, cfg.flows, cfg.allow, cfg.packets)
    rx_ports, tx_ports = port_lists(ins)
    results = {"podgate": [], "testpmd": []}
    loads = []
    os.makedirs(os.path.join(args.workdir, "logs"), exist_ok=True)
    for i in range(args.runs):
        for side in ("podgate", "testpmd"):
            logf = os.path.join(args.workdir, "logs", f"{cfg.name}-{side}-{i}.log")
            loads.append(os.getloadavg()[0])
            c = start(side, args.podgate if side == "podgate" else args.testpmd, cfg, ins, memory, logf)
            try:
                r = measure(c, rx_ports, tx_ports, args.warmup, args.window)
            except (RuntimeError, telemetry.TelemetryError) as e:
                c.close()
                raise RuntimeError(f"{cfg.name}: {side} run {i}: {e} (log: {logf})") from None
            c.stop()
            r["load1"] = loads[-1]
            results[side].append(r)
            log(f"   {side:8s} run {i}: {r['mpps']:7.2f} Mpps, forwarded {100 * r['forwarded']:5.1f}%, "
                f"load {loads[-1]:.1f}")
    pg = statistics.median(r["mpps"] for r in results["podgate"])
    tp = statistics.median(r["mpps"] for r in results["testpmd"])
    summary = {
        "name": cfg.name, "what": cfg.what, "cluster": cfg.cluster.__dict__, "flows": cfg.flows,
        "allow": cfg.allow, "packets": cfg.packets, "pcap_ports": len(ins.pcaps), "ct_capacity": cfg.ct_capacity,
        "targets": list(cfg.targets), "podgate_mpps": pg, "testpmd_mpps": tp, "ratio": pg / tp if tp else 0,
        "load_median": statistics.median(loads), "runs": results,
    }
    for key in ("policy_lookups_per_packet", "ct_hits_per_packet", "forwarded"):
        vals = [r[key] for r in results["podgate"] if key in r]
        if vals:
            summary[f"podgate_{key}"] = statistics.median(vals)
    log(f"   podgate {pg:.2f} Mpps, testpmd {tp:.2f} Mpps, ratio {summary['ratio']:.2f}")
    return summary


def verdicts(rows):
    """The issue's pipeline targets, from the measured medians."""
    by = {r["name"]: r for r in rows}
    out = []
    if "mixed-100k" in by:
        r = by["mixed-100k"]["ratio"]
        out.append(("podgate >= 0.5x testpmd io, 10k policies / 100k pods / 100k-flow mix", f"{r:.2f}x", r >= 0.5))
    if "hits-100k" in by:
        r = by["hits-100k"]["ratio"]
        out.append(("podgate >= 0.7x testpmd io, conntrack hits only", f"{r:.2f}x", r >= 0.7))
    flat = [by[n]["podgate_mpps"] for n in ("policies-1", "policies-100", "policies-1000", "policies-10000")
            if n in by]
    if len(flat) >= 2:
        spread = (max(flat) - min(flat)) / max(flat)
        out.append(("throughput flat within 15% from 1 to 10,000 policies", f"{100 * spread:.1f}% spread",
                    spread <= 0.15))
    return out


def print_table(rows, memory, args):
    print(f"\npodgate vs dpdk-testpmd io, one worker core, 64-byte IPv4; memory: {memory.mode}; "
          f"median of {args.runs} runs, {args.window:g} s window after {args.warmup:g} s warm-up")
    print(f"{'config':14s} {'podgate Mpps':>12s} {'testpmd Mpps':>12s} {'ratio':>6s} {'fwd %':>6s} "
          f"{'lookups/pkt':>11s} {'ct hits/pkt':>11s} {'load':>5s}  what")
    for r in rows:
        print(f"{r['name']:14s} {r['podgate_mpps']:12.2f} {r['testpmd_mpps']:12.2f} {r['ratio']:6.2f} "
              f"{100 * r.get('podgate_forwarded', 0):6.1f} {r.get('podgate_policy_lookups_per_packet', 0):11.3f} "
              f"{r.get('podgate_ct_hits_per_packet', 0):11.3f} {r['load_median']:5.1f}  {r['what']}")
    for text, value, ok in verdicts(rows):
        print(f"target: {text}: {value}: {'MET' if ok else 'NOT MET'}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(SOURCE, "build-bench"), help="meson build directory")
    ap.add_argument("--testpmd", default="dpdk-testpmd")
    ap.add_argument("--configs", default="all", help="comma-separated names (see --list) or all")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--warmup", type=float, default=3.0, help="seconds before the window")
    ap.add_argument("--window", type=float, default=5.0, help="measured seconds")
    ap.add_argument("--memory", choices=("auto", "huge", "no-huge"), default="auto")
    ap.add_argument("--workdir", default="/tmp/podgate-bench")
    ap.add_argument("--json", help="write every run and the medians here")
    ap.add_argument("--list", action="store_true", help="list the configurations and exit")
    args = ap.parse_args(argv)
    all_configs = configs()
    if args.list:
        for c in all_configs:
            print(f"{c.name:12s} {c.what}")
        return 0
    chosen = all_configs if args.configs == "all" else [c for c in all_configs if c.name in args.configs.split(",")]
    unknown = set(args.configs.split(",")) - {c.name for c in all_configs} if args.configs != "all" else set()
    if unknown or not chosen or args.runs < 1:
        ap.error(f"unknown configs {sorted(unknown)} (see --list)" if unknown else "nothing to run")
    args.podgate = os.path.join(args.build, "app/podgate")
    for exe in (args.podgate, os.path.join(args.build, "tools/policy/podgate-policy"),
                os.path.join(args.build, "tests/support/synth/podgate-synth")):
        if not os.access(exe, os.X_OK):
            ap.error(f"{exe} missing: ninja -C {args.build} app/podgate tools/policy/podgate-policy "
                     "tests/support/synth/podgate-synth")
    cache = inp.InputCache(args.workdir, args.build, SOURCE, log)
    need_mb = max(procs.memory_mb(inp.pool_mbufs(c.packets), c.ct_capacity) for c in chosen)
    memory = procs.MemoryMode(args.memory, need_mb, log)
    rows = []
    try:
        for cfg in chosen:
            rows.append(run_config(cfg, args, cache, memory))
    finally:
        memory.release()
    print_table(rows, memory, args)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"date": time.strftime("%Y-%m-%d %H:%M:%S %z"), "machine": platform.processor() or
                       platform.machine(), "cpus": os.cpu_count(), "memory": memory.mode,
                       "hugepages": memory.pages, "runs": args.runs, "warmup_s": args.warmup,
                       "window_s": args.window, "configs": rows, "targets": verdicts(rows)}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
