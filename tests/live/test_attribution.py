"""Attribution (podgate_attributed_flows_total{verdict="allow"}):
every allowed new flow is credited, on each isolated side, to the first
selecting policy in cluster order whose own rules allow it. Two policies
select db and both allow api's MySQL connections; a third isolates frontend's
egress. Known flows (each repeated: only the first packet is a new flow) go
through a FIFO, then /metrics (curl), /podgate/stats and the stats JSON at
exit must carry exactly the counts the policies imply. A reload that removes
the first db policy moves api's new connections to the second, and the
removed policy keeps its total."""

import os
import unittest

from livelib import fixtures
from livelib.base import LiveTest
from livelib.feeder import StepFeeder
from podgate_harness import metrics



def policy(name: str, server: str, direction: str, rules: list[str]) -> str:
    """A shop policy isolating pods labelled server=SERVER on one side;
    `rules` are YAML flow maps."""
    return (f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: {name}, namespace: shop}}\n"
            f"spec:\n  podSelector: {{matchLabels: {{server: {server}}}}}\n  policyTypes: [{direction.title()}]\n"
            f"  {direction}:\n" + "".join(f"  - {r}\n" for r in rules))


TCP_3306 = "ports: [{protocol: TCP, port: 3306}]"
POLICIES = {
    "db-from-api": policy("db-from-api", "db", "ingress", ["{from: [{podSelector: {matchLabels: {server: api}}}], "
                                                           + TCP_3306 + "}"]),
    "db-from-shop": policy("db-from-shop", "db", "ingress", ["{from: [{podSelector: {}}], ports: [{protocol: TCP, "
                                                             "port: 3306}, {protocol: TCP, port: 33060}]}"]),
    "frontend-egress": policy("frontend-egress", "frontend", "egress",
                              ["{to: [{podSelector: {matchLabels: {server: db}}}], " + TCP_3306 + "}",
                               "{to: [{podSelector: {matchLabels: {server: api}}}], ports: [{protocol: TCP, "
                               "port: 8080}]}"]),
}

API, API6, DB, DB6, FRONTEND, CACHE, SHELL = ("10.0.1.20", "fd00::1:20", "10.0.1.10", "fd00::1:10", "10.0.1.30",
                                              "10.0.1.40", "10.0.2.30")


def flows(src: str, dst: str, dport: int, first_sport: int, n: int) -> list[str]:
    return [f"tcp {src} {first_sport + i} {dst} {dport}" for i in range(n)]


# (flows, credited egress policy, credited ingress policy), by construction of
# POLICIES: the first selecting policy in manifest order whose rules allow.
BEFORE = [
    (flows(API, DB, 3306, 41000, 3), None, "db-from-api"),  # both db policies allow: the first
    (flows(API6, DB6, 3306, 41100, 2), None, "db-from-api"),
    (flows(FRONTEND, DB, 3306, 41200, 2), "frontend-egress", "db-from-shop"),
    (flows(API, DB, 33060, 41300, 4), None, "db-from-shop"),
    (flows(FRONTEND, API, 8080, 41400, 5), "frontend-egress", None),  # api is not isolated
    (flows(API, CACHE, 6379, 41500, 2), None, None),  # nobody isolated: counted in the total only
]
DENIED = flows(SHELL, DB, 3306, 41600, 2) + flows(FRONTEND, CACHE, 6379, 41700, 2)
# After db-from-api is gone.
AFTER = [
    (flows(API, DB, 3306, 42000, 2), None, "db-from-shop"),
    (flows(FRONTEND, DB, 3306, 42100, 1), "frontend-egress", "db-from-shop"),
]
REPEAT = 3  # packets per flow; the later ones are conntrack hits


def expected(groups: list, into: dict | None = None) -> dict:
    """{(policy, side): count} the groups imply."""
    out = dict(into or {})
    for fl, egress, ingress in groups:
        for side, policy in (("egress", egress), ("ingress", ingress)):
            if policy is not None:
                out[(f"shop/{policy}", side)] = out.get((f"shop/{policy}", side), 0) + len(fl)
    return out


class Admissions(LiveTest):
    def test_per_policy_counts_survive_a_reload(self):
        manifests = fixtures.ManifestDir(self.workdir, policy=None)
        manifests.write("policy.yaml", "---\n".join(POLICIES.values()))
        allowed = [f for fl, _, _ in BEFORE + AFTER for f in fl]
        ref = fixtures.reference([manifests.path], allowed + DENIED, self.workdir)
        for f in allowed + DENIED:
            self.assertEqual(ref[f][0], f in allowed, f"the reference evaluator on '{f}': {ref[f]}")

        arp = fixtures.arp_frame(self.workdir)
        fifo, out = os.path.join(self.workdir, "in.fifo"), os.path.join(self.workdir, "out.pcap")
        feeder = self.track_feeder(StepFeeder(fifo, arp))
        feeder.start()
        d = self.daemon("attribution", [f"net_pcap0,rx_pcap={fifo},tx_pcap={out}"], ["--manifests", manifests.path])
        d.start()

        def replay(name: str, lines: list[str]) -> None:
            feeder.send(fixtures.traffic(self.workdir, name, lines, len(lines) * REPEAT))
            d.wait_settled(feeder.sent, name)

        first_allowed = [f for fl, _, _ in BEFORE for f in fl]
        replay("before", first_allowed + DENIED)
        want = expected(BEFORE)
        self.assertEqual(self.by_policy(d), want, "per-policy counts after the first replay")
        stats = d.tel("/podgate/stats")
        self.assertEqual(stats["new_flows_allowed"], len(first_allowed), "allowed new flows")
        for (policy, side), n in want.items():
            key = f"attributed_flows_{policy}_{side}_allow".replace("-", "_")
            self.assertEqual(stats.get(key), n, f"/podgate/stats {key}")

        # Reload without db-from-api.
        manifests.write("policy.yaml", "---\n".join(v for k, v in POLICIES.items() if k != "db-from-api"))
        feeder.pump("generation 2", lambda: d.tel("/podgate/policy")["generation"] >= 2)
        self.assertEqual(self.by_policy(d), want, "right after the reload: nothing lost, nothing added")
        replay("after", [f for fl, _, _ in AFTER for f in fl])
        want = expected(AFTER, want)
        self.assertEqual(want[("shop/db-from-api", "ingress")], 5, "the removed policy's total")
        self.assertEqual(self.by_policy(d), want, "per-policy counts after the reload and a second replay")

        feeder.stop()
        rc = d.stop()
        self.assertDaemonExitedCleanly(d, rc)
        final = d.final_stats()
        self.assertEqual({(p, s): v["allow"] for p, sides in final["attributed_flows"].items()
                          for s, v in sides.items()},
                         want, "the stats JSON at exit")
        self.assertEqual(final["new_flows_allowed"], len(allowed))

    @staticmethod
    def by_policy(d) -> dict:
        samples = metrics.parse(d.metrics())
        return {(dict(labels)["policy"], dict(labels)["side"]): int(v) for (name, labels), v in samples.items()
                if name == "podgate_attributed_flows_total" and dict(labels)["verdict"] == "allow"}


if __name__ == "__main__":
    unittest.main()
