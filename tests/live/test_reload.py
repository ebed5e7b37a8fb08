"""Hitless reload under traffic: policy sets A and B swapped more than a
hundred times (a manifest renamed into the watched directory; SIGHUP and
/podgate/reload after a rename the watcher cannot see) while paced traffic of
flows allowed by both, by one, or by neither set flows through net_pcap.

Every output packet is checked: a packet of a flow both sets allow always
comes out, in order; a packet of a flow neither allows never does; a packet of
a flow whose verdict changed follows the set that was live when it was read,
except in the window between a reload's trigger and the moment the daemon
reported the new generation live on every worker (there, either fate)."""

import os
import signal
import statistics
import time
import unittest

from livelib import align, fixtures
from livelib.base import LiveTest
from livelib.paced import PacedRun

INOTIFY_ROUNDS = 40  # each waits out the watcher's 200 ms debounce
FAST_ROUNDS = 80  # SIGHUP and /podgate/reload in turn
RATE_PPS = 20000


class AlignSelfTest(unittest.TestCase):
    """The output check itself must be able to fail."""

    def test_accepts_and_rejects(self):
        P, D, E = align.PASS, align.DROP, align.EITHER
        inputs = [b"x", b"y", b"x", b"z", b"x"]
        describe = str
        self.assertIsNone(align.check(inputs, [P, D, E, P, P], [b"x", b"z", b"x"], describe))
        self.assertIsNone(align.check(inputs, [P, D, E, P, P], [b"x", b"x", b"z", b"x"], describe))
        # An EITHER packet dropped, the identical PASS packet after it kept.
        self.assertIsNone(align.check([b"x", b"y", b"x"], [E, P, E], [b"y", b"x"], describe))
        self.assertIsNone(align.check([b"x", b"x"], [E, P], [b"x"], describe))
        self.assertIsNotNone(align.check(inputs, [P, D, E, P, P], [b"x", b"z"], describe))  # lost a PASS
        self.assertIsNotNone(align.check(inputs, [P, D, E, P, P], [b"x", b"y", b"z", b"x"], describe))  # a DROP
        self.assertIsNotNone(align.check(inputs, [P, D, E, P, P], [b"z", b"x", b"x"], describe))  # reordered
        self.assertIsNotNone(align.check(inputs, [P, D, E, P, P], [b"x", b"z", b"x", b"x"], describe))  # extra


class ReloadUnderTraffic(LiveTest):
    def test_alternating_sets_under_traffic(self):
        run = PacedRun(self, "reload", rate=RATE_PPS).start()
        d, manifests = run.daemon, run.manifests
        probes = [run.classes["only-a"][0], run.classes["only-b"][0]]

        def reload(trigger: str, new_set: str, action) -> None:
            policy = run.reload(trigger, new_set, action)
            self.assertEqual(policy["reloads_failed"], 0, policy)
            run.check_verdicts(probes, f"after a {trigger} reload")

        # 1. inotify: policy.yaml replaced by rename, the daemon notices.
        for r in range(INOTIFY_ROUNDS):
            new_set = "b" if run.live_set == "a" else "a"
            reload("inotify", new_set, lambda s=new_set: manifests.set_policy(s))
        # 2. policy.yaml becomes a symlink into staging/ (one more inotify
        #    reload, same content); from now on a rename in staging/ changes
        #    the policy without the watcher seeing it.
        staging = os.path.join(self.workdir, "staging")
        os.makedirs(staging)
        manifests.write("policy.yaml", fixtures.policy_text(run.live_set), staging)
        link = manifests.file(".policy.yaml.link")
        os.symlink(os.path.join(staging, "policy.yaml"), link)
        reload("inotify", run.live_set, lambda: os.rename(link, manifests.file("policy.yaml")))
        # 3. SIGHUP and /podgate/reload in turn, alternating sets every time.
        for r in range(FAST_ROUNDS):
            new_set = "b" if run.live_set == "a" else "a"
            trigger = "SIGHUP" if r % 2 == 0 else "telemetry"

            def act(s=new_set, t=trigger):
                manifests.write("policy.yaml", fixtures.policy_text(s), staging)
                if t == "SIGHUP":
                    d.send_signal(signal.SIGHUP)
                else:
                    run.tel.command("/podgate/reload")  # returns once the reload is done
            reload(trigger, new_set, act)

        # After the last swap every verdict follows the last set.
        run.check_verdicts(run.flows, "after the last reload")
        time.sleep(0.5)  # past the watcher's debounce: a stray reload would show
        reloads = INOTIFY_ROUNDS + 1 + FAST_ROUNDS
        policy = run.tel.command("/podgate/policy")
        self.assertEqual((policy["generation"], policy["reloads_ok"], policy["reloads_failed"]),
                         (1 + reloads, reloads, 0), f"no reload but the test's may happen: {policy}")
        stats = run.finish()
        self.assertEqual((stats["reloads"]["ok"], stats["reloads"]["failed"], stats["reloads"]["generation"]),
                         (reloads, 0, 1 + reloads), "final stats")

        # The daemon's own account of every reload.
        latencies = d.reload_latencies()
        self.assertEqual([g for _, g, _ in latencies], list(range(2, 2 + reloads)), "reload log lines")
        ms = [x for _, _, x in latencies]
        by_trigger = {t: [x for tt, _, x in latencies if tt == t] for t in ("inotify", "SIGHUP", "telemetry")}
        print(f"\n  {reloads} reloads under {run.written} packets: trigger -> live on all workers median "
              f"{statistics.median(ms):.2f} ms, max {max(ms):.2f} ms ("
              + ", ".join(f"{t} {statistics.median(v):.2f}/{max(v):.2f}" for t, v in by_trigger.items()) + ")")
        run.check_packets(stats)


if __name__ == "__main__":
    unittest.main()
