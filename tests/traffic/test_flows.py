#!/usr/bin/python3
"""podgate-traffic flows: flow lists from manifests (tests/traffic/data/cluster.yaml),
checked against a verdict oracle written by hand for that one cluster."""

import ipaddress
import os
import sys

import traffic_testlib as t

CLUSTER = os.path.join(t.DATA, "cluster.yaml")
WEB = {"10.244.1.10", "10.244.2.10", "fd00:10:244:1::10", "fd00:10:244:2::10"}
DB = {"10.244.1.20", "fd00:10:244:1::20"}
PROM = {"10.244.3.30", "fd00:10:244:3::30"}
NOT_ENDPOINTS = {"192.0.2.7", "10.244.9.9"}  # hostNetwork pod, finished pod
EXTERNAL = [ipaddress.ip_network("198.51.100.0/24"), ipaddress.ip_network("2001:db8::/32")]
WEB_CLIENTS = ipaddress.ip_network("198.51.100.0/24")
WEB_CLIENTS_EXCEPT = ipaddress.ip_network("198.51.100.0/28")


def oracle(proto: str, src: str, dport: int, dst: str):
    """cluster.yaml by hand: namespace shop (web, db) denies everything by default;
    web takes tcp 8080 from 198.51.100.0/24 minus /28 and from namespace monitoring;
    db takes tcp 5432 from web; web may send tcp 5432 to db, udp 53 and udp 5000-5010."""
    shop = WEB | DB
    if src not in shop | PROM and dst not in shop | PROM:
        return None
    egress = src not in shop or (src in WEB and ((proto == "tcp" and dport == 5432 and dst in DB)
                                                 or (proto == "udp" and (dport == 53 or 5000 <= dport <= 5010))))
    if dst in WEB:
        addr = ipaddress.ip_address(src)
        from_block = addr in WEB_CLIENTS and addr not in WEB_CLIENTS_EXCEPT
        ingress = proto == "tcp" and dport == 8080 and (from_block or src in PROM)
    elif dst in DB:
        ingress = proto == "tcp" and dport == 5432 and src in WEB
    else:
        ingress = True
    return egress and ingress


def read_flows(path):
    with open(path) as f:
        lines = f.read().splitlines()
    comments = [line for line in lines if line.startswith("#")]
    return comments, [line.split() for line in lines if line and not line.startswith("#")]


class Flows(t.TempDirTest):
    def generate(self, *extra, manifests=(CLUSTER,)):
        proc = t.run("flows", "--manifests", *manifests, "--out", self.path("f.txt"), *extra)
        return (*read_flows(self.path("f.txt")), proc.stderr)

    def test_addresses_ports_and_families(self):
        _, flows, _ = self.generate("--count", "400", "--ipv6-fraction", "0.3", "--seed", "2")
        self.assertEqual(len(flows), 400)
        pods = WEB | DB | PROM
        dports = set()
        for proto, src, sport, dst, dport in flows:
            for addr in (src, dst):
                self.assertNotIn(addr, NOT_ENDPOINTS)
                ip = ipaddress.ip_address(addr)
                self.assertTrue(addr in pods or any(ip in net for net in EXTERNAL), addr)
            self.assertNotEqual(src, dst)
            self.assertEqual(ipaddress.ip_address(src).version, ipaddress.ip_address(dst).version)
            self.assertTrue(32768 <= int(sport) <= 60999)
            self.assertIn(proto, ("tcp", "udp"))
            dports.add((proto, int(dport)))
        allowed_ports = {("tcp", 8080), ("tcp", 5432), ("udp", 53)} | {("udp", p) for p in range(5000, 5011)}
        unlisted = {(p, n) for p in ("tcp", "udp") for n in range(20000, 21000)}
        self.assertLessEqual(dports, allowed_ports | unlisted)
        self.assertTrue({("tcp", 8080), ("tcp", 5432), ("udp", 53)} <= dports)
        v6 = sum(1 for f in flows if ":" in f[1])
        self.assertTrue(0.2 * 400 <= v6 <= 0.4 * 400, v6)

    def test_allow_fraction_matches_the_oracle(self):
        for fraction in ("0.3", "0.75"):
            comments, flows, _ = self.generate("--count", "200", "--allow-fraction", fraction, "--ipv6-fraction",
                                               "0.25", "--seed", "4")
            verdicts = [oracle(p, s, int(dp), d) for p, s, _, d, dp in flows]
            self.assertEqual(verdicts.count(True), round(200 * float(fraction)), fraction)
            self.assertEqual(verdicts.count(None), 0, "steered flows have a pod end")
            self.assertIn(f"# estimate: {verdicts.count(True)} allowed, {verdicts.count(False)} denied, 0 between",
                          "\n".join(comments))

    def test_unsteered_estimate_matches_the_oracle(self):
        comments, flows, _ = self.generate("--count", "300", "--external-fraction", "0.5", "--seed", "9")
        verdicts = [oracle(p, s, int(dp), d) for p, s, _, d, dp in flows]
        self.assertGreater(verdicts.count(None), 0)
        self.assertIn(f"# estimate: {verdicts.count(True)} allowed, {verdicts.count(False)} denied, "
                      f"{verdicts.count(None)} between non-pod addresses (podgate-policy verdict has the real answer)",
                      comments)

    def test_seeded(self):
        _, a, _ = self.generate("--count", "50", "--seed", "1")
        _, b, _ = self.generate("--count", "50", "--seed", "1")
        _, c, _ = self.generate("--count", "50", "--seed", "2")
        self.assertEqual(a, b)
        self.assertNotEqual(a, c)

    def test_output_feeds_conversations_and_mix(self):
        self.generate("--count", "20", "--ipv6-fraction", "0.5")
        t.run("conversations", "--flows", self.path("f.txt"), "--out", self.path("c.pcap"))
        t.run("mix", "--flows", self.path("f.txt"), "--out", self.path("m.pcap"), "--packets", "40")
        self.assertEqual(len(t.read_pcap(self.path("m.pcap"))), 40)
        self.assertGreaterEqual(len(t.read_pcap(self.path("c.pcap"))), 40)

    def test_impossible_share_warns_and_still_writes(self):
        no_policies = self.write("pods.yaml", "\n".join(open(CLUSTER).read().split("---")[:3]))
        _, flows, stderr = self.generate("--count", "30", "--allow-fraction", "0.5", manifests=(no_policies,))
        self.assertEqual(len(flows), 30)
        self.assertIn("found only 0 of 15 denied-looking flows", stderr)
        self.assertIn("no IPv6 pod addresses", self.generate("--count", "5", "--ipv6-fraction", "0.5",
                                                               manifests=(self.write("v4.yaml", V4_ONLY),))[2])

    def test_manifest_errors_name_the_file(self):
        bad = self.write("bad.yaml", "kind: Pod\nmetadata: {name: x\n  labels: [\n")
        proc = t.run("flows", "--manifests", bad, "--count", "5", "--out", self.path("f.txt"), check=False)
        self.assertEqual(proc.returncode, 1)
        self.assertRegex(proc.stderr, r"bad\.yaml:\d+: invalid YAML")
        bad_ip = self.write("ip.yaml", "kind: Pod\nmetadata: {name: p}\nstatus: {podIP: 10.0.0.300}\n")
        proc = t.run("flows", "--manifests", bad_ip, "--count", "5", "--out", self.path("f.txt"), check=False)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("ip.yaml: Pod default/p:", proc.stderr)
        proc = t.run("flows", "--manifests", self.path("missing"), "--count", "5", "--out", self.path("f.txt"),
                     check=False)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("no such file or directory", proc.stderr)

    def test_estimator_details(self):
        sys.path.insert(0, t.TOOL_DIR)
        from podgate_traffic import flowgen, manifests
        est = flowgen.Estimator(manifests.load([t.DATA]))
        ip = ipaddress.ip_address
        cases = [
            ((6, ip("198.51.100.77"), 8080, ip("10.244.1.10")), True),  # ipBlock + named port http
            ((6, ip("198.51.100.7"), 8080, ip("10.244.1.10")), False),  # in the except /28
            ((6, ip("198.51.100.77"), 8081, ip("10.244.1.10")), False),
            ((17, ip("10.244.1.10"), 5010, ip("198.51.100.1")), True),  # endPort range
            ((17, ip("10.244.1.10"), 5011, ip("198.51.100.1")), False),
            ((6, ip("10.244.3.30"), 8080, ip("10.244.2.10")), True),  # namespaceSelector
            ((6, ip("10.244.3.30"), 5432, ip("10.244.1.20")), False),  # db only from web
            ((6, ip("10.244.9.9"), 80, ip("192.0.2.7")), None),  # neither is an endpoint pod
        ]
        for (proto, src, dport, dst), want in cases:
            self.assertIs(est.allowed(proto, src, dport, dst), want, (proto, src, dport, dst))
            self.assertIs(oracle({6: "tcp", 17: "udp"}[proto], str(src), dport, str(dst)), want)


V4_ONLY = """\
kind: Pod
metadata: {name: a, namespace: x}
status: {podIP: 10.9.0.1}
---
kind: Pod
metadata: {name: b, namespace: x}
status: {podIP: 10.9.0.2}
"""


if __name__ == "__main__":
    t.main("traffic-flows")
