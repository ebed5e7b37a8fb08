"""The daemon's life around its policy: SIGINT in the middle of traffic stops
it cleanly with its stats written; SIGHUP with unchanged manifests is a
successful reload that disturbs no packet; deleting a manifest file reloads to
the smaller set; a pod added or removed is patched in, not recompiled."""

import os
import signal
import time
import unittest

from livelib import fixtures
from livelib.base import LiveTest
from livelib.paced import PacedRun

EGRESS_ONLY = "tcp 10.0.1.30 40012 10.0.2.30 22"  # only frontend-egress (set b) denies it


class Lifecycle(LiveTest):
    def test_sigint_mid_traffic(self):
        classes = fixtures.flow_classes()
        flows = [f for fs in classes.values() for f in fs]
        manifests = fixtures.ManifestDir(self.workdir, policy="a")
        ref = fixtures.reference([manifests.path], flows, self.workdir)
        pkts = fixtures.traffic(self.workdir, "mix", flows, len(flows) * 64)
        path = fixtures.write_pcap(os.path.join(self.workdir, "mix.pcap"), pkts)
        # An endless replay into a sink: port 0 (pcap, read forever) -> port 1 (null).
        d = self.daemon("sigint", [f"net_pcap0,rx_pcap={path},infinite_rx=1", "net_null0,no-rx=1"],
                        ["--manifests", manifests.path])
        d.start()
        seen = d.wait_until("traffic", lambda s: s["rx"] >= 200_000, timeout=20)["rx"]
        t0 = time.monotonic()
        rc = d.stop(signal.SIGINT, timeout=10)
        self.assertDaemonExitedCleanly(d, rc)
        self.assertLess(time.monotonic() - t0, 5, "SIGINT should stop the daemon promptly")
        stats = d.final_stats()
        rx, tx, dropped = stats["rx"], stats["tx"], stats["dropped_total"]
        self.assertGreaterEqual(rx, seen)
        self.assertEqual(rx, tx + dropped, "every packet received was forwarded or dropped")
        ports = {p["port"]: p for p in stats["ports"]}
        self.assertEqual((ports[0]["rx"], ports[1]["tx"], ports[1]["rx"], ports[0]["tx"]), (rx, tx, 0, 0), "ports")
        # The replay is round-robin over the flows, so the share of drops is
        # that of denied flows, give or take one unfinished round.
        denied = sum(1 for f in flows if not ref[f][0])
        self.assertLessEqual(abs(dropped * len(flows) - rx * denied), len(flows) * len(flows),
                             f"{dropped} of {rx} dropped; {denied} of {len(flows)} flows are denied")
        self.assertEqual(dropped, stats["dropped"]["policy-ingress"] + stats["dropped"]["policy-egress"])

    def test_sighup_unchanged_is_a_quiet_reload(self):
        run = PacedRun(self, "sighup", rate=10000).start()
        before = run.tel.command("/podgate/policy")
        for n in range(5):
            time.sleep(0.1)
            policy = run.reload("SIGHUP", "a", lambda: run.daemon.send_signal(signal.SIGHUP))
            self.assertEqual((policy["reloads_ok"], policy["reloads_failed"]), (n + 1, 0), policy)
            same = lambda p: {k: v for k, v in p.items()
                              if k.startswith("tables_") and not k.endswith("_ms") and k != "tables_incremental"}
            self.assertEqual(same(policy), same(before), "the same manifests compile to the same tables")
            # Nothing changed, so the compiler patches (nothing) instead of recompiling.
            self.assertEqual((policy["tables_incremental"], before["tables_incremental"]), (1, 0), policy)
            self.assertTrue(policy["last_compile_kind"].startswith("incremental (pods: 0 added, 0 removed, 0 changed"),
                            policy["last_compile_kind"])
            run.check_verdicts(run.flows, "after a SIGHUP with unchanged manifests")
        time.sleep(0.1)
        stats = run.finish()
        self.assertEqual(stats["conntrack"]["revoked"], 0, "an unchanged policy revokes nothing")
        self.assertGreater(stats["conntrack"]["revalidated"], 0, "flows were revalidated against each generation")
        run.check_packets(stats, changing_classes=())

    def test_deleting_a_manifest_reloads_the_smaller_set(self):
        manifests = fixtures.ManifestDir(self.workdir, policy="a")
        egress = fixtures.policy_text("b").split("---\n")
        egress = next(doc for doc in egress if "name: frontend-egress" in doc)
        manifests.write("frontend-egress.yaml", egress)
        flows = [f for fs in fixtures.flow_classes().values() for f in fs]
        ref_big = fixtures.reference([manifests.path], flows, self.workdir)
        smaller = fixtures.ManifestDir(self.workdir, "smaller", policy="a")
        ref_small = fixtures.reference([smaller.path], flows, self.workdir)
        self.assertEqual((ref_big[EGRESS_ONLY][0], ref_small[EGRESS_ONLY][0]), (False, True), "fixture")
        d = self.daemon("delete", ["net_null0,no-rx=1"], ["--manifests", manifests.path])
        d.start()
        self.assertEqual(d.tel("/podgate/policy")["tables_policies"], 3)
        for f in flows:
            self.assertEqual(d.tel(f"/podgate/verdict,{f}")["verdict"], "allow" if ref_big[f][0] else "deny", f)
        os.remove(manifests.file("frontend-egress.yaml"))
        policy = d.wait_until("a reload after the delete", lambda p: p["generation"] >= 2, timeout=5,
                              cmd="/podgate/policy")
        self.assertEqual((policy["generation"], policy["last_trigger"], policy["last_result"],
                          policy["tables_policies"]), (2, "inotify", "ok", 2), policy)
        for f in flows:
            v = d.tel(f"/podgate/verdict,{f}")
            self.assertEqual((v["verdict"], v["generation"]), ("allow" if ref_small[f][0] else "deny", 2), f)
        time.sleep(0.4)
        self.assertEqual(d.tel("/podgate/policy")["generation"], 2, "one reload for one delete")
        rc = d.stop()
        self.assertDaemonExitedCleanly(d, rc)

    def test_pod_added_and_removed_reload_incrementally(self):
        manifests = fixtures.ManifestDir(self.workdir, policy="a")
        flows = [f for fs in fixtures.flow_classes().values() for f in fs]
        replica_flows = ["tcp 10.0.1.21 40100 10.0.1.10 3306", "tcp fd00::1:21 40101 fd00::1:10 3306",
                         "tcp 10.0.1.21 40102 10.0.1.10 3307", "tcp 10.0.1.30 40103 10.0.1.21 8080"]
        flows += replica_flows
        d = self.daemon("incremental", ["net_null0,no-rx=1"], ["--manifests", manifests.path])
        d.start()
        before = d.tel("/podgate/policy")
        self.assertTrue(before["last_compile_kind"].startswith("full"), before["last_compile_kind"])
        for generation, change in ((2, "add"), (3, "remove")):
            if change == "add":
                # A second replica of api: same labels and ports, its own addresses.
                with open(manifests.file("cluster.yaml"), encoding="utf-8") as f:
                    api = next(doc for doc in f.read().split("---\n") if "name: api\n" in doc)
                manifests.write("api-2.yaml", api.replace("name: api\n", "name: api-2\n")
                                .replace("10.0.1.20", "10.0.1.21").replace("fd00::1:20", "fd00::1:21"))
            else:
                os.remove(manifests.file("api-2.yaml"))
            ref = fixtures.reference([manifests.path], flows, self.workdir)
            policy = d.wait_until(f"a reload after the {change}", lambda p: p["generation"] >= generation,
                                  timeout=5, cmd="/podgate/policy")
            self.assertEqual((policy["last_result"], policy["tables_incremental"]), ("ok", 1), policy)
            counts = "1 added, 0 removed" if change == "add" else "0 added, 1 removed"
            self.assertTrue(policy["last_compile_kind"].startswith(f"incremental (pods: {counts}, 0 changed"),
                            policy["last_compile_kind"])
            self.assertEqual(policy["tables_pods"], before["tables_pods"] + (change == "add"), policy)
            if change == "add":
                self.assertEqual([ref[f][0] for f in replica_flows], [True, True, False, True],
                                 "fixture: the replica is treated like api")
            for f in flows:
                v = d.tel(f"/podgate/verdict,{f}")
                self.assertEqual((v["verdict"], v["generation"]), ("allow" if ref[f][0] else "deny", generation),
                                 f"{f} after the {change}")
        rc = d.stop()
        self.assertDaemonExitedCleanly(d, rc)


if __name__ == "__main__":
    unittest.main()
