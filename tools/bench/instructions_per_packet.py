#!/usr/bin/python3
"""instructions_per_packet: the reproducible cost figure on a noisy machine.
Runs podgate and dpdk-testpmd (io) under valgrind --tool=callgrind on the same
net_pcap (infinite_rx) -> net_null input and divides the instructions of the
forwarding thread (callgrind --separate-threads: the worker lcore does
nothing but its poll loop, so start-up is not in it) by the packets it
received. The first pass over the file (new flows) is in the figure; with
millions of packets per run it weighs a fraction of a percent.

    tools/bench/instructions_per_packet.py --manifest CLUSTER.json --pcap MIX.pcap
        [--build build-bench] [--seconds 30] [--runs 2] [--side podgate,testpmd]
        [--conntrack-capacity N] [--annotate] [--keep FILE]

--annotate prints podgate's worker functions by instructions (inclusive, from
the longer run) to show where the packets' instructions go.
"""

import argparse
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SOURCE = os.path.realpath(os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(SOURCE, "tools", "harness"))
from podgate_harness import eal, podgate, testpmd  # noqa: E402


def vdevs(pcap):
    return [f"net_pcap0,rx_pcap={pcap},infinite_rx=1", "net_null0,no-rx=1"]


def worker_instructions(outdir):
    """(instructions, file) of the thread that ran the most: the forwarding lcore."""
    best = (0, None)
    for f in glob.glob(os.path.join(outdir, "callgrind.out.*")):
        with open(f) as fh:
            for line in fh:
                if line.startswith(("summary:", "totals:")):
                    n = int(line.split()[1])
                    best = max(best, (n, f))
                    break
    return best


def run(side, args, seconds, outdir):
    prefix = eal.unique_prefix(f"ipp-{side}")
    cmd = ["valgrind", "--tool=callgrind", "--separate-threads=yes",
           f"--callgrind-out-file={outdir}/callgrind.out.%p"]
    memory = ["--no-huge", "-m", "1024"]
    if side == "podgate":
        cmd += podgate.command(prefix, vdevs(args.pcap), [
            "--manifests", args.manifest, "--port-pairs", "0:1", "--stats-interval", "0",
            "--rx-descriptors", "16384", "--tx-descriptors", "16384", "--metrics-listen", "off",
            "--conntrack-capacity", str(args.conntrack_capacity), "--log-level", "warn"], memory,
            binary=os.path.join(args.build, "app/podgate"))
        stdin = subprocess.DEVNULL
    else:
        cmd += testpmd.command(prefix, vdevs(args.pcap), testpmd.io_forwarding(70000), memory, binary="dpdk-testpmd")
        stdin = subprocess.PIPE
    log = open(os.path.join(outdir, "log"), "w")
    p = subprocess.Popen(cmd, stdin=stdin, stdout=log, stderr=subprocess.STDOUT)
    # Under valgrind start-up (manifests, EAL, preloading the pcap) is slow:
    # count the seconds from the first forwarded packet, seen in the log of
    # neither, so simply from launch plus a generous start-up allowance.
    time.sleep(args.startup + seconds)
    if side == "podgate":
        # Under valgrind (one thread at a time, the worker busy-polling) the
        # control thread has been seen not to act on a SIGINT for over ten
        # minutes, and a second SIGINT ended it: ask again until it stops.
        # The figure is per packet, so a longer run changes nothing.
        for _ in range(10):
            p.send_signal(signal.SIGINT)
            try:
                p.wait(timeout=60)
                break
            except subprocess.TimeoutExpired:
                print("podgate: still running 60 s after SIGINT; sending it again", file=sys.stderr)
    else:
        p.stdin.write(b"\n")
        p.stdin.close()
    p.wait(timeout=600)
    log.close()
    eal.remove_runtime(prefix)
    text = open(os.path.join(outdir, "log")).read()
    if side == "podgate":
        m = re.findall(r"rx (\d+), forwarded", text)
    else:
        m = re.findall(r"Accumulated forward statistics for all ports.*?RX-packets:\s*(\d+)", text, re.S)
    if not m:
        raise RuntimeError(f"{side}: no packet count in its output:\n{text[-2000:]}")
    instructions, f = worker_instructions(outdir)
    return int(m[-1]), instructions, f


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(SOURCE, "build-bench"))
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--pcap", required=True, help="one pcap, at most ~60,000 packets (podgate's pool)")
    ap.add_argument("--seconds", type=float, default=30.0, help="forwarding time per run")
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--startup", type=float, default=20.0, help="seconds allowed for start-up under valgrind")
    ap.add_argument("--side", default="podgate,testpmd")
    ap.add_argument("--conntrack-capacity", type=int, default=1 << 20)
    ap.add_argument("--annotate", action="store_true")
    ap.add_argument("--keep", metavar="FILE", help="copy the worker thread's callgrind output of the last podgate "
                    "run to FILE (then: callgrind_annotate --auto=yes FILE, with a -g build for source lines)")
    args = ap.parse_args(argv)
    for side in args.side.split(","):
        ratios = []
        for r in range(args.runs):
            outdir = tempfile.mkdtemp(prefix=f"ipp-{side}-")
            packets, instructions, f = run(side, args, args.seconds, outdir)
            ratios.append(instructions / max(packets, 1))
            print(f"{side}: run {r}: {packets} packets, {instructions} instructions on the worker thread: "
                  f"{ratios[-1]:.1f} per packet", file=sys.stderr, flush=True)
            if args.annotate and side == "podgate" and r == args.runs - 1 and f:
                out = subprocess.run(["callgrind_annotate", "--inclusive=yes", f], capture_output=True,
                                     text=True).stdout
                print("\n".join(out.splitlines()[:70]))
            if args.keep and side == "podgate" and r == args.runs - 1 and f:
                shutil.copyfile(f, args.keep)
            shutil.rmtree(outdir, ignore_errors=True)
        print(f"{side}: {min(ratios):.1f} .. {max(ratios):.1f} instructions per packet over {args.runs} runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
