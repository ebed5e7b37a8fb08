#!/usr/bin/python3
"""podgate-traffic mix: exact sizes, flow order, valid checksums, and speed."""

import os
import time

import traffic_testlib as t

FLOWS = """\
tcp 10.0.0.1 40000 10.0.0.2 80
udp 10.0.0.3 40001 10.0.0.4 53
icmp 10.0.0.5 9 10.0.0.6 0
47 10.0.0.7 0 10.0.0.8 0
tcp fd00::1 40000 fd00::2 443
udp fd00::3 5000 fd00::4 53
icmpv6 fd00::5 0 fd00::6 0
"""
V4_FLOWS = FLOWS.splitlines()[:4]


def as_tuple(line: str):
    proto, src, sport, dst, dport = line.split()
    number = {"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58, "sctp": 132}.get(proto) or int(proto)
    return number, src, int(sport) if number in (6, 17, 132) else 0, dst, int(dport)


class Mix(t.TempDirTest):
    def generate(self, packets, *extra, flows=FLOWS):
        self.write("flows.txt", flows)
        t.run("mix", "--flows", self.path("flows.txt"), "--out", self.path("m.pcap"), "--packets", packets, *extra)
        return t.read_pcap(self.path("m.pcap"))

    def test_64_byte_packets_are_60_byte_records(self):
        frames = self.generate(1000, flows="\n".join(V4_FLOWS))
        self.assertEqual(len(frames), 1000)
        self.assertEqual({len(f) for f in frames}, {60})

    def test_ipv6_defaults_to_78_bytes_and_sizes_follow_options(self):
        frames = self.generate(70)
        sizes = {t.l2(f)[1]: len(f) for f in frames}
        self.assertEqual(sizes, {0x0800: 60, 0x86DD: 74})
        frames = self.generate(70, "--size", "128")
        self.assertEqual({len(f) for f in frames}, {124})
        frames = self.generate(70, "--size", "100", "--size6", "200")
        self.assertEqual({t.l2(f)[1]: len(f) for f in frames}, {0x0800: 96, 0x86DD: 196})

    def test_round_robin_cycles_over_the_flows_in_file_order(self):
        frames = self.generate(50)
        expected = [as_tuple(line) for line in FLOWS.splitlines()]
        self.assertEqual([t.five_tuple(f) for f in frames], [expected[i % 7] for i in range(50)])

    def test_random_order_is_seeded_and_covers_every_flow(self):
        frames = self.generate(700, "--repeat-order", "random", "--seed", "5")
        tuples = [t.five_tuple(f) for f in frames]
        expected = [as_tuple(line) for line in FLOWS.splitlines()]
        self.assertEqual(set(tuples), set(expected))
        self.assertNotEqual(tuples, [expected[i % 7] for i in range(700)])
        self.assertEqual(self.generate(700, "--repeat-order", "random", "--seed", "5"), frames)
        self.assertNotEqual(self.generate(700, "--repeat-order", "random", "--seed", "6"), frames)

    def test_checksums_valid_and_ip_length_fills_the_frame(self):
        sctp = FLOWS + "sctp 10.0.0.9 1 10.0.0.10 2\n"
        cases = [((), FLOWS, 0), (("--vlan", "7"), FLOWS, 1),
                 (("--qinq", "1,2", "--size", "80", "--size6", "90"), sctp, 2)]
        for extra, flows, n_tags in cases:
            frames = self.generate(8, *extra, flows=flows)
            for frame in frames:
                sums = t.checksums(frame)
                self.assertTrue(sums and all(sums.values()), (extra, frame.hex()))
                tags, ethertype, pos = t.l2(frame)
                self.assertEqual(len(tags), n_tags)
                ip_len = len(frame) - pos  # the payload fills the frame: no Ethernet padding...
                if t.five_tuple(frame)[0] == 132:
                    ip_len -= (len(frame) - pos - 20 - 12) % 4  # ...except SCTP's chunk alignment
                if ethertype == 0x0800:
                    self.assertEqual(int.from_bytes(frame[pos + 2:pos + 4], "big"), ip_len)
                else:
                    self.assertEqual(int.from_bytes(frame[pos + 4:pos + 6], "big"), ip_len - 40)

    def test_sctp_needs_70_bytes_and_is_checksummed(self):
        flows = "sctp 10.0.0.1 1234 10.0.0.2 3868\n"
        self.write("flows.txt", flows)
        proc = t.run("mix", "--flows", self.path("flows.txt"), "--out", self.path("m.pcap"), "--packets", 3,
                     check=False)
        self.assertEqual(proc.returncode, 1)
        self.assertIn(f"{self.path('flows.txt')}:1: sctp over IPv4 needs packets of at least 70 bytes", proc.stderr)
        frames = self.generate(3, "--size", "72", flows=flows)
        for frame in frames:
            self.assertEqual(len(frame), 68)
            self.assertTrue(t.checksums(frame)[132])
            self.assertEqual(frame[14 + 20 + 12], 0)  # a DATA chunk

    def test_skip_oversize_leaves_flows_out_with_a_warning(self):
        self.write("flows.txt", FLOWS + "sctp 10.0.0.1 1234 10.0.0.2 3868\n")
        proc = t.run("mix", "--flows", self.path("flows.txt"), "--out", self.path("m.pcap"), "--packets", 16,
                     "--skip-oversize")
        self.assertIn("warning: skipped", proc.stderr)
        self.assertIn("flows.txt:8", proc.stderr)
        self.assertNotIn(132, {t.five_tuple(f)[0] for f in t.read_pcap(self.path("m.pcap"))})

    def test_tcp_flags_option(self):
        flows = V4_FLOWS[0]
        self.assertEqual({t.tcp_flags(f) for f in self.generate(3, flows=flows)}, {"S"})
        self.assertEqual({t.tcp_flags(f) for f in self.generate(3, "--tcp-flags", "PA", flows=flows)}, {"PA"})

    def test_one_million_packets_in_seconds(self):
        flows = "".join(f"udp 10.1.{i // 250}.{i % 250 + 1} {10000 + i} 10.2.0.1 53\n" for i in range(1000))
        self.write("flows.txt", flows)
        start = time.monotonic()
        t.run("mix", "--flows", self.path("flows.txt"), "--out", self.path("m.pcap"), "--packets", 1_000_000)
        elapsed = time.monotonic() - start
        print(f"\n  mix: 1,000,000 packets x 60 bytes over 1000 flows in {elapsed:.2f} s", end=" ")
        self.assertEqual(os.path.getsize(self.path("m.pcap")), 24 + 1_000_000 * (16 + 60))
        self.assertLess(elapsed, 60.0)
        with open(self.path("m.pcap"), "rb") as f:  # spot-check the last record
            f.seek(24 + 999_999 * 76)
            last = f.read()
        self.assertEqual(len(last), 76)
        self.assertEqual(t.five_tuple(last[16:]), as_tuple(flows.splitlines()[999_999 % 1000]))


if __name__ == "__main__":
    t.main("traffic-mix")
