#!/usr/bin/python3
"""End-to-end: podgate between two network namespaces, real clients and
servers on either side (see README.md). Needs root. Prints per case what it
observed and ends with `N passed, N failed`; exit 0 only if nothing failed
(77, meson's skip, when it cannot run here at all)."""

import argparse
import hashlib
import os
import secrets
import shutil
import signal
import sys
import tempfile
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(1, os.path.join(HERE, "..", "..", "tools", "harness"))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree

from e2elib import cases_load, cases_policy, cases_reload, procs  # noqa: E402
from e2elib.case import Case, run_case  # noqa: E402
from e2elib.gate import Gate  # noqa: E402
from podgate_harness import binaries, counters, metrics  # noqa: E402
from e2elib.tools import Tools  # noqa: E402
from e2elib.topology import POD_PREFIX_V4, POD_PREFIX_V6, Topology  # noqa: E402

# Which side of podgate each pod of cluster/pods.yaml lives on.
OUTSIDE_PODS = ["api", "frontend", "probe"]
INSIDE_PODS = ["db", "cache", "web", "batch", "stream"]
# Outside clients that are not pods (web-policy's ipBlock and its except; an
# external server for batch's egress).
CLIENT_IN_BLOCK = "198.51.100.10"
CLIENT_IN_EXCEPT = "198.51.100.200"
EXTERNAL_SERVER = "203.0.113.5"
PAYLOAD_SIZE = 64 * 1024

PHASE_REVALIDATE = [
    ("seed: api -> db:3306 allowed, frontend and probe denied (IPv4)", cases_policy.seed),
    ("seed over IPv6", cases_policy.seed_v6),
    ("namespaceSelector", cases_policy.namespace_selector),
    ("ipBlock with except", cases_policy.ip_block),
    ("egress isolation of batch", cases_policy.egress_isolation),
    ("UDP request/response", cases_policy.udp),
    ("ICMP echo, IPv4 and IPv6", cases_policy.icmp),
    ("TCP stream echo (socat)", cases_policy.tcp_echo),
    ("SCTP", cases_policy.sctp),
    ("large transfer: 100 MiB over one TCP connection", cases_load.large_transfer),
    ("many short connections: 1,000 allowed, 1,000 denied", cases_load.many_connections),
    ("reload under a live stream, --established revalidate", cases_reload.reload),
]
PHASE_KEEP = [
    ("reload under a live stream, --established keep", cases_reload.reload),
]


class Env:
    pass


def pod_addresses(manifest_dir: str) -> dict:
    """{pod name: {"v4": addr, "v6": addr}} from the bundled pods.yaml."""
    out = {}
    with open(os.path.join(manifest_dir, "pods.yaml")) as f:
        for doc in yaml.safe_load_all(f):
            if doc and doc.get("kind") == "Pod":
                ips = [i["ip"] for i in doc["status"]["podIPs"]]
                out[doc["metadata"]["name"]] = {"v4": next(i for i in ips if ":" not in i),
                                                "v6": next(i for i in ips if ":" in i)}
    return out


def side_addresses(pods: dict, names: list) -> list:
    return [f"{pods[n]['v4']}/{POD_PREFIX_V4}" for n in names] + [f"{pods[n]['v6']}/{POD_PREFIX_V6}" for n in names]


def counters_at_exit(c: Case, env):
    """The three ways to read podgate's counters agree: telemetry and
    /metrics while it runs, --stats-json when SIGINT stops it; and every
    packet it received was forwarded or counted as a drop."""
    tele = env.gate.counters()
    samples = env.gate.samples()
    for r in counters.drop_reasons():
        m = metrics.metric(samples, "podgate_dropped_packets_total", reason=r)
        c.check(m == tele.drop(r), f"/metrics says {m} drops for {r}, telemetry {tele.drop(r)}")
    m = metrics.metric(samples, "podgate_conntrack_events_total", event="creates")
    c.check(m == tele.get("conntrack.creates"), f"/metrics creates {m}, telemetry {tele.get('conntrack.creates')}")
    stats = env.gate.finish()
    env.gate_stopped = True
    dropped = {r: n for r, n in stats["dropped"].items() if n}
    c.note(f"--stats-json: rx {stats['rx']}, tx {stats['tx']}, dropped {dropped}, "
           f"conntrack creates {stats['conntrack']['creates']}, revoked {stats['conntrack']['revoked']}, "
           f"reloads {stats['reloads']}")
    for r in counters.drop_reasons():
        c.check(stats["dropped"][r] == tele.drop(r),
                f"--stats-json has {stats['dropped'][r]} drops for {r}, telemetry had {tele.drop(r)}")
    c.check(stats["conntrack"]["creates"] == tele.get("conntrack.creates"),
            f"--stats-json creates {stats['conntrack']['creates']}, telemetry {tele.get('conntrack.creates')}")
    c.check(stats["rx"] == stats["tx"] + stats["dropped_total"],
            f"rx {stats['rx']} != tx {stats['tx']} + dropped {stats['dropped_total']}")
    c.check(stats["dropped"]["malformed"] == 0 and stats["dropped"]["tx-full"] == 0,
            f"malformed or tx-full drops: {dropped}")


def run_phase(env, established: str, cases: list, wanted, results: list):
    env.gate = Gate(env.workdir, (env.topo.outside.root_dev, env.topo.pods.root_dev), env.manifests, established)
    env.gate_stopped = False
    start = Case(f"podgate starts (--established {established})")
    try:
        env.gate.start()
    except Exception as e:
        env.gate.close()
        start.failures.append(str(e))
        start.status = "failed"
        print(f"== {start.name}\n    FAIL: {e}\n   FAILED", flush=True)
        # Every case of the phase counts as failed: none of them ran.
        results += [start] + [Case(name, [f"not run: podgate (--established {established}) did not start"], "failed")
                              for name, _ in cases if wanted(name)]
        return
    print(f"-- podgate (--established {established}) running: {' '.join(env.gate.command)}", flush=True)
    try:
        for name, fn in cases:
            if wanted(name):
                r = run_case(name, fn, env)
                if not env.gate.running():
                    r.failures.append(f"podgate exited {env.gate.proc.returncode}:\n{env.gate.log()[-2000:]}")
                    r.status = "failed"
                    results.append(r)
                    return
                results.append(r)
        results.append(run_case(f"counters agree at exit (--established {established})", counters_at_exit, env))
    finally:
        if not env.gate_stopped and env.gate.running():
            try:
                env.gate.finish()
            except Exception as e:
                print(f"e2e: podgate did not stop cleanly: {e}", flush=True)
        env.gate.close()


def preflight(podgate: str) -> str:
    if os.geteuid() != 0:
        return "needs root (network namespaces, veth pairs, af_packet)"
    for tool in ("ip", "ethtool", "tcpdump", "curl", "socat", "ping", "ss", "sha256sum"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (podgate.sh deps installs it)"
    if not os.access(podgate, os.X_OK):
        return f"no podgate at {podgate}: build it first (ninja -C BUILD app/podgate)"
    return ""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--podgate", default=os.environ.get("PODGATE"), help="the podgate binary ($PODGATE)")
    ap.add_argument("--build-dir", help="take podgate from BUILD/app/podgate")
    ap.add_argument("--case", action="append", default=[], help="run only cases whose name contains this")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (logs, captures)")
    args = ap.parse_args()
    podgate = args.podgate or os.path.join(args.build_dir or os.path.join(HERE, "..", "..", "build"),
                                           "app", "podgate")
    podgate = os.path.abspath(podgate)
    binaries.configure(podgate=podgate)
    reason = preflight(podgate)
    if reason:
        print(f"e2e: skipped: {reason}")
        return 77

    def stop_on_signal(signum, frame):
        for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(s, signal.SIG_IGN)  # a second signal must not cut the cleanup short
        raise SystemExit(f"stopped by {signal.Signals(signum).name}")  # unwinds through every finally

    for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(s, stop_on_signal)

    env = Env()
    env.source_dir = HERE
    env.tag = f"{os.getpid():x}"
    env.workdir = tempfile.mkdtemp(prefix=f"podgate-e2e-{env.tag}-")
    env.manifests = os.path.join(env.workdir, "manifests")
    shutil.copytree(os.path.join(HERE, "cluster"), env.manifests)
    env.www = os.path.join(env.workdir, "www")
    os.makedirs(env.www)
    payload = secrets.token_bytes(PAYLOAD_SIZE)
    with open(os.path.join(env.www, "payload.bin"), "wb") as f:
        f.write(payload)
    env.payload_sha256 = hashlib.sha256(payload).hexdigest()
    env.payload_size = PAYLOAD_SIZE
    pods = pod_addresses(env.manifests)
    env.ip = lambda name, family="v4": pods[name][family]
    env.client_in_block, env.client_in_except, env.external_server = CLIENT_IN_BLOCK, CLIENT_IN_EXCEPT, EXTERNAL_SERVER
    env.registry = procs.Registry(env.workdir)
    env.topo = Topology(env.tag)
    env.tools = Tools(env.topo, env.registry, env.workdir)
    wanted = (lambda name: any(w.lower() in name.lower() for w in args.case)) if args.case else (lambda name: True)

    print(f"e2e: podgate {podgate}\ne2e: work directory {env.workdir}", flush=True)
    started = time.monotonic()
    results = []
    interrupted = None
    try:
        env.topo.create(side_addresses(pods, OUTSIDE_PODS) + [f"{CLIENT_IN_BLOCK}/24", f"{CLIENT_IN_EXCEPT}/24",
                                                              f"{EXTERNAL_SERVER}/24"],
                        side_addresses(pods, INSIDE_PODS))
        print(f"e2e: netns {env.topo.outside.netns} ({env.topo.outside.dev}) <-> podgate on "
              f"{env.topo.outside.root_dev} | {env.topo.pods.root_dev} <-> netns {env.topo.pods.netns} "
              f"({env.topo.pods.dev})", flush=True)
        for established, cases in (("revalidate", PHASE_REVALIDATE), ("keep", PHASE_KEEP)):
            if any(wanted(n) for n, _ in cases):
                run_phase(env, established, cases, wanted, results)
    except SystemExit as e:
        interrupted = Case("the run was interrupted", [str(e.code)], "failed")
        print(f"\ne2e: {e.code}; cleaning up", flush=True)
    finally:
        env.registry.stop_all()
        problems = env.topo.destroy()
        for p in problems:
            print(f"e2e: cleanup: {p}", flush=True)
        if args.keep:
            print(f"e2e: kept {env.workdir}")
        else:
            shutil.rmtree(env.workdir, ignore_errors=True)

    if interrupted:
        results.append(interrupted)
    passed = sum(1 for r in results if r.status == "passed")
    failed = sum(1 for r in results if r.status == "failed")
    skipped = sum(1 for r in results if r.status == "skipped")
    print(f"\ne2e summary ({time.monotonic() - started:.0f} s):")
    for r in results:
        print(f"  {r.status.upper():8} {r.name} ({r.seconds:.1f} s)" + (f": {r.skip_reason}" if r.skip_reason else ""))
        for f in r.failures:
            print(f"           - {f.splitlines()[0]}")
    print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    if interrupted:
        return 130
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main())
