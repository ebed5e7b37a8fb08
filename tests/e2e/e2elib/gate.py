"""podgate itself: started on the two root-side veth ends (the shared
podgate_harness.podgate.Podgate), queried while it runs (DPDK telemetry for
counters, the Prometheus endpoint for a cross-check) and stopped with
SIGINT, which makes it write --stats-json."""

import signal
import time

from podgate_harness import counters, podgate


class GateError(Exception):
    pass


class Counters:
    """One reading of /podgate/stats, with the fields the cases compare
    (telemetry flattens the JSON document with "_" and turns "-" into "_")."""

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
        d = {f"drop:{r}": self.drop(r) - before.drop(r) for r in counters.drop_reasons()}
        for name in ("conntrack.creates", "conntrack.revoked", "conntrack.revalidated", "new_flows_allowed",
                     "rx", "tx", "dropped_total", "nd_passed", "non_ip_forwarded"):
            d[name] = self.get(name) - before.get(name)
        return d


class Gate(podgate.Podgate):
    def __init__(self, workdir: str, ports: tuple, manifests: str, established: str):
        a, b = ports
        super().__init__(workdir, f"podgate-{established}",
                         [f"net_af_packet0,iface={a}", f"net_af_packet1,iface={b}"],
                         ["--manifests", manifests, "--established", established, "--idle-sleep-us", "50",
                          "--conntrack-capacity", "65536", "--stats-interval", "0"], kind="e2e", new_session=True)
        self.established = established
        self.generation = 1

    def finish(self) -> dict:
        """SIGINT, wait for a clean exit, return the --stats-json document."""
        rc = self.stop(signal.SIGINT, 15.0)
        if rc != 0:
            raise GateError(f"podgate exited {rc} after SIGINT:\n{self.log()[-3000:]}")
        return self.final_stats()

    def counters(self) -> Counters:
        return Counters(self.tel("/podgate/stats"))

    def wait_generation(self, generation: int, timeout: float = 5.0) -> float:
        """Waits until /podgate/policy reports generation; returns the time
        it took, raises if a reload failed or it never came."""
        start = time.monotonic()

        def live(doc):
            if doc.get("last_result") == "failed":
                raise GateError(f"reload rejected: {doc}")
            return int(doc["generation"]) >= generation

        self.wait_until(f"generation {generation}", live, timeout, cmd="/podgate/policy")
        self.generation = generation
        return time.monotonic() - start
