#!/usr/bin/python3
"""podgate-traffic errors: bad flow lines name file and line (exit 1), usage
errors exit 2, and nothing is half-written silently."""

import traffic_testlib as t

GOOD = "tcp 10.0.0.1 1 10.0.0.2 2\n"
BAD_LINES = [
    ("tcp 10.0.0.1 1 10.0.0.2", "expected 5 fields"),
    ("tcp 10.0.0.1 1 10.0.0.2 2 3", "expected 5 fields"),
    ("gre 10.0.0.1 0 10.0.0.2 0", "unknown protocol 'gre'"),
    ("256 10.0.0.1 0 10.0.0.2 0", "unknown protocol '256'"),
    ("tcp 10.0.0.300 1 10.0.0.2 2", "SRC_IP '10.0.0.300' is not an IPv4 or IPv6 address"),
    ("udp 10.0.0.1 1 fd00::zz 2", "DST_IP 'fd00::zz'"),
    ("tcp 10.0.0.1 65536 10.0.0.2 2", "SRC_PORT '65536' is not a port number"),
    ("tcp 10.0.0.1 1 10.0.0.2 -2", "DST_PORT '-2' is not a port number"),
    ("tcp 10.0.0.1 ² 10.0.0.2 2", "SRC_PORT '²' is not a port number"),
    ("tcp 10.0.0.1 1 fd00::2 2", "different address families"),
    ("icmp fd00::1 0 fd00::2 0", "icmp (1) needs IPv4"),
    ("icmpv6 10.0.0.1 0 10.0.0.2 0", "icmpv6 (58) needs IPv6"),
    ("icmp 10.0.0.1 0 10.0.0.2 8", "DST_PORT must be 0"),
    ("47 10.0.0.1 5 10.0.0.2 0", "SRC_PORT must be 0"),
    ("44 fd00::1 0 fd00::2 0", "IPv6 extension header"),
]


class Errors(t.TempDirTest):
    def run_with(self, command, flows_text, *extra):
        path = self.write("flows.txt", flows_text)
        return t.run(command, "--flows", path, "--out", self.path("o.pcap"), *extra, check=False), path

    def test_bad_flow_lines_name_file_and_line(self):
        for command, extra in (("conversations", ()), ("mix", ("--packets", "10"))):
            for line, message in BAD_LINES:
                text = "# header\n" + GOOD + "\n" + line + "\n" + GOOD
                proc, path = self.run_with(command, text, *extra)
                with self.subTest(command=command, line=line):
                    self.assertEqual(proc.returncode, 1, proc.stderr)
                    self.assertIn(f"{path}:4: ", proc.stderr)
                    self.assertIn(message, proc.stderr)
                    self.assertIn(f"'{line}'", proc.stderr)
                    self.assertNotIn("Traceback", proc.stderr)

    def test_bad_flow_option_of_special_is_a_usage_error(self):
        proc = t.run("special", "--kind", "arp", "--flow", "tcp 10.0.0.1 1 10.0.0.2", "--out", self.path("o.pcap"),
                     check=False)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("--flow #1: expected 5 fields", proc.stderr)

    def test_unreadable_and_empty_flow_files(self):
        proc = t.run("conversations", "--flows", self.path("missing.txt"), "--out", self.path("o.pcap"), check=False)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("missing.txt: cannot read flows file", proc.stderr)
        proc, path = self.run_with("mix", "# only a comment\n\n", "--packets", "1")
        self.assertEqual(proc.returncode, 1)
        self.assertIn(f"{path}: no flows", proc.stderr)

    def test_usage_errors_exit_2(self):
        flows = self.write("flows.txt", GOOD)
        out = self.path("o.pcap")
        cases = [
            ([], "required"),
            (["nonsense"], "invalid choice"),
            (["conversations", "--flows", flows], "--out"),
            (["conversations", "--flows", flows, "--out", out, "--vlan", "4096"], "outside 0..4095"),
            (["conversations", "--flows", flows, "--out", out, "--vlan", "1", "--qinq", "2,3"], "not allowed with"),
            (["conversations", "--flows", flows, "--out", out, "--qinq", "2"], "OUTER,INNER"),
            (["conversations", "--flows", flows, "--out", out, "--payload", "0"], "outside 1..1400"),
            (["mix", "--flows", flows, "--out", out], "--packets"),
            (["mix", "--flows", flows, "--out", out, "--packets", "5", "--size", "60"], "outside 64..9216"),
            (["mix", "--flows", flows, "--out", out, "--packets", "5", "--tcp-flags", "SZ"], "unknown TCP flag 'Z'"),
            (["mix", "--flows", flows, "--out", out, "--packets", "5", "--repeat-order", "x"], "invalid choice"),
            (["special", "--out", out], "needs --out and --kind"),
            (["special", "--kind", "all,arp", "--out", out], "cannot be combined"),
            (["special", "--kind", "ipv4-frag", "--frag-size", "100", "--out", out], "multiple of 8"),
        ]
        for args, message in cases:
            proc = t.run(*args, check=False)
            with self.subTest(args=args):
                self.assertEqual(proc.returncode, 2, proc.stderr)
                self.assertIn(message, proc.stderr)
                self.assertNotIn("Traceback", proc.stderr)

    def test_unwritable_output(self):
        flows = self.write("flows.txt", GOOD)
        proc = t.run("conversations", "--flows", flows, "--out", self.path("no/such/dir/o.pcap"), check=False)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("no/such/dir/o.pcap", proc.stderr)
        self.assertNotIn("Traceback", proc.stderr)


if __name__ == "__main__":
    t.main("traffic-errors")
