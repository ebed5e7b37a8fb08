"""podgate itself: started on the two root-side veth ends, queried while it
runs (DPDK telemetry for counters, the Prometheus endpoint for a cross-check)
and stopped with SIGINT, which makes it write --stats-json."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time

from . import procs

# Drop reasons as podgate lists them (`podgate --list-counters`), filled in
# place when the first Podgate is made; in /podgate/stats telemetry flattens
# them with "_" and turns "-" into "_".
DROP_REASONS: list = []


class GateError(Exception):
    pass


class Counters:
    """One reading of /podgate/stats, with the fields the cases compare."""

    def __init__(self, flat: dict):
        self.flat = flat

    def get(self, name: str) -> int:
        key = name.replace("-", "_").replace(".", "_")
        if key not in self.flat:
            raise GateError(f"/podgate/stats has no {key}")
        return int(self.flat[key])

    def drop(self, reason: str) -> int:
        return self.get("dropped." + reason)

    def minus(self, before: "Counters") -> dict:
        d = {f"drop:{r}": self.drop(r) - before.drop(r) for r in DROP_REASONS}
        for name in ("conntrack.creates", "conntrack.revoked", "conntrack.revalidated", "new_flows_allowed",
                     "rx", "tx", "dropped_total", "nd_passed", "non_ip_forwarded"):
            d[name] = self.get(name) - before.get(name)
        return d


class Podgate:
    def __init__(self, exe: str, registry: procs.Registry, workdir: str, tag: str, ports: tuple,
                 manifests: str, established: str):
        self.exe = exe
        if not DROP_REASONS:
            listed = subprocess.run([exe, "--list-counters"], capture_output=True, text=True, timeout=60, check=True)
            DROP_REASONS[:] = json.loads(listed.stdout)["drop_reasons"]
        self.registry = registry
        self.prefix = f"podgate-e2e-{tag}-{established}"
        self.ports = ports
        self.manifests = manifests
        self.established = established
        self.stats_path = os.path.join(workdir, f"stats-{established}.json")
        self.proc = None
        self.metrics_port = None
        self.generation = 1

    def command(self) -> list:
        a, b = self.ports
        return [self.exe, "--no-huge", "--no-pci", "-m", "512", "-l", "0-1", "--file-prefix", self.prefix,
                "--vdev", f"net_af_packet0,iface={a}", "--vdev", f"net_af_packet1,iface={b}",
                "--", "--manifests", self.manifests, "--established", self.established,
                "--idle-sleep-us", "50", "--conntrack-capacity", "65536", "--stats-interval", "0",
                "--metrics-listen", "127.0.0.1:0", "--stats-json", self.stats_path]

    def log(self) -> str:
        with open(self.proc.out_path, errors="replace") as f, open(self.proc.err_path, errors="replace") as g:
            return f.read() + g.read()

    def start(self, timeout: float = 20.0):
        if os.path.exists(self.stats_path):
            os.remove(self.stats_path)
        self.proc = self.registry.start(self.command(), f"podgate-{self.established}")
        port_re = re.compile(r"metrics on \S+ \(port (\d+)\)")

        def ready():
            if self.proc.poll() is not None:
                raise GateError(f"podgate exited {self.proc.returncode} at start:\n{self.log()}")
            m = port_re.search(self.log())
            if m and "worker(s) running" in self.log() and os.path.exists(self._telemetry_path()):
                self.metrics_port = int(m.group(1))
                return True
            return False

        if not procs.wait_for(ready, timeout):
            raise GateError(f"podgate not ready after {timeout} s:\n{self.log()}")

    def stop(self) -> dict:
        """SIGINT, wait for a clean exit, return the --stats-json document."""
        if self.proc is None:
            return {}
        try:
            rc = self.registry.stop(self.proc, sig=signal.SIGINT, grace=15.0)
        finally:
            shutil.rmtree(f"/var/run/dpdk/{self.prefix}", ignore_errors=True)  # this run's own runtime dir
        if rc != 0:
            raise GateError(f"podgate exited {rc} after SIGINT:\n{self.log()[-3000:]}")
        try:
            with open(self.stats_path) as f:
                return json.load(f)
        except (OSError, ValueError) as e:
            raise GateError(f"no usable --stats-json {self.stats_path}: {e}") from None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    # --- live state -------------------------------------------------------

    def _telemetry_path(self) -> str:
        return f"/var/run/dpdk/{self.prefix}/dpdk_telemetry.v2"

    def telemetry(self, command: str) -> dict:
        """One DPDK telemetry request (what dpdk-telemetry.py sends)."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
            s.settimeout(5)
            s.connect(self._telemetry_path())
            info = json.loads(s.recv(1 << 16).decode())
            s.send(command.encode())
            reply = json.loads(s.recv(info.get("max_output_len", 1 << 16)).decode())
        return reply[command.split(",")[0]]

    def counters(self) -> Counters:
        return Counters(self.telemetry("/podgate/stats"))

    def metrics(self) -> dict:
        """GET /metrics with curl: {"name{labels}": value}."""
        p = procs.run(["curl", "-sS", "--max-time", "5", f"http://127.0.0.1:{self.metrics_port}/metrics"], 10)
        if p.rc != 0:
            raise GateError(f"curl /metrics: exit {p.rc}: {p.err.strip()}")
        out = {}
        for line in p.out.splitlines():
            if line and not line.startswith("#"):
                name, value = line.rsplit(" ", 1)
                out[name] = float(value)
        return out

    def wait_generation(self, generation: int, timeout: float = 5.0) -> float:
        """Waits until /podgate/policy reports generation; returns the time
        it took, raises if a reload failed or it never came."""
        start = time.monotonic()

        def live():
            doc = self.telemetry("/podgate/policy")
            if doc.get("last_result") == "failed":
                raise GateError(f"reload rejected: {doc}")
            return int(doc["generation"]) >= generation

        if not procs.wait_for(live, timeout):
            raise GateError(f"generation {generation} not live after {timeout} s")
        self.generation = generation
        return time.monotonic() - start
