"""Established flows across policy changes (--established revalidate|keep).

An api -> db MySQL connection (podgate-traffic conversations: handshake, then
data both ways) is set up under policy set A, which allows it. A reload to set
B keeps that allow: the connection continues. A reload to set "closed" (db
isolated with no rule) removes it: under `revalidate` the connection's next
client packets are dropped and conntrack counts one revoked entry; under `keep`
they pass, while a new connection is refused.

Two carriers: the packets cross podgate between two network namespaces over
veth pairs (net_af_packet), sent one at a time as a client and a server
would; and through a FIFO into net_pcap, where the test decides which packets
share a receive burst, so "the next packets" are surely processed together."""

import os
import signal
import unittest

from livelib import fixtures, netns
from livelib.base import LiveTest
from livelib.feeder import StepFeeder

FLOW = "tcp 10.0.1.20 45000 10.0.1.10 3306"
NEW_FLOW = "tcp 10.0.1.20 45001 10.0.1.10 3306"


class Conversation:
    """The packets of one TCP conversation by role."""

    def __init__(self, workdir: str, name: str, flow: str):
        pkts = fixtures.conversation(workdir, name, flow, segments=6)
        self.handshake = [f for f, _ in pkts[:3]]  # SYN, SYN-ACK, ACK
        self.data = [(f, m["direction"]) for f, m in pkts if m["payload_len"] > 0]
        assert [m["tcp_flags"] for _, m in pkts[:3]] == ["S", "SA", "A"], pkts[:3]
        self.orig_data = [f for f, d in self.data if d == "orig"]
        self.reply_data = [f for f, d in self.data if d == "reply"]
        self.syn = pkts[0][0]


class Checks:
    """Counter deltas through /podgate/stats."""

    def __init__(self, test, d):
        self.test, self.d = test, d
        self.last = d.tel("/podgate/stats")

    def delta(self, **want) -> dict:
        now = self.d.tel("/podgate/stats")
        got = {k: now[k] - self.last[k] for k in want}
        self.last = now
        return got


def reload_to(test, d, manifests, name: str, generation: int, pump=None) -> None:
    manifests.set_policy(name)
    cond = lambda: d.tel("/podgate/policy")["generation"] >= generation  # noqa: E731
    if pump is not None:
        pump(f"generation {generation}", cond)
    else:
        d.wait_until(f"generation {generation}", lambda p: p["generation"] >= generation, timeout=5,
                     cmd="/podgate/policy")
    v = d.tel(f"/podgate/verdict,{FLOW}")
    test.assertEqual((v["generation"], v["verdict"]), (generation, "deny" if name == "closed" else "allow"),
                     f"/podgate/verdict {FLOW} after the reload to set {name}: {v}")


@unittest.skipIf(netns.unavailable(), netns.unavailable())
class RevalidateThroughVeth(LiveTest):
    """Packets sent by a client and a server namespace, across podgate."""

    def run_mode(self, mode: str) -> None:
        conv = Conversation(self.workdir, f"conv-{mode}", FLOW)
        new_syn = Conversation(self.workdir, f"new-{mode}", NEW_FLOW).syn
        topo = netns.Topology(f"{os.getpid() % 100000}{mode[0]}")
        self.addCleanup(topo.teardown)
        topo.setup()
        manifests = fixtures.ManifestDir(self.workdir, f"manifests-{mode}", policy="a")
        d = self.daemon(f"veth-{mode}", topo.vdevs(), ["--manifests", manifests.path, "--established", mode])
        d.start()
        topo.drain()
        checks = Checks(self, d)
        sent = 0

        def cross(frame: bytes, src: str, arrives: bool, what: str) -> None:
            nonlocal sent
            dst = "server" if src == "client" else "client"
            topo.send(src, frame)
            sent += 1
            d.wait_settled(sent, what)
            got = topo.receive(dst, 1.0 if arrives else 0.2)
            self.assertEqual(got, [frame] if arrives else [],
                             f"--established {mode}: {what} should {'' if arrives else 'not '}arrive at the {dst}")

        # Set A: the connection is set up and exchanges data.
        for frame, src, what in zip(conv.handshake, ("client", "server", "client"), ("SYN", "SYN-ACK", "ACK")):
            cross(frame, src, True, what)
        cross(conv.orig_data[0], "client", True, "data to db")
        cross(conv.reply_data[0], "server", True, "data from db")
        ct = d.tel("/podgate/conntrack")
        self.assertEqual((ct["occupancy"], ct["states_tcp_established"]), (1, 1),
                         f"the handshake established one entry: {ct}; {d.tel('/podgate/stats')}")
        self.assertEqual(checks.delta(conntrack_creates=0)["conntrack_creates"], 1)

        # Set B keeps the allow.
        reload_to(self, d, manifests, "b", 2)
        cross(conv.orig_data[1], "client", True, "data to db after a reload keeping the allow")
        cross(conv.reply_data[1], "server", True, "data from db after a reload keeping the allow")
        want_revalidated = 1 if mode == "revalidate" else 0
        self.assertEqual(checks.delta(conntrack_revalidated=0, conntrack_revoked=0, dropped_total=0),
                         {"conntrack_revalidated": want_revalidated, "conntrack_revoked": 0, "dropped_total": 0})

        # Set "closed" removes it.
        reload_to(self, d, manifests, "closed", 3)
        passes = mode == "keep"
        cross(conv.orig_data[2], "client", passes, "the first data packet after the allow went")
        cross(conv.orig_data[3], "client", passes, "the second data packet after the allow went")
        self.assertEqual(checks.delta(conntrack_revoked=0, dropped_policy_ingress=0),
                         {"conntrack_revoked": 0 if passes else 1, "dropped_policy_ingress": 0 if passes else 2},
                         f"--established {mode}")
        cross(new_syn, "client", False, "a new connection's SYN")
        self.assertEqual(checks.delta(dropped_policy_ingress=0)["dropped_policy_ingress"], 1)
        rc = d.stop()
        self.assertDaemonExitedCleanly(d, rc)

    def test_revalidate(self):
        self.run_mode("revalidate")

    def test_keep(self):
        self.run_mode("keep")


class RevalidateWithinABurst(LiveTest):
    """The packets after a revoked flow's first one, in the same burst."""

    def run_mode(self, mode: str) -> None:
        conv = Conversation(self.workdir, f"conv-{mode}", FLOW)
        new_syn = Conversation(self.workdir, f"new-{mode}", NEW_FLOW).syn
        arp = fixtures.arp_frame(self.workdir)
        manifests = fixtures.ManifestDir(self.workdir, f"manifests-{mode}", policy="a")
        fifo, out = os.path.join(self.workdir, f"{mode}.fifo"), os.path.join(self.workdir, f"{mode}-out.pcap")
        feeder = self.track_feeder(StepFeeder(fifo, arp))
        feeder.start()
        d = self.daemon(f"burst-{mode}", [f"net_pcap0,rx_pcap={fifo},tx_pcap={out}"],
                        ["--manifests", manifests.path, "--established", mode])
        d.start()
        checks = Checks(self, d)
        passed = set()  # input indices expected out

        def burst(frames_: list, expect_pass: bool) -> None:
            idx = feeder.send(frames_)
            d.wait_settled(feeder.sent)
            if expect_pass:
                passed.update(idx)

        burst(conv.handshake + [conv.orig_data[0], conv.reply_data[0]], True)
        reload_to(self, d, manifests, "b", 2, feeder.pump)
        checks.delta(conntrack_revalidated=0)
        burst([conv.orig_data[1], conv.reply_data[1], conv.orig_data[2]], True)
        self.assertEqual(checks.delta(conntrack_revalidated=0, conntrack_revoked=0),
                         {"conntrack_revalidated": 1 if mode == "revalidate" else 0, "conntrack_revoked": 0})
        reload_to(self, d, manifests, "closed", 3, feeder.pump)
        checks.delta(conntrack_revoked=0)
        # Three client packets in one burst, none of which policy now allows.
        passes = mode == "keep"
        burst(conv.orig_data[3:6], passes)
        self.assertEqual(checks.delta(conntrack_revoked=0, dropped_policy_ingress=0),
                         {"conntrack_revoked": 0 if passes else 1, "dropped_policy_ingress": 0 if passes else 3},
                         f"--established {mode}: after the allow went, a burst of the connection's next three "
                         f"client packets")
        burst([new_syn], False)
        self.assertEqual(checks.delta(dropped_policy_ingress=0)["dropped_policy_ingress"], 1, "a new SYN")
        feeder.stop()
        rc = d.stop(signal.SIGINT)
        self.assertDaemonExitedCleanly(d, rc)
        fillers = {i for i, f in enumerate(feeder.sent_frames) if f == arp}
        want = [f for i, f in enumerate(feeder.sent_frames) if i in passed or i in fillers]
        got = fixtures.read_pcap(out)
        self.assertEqual(len(got), len(want), f"--established {mode}: frames out")
        self.assertEqual(got, want, f"--established {mode}: the frames out, in order")

    def test_revalidate(self):
        self.run_mode("revalidate")

    def test_keep(self):
        self.run_mode("keep")


if __name__ == "__main__":
    unittest.main()
