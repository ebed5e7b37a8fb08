"""Drop visibility: the drop log (JSON and text lines naming the 5-tuple, the
pods, the side that denied and the policies selecting the pod on that side),
its rate limit, and the pcapng capture of dropped packets with rotation.

Policy set B denies on both sides (db, cache ingress; frontend egress). Who is
who comes from data/cluster.yaml read here with PyYAML, the verdicts from the
reference evaluator, the selecting policies from the fixture's text (below)."""

import ipaddress
import json
import os
import re
import unittest

import yaml

from livelib import fixtures, frames
from livelib.base import LiveTest
from livelib.feeder import Feeder

# Set B: the policies that select each pod, per direction (policies/b.yaml).
SELECTING = {("ingress", "shop/db"): ["shop/db-policy"], ("ingress", "shop/cache"): ["shop/cache-policy"],
             ("egress", "shop/frontend"): ["shop/frontend-egress"]}
SIDE = {"policy-ingress": "ingress", "policy-egress": "egress"}
TEXT_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3} drop (?P<reason>\S+) (?P<flow>\S+ \S+ \d+ \S+ \d+) "
                       r"src=(?P<src_pod>\S+) dst=(?P<dst_pod>\S+) side=(?P<side>\S+)"
                       r"(?: policies=(?P<policies>\S+))? generation=(?P<generation>\d+)$")
MIB = 1 << 20


def pod_names() -> dict:
    """IP (normalised) -> namespace/name, from the fixture's Pods."""
    with open(fixtures.CLUSTER, encoding="utf-8") as f:
        docs = [d for d in yaml.safe_load_all(f) if d and d.get("kind") == "Pod"]
    return {str(ipaddress.ip_address(ip["ip"])): f"{d['metadata']['namespace']}/{d['metadata']['name']}"
            for d in docs for ip in d["status"]["podIPs"]}


class DropReport(LiveTest):
    def setUp(self):
        super().setUp()
        classes = fixtures.flow_classes()
        self.flows = [f for fs in classes.values() for f in fs]
        self.manifests = fixtures.ManifestDir(self.workdir, policy="b")
        self.ref = fixtures.reference([self.manifests.path], self.flows, self.workdir)
        self.denied = [f for f in self.flows if not self.ref[f][0]]
        self.pods = pod_names()

    def expected_line(self, flow: str) -> dict:
        """What the log must say about the first packet of a denied flow."""
        proto, src, sport, dst, dport = frames.parse_flow_text(flow)
        why = self.ref[flow][1]
        side, reason = SIDE[why], why  # verdicts and drop counters share one vocabulary
        src_pod, dst_pod = self.pods.get(src, "external"), self.pods.get(dst, "external")
        return {"reason": reason, "side": side, "proto": frames.PROTO_NAMES[proto], "src": src, "sport": sport,
                "dst": dst, "dport": dport, "src_pod": src_pod, "dst_pod": dst_pod,
                "policies": SELECTING[(side, src_pod if side == "egress" else dst_pod)], "generation": 1, "port": 0}

    def replay(self, name: str, pkts: list[bytes], options: list[str]):
        path = fixtures.write_pcap(os.path.join(self.workdir, f"{name}-in.pcap"), pkts)
        d = self.daemon(name, [f"net_pcap0,rx_pcap={path},tx_pcap={os.path.join(self.workdir, name + '-out.pcap')}"],
                        ["--manifests", self.manifests.path, *options])
        d.start()
        d.wait_settled(len(pkts))
        rc = d.stop()
        self.assertDaemonExitedCleanly(d, rc)
        return d.final_stats()

    def test_json_log_one_line_per_denied_flow(self):
        self.assertTrue({"ingress", "egress"} <= {SIDE[self.ref[f][1]] for f in self.denied}, "both sides deny")
        pkts = fixtures.traffic(self.workdir, "one-each", self.flows, len(self.flows))  # one packet per flow
        log = os.path.join(self.workdir, "drops.jsonl")
        stats = self.replay("json", pkts, ["--drop-log", log, "--drop-log-format", "json", "--drop-log-rate", "1000"])
        with open(log, encoding="utf-8") as f:
            lines = [json.loads(line) for line in f if line.strip()]
        for line in lines:
            line["src"], line["dst"] = (str(ipaddress.ip_address(line[k])) for k in ("src", "dst"))
            self.assertIsInstance(line.pop("time_ns"), int)
        want = [self.expected_line(self._flow(p)) for p in pkts if not self.ref[self._flow(p)][0]]
        self.assertEqual(lines, want, "one JSON line per denied flow, in arrival order")
        self.assertEqual((stats["drop_log"]["logged"], stats["drop_log"]["rate_limited"]), (len(want), 0))

    def test_text_log(self):
        pkts = fixtures.traffic(self.workdir, "one-each", self.flows, len(self.flows))
        log = os.path.join(self.workdir, "drops.log")
        stats = self.replay("text", pkts, ["--drop-log", log, "--drop-log-format", "text"])
        with open(log, encoding="utf-8") as f:
            lines = [line.rstrip("\n") for line in f if line.strip()]
        got = []
        for line in lines:
            m = TEXT_LINE.match(line)
            self.assertIsNotNone(m, f"drop log line {line!r}")
            g = m.groupdict()
            t = frames.parse_flow_text(g["flow"])
            got.append({"reason": g["reason"], "side": g["side"], "proto": frames.PROTO_NAMES[t[0]], "src": t[1],
                        "sport": t[2], "dst": t[3], "dport": t[4], "src_pod": g["src_pod"], "dst_pod": g["dst_pod"],
                        "policies": g["policies"].split(",") if g["policies"] else [],
                        "generation": int(g["generation"]), "port": 0})
        want = [self.expected_line(self._flow(p)) for p in pkts if not self.ref[self._flow(p)][0]]
        self.assertEqual(got, want, "one text line per denied flow, in arrival order")
        self.assertEqual(stats["drop_log"]["logged"], len(want))

    def test_rate_limit(self):
        rate, pps, seconds = 5, 1000, 3.0
        pkts = fixtures.traffic(self.workdir, "denied", self.denied, 512)
        log = os.path.join(self.workdir, "drops.jsonl")
        fifo = os.path.join(self.workdir, "in.fifo")
        feeder = self.track_feeder(Feeder(fifo, pkts, pps, cycle=True, limit=int(pps * seconds)))
        feeder.start()
        d = self.daemon("rate", [f"net_pcap0,rx_pcap={fifo},tx_pcap={os.path.join(self.workdir, 'out.pcap')}"],
                        ["--manifests", self.manifests.path, "--drop-log", log, "--drop-log-format", "json",
                         "--drop-log-rate", str(rate)])
        d.start()
        feeder.join(seconds * 3 + 10)
        self.assertIsNone(feeder.error, feeder.error)
        d.wait_settled(feeder.written)
        rc = d.stop()
        self.assertDaemonExitedCleanly(d, rc)
        stats = d.final_stats()
        duration = feeder.finished_at - feeder.started_at
        with open(log, encoding="utf-8") as f:
            times = [json.loads(line)["time_ns"] / 1e9 for line in f if line.strip()]
        drops = stats["dropped"]["policy-ingress"] + stats["dropped"]["policy-egress"]
        self.assertEqual(drops, feeder.written, "every packet is of a denied flow")
        self.assertEqual((stats["drop_log"]["logged"], stats["drop_log"]["logged"] + stats["drop_log"]["rate_limited"]),
                         (len(times), drops), f"logged + rate_limited = drops: {stats['drop_log']}")
        # A token bucket of `rate` tokens refilled at `rate` per second: at
        # most 2 * rate lines in any second, about rate * (1 + duration) in all.
        busiest = max(sum(1 for u in times if t <= u < t + 1.0) for t in times)
        self.assertLessEqual(busiest, 2 * rate, f"lines in the busiest second of {duration:.1f} s")
        self.assertTrue(rate * duration - 2 <= len(times) <= rate * (1 + duration) + 2,
                        f"{len(times)} lines in {duration:.2f} s at --drop-log-rate {rate}")

    def test_capture_holds_the_dropped_packets(self):
        small = fixtures.traffic(self.workdir, "small", self.flows, len(self.flows) * 20)
        big = fixtures.traffic(self.workdir, "big", self.denied, len(self.denied) * 3, "--size", "600")
        pkts = small + big
        cap = os.path.join(self.workdir, "drops.pcapng")
        stats = self.replay("capture", pkts, ["--drop-capture", cap])
        dropped = [p for p in pkts if not self.ref[self._flow(p)][0]]
        got = frames.read_pcapng(cap)
        self.assertEqual(stats["drop_log"]["captured"], len(dropped))
        self.assertEqual(len(got), len(dropped), "one capture record per dropped packet")
        for n, (rec, frame) in enumerate(zip(got, dropped)):
            self.assertEqual(rec["orig_len"], len(frame), f"capture record {n}: original length")
            if len(frame) <= 128:
                self.assertEqual(rec["data"], frame, f"capture record {n}: bytes")
            else:  # long packets may be cut to the snap length, never below the headers
                self.assertTrue(128 <= len(rec["data"]) <= len(frame) and frame.startswith(rec["data"]),
                                f"capture record {n}: {len(rec['data'])} of {len(frame)} bytes")
        self.assertTrue(any(len(f) > 512 for f in dropped), "long packets were in the test")

    def test_capture_rotation(self):
        pps, count = 25000, 30000  # about 3.2 MiB of capture: FILE.1 is replaced once
        pkts = fixtures.traffic(self.workdir, "denied", self.denied, 4096, "--repeat-order", "random")
        cap = os.path.join(self.workdir, "drops.pcapng")
        fifo = os.path.join(self.workdir, "in.fifo")
        feeder = self.track_feeder(Feeder(fifo, pkts, pps, cycle=True, limit=count))
        feeder.start()
        d = self.daemon("rotate", [f"net_pcap0,rx_pcap={fifo},tx_pcap={os.path.join(self.workdir, 'out.pcap')}"],
                        ["--manifests", self.manifests.path, "--drop-capture", cap, "--drop-capture-size", "1"])
        d.start()
        feeder.join(30)
        self.assertIsNone(feeder.error, feeder.error)
        d.wait_settled(feeder.written)
        rc = d.stop()
        self.assertDaemonExitedCleanly(d, rc)
        stats = d.final_stats()
        self.assertEqual(stats["dropped_total"], count, "every packet is of a denied flow")
        # Capture is best effort (a full hand-over ring skips packets), but
        # every drop is accounted for: captured, skipped by a worker, or lost
        # on the way to the file, exactly.
        captured = stats["drop_log"]["captured"]
        self.assertEqual(captured + stats["capture_skipped"] + stats["drop_log"]["capture_lost"], count,
                         f"captured {captured} + skipped {stats['capture_skipped']} + lost "
                         f"{stats['drop_log']['capture_lost']} = {count} dropped")
        self.assertGreater(captured, 0, "drops captured")
        self.assertTrue(os.path.exists(cap) and os.path.exists(cap + ".1"), "FILE and FILE.1")
        self.assertFalse(os.path.exists(cap + ".2"), "--drop-capture-files 2 (default) keeps two files")
        size1 = os.path.getsize(cap + ".1")
        self.assertTrue(MIB <= size1 < MIB + 64 * 1024, f"FILE.1 rotated at 1 MiB: {size1} bytes")
        older, newer = frames.read_pcapng(cap + ".1"), frames.read_pcapng(cap)
        kept = [r["data"] for r in older + newer]
        self.assertLess(len(kept), stats["drop_log"]["captured"], "a second rotation dropped the oldest file")
        sent = [pkts[i % len(pkts)] for i in range(count)]
        # The kept records are the last ones captured: in order, among the
        # last sent packets, with at most every uncaptured drop in between.
        missed = count - captured
        it = iter(sent[max(0, count - len(kept) - missed):])
        self.assertTrue(all(any(k == s for s in it) for k in kept),
                        "FILE.1 then FILE: the last dropped packets, in order")

    def _flow(self, frame: bytes) -> str:
        t = frames.policy_tuple(frame)
        return next(f for f in self.flows if frames.parse_flow_text(f) == t)


if __name__ == "__main__":
    unittest.main()
