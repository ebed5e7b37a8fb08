"""One daemon under steady, paced traffic of the fixture's flows while a test
changes its policy, with the bookkeeping to check every packet afterwards.

The traffic is `podgate-traffic mix` over every flow of data/flows.txt in a
seeded random order, replayed in a loop through a FIFO (see feeder.py) into
net_pcap0, which hairpins into its tx_pcap. Around each policy change the run
reads the daemon's RX counter just before the trigger and just after the new
generation is live: a packet read before the first number was classified by
the old set, one read after the second by the new set; between them, either.
A rejected update changes nothing, so it opens no window of doubt."""

import json
import os

from . import align, fixtures, frames
from .feeder import Feeder

INTENT = {"both": (True, True), "only-a": (True, False), "only-b": (False, True), "neither": (False, False)}


class PacedRun:
    def __init__(self, test, name: str, rate: float = 20000, options: tuple = (), mix_packets: int = 4096):
        self.test = test
        self.classes = fixtures.flow_classes()
        self.flows = [f for c in INTENT for f in self.classes[c]]
        self.cls_of = {f: c for c in INTENT for f in self.classes[c]}
        wd = test.workdir
        self.ref = {s: fixtures.reference([fixtures.policy_set_dir(wd, s)], self.flows, wd) for s in ("a", "b")}
        for cls, (in_a, in_b) in INTENT.items():
            for f in self.classes[cls]:
                test.assertEqual((self.ref["a"][f][0], self.ref["b"][f][0]), (in_a, in_b),
                                 f"flows.txt puts '{f}' in class {cls}, the reference evaluator disagrees")
        self.mix = fixtures.traffic(wd, f"{name}-mix", self.flows, mix_packets, "--repeat-order", "random")
        by_tuple = {frames.parse_flow_text(f): f for f in self.flows}
        self.flow_of = {}
        for fr in self.mix:
            self.flow_of.setdefault(fr, by_tuple[frames.policy_tuple(fr)])
        self.manifests = fixtures.ManifestDir(wd, f"{name}-manifests", policy="a")
        fifo, self.out = os.path.join(wd, f"{name}-in.fifo"), os.path.join(wd, f"{name}-out.pcap")
        self.feeder = test.track_feeder(Feeder(fifo, self.mix, rate, cycle=True))
        self.daemon = test.daemon(name, [f"net_pcap0,rx_pcap={fifo},tx_pcap={self.out}"],
                                  ["--manifests", self.manifests.path, *options])
        self.windows = []  # (live set, first input packet surely under it, first one not surely under it)
        self.live_set = "a"
        self.live_from = 0
        self.generation = 1
        self.tel = None
        self.written = 0

    def start(self) -> "PacedRun":
        self.feeder.start()  # the daemon's probe opens the FIFO: someone must be writing
        self.daemon.start()
        self.tel = self.daemon.client()
        self.test.addCleanup(self.tel.close)
        return self

    def rx(self) -> int:
        return self.tel.command("/podgate/stats")["rx"]

    def reload(self, trigger: str, new_set: str, action) -> dict:
        """action() triggers a reload expected to succeed and bring `new_set`
        live; returns /podgate/policy once it did."""
        before = self.rx()
        self.windows.append((self.live_set, self.live_from, before))
        action()
        self.generation += 1
        g = self.generation
        policy = self.daemon.wait_until(f"generation {g} ({trigger})", lambda p: p["generation"] >= g,
                                        timeout=5, cmd="/podgate/policy")
        self.live_from, self.live_set = self.rx(), new_set
        self.test.assertEqual((policy["generation"], policy["last_result"], policy["last_trigger"]),
                              (g, "ok", trigger), f"after a {trigger} reload to set {new_set}: {policy}")
        return policy

    def rejected(self, trigger: str, action) -> dict:
        """action() triggers a reload expected to fail; returns /podgate/policy
        once the failure is counted."""
        failed = self.tel.command("/podgate/policy")["reloads_failed"]
        action()
        policy = self.daemon.wait_until(f"reloads_failed {failed + 1} ({trigger})",
                                        lambda p: p["reloads_failed"] > failed, timeout=5, cmd="/podgate/policy")
        self.test.assertEqual((policy["generation"], policy["reloads_failed"], policy["last_result"],
                               policy["last_trigger"]), (self.generation, failed + 1, "failed", trigger),
                              f"after a rejected {trigger} reload: {policy}")
        return policy

    def verdict(self, flow: str) -> dict:
        return self.tel.command(f"/podgate/verdict,{flow}")

    def check_verdicts(self, flows: list[str], what: str) -> None:
        for f in flows:
            v = self.verdict(f)
            want = "allow" if self.ref[self.live_set][f][0] else "deny"
            self.test.assertEqual((v["verdict"], v["generation"]), (want, self.generation),
                                  f"/podgate/verdict {f} {what} (set {self.live_set} live): {v}")

    def finish(self) -> dict:
        """Ends the traffic, waits until the daemon read all of it, stops it
        with SIGINT; returns the stats JSON it wrote."""
        self.feeder.stop()
        self.feeder.join(10)
        self.test.assertIsNone(self.feeder.error, self.feeder.error)
        self.written = self.feeder.written
        self.windows.append((self.live_set, self.live_from, self.written))
        with open(os.path.join(self.test.workdir, f"{self.daemon.name}-windows.json"), "w", encoding="utf-8") as f:
            json.dump({"written": self.written, "windows": self.windows}, f)  # for a post-mortem
        self.daemon.wait_settled(self.written)
        self.tel.close()
        rc = self.daemon.stop()
        self.test.assertDaemonExitedCleanly(self.daemon, rc)
        return self.daemon.final_stats()

    def check_packets(self, stats: dict, changing_classes: tuple = ("only-a", "only-b")) -> None:
        """Every packet against its fate; the classes in `changing_classes`
        must have seen both fates for sure (the reloads reached the data
        path)."""
        t = self.test
        inputs = [self.mix[i % len(self.mix)] for i in range(self.written)]
        outputs = fixtures.read_pcap(self.out)
        t.assertEqual(stats["rx"], self.written, "rx counter vs packets written into the FIFO")
        t.assertEqual(stats["tx"], len(outputs), "tx counter vs frames in the output pcap")
        for cls in ("both", "neither"):
            for f in self.classes[cls]:
                n_in = sum(1 for x in inputs if self.flow_of[x] == f)
                n_out = sum(1 for x in outputs if self.flow_of.get(x) == f)
                t.assertEqual(n_out, n_in if cls == "both" else 0,
                              f"flow '{f}' ({cls}): {n_out} of its {n_in} packets came out")
        fates = self._fates(inputs)
        for cls in changing_classes:
            sure = {fate: sum(1 for x, fa in zip(inputs, fates) if self.cls_of[self.flow_of[x]] == cls and fa == fate)
                    for fate in (align.PASS, align.DROP)}
            t.assertTrue(sure[align.PASS] > 0 and sure[align.DROP] > 0,
                         f"class {cls}: the policy changes should have both passed and dropped its packets: {sure}")
        problem = align.check(inputs, fates, outputs, lambda i: self._describe(i, inputs),
                              lambda f: f"'{self.flow_of.get(f, '?')}': ")
        t.assertIsNone(problem, problem)
        dropped = sum(stats["dropped"].values())
        t.assertEqual((dropped, stats["dropped"]["policy-ingress"] + stats["dropped"]["policy-egress"]),
                      (self.written - len(outputs), dropped), f"drops: {stats['dropped']}")

    def _fates(self, inputs: list) -> list:
        fates = [align.EITHER] * len(inputs)
        for n, (live_set, start, end) in enumerate(self.windows):
            for i in range(start, min(end, len(inputs))):
                fates[i] = align.PASS if self.ref[live_set][self.flow_of[inputs[i]]][0] else align.DROP
            if n + 1 == len(self.windows):
                break
            # Between this window and the next, a flow the two sets agree on
            # has no doubt.
            next_set, next_start = self.windows[n + 1][0], self.windows[n + 1][1]
            for i in range(end, min(next_start, len(inputs))):
                old, new = (self.ref[s][self.flow_of[inputs[i]]][0] for s in (live_set, next_set))
                if old == new:
                    fates[i] = align.PASS if old else align.DROP
        return fates

    def _describe(self, i: int, inputs: list) -> str:
        where = next((f"set {s} live since input #{a}" for s, a, b in self.windows if a <= i < b), "during a reload")
        return f"flow '{self.flow_of[inputs[i]]}', {where}"
