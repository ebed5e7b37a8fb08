#!/usr/bin/python3
"""podgate-policy flows: flow lists from manifests (tests/traffic/data/cluster.yaml),
checked against a verdict oracle written by hand for that one cluster, and fed
to podgate-traffic."""

import ipaddress
import os
import subprocess

import traffic_testlib as t

CLUSTER = os.path.join(t.DATA, "cluster.yaml")
POLICY = os.environ.get("PODGATE_POLICY") or os.path.join(t.HERE, "..", "..", "build", "tools", "policy",
                                                          "podgate-policy")
WEB = {"10.244.1.10", "10.244.2.10", "fd00:10:244:1::10", "fd00:10:244:2::10"}
DB = {"10.244.1.20", "fd00:10:244:1::20"}
PROM = {"10.244.3.30", "fd00:10:244:3::30"}
NOT_ENDPOINTS = {"192.0.2.7", "10.244.9.9"}  # hostNetwork pod, finished pod
EXTERNAL = [ipaddress.ip_network("198.51.100.0/24"), ipaddress.ip_network("2001:db8::/32")]
WEB_CLIENTS = ipaddress.ip_network("198.51.100.0/24")
WEB_CLIENTS_EXCEPT = ipaddress.ip_network("198.51.100.0/28")


def oracle(proto: str, src: str, dport: int, dst: str, non_pod: bool = True) -> bool:
    """cluster.yaml by hand: namespace shop (web, db) denies everything by default;
    web takes tcp 8080 from 198.51.100.0/24 minus /28 and from namespace monitoring;
    db takes tcp 5432 from web; web may send tcp 5432 to db, udp 53 and udp 5000-5010.
    Between two non-pod addresses: `non_pod` (--non-pod-traffic)."""
    shop = WEB | DB
    if src not in shop | PROM and dst not in shop | PROM:
        return non_pod
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


def policy(*args, check=True, input=None):
    proc = subprocess.run([POLICY, *map(str, args)], capture_output=True, text=True, timeout=120, input=input)
    if check and proc.returncode != 0:
        raise AssertionError(f"podgate-policy {' '.join(map(str, args))} exited {proc.returncode}:\n{proc.stderr}")
    return proc


def read_flows(path):
    with open(path) as f:
        lines = f.read().splitlines()
    comments = [line for line in lines if line.startswith("#")]
    return comments, [line.split() for line in lines if line and not line.startswith("#")]


def verdicts(flows, non_pod=True):
    return [oracle(p, s, int(dp), d, non_pod) for p, s, _, d, dp in flows]


class Flows(t.TempDirTest):
    def generate(self, *extra, manifests=(CLUSTER,)):
        proc = policy("flows", *manifests, "--out", self.path("f.txt"), *extra)
        return (*read_flows(self.path("f.txt")), proc.stderr)

    def test_addresses_ports_and_families(self):
        _, flows, _ = self.generate("--count", "400", "--ipv6-fraction", "0.3", "--seed", "2")
        self.assertEqual(len(flows), 400)
        self.assertEqual(len({tuple(f) for f in flows}), 400, "distinct flows")
        pods = WEB | DB | PROM
        dports = set()
        for proto, src, sport, dst, dport in flows:
            for addr in (src, dst):
                self.assertNotIn(addr, NOT_ENDPOINTS)
                ip = ipaddress.ip_address(addr)
                self.assertTrue(addr in pods or any(ip in net for net in EXTERNAL), addr)
            self.assertNotEqual(src, dst)
            self.assertEqual(ipaddress.ip_address(src).version, ipaddress.ip_address(dst).version)
            if proto in ("icmp", "icmpv6"):
                self.assertEqual(proto == "icmpv6", ":" in src)
                self.assertEqual(int(dport), 0)
                continue
            self.assertIn(proto, ("tcp", "udp"))
            self.assertTrue(32768 <= int(sport) <= 60999)
            dports.add((proto, int(dport)))
        allowed_ports = {("tcp", 8080), ("tcp", 5432), ("udp", 53)} | {("udp", p) for p in range(5000, 5011)}
        unlisted = {(p, n) for p in ("tcp", "udp") for n in range(20000, 21000)}
        self.assertLessEqual(dports, allowed_ports | unlisted)
        self.assertTrue({("tcp", 8080), ("tcp", 5432), ("udp", 53)} <= dports)
        v6 = sum(1 for f in flows if ":" in f[1])
        self.assertTrue(0.2 * 400 <= v6 <= 0.4 * 400, v6)

    def test_allow_fraction_is_exact(self):
        for fraction, non_pod in (("0.3", "allow"), ("0.75", "allow"), ("0.5", "deny")):
            comments, flows, _ = self.generate("--count", "200", "--allow-fraction", fraction, "--ipv6-fraction",
                                               "0.25", "--seed", "4", "--non-pod-traffic", non_pod)
            v = verdicts(flows, non_pod == "allow")
            self.assertEqual(v.count(True), round(200 * float(fraction)), fraction)
            self.assertIn(f"# {v.count(True)} allowed, {v.count(False)} denied by the compiled tables "
                          f"(--non-pod-traffic {non_pod})", comments)
            # Any prefix has about the same share.
            self.assertLessEqual(abs(v[:100].count(True) - round(100 * float(fraction))), 1)

    def test_unsteered_counts_match_the_oracle(self):
        comments, flows, _ = self.generate("--count", "300", "--external-fraction", "0.5", "--seed", "9")
        v = verdicts(flows)
        self.assertGreater(v.count(True), 0)
        self.assertGreater(v.count(False), 0)
        self.assertIn(f"# {v.count(True)} allowed, {v.count(False)} denied by the compiled tables "
                      "(--non-pod-traffic allow)", comments)

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

    def test_impossible_share_fails_and_missing_family_warns(self):
        no_policies = self.write("pods.yaml", "---".join(open(CLUSTER).read().split("---")[:3]))
        proc = policy("flows", no_policies, "--count", "30", "--allow-fraction", "0.5", "--out", self.path("f.txt"),
                      check=False)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("found only 15 of 15 allowed and 0 of 15 denied", proc.stderr)
        self.assertIn("cannot give the share asked for", proc.stderr)
        self.assertIn("no IPv6 pod addresses", self.generate("--count", "5", "--ipv6-fraction", "0.5",
                                                               manifests=(self.write("v4.yaml", V4_ONLY),))[2])

    def test_bad_arguments_and_manifests(self):
        proc = policy("flows", CLUSTER, "--count", "5", "--allow-fraction", "1.5", check=False)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("--allow-fraction", proc.stderr)
        bad = self.write("bad.yaml", "kind: Pod\nmetadata: {name: x\n  labels: [\n")
        proc = policy("flows", bad, "--count", "5", "--out", self.path("f.txt"), check=False)
        self.assertEqual(proc.returncode, 1)
        self.assertRegex(proc.stderr, r"bad\.yaml:\d+")
        proc = policy("flows", self.path("missing"), "--count", "5", "--out", self.path("f.txt"), check=False)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("missing", proc.stderr)

    def test_oracle_agrees_with_podgate_policy_verdict(self):
        # The hand-written oracle above is only as good as this check.
        cases = [
            ("tcp 198.51.100.77 40000 10.244.1.10 8080", True),  # ipBlock + named port http
            ("tcp 198.51.100.7 40000 10.244.1.10 8080", False),  # in the except /28
            ("tcp 198.51.100.77 40000 10.244.1.10 8081", False),
            ("udp 10.244.1.10 40000 198.51.100.1 5010", True),  # endPort range
            ("udp 10.244.1.10 40000 198.51.100.1 5011", False),
            ("tcp 10.244.3.30 40000 10.244.2.10 8080", True),  # namespaceSelector
            ("tcp 10.244.3.30 40000 10.244.1.20 5432", False),  # db only from web
            ("tcp fd00:10:244:1::10 40000 fd00:10:244:1::20 5432", True),
            ("tcp 10.244.9.9 40000 192.0.2.7 80", True),  # neither is an endpoint pod
        ]
        answers = policy("verdict", CLUSTER, input="\n".join(c for c, _ in cases)).stdout.splitlines()
        for (text, want), answer in zip(cases, answers, strict=True):
            proto, src, _, dst, dport = text.split()
            self.assertEqual(answer.startswith("allow"), want, text)
            self.assertEqual(oracle(proto, src, int(dport), dst), want, text)


V4_ONLY = """\
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: x}
status: {podIP: 10.9.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: x}
status: {podIP: 10.9.0.2}
"""


if __name__ == "__main__":
    t.main("traffic-flows")
