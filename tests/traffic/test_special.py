#!/usr/bin/python3
"""podgate-traffic special: parser corner cases and malformed packets, each
decoded here byte by byte against what its meta says it is."""

import struct

import traffic_testlib as t

V4_TCP, V6_TCP = "tcp 10.0.0.1 40000 10.0.0.2 80", "tcp fd00::1 40000 fd00::2 80"
V4_UDP, V6_UDP = "udp 10.0.0.1 40001 10.0.0.2 53", "udp fd00::1 40001 fd00::2 53"


class Special(t.TempDirTest):
    def generate(self, kind, *flows, extra=()):
        args = ["special", "--kind", kind, "--out", self.path("s.pcap"), "--meta", self.path("s.jsonl"), *extra]
        for flow in flows:
            args += ["--flow", flow]
        t.run(*args)
        frames, meta = t.read_pcap(self.path("s.pcap")), t.read_meta(self.path("s.jsonl"))
        self.assertEqual(len(frames), len(meta))
        self.assertTrue(frames)
        for frame, m in zip(frames, meta):
            self.assertEqual(m["len"], len(frame))
            if kind != "all":
                self.assertIn(m["kind"], kind.split(","))
        return frames, meta

    def l3(self, frame):
        _, ethertype, pos = t.l2(frame)
        return ethertype, frame[pos:]

    def test_all_kinds_with_their_reasons(self):
        frames, meta = self.generate("all")
        kinds = {m["kind"] for m in meta}
        listed = t.run("special", "--list-kinds").stdout.split("\n")
        self.assertEqual(kinds, {line.split()[0] for line in listed if line.strip()})
        reasons = {m["reason"] for m in meta}
        self.assertLessEqual({"ok", "fragment_later", "fragment_orphan", "non_ip", "ndp", "malformed:truncated_eth",
                              "malformed:truncated_ipv4", "malformed:truncated_ipv6", "malformed:bad_ihl",
                              "malformed:bad_version", "malformed:bad_total_length", "malformed:bad_ext_chain",
                              "malformed:truncated_tcp", "malformed:truncated_udp", "malformed:truncated_sctp",
                              "malformed:bad_tcp_offset"}, reasons)
        for frame, m in zip(frames, meta):
            if m["reason"] == "ok" and "frag" not in m:
                sums = t.checksums(frame)
                self.assertTrue(sums and all(sums.values()), m)
                self.assertEqual(t.five_tuple(frame)[::2], (m["proto"], m["sport"], m["dport"]), m)

    def test_ipv6_extension_headers(self):
        frames, meta = self.generate("ipv6-ext", V6_TCP, V6_UDP)
        self.assertEqual(len(frames), 10)
        names = {0: "hop_by_hop", 43: "routing", 60: "dest_opts", 44: "fragment"}
        for frame, m in zip(frames, meta):
            ethertype, l3 = self.l3(frame)
            chain, proto, _, frag = t.ipv6_chain(l3)
            self.assertEqual([names[h] for h in chain], m["ext"])
            self.assertEqual(proto, m["proto"])
            self.assertEqual(t.five_tuple(frame)[2::2], (m["sport"], m["dport"]))
            self.assertTrue(t.checksums(frame)[proto])
            if frag:
                self.assertEqual((frag["offset"], frag["m"]), (0, 0))  # atomic
        self.assertEqual(max(len(m["ext"]) for m in meta), 5)
        self.assertEqual({m["proto"] for m in meta}, {6, 17})

    def check_fragments(self, kind, flow, orphan):
        frames, meta = self.generate(kind, flow, extra=["--payload", "1000", "--frag-size", "256"])
        pieces, ids = {}, set()
        for frame, m in zip(frames, meta):
            ethertype, l3 = self.l3(frame)
            if ethertype == 0x0800:
                self.assertTrue(t.checksums(frame)["ipv4"])
                flags_off, ident = struct.unpack_from("!H", l3, 6)[0], struct.unpack_from("!H", l3, 4)[0]
                offset, more, data = (flags_off & 0x1FFF) * 8, bool(flags_off & 0x2000), l3[20:]
                self.assertEqual(struct.unpack_from("!H", l3, 2)[0], len(l3))
            else:
                _, proto, upper, frag = t.ipv6_chain(l3)
                self.assertEqual(proto, 17)
                offset, more, ident, data = frag["offset"], bool(frag["m"]), frag["id"], l3[upper:]
                self.assertEqual(struct.unpack_from("!H", l3, 4)[0], len(l3) - 40)
            self.assertEqual(m["frag"], {"id": ident, "offset": offset, "mf": more})
            self.assertEqual(m["reason"], "ok" if offset == 0 else ("fragment_orphan" if orphan else "fragment_later"))
            ids.add(ident)
            pieces[offset] = (data, more)
        self.assertEqual(len(ids), 1)
        offsets = sorted(pieces)
        self.assertEqual(offsets, [o for o in range(0 if not orphan else 256, offsets[-1] + 1, 256)])
        self.assertFalse(pieces[offsets[-1]][1], "last fragment has MF clear")
        self.assertTrue(all(pieces[o][1] for o in offsets[:-1]))
        if not orphan:
            whole = b"".join(pieces[o][0] for o in offsets)
            self.assertEqual(len(whole), 8 + 1000)
            src, dst = (bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])) if ethertype == 0x0800 else (
                bytes.fromhex("fd00" + "00" * 13 + "01"), bytes.fromhex("fd00" + "00" * 13 + "02"))
            self.assertTrue(t.upper_checksum_ok(17, src, dst, whole), "reassembled UDP checksum")

    def test_ipv4_fragments(self):
        self.check_fragments("ipv4-frag", V4_UDP, orphan=False)

    def test_ipv4_orphan_fragments(self):
        self.check_fragments("ipv4-frag-orphan", V4_UDP, orphan=True)

    def test_ipv6_fragments(self):
        self.check_fragments("ipv6-frag", V6_UDP, orphan=False)

    def test_ipv6_orphan_fragments(self):
        self.check_fragments("ipv6-frag-orphan", V6_UDP, orphan=True)

    def test_tcp_fragments_carry_a_data_segment(self):
        frames, meta = self.generate("ipv4-frag", V4_TCP, extra=["--payload", "600"])
        self.assertEqual(len(frames), 2)
        _, l3 = self.l3(frames[0])
        self.assertEqual(struct.unpack_from("!HH", l3, 20), (40000, 80))
        self.assertEqual(t.tcp_flags(frames[0]), "PA")

    def test_non_ip_and_neighbour_discovery(self):
        frames, meta = self.generate("arp")
        self.assertEqual([self.l3(f)[0] for f in frames], [0x0806, 0x0806])
        self.assertEqual([struct.unpack_from("!H", self.l3(f)[1], 6)[0] for f in frames], [1, 2])  # opcodes
        self.assertEqual(frames[0][:6], b"\xff" * 6)
        frames, meta = self.generate("lldp")
        self.assertEqual((self.l3(frames[0])[0], frames[0][:6].hex()), (0x88CC, "0180c200000e"))
        self.assertEqual(meta[0]["reason"], "non_ip")
        frames, meta = self.generate("ndp")
        for frame, icmp_type in zip(frames, (135, 136)):
            ethertype, l3 = self.l3(frame)
            self.assertEqual((ethertype, l3[6], l3[7], l3[40]), (0x86DD, 58, 255, icmp_type))
            self.assertTrue(t.checksums(frame)[58])
        self.assertEqual(frames[0][:6].hex(), "3333ff000002")  # solicited-node multicast MAC of fd00::2
        self.assertEqual({m["reason"] for m in meta}, {"ndp"})

    def test_truncated_ethernet_and_ip(self):
        frames, meta = self.generate("truncated-eth")
        self.assertTrue(all(len(f) < 14 or (len(f) < 18 and f[12:14] == b"\x81\x00") for f in frames))
        frames, meta = self.generate("truncated-ip", V4_TCP, V6_TCP)
        for frame, m in zip(frames, meta):
            ethertype, l3 = self.l3(frame)
            self.assertLess(len(l3), 20 if ethertype == 0x0800 else 40)
            self.assertEqual(m["reason"], "malformed:truncated_ipv4" if ethertype == 0x0800 else
                             "malformed:truncated_ipv6")

    def test_bad_ihl_and_version(self):
        frames, meta = self.generate("bad-ihl")
        self.assertEqual([self.l3(f)[1][0] & 0xF for f in frames], [0, 4, 15])
        for frame in frames:
            l3 = self.l3(frame)[1]
            self.assertEqual(t.ones_sum(l3[:20]), 0xFFFF, "only the IHL is wrong")
            self.assertLess(len(l3), 60)
        frames, meta = self.generate("bad-version", V4_TCP, V6_TCP)
        seen = [(self.l3(f)[0], self.l3(f)[1][0] >> 4) for f in frames]
        self.assertEqual(seen, [(0x0800, 6), (0x0800, 0), (0x86DD, 4), (0x86DD, 0)])

    def test_bad_total_length(self):
        frames, meta = self.generate("bad-total-length", V4_UDP, V6_UDP)
        for frame, m in zip(frames, meta):
            ethertype, l3 = self.l3(frame)
            claimed = struct.unpack_from("!H", l3, 2)[0] if ethertype == 0x0800 else 40 + struct.unpack_from(
                "!H", l3, 4)[0]
            if m["reason"] == "ok":
                self.assertLess(claimed, len(l3))  # padding after the datagram
                self.assertTrue(all(t.checksums(frame).values()))
            elif claimed > len(l3):
                self.assertEqual(m["reason"], "malformed:bad_total_length")
            else:
                self.assertLess(claimed, 20)
        self.assertEqual([m["reason"] for m in meta].count("ok"), 2)
        self.assertGreaterEqual(len(frames[2]), 60)

    def test_bad_extension_chains(self):
        frames, meta = self.generate("bad-ext-chain", V6_TCP)
        self.assertEqual(len(frames), 3)
        hbh_late = self.l3(frames[0])[1]
        self.assertEqual((hbh_late[6], hbh_late[40]), (60, 0))  # dest opts, then hop-by-hop
        past_end = self.l3(frames[1])[1]
        self.assertGreater(40 + (past_end[41] + 1) * 8, len(past_end))
        cut = self.l3(frames[2])[1]
        self.assertEqual((cut[6], struct.unpack_from("!H", cut, 4)[0], len(cut)), (60, 4, 44))
        self.assertTrue(all("sport" not in m for m in meta))

    def test_truncated_l4_keeps_ip_lengths_consistent(self):
        frames, meta = self.generate("truncated-l4", V4_TCP, V6_UDP, "sctp 10.0.0.1 1 10.0.0.2 2")
        self.assertEqual([m["reason"] for m in meta], ["malformed:truncated_tcp"] * 2 + ["malformed:truncated_udp"] * 2
                         + ["malformed:truncated_sctp"] * 2)
        full = {6: 20, 17: 8, 132: 12}
        for frame, m in zip(frames, meta):
            ethertype, l3 = self.l3(frame)
            if ethertype == 0x0800:
                self.assertEqual(struct.unpack_from("!H", l3, 2)[0], len(l3))
                self.assertEqual(t.ones_sum(l3[:20]), 0xFFFF)
                l4 = l3[20:]
            else:
                self.assertEqual(struct.unpack_from("!H", l3, 4)[0], len(l3) - 40)
                l4 = l3[40:]
            self.assertLess(len(l4), full[m["proto"]])

    def test_bad_tcp_data_offset(self):
        frames, meta = self.generate("bad-tcp-doff", V4_TCP, V6_TCP)
        offsets = []
        for frame in frames:
            ethertype, l3 = self.l3(frame)
            l4 = l3[20:] if ethertype == 0x0800 else l3[40:]
            offsets.append(l4[12] >> 4)
            src, dst = (l3[12:16], l3[16:20]) if ethertype == 0x0800 else (l3[8:24], l3[24:40])
            self.assertTrue(t.upper_checksum_ok(6, src, dst, l4), "only the data offset is wrong")
        self.assertEqual(offsets, [0, 4, 15, 0, 4, 15])
        self.assertEqual({m["reason"] for m in meta}, {"malformed:bad_tcp_offset"})

    def test_vlan_applies_to_special_kinds(self):
        frames, meta = self.generate("ipv6-ext", V6_UDP, extra=["--qinq", "10,20"])
        self.assertEqual({tuple(t.l2(f)[0]) for f in frames}, {((0x88A8, 10), (0x8100, 20))})
        self.assertTrue(all(t.checksums(f)[17] for f in frames))

    def test_kind_list_and_incompatible_flows(self):
        frames, meta = self.generate("bad-ihl,bad-version", V4_TCP)
        self.assertEqual([m["kind"] for m in meta], ["bad-ihl"] * 3 + ["bad-version"] * 2)
        proc = t.run("special", "--kind", "bad-ihl", "--flow", V6_TCP, "--out", self.path("x.pcap"), check=False)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("--flow #1", proc.stderr)
        self.assertIn("bad-ihl needs IPv4", proc.stderr)
        proc = t.run("special", "--kind", "no-such-kind", "--out", self.path("x.pcap"), check=False)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("unknown kind 'no-such-kind'", proc.stderr)
        # with `all`, kinds that cannot use the flow are skipped
        frames, meta = self.generate("all", V6_UDP)
        self.assertNotIn("bad-ihl", {m["kind"] for m in meta})
        self.assertIn("ipv6-frag", {m["kind"] for m in meta})


if __name__ == "__main__":
    t.main("traffic-special")
