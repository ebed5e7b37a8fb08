#!/usr/bin/python3
"""podgate-traffic conversations: whole conversations per flow, read back
packet by packet with an independent decoder and with scapy."""

import struct

import traffic_testlib as t

FLOWS = """\
# comment line, then a blank line

tcp 10.0.0.1 40000 10.0.0.2 80
udp fd00::1 5000 fd00::2 53   # trailing comment
icmp 10.0.0.1 7 10.0.0.3 0
icmpv6 fd00::1 0 fd00::3 0
sctp 10.0.0.1 40002 10.0.0.2 3868
47 10.0.0.1 0 10.0.0.2 0
TCP fd00::5 1234 fd00::6 443
"""
LINES = {"tcp4": 3, "udp6": 4, "icmp": 5, "icmp6": 6, "sctp": 7, "gre": 8, "tcp6": 9}
CLIENT_MAC, SERVER_MAC = bytes.fromhex("020000000001"), bytes.fromhex("020000000002")


class Conversations(t.TempDirTest):
    def generate(self, *extra, flows=FLOWS):
        self.write("flows.txt", flows)
        t.run("conversations", "--flows", self.path("flows.txt"), "--out", self.path("c.pcap"),
              "--meta", self.path("c.jsonl"), *extra)
        return t.read_pcap(self.path("c.pcap")), t.read_meta(self.path("c.jsonl"))

    def by_line(self, frames, meta, line):
        return [(f, m) for f, m in zip(frames, meta) if m["flow_line"] == line]

    def test_packet_counts_per_protocol(self):
        frames, meta = self.generate("--segments", "3")
        counts = {name: len(self.by_line(frames, meta, line)) for name, line in LINES.items()}
        # tcp: 3 handshake + 2 per data segment + 3 teardown
        self.assertEqual(counts, {"tcp4": 12, "tcp6": 12, "udp6": 2, "icmp": 2, "icmp6": 2, "sctp": 6, "gre": 2})
        self.assertEqual(len(frames), len(meta))
        self.assertEqual([m["index"] for m in meta], list(range(len(frames))))

    def test_tcp_flags_sequence_and_numbers(self):
        frames, meta = self.generate("--segments", "2", "--payload", "100")
        for line in (LINES["tcp4"], LINES["tcp6"]):
            conv = self.by_line(frames, meta, line)
            flags = [(m["direction"], t.tcp_flags(f)) for f, m in conv]
            self.assertEqual(flags, [("orig", "S"), ("reply", "SA"), ("orig", "A"),
                                     ("orig", "PA"), ("reply", "PA"), ("orig", "PA"), ("reply", "PA"),
                                     ("orig", "FA"), ("reply", "FA"), ("orig", "A")])
            seq = [m["seq"] for _, m in conv]
            ack = [m["ack"] for _, m in conv]
            c0, s0 = seq[0], seq[1]
            self.assertEqual(ack[1], (c0 + 1) & 0xFFFFFFFF)  # SYN-ACK acks the SYN
            self.assertEqual(ack[2], (s0 + 1) & 0xFFFFFFFF)
            self.assertEqual(seq[7], (c0 + 1 + 200) & 0xFFFFFFFF)  # client FIN after 2 x 100 bytes
            self.assertEqual(ack[8], (seq[7] + 1) & 0xFFFFFFFF)  # server FIN acks it
            self.assertEqual(ack[9], (seq[8] + 1) & 0xFFFFFFFF)  # last ACK acks the server FIN
            self.assertEqual([m["payload_len"] for _, m in conv], [0, 0, 0, 100, 100, 100, 100, 0, 0, 0])

    def test_every_checksum_valid_and_tuples_match_flows(self):
        frames, meta = self.generate("--segments", "2")
        flows = {3: ("tcp", 6), 4: ("udp", 17), 7: ("sctp", 132)}
        for frame, m in zip(frames, meta):
            sums = t.checksums(frame)
            self.assertTrue(sums and all(sums.values()), f"packet {m['index']}: {sums}")
            proto, src, sport, dst, dport = t.five_tuple(frame)
            tokens = m["flow"].split()
            if m["direction"] == "reply":
                src, sport, dst, dport = dst, dport, src, sport
            self.assertEqual((src, dst), (tokens[1], tokens[3]), m)
            if m["flow_line"] in flows:
                self.assertEqual((proto, sport, dport), (flows[m["flow_line"]][1], int(tokens[2]), int(tokens[4])))
            self.assertEqual((proto, m["sport"], m["dport"]), (m["proto"], *t.five_tuple(frame)[2::2]))
            self.assertEqual(m["len"], len(frame))

    def test_directions_follow_mac_addresses_and_first_flag(self):
        frames, meta = self.generate()
        for frame, m in zip(frames, meta):
            expect = (SERVER_MAC, CLIENT_MAC) if m["direction"] == "orig" else (CLIENT_MAC, SERVER_MAC)
            self.assertEqual((frame[0:6], frame[6:12]), expect)
        firsts = [m["flow_line"] for m in meta if m["first"]]
        self.assertEqual(sorted(firsts), sorted(LINES.values()))
        for line in LINES.values():
            first = next(m for m in meta if m["flow_line"] == line)
            self.assertTrue(first["first"] and first["direction"] == "orig")

    def test_udp_icmp_raw_details(self):
        frames, meta = self.generate("--payload", "48")
        udp = self.by_line(frames, meta, LINES["udp6"])
        self.assertEqual([t.five_tuple(f) for f, _ in udp],
                         [(17, "fd00::1", 5000, "fd00::2", 53), (17, "fd00::2", 53, "fd00::1", 5000)])
        self.assertEqual([len(f) - 14 - 40 - 8 for f, _ in udp], [48, 48])
        icmp = self.by_line(frames, meta, LINES["icmp"])
        self.assertEqual([(f[34], struct.unpack_from("!H", f, 38)[0]) for f, _ in icmp], [(8, 7), (0, 7)])
        icmp6 = self.by_line(frames, meta, LINES["icmp6"])
        types = [f[54] for f, _ in icmp6]
        ids = {struct.unpack_from("!H", f, 58)[0] for f, _ in icmp6}
        self.assertEqual(types, [128, 129])
        self.assertEqual(len(ids), 1)
        self.assertNotEqual(ids, {0}, "identifier derived when SRC_PORT is 0")
        gre = self.by_line(frames, meta, LINES["gre"])
        self.assertEqual([f[14 + 9] for f, _ in gre], [47, 47])
        self.assertEqual([m["proto"] for _, m in gre], [47, 47])

    def test_sctp_association(self):
        frames, meta = self.generate()
        conv = [f for f, _ in self.by_line(frames, meta, LINES["sctp"])]
        sctp = [f[34:] for f in conv]  # untagged IPv4, IHL 5
        self.assertEqual([s[12] for s in sctp], [1, 2, 10, 11, 0, 3])  # INIT ... DATA, SACK
        vtags = [struct.unpack_from("!I", s, 4)[0] for s in sctp]
        init_tag, init_tsn = struct.unpack_from("!I", sctp[0], 16)[0], struct.unpack_from("!I", sctp[0], 28)[0]
        init_ack_tag = struct.unpack_from("!I", sctp[1], 16)[0]
        self.assertEqual(vtags, [0, init_tag, init_ack_tag, init_tag, init_ack_tag, init_tag])
        self.assertEqual(struct.unpack_from("!I", sctp[4], 16)[0], init_tsn)  # DATA TSN
        self.assertEqual(struct.unpack_from("!I", sctp[5], 16)[0], init_tsn)  # SACK cumulative TSN ack

    def test_vlan_and_qinq_tags(self):
        frames, _ = self.generate("--vlan", "100")
        for frame in frames:
            tags, ethertype, _ = t.l2(frame)
            self.assertEqual(tags, [(0x8100, 100)])
            self.assertIn(ethertype, (0x0800, 0x86DD))
            self.assertTrue(all(t.checksums(frame).values()))
        frames, meta = self.generate("--qinq", "300,42")
        self.assertEqual({tuple(t.l2(f)[0]) for f in frames}, {((0x88A8, 300), (0x8100, 42))})
        self.assertEqual({tuple(m["vlan"]) for m in meta}, {(300, 42)})

    def test_interleave_keeps_each_conversation_in_order(self):
        sequential, _ = self.generate("--segments", "2", "--seed", "7")
        mixed, meta = self.generate("--segments", "2", "--interleave", "--seed", "7")
        self.assertEqual(sorted(sequential), sorted(mixed))
        self.assertNotEqual(sequential, mixed)
        for line in LINES.values():
            self.assertEqual([f for f, m in zip(mixed, meta) if m["flow_line"] == line],
                             [f for f in sequential if f in {x for x, m in zip(mixed, meta) if m["flow_line"] == line}])
        again, _ = self.generate("--segments", "2", "--interleave", "--seed", "7")
        other, _ = self.generate("--segments", "2", "--interleave", "--seed", "8")
        self.assertEqual(mixed, again)
        self.assertNotEqual(mixed, other)

    def test_output_is_reproducible_byte_for_byte(self):
        self.generate("--seed", "3")
        with open(self.path("c.pcap"), "rb") as f:
            first = f.read()
        self.generate("--seed", "3")
        with open(self.path("c.pcap"), "rb") as f:
            self.assertEqual(f.read(), first)

    def test_scapy_reads_the_same_conversation(self):
        from scapy.layers.inet import TCP
        from scapy.utils import rdpcap
        self.generate("--segments", "1")
        pkts = [p for p in rdpcap(self.path("c.pcap")) if TCP in p and p[TCP].dport in (80, 40000)]
        self.assertEqual([str(p[TCP].flags) for p in pkts], ["S", "SA", "A", "PA", "PA", "FA", "FA", "A"])


if __name__ == "__main__":
    t.main("traffic-conversations")
