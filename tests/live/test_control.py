"""The control interfaces agree with each other and with the traffic: after a
known replay through a port pair (net_pcap0 -> net_pcap1 and back), the
telemetry commands answer the same through DPDK's dpdk-telemetry.py and
through the raw socket, /metrics (fetched with curl) carries the same numbers,
and all of them equal the stats JSON the daemon writes at exit and what the
reference evaluator says the replay must have done."""

import os
import subprocess
import unittest

from livelib import fixtures, frames
from livelib.base import LiveTest
from podgate_harness import metrics, telemetry

COMMANDS = ["/podgate/stats", "/podgate/policy", "/podgate/conntrack"]
VOLATILE = {"elapsed_s"}  # changes between two reads


class ControlInterfaces(LiveTest):
    def test_telemetry_metrics_and_stats_agree(self):
        classes = fixtures.flow_classes()
        flows = [f for fs in classes.values() for f in fs]
        manifests = fixtures.ManifestDir(self.workdir, policy="b")
        ref = fixtures.reference([manifests.path], flows, self.workdir)
        # Port 0 carries every flow, port 1 the allowed ones again (conntrack
        # is per worker, not per port: the same entries serve both).
        allowed = [f for f in flows if ref[f][0]]
        per_port = {0: (flows, 30), 1: (allowed, 20)}
        vdevs, sent = [], {}
        for port, (fl, rounds) in per_port.items():
            pkts = fixtures.traffic(self.workdir, f"port{port}", fl, len(fl) * rounds)
            sent[port] = pkts
            path = fixtures.write_pcap(os.path.join(self.workdir, f"in{port}.pcap"), pkts)
            vdevs.append(f"net_pcap{port},rx_pcap={path},tx_pcap={os.path.join(self.workdir, f'out{port}.pcap')}")
        d = self.daemon("control", vdevs, ["--manifests", manifests.path])
        d.start()
        total = sum(len(p) for p in sent.values())
        d.wait_settled(total)

        # Expected from the traffic and the reference evaluator alone.
        want_drop = {"policy-ingress": 0, "policy-egress": 0}
        for pkts in sent.values():
            for p in pkts:
                allow, why = ref[self._flow_line(p, flows)]
                if not allow:
                    want_drop[why] += 1  # verdicts and drop counters share one vocabulary
        want_tx = total - sum(want_drop.values())
        self.assertTrue(all(want_drop.values()), f"set b should deny on both sides: {want_drop}")

        # Telemetry: raw socket and dpdk-telemetry.py, same answers.
        with d.client() as c:
            self.assertTrue(set(COMMANDS + ["/podgate/verdict", "/podgate/reload"]) <= set(c.command("/")),
                            "the /podgate commands are registered")
            raw = {cmd: c.command(cmd) for cmd in COMMANDS}
            raw_verdicts = {f: c.command(f"/podgate/verdict,{f}") for f in flows}
        scripted = telemetry.query_with_script(d.prefix, COMMANDS + [f"/podgate/verdict,{f}" for f in flows])
        for cmd, reply in zip(COMMANDS, scripted):
            self.assertEqual({k: v for k, v in reply.items() if k not in VOLATILE},
                             {k: v for k, v in raw[cmd].items() if k not in VOLATILE},
                             f"{cmd}: dpdk-telemetry.py and the raw socket differ")
        for f, reply in zip(flows, scripted[len(COMMANDS):]):
            self.assertEqual(reply, raw_verdicts[f], f"/podgate/verdict,{f}: the two clients differ")
            want = "allow" if ref[f][0] else "deny"
            self.assertEqual((reply["verdict"], reply["reason"], reply["generation"]),
                             (want, ref[f][1], 1), f"/podgate/verdict,{f} against the reference evaluator")
        stats = raw["/podgate/stats"]
        self.assertEqual((stats["rx"], stats["tx"], stats["dropped_policy_ingress"], stats["dropped_policy_egress"],
                          stats["dropped_total"]),
                         (total, want_tx, want_drop["policy-ingress"], want_drop["policy-egress"],
                          sum(want_drop.values())), "/podgate/stats against the replay")
        n_allowed = len(set(allowed))
        self.assertEqual((stats["conntrack_creates"], raw["/podgate/conntrack"]["occupancy"]),
                         (n_allowed, n_allowed), "one conntrack entry per allowed flow")

        # /metrics with curl.
        samples = metrics.parse(d.metrics())
        m = lambda family, /, **labels: metrics.metric(samples, family, **labels)  # noqa: E731
        not_found = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                    f"http://127.0.0.1:{d.metrics_port}/"], capture_output=True, text=True, timeout=20)
        self.assertEqual(not_found.stdout, "404", "GET / is not the metrics page")

        self.assertEqual(d.tel("/podgate/stats")["rx"], total, "no packet arrived after the replay")
        rc = d.stop()
        self.assertDaemonExitedCleanly(d, rc)
        final = d.final_stats()

        # Everything against the stats JSON written at exit.
        for key in ("rx", "tx", "dropped_total", "policy_lookups", "new_flows_allowed", "generation"):
            self.assertEqual((stats[key], final[key]), (final[key], final[key]), key)
        for reason_, n in final["dropped"].items():
            self.assertEqual(stats["dropped_" + reason_.replace("-", "_")], n, f"dropped {reason_}")
            self.assertEqual(m("podgate_dropped_packets_total", reason=reason_), n, f"metrics dropped {reason_}")
        for key, n in final["conntrack"].items():
            self.assertEqual(stats["conntrack_" + key], n, f"conntrack {key}")
            if key not in ("occupancy", "capacity"):
                self.assertEqual(m("podgate_conntrack_events_total", event=key), n, f"metrics conntrack {key}")
        self.assertEqual(m("podgate_conntrack_entries"), final["conntrack"]["occupancy"])
        self.assertEqual(m("podgate_conntrack_capacity"), final["conntrack"]["capacity"])
        for i, p in enumerate(final["ports"]):
            want_rx = len(sent[p["port"]])
            self.assertEqual((p["rx"], stats[f"ports_{i}_rx"], stats[f"ports_{i}_tx"]), (want_rx, p["rx"], p["tx"]),
                             f"port {p['port']}")
            labels = {"port": str(p["port"]), "name": p["name"]}
            self.assertEqual((m("podgate_port_rx_packets_total", **labels), m("podgate_port_tx_packets_total",
                                                                               **labels)), (p["rx"], p["tx"]))
        self.assertEqual([len(fixtures.read_pcap(os.path.join(self.workdir, f"out{p['port']}.pcap")))
                          for p in final["ports"]], [p["tx"] for p in final["ports"]], "tx vs frames in tx_pcap")
        for i, lc in enumerate(final["lcores"]):
            self.assertEqual((stats[f"lcores_{i}_rx"], m("podgate_lcore_rx_packets_total", lcore=str(lc["lcore"])),
                              m("podgate_lcore_tx_packets_total", lcore=str(lc["lcore"]))),
                             (lc["rx"], lc["rx"], lc["tx"]), f"lcore {lc['lcore']}")
        self.assertEqual((m("podgate_policy_denied_flows_total", side="ingress"),
                          m("podgate_policy_denied_flows_total", side="egress"),
                          m("podgate_policy_allowed_flows_total"), m("podgate_policy_lookups_total")),
                         (final["dropped"]["policy-ingress"], final["dropped"]["policy-egress"],
                          final["new_flows_allowed"], final["policy_lookups"]))
        policy = raw["/podgate/policy"]
        self.assertEqual((m("podgate_policy_generation"), m("podgate_reloads_total", result="ok"),
                          m("podgate_reloads_total", result="failed"), m("podgate_reload_last_failed")),
                         (policy["generation"], policy["reloads_ok"], policy["reloads_failed"], 0))
        self.assertEqual((final["reloads"]["generation"], final["reloads"]["ok"], final["reloads"]["failed"]),
                         (policy["generation"], policy["reloads_ok"], policy["reloads_failed"]))
        for key in ("pods", "policies", "identities", "bytes"):
            self.assertEqual((policy[f"tables_{key}"], m(f"podgate_table_{key}")), (final["tables"][key],) * 2, key)
        self.assertEqual((final["tables"]["pods"], final["tables"]["policies"]), (5, 3), "the fixture: 5 pods, "
                         "set b's 3 policies")

    @staticmethod
    def _flow_line(frame: bytes, flows: list[str]) -> str:
        t = frames.policy_tuple(frame)
        return next(f for f in flows if frames.parse_flow_text(f) == t)


if __name__ == "__main__":
    unittest.main()
