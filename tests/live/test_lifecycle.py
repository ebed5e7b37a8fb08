"""The daemon's life around its policy: SIGINT in the middle of traffic stops
it cleanly with its stats written; SIGHUP with unchanged manifests is a
successful reload that disturbs no packet; deleting a manifest file reloads to
the smaller set."""

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
            self.assertEqual({k: v for k, v in policy.items() if k.startswith("tables_") and not k.endswith("_ms")},
                             {k: v for k, v in before.items() if k.startswith("tables_") and not k.endswith("_ms")},
                             "the same manifests compile to the same tables")
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


if __name__ == "__main__":
    unittest.main()
