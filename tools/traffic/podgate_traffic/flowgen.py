"""`flows`: random but plausible flow lists from manifests, for benchmarks.

Addresses are pod IPs (endpoint pods only) and, with --external-fraction,
addresses in 198.51.100.0/24 and 2001:db8::/32. Destination ports and
protocols come from what the policies mention (numbers, endPort ranges, named
ports resolved on the pods), the pods' container ports, and TCP/UDP
20000-20999, which stand for ports nobody allows.

--allow-fraction is best effort. The Estimator below follows NetworkPolicy
closely enough to steer the mix, but the verdict that counts is
`podgate-policy verdict`'s: flows between two non-pod addresses depend on the
daemon's non-pod default, so they count toward neither share; when the
manifests make the asked share impossible (no policies: nothing is denied),
the generator warns and fills the rest with unsteered flows.
"""

import ipaddress
import random
import sys

from .flowfile import PROTO_NAMES
from .manifests import Cluster

EXTERNAL = {4: ipaddress.ip_network("198.51.100.0/24"), 6: ipaddress.ip_network("2001:db8::/32")}
UNLISTED_PORTS = [(6, 20000, 20999), (17, 20000, 20999)]
DEFAULT_PORTS = [(6, 80, 80), (6, 443, 443), (17, 53, 53)]
EPHEMERAL = (32768, 60999)


class Estimator:
    """Allowed by both the source's egress and the destination's ingress policies?
    None when neither end is a pod. Selector results are cached per pod."""

    def __init__(self, cluster: Cluster):
        self._cluster = cluster
        self._by_ip = {ip: pod for pod in cluster.pods if pod.endpoint for ip in pod.ips}
        self._policies = {}  # (id(pod), direction) -> [policy]
        self._peers = {}  # (id(peer), ns, id(pod)) -> bool

    def pod_of(self, ip):
        return self._by_ip.get(ip)

    def allowed(self, proto, src, dport, dst) -> bool | None:
        src_pod, dst_pod = self.pod_of(src), self.pod_of(dst)
        if src_pod is None and dst_pod is None:
            return None
        return (self._side(src_pod, "egress", dst, dst_pod, proto, dport, dst_pod)
                and self._side(dst_pod, "ingress", src, src_pod, proto, dport, dst_pod))

    def policies_for(self, pod, direction: str) -> list:
        key = (id(pod), direction)
        if key not in self._policies:
            self._policies[key] = [p for p in self._cluster.policies if p.ns == pod.ns and getattr(p, direction)
                                   is not None and p.selector.matches(pod.labels)]
        return self._policies[key]

    def _side(self, pod, direction, peer_ip, peer_pod, proto, dport, dst_pod) -> bool:
        if pod is None:
            return True
        policies = self.policies_for(pod, direction)
        if not policies:
            return True
        return any(self._ports(rule.ports, proto, dport, dst_pod)
                   and (not rule.peers or any(self.peer_matches(peer, p.ns, peer_ip, peer_pod) for peer in rule.peers))
                   for p in policies for rule in getattr(p, direction))

    @staticmethod
    def _ports(ports, proto, dport, dst_pod) -> bool:
        if not ports:
            return True
        for rule in ports:
            if rule.proto != proto:
                continue
            if rule.port is None:
                return True
            if isinstance(rule.port, str):
                if dst_pod is not None and dst_pod.resolve(rule.port, proto) == dport:
                    return True
            elif rule.port <= dport <= (rule.end_port or rule.port):
                return True
        return False

    def peer_matches(self, peer, ns, ip, pod) -> bool:
        if peer.cidr is not None:
            return ip in peer.cidr and not any(ip in e for e in peer.excepts)
        if pod is None:
            return False
        key = (id(peer), ns, id(pod))
        if key not in self._peers:
            if peer.namespace_selector is None:
                in_ns = pod.ns == ns
            else:
                in_ns = peer.namespace_selector.matches(self._cluster.namespace_labels(pod.ns))
            self._peers[key] = in_ns and (peer.pod_selector is None or peer.pod_selector.matches(pod.labels))
        return self._peers[key]


class Generator:
    def __init__(self, cluster: Cluster, ipv6_fraction: float, external_fraction: float, seed: int):
        self._cluster = cluster
        self._rng = random.Random(f"flows:{seed}")
        self._ipv6 = ipv6_fraction
        self._external = external_fraction
        self.estimator = Estimator(cluster)
        self._endpoints = [p for p in cluster.pods if p.endpoint]
        self._pod_ips = {fam: sorted({ip for p in self._endpoints for ip in p.ips if ip.version == fam}, key=int)
                         for fam in (4, 6)}
        self._ports = self._port_pool()
        self._targets = [(p, rule, direction) for p in cluster.policies for direction in ("ingress", "egress")
                         for rule in getattr(p, direction) or []]
        self._cache = {}

    def _port_pool(self) -> list:
        pool = set()
        for policy in self._cluster.policies:
            for rule in (policy.ingress or []) + (policy.egress or []):
                for port in rule.ports:
                    if isinstance(port.port, int):
                        pool.add((port.proto, port.port, port.end_port or port.port))
                    elif isinstance(port.port, str):
                        pool |= {(port.proto, n, n) for pod in self._cluster.pods for name, n, proto in pod.ports
                                 if name == port.port and proto == port.proto}
        pool |= {(proto, n, n) for pod in self._cluster.pods for _, n, proto in pod.ports}
        return sorted(pool) + UNLISTED_PORTS if pool else DEFAULT_PORTS + UNLISTED_PORTS

    def missing_families(self) -> list[int]:
        return [fam for fam in (4, 6) if not self._pod_ips[fam]]

    def _family(self) -> int:
        return 6 if self._rng.random() < self._ipv6 else 4

    def _external_address(self, fam: int):
        net = EXTERNAL[fam]
        host = self._rng.randrange(1, 255) if fam == 4 else self._rng.getrandbits(64) | 1
        return net.network_address + host

    def _address(self, fam: int):
        if self._pod_ips[fam] and self._rng.random() >= self._external:
            return self._rng.choice(self._pod_ips[fam])
        return self._external_address(fam)

    def _in_block(self, peer, fam):
        if peer.cidr.version != fam:
            return None
        for _ in range(8):
            ip = peer.cidr.network_address + self._rng.randrange(peer.cidr.num_addresses)
            if not any(ip in e for e in peer.excepts):
                return ip
        return None

    def random_flow(self) -> tuple:
        fam = self._family()
        src = self._address(fam)
        dst = self._address(fam)
        while dst == src:
            dst = self._external_address(fam)
        proto, lo, hi = self._rng.choice(self._ports)
        return proto, src, self._rng.randint(*EPHEMERAL), dst, self._rng.randint(lo, hi)

    def _cached(self, key, compute):
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def _selected(self, policy, fam) -> list:
        """(pod, address) pairs of the pods `policy` selects."""
        return self._cached(("selected", id(policy), fam), lambda: [
            (p, ip) for p in self._endpoints if p.ns == policy.ns and policy.selector.matches(p.labels)
            for ip in p.ips if ip.version == fam])

    def _peer_pods(self, peer, ns, fam) -> list:
        """(pod, address) pairs of the pods a selector peer of a policy in `ns` admits."""
        matches = self.estimator.peer_matches
        pods = self._cached(("peer", id(peer), ns), lambda: [p for p in self._endpoints if matches(peer, ns, None, p)])
        return self._cached(("peer", id(peer), ns, fam), lambda: [(p, ip) for p in pods for ip in p.ips
                                                                  if ip.version == fam])

    def targeted_flow(self) -> tuple | None:
        """A flow aimed at one rule: a pod the policy selects at one end, a listed
        peer at the other, a listed port."""
        if not self._targets:
            return None
        policy, rule, direction = self._rng.choice(self._targets)
        fam = self._family()
        selected = self._selected(policy, fam)
        if not selected:
            return None
        pod, here = self._rng.choice(selected)
        peer_pod, there = self._peer_end(rule, policy, fam)
        if there is None or here == there:
            return None
        dst_pod = pod if direction == "ingress" else peer_pod
        proto, dport = self._rule_port(rule, dst_pod)
        if dport is None:
            return None
        src, dst = (there, here) if direction == "ingress" else (here, there)
        return proto, src, self._rng.randint(*EPHEMERAL), dst, dport

    def _peer_end(self, rule, policy, fam) -> tuple:
        if not rule.peers:
            ip = self._address(fam)
            return self.estimator.pod_of(ip), ip
        peer = self._rng.choice(rule.peers)
        if peer.cidr is not None:
            ip = self._in_block(peer, fam)
            return (self.estimator.pod_of(ip) if ip else None), ip
        pods = self._peer_pods(peer, policy.ns, fam)
        return self._rng.choice(pods) if pods else (None, None)

    def _rule_port(self, rule, dst_pod) -> tuple:
        if not rule.ports:
            proto, lo, hi = self._rng.choice(self._ports)
            return proto, self._rng.randint(lo, hi)
        port = self._rng.choice(rule.ports)
        if port.port is None:
            return port.proto, self._rng.randint(1, 65535)
        if isinstance(port.port, str):
            return port.proto, dst_pod.resolve(port.port, port.proto) if dst_pod else None
        return port.proto, self._rng.randint(port.port, port.end_port or port.port)

    def verdict(self, flow) -> bool | None:
        proto, src, _, dst, dport = flow
        return self.estimator.allowed(proto, src, dport, dst)

    def generate(self, count: int, allow_fraction: float | None) -> tuple[list, dict]:
        if allow_fraction is None:
            flows = [self.random_flow() for _ in range(count)]
        else:
            want = round(count * allow_fraction)
            flows = self._steered(want, True) + self._steered(count - want, False)
            self._rng.shuffle(flows)
        estimate = [self.verdict(f) for f in flows]
        stats = {"allowed": estimate.count(True), "denied": estimate.count(False), "non_pod": estimate.count(None)}
        return flows, stats

    def _steered(self, n: int, allow: bool) -> list:
        out, budget = [], 200 * n + 1000
        while len(out) < n and budget > 0:
            budget -= 1
            flow = self.targeted_flow() if allow and self._rng.random() < 0.7 else self.random_flow()
            if flow is not None and self.verdict(flow) is allow:
                out.append(flow)
        if len(out) < n:
            word = "allowed" if allow else "denied"
            print(f"podgate-traffic flows: warning: found only {len(out)} of {n} {word}-looking flows in these "
                  "manifests; the rest are unsteered", file=sys.stderr)
            out += [self.random_flow() for _ in range(n - len(out))]
        return out


def format_flow(flow: tuple) -> str:
    proto, src, sport, dst, dport = flow
    return f"{PROTO_NAMES.get(proto, proto)} {src} {sport} {dst} {dport}"
