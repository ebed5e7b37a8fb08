"""Conformance cases 30-55: egress, ipBlock, protocols and endPort."""

from netpol_model import (
    Peer, Reachability, case, policy, only, all_true, deny_ingress_x, deny_egress_x,
    deny_all_ingress_xa, xa_from_ns_y_only, xa_from_xb_only, ALL_TCP, ip4, ip6)


def _deny_egress_xa(port, proto):
    r = Reachability(True)
    r.expect_all_egress("x/a", False)
    return r

case("30-deny-egress-pod-selector", "should deny egress from pods based on PodSelector",
     [policy("deny-egress-pod-a", "x", """
  podSelector:
    matchLabels: {pod: a}
  policyTypes: [Egress]
""")], _deny_egress_xa, note="no rules: every port/protocol as upstream's 80/TCP")

case("31-deny-egress-namespace", "should deny egress from all pods in a namespace",
     [policy("deny-egress-ns-x", "x", """
  podSelector: {}
  policyTypes: [Egress]
""")], deny_egress_x, note="no rules: every port/protocol as upstream's 80/TCP")

def _together_81(port, proto):
    r = Reachability(True)
    r.expect_all_ingress("x/a", False)
    r.expect_all_egress("x/a", False)
    r.expect("x/b", "x/a", True)
    return r

case("32-ingress-and-egress-together", "should work with Ingress, Egress specified together",
     [policy("allow-client-a-via-pod-selector", "x", """
  podSelector:
    matchLabels: {pod: a}
  policyTypes: [Egress, Ingress]
  ingress:
  - from:
    - podSelector:
        matchLabels: {pod: b}
  egress:
  - ports:
    - port: 80
""")], only([(80, "TCP")], xa_from_xb_only, _together_81),
     note="80/TCP and 81/TCP as upstream; UDP and SCTP like 81/TCP (the egress port 80 is TCP)")

def _client_side(port, proto):
    r = Reachability(True)
    r.expect_peer(Peer(namespace="x", pod="a"), Peer(), False)
    r.expect_peer(Peer(), Peer(namespace="y", pod="a"), False)
    r.expect_peer(Peer(namespace="x", pod="a"), Peer(namespace="y", pod="a"), True)
    r.expect_peer(Peer(), Peer(namespace="y", pod="b"), False)
    return r

_FROM_XA = """
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector:
        matchLabels: {kubernetes.io/metadata.name: x}
      podSelector:
        matchLabels: {pod: a}
"""

case("33-deny-egress-on-client-side",
     "should support denying of egress traffic on the client side (even if the server explicitly allows this traffic)",
     [policy("allow-to-ns-y-pod-a", "x", """
  podSelector:
    matchLabels: {pod: a}
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector:
        matchLabels: {kubernetes.io/metadata.name: y}
      podSelector:
        matchLabels: {pod: a}
"""), policy("allow-from-xa-on-ya-match-selector", "y", "  podSelector:\n    matchLabels: {pod: a}" + _FROM_XA),
      policy("allow-from-xa-on-yb-match-selector", "y", "  podSelector:\n    matchLabels: {pod: b}" + _FROM_XA)],
     _client_side, note="no ports: every port/protocol as upstream's 80/TCP")

def _egress_to_ya(port, proto):
    r = Reachability(True)
    r.expect_all_egress("x/a", False)
    r.expect("x/a", "y/a", True)
    return r

case("34-egress-to-pod-in-different-namespace",
     "should enforce egress policy allowing traffic to a server in a different namespace based on PodSelector and "
     "NamespaceSelector",
     [policy("allow-to-ns-y-pod-a", "x", """
  podSelector:
    matchLabels: {pod: a}
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector:
        matchLabels: {kubernetes.io/metadata.name: y}
      podSelector:
        matchLabels: {pod: a}
""")], _egress_to_ya, note="no ports: every port/protocol as upstream's 80/TCP")

def _deny_ingress_xa_only(port, proto):
    r = Reachability(True)
    r.expect_peer(Peer(), Peer(namespace="x", pod="a"), False)
    return r

case("35-any-port-on-a-specific-protocol", "should enforce ingress policy allowing any port traffic to a server on a specific protocol",
     [policy("allow-ingress-by-proto", "x", """
  podSelector:
    matchLabels: {pod: a}
  policyTypes: [Ingress]
  ingress:
  - ports:
    - protocol: TCP
""")], only(ALL_TCP, all_true, _deny_ingress_xa_only),
     note="80/TCP and 80/UDP as upstream; 81 alike; SCTP like UDP")

_PORT_80_INGRESS = policy("allow-ingress-port-80", "x", """
  podSelector:
    matchLabels: {}
  policyTypes: [Ingress]
  ingress:
  - ports:
    - port: 80
""")

case("36-ingress-port-80-only", "should enforce multiple ingress policies with ingress allow-all policy taking precedence (first step)",
     [_PORT_80_INGRESS], only([(80, "TCP")], all_true, deny_ingress_x),
     note="81/TCP as upstream; 80/TCP is the port the policy allows; UDP and SCTP denied like 81/TCP")

case("37-ingress-allow-all-takes-precedence", "should enforce multiple ingress policies with ingress allow-all policy taking precedence",
     [_PORT_80_INGRESS, policy("allow-ingress", "x", """
  podSelector:
    matchLabels: {}
  policyTypes: [Ingress]
  ingress:
  - {}
""")], all_true, note="81/TCP as upstream; the allow-all rule has no ports, so every port/protocol")

_PORT_80_EGRESS = policy("allow-egress-port-80", "x", """
  podSelector:
    matchLabels: {}
  policyTypes: [Egress]
  egress:
  - ports:
    - port: 80
""")

case("38-egress-port-80-only", "should enforce multiple egress policies with egress allow-all policy taking precedence (first step)",
     [_PORT_80_EGRESS], only([(80, "TCP")], all_true, deny_egress_x),
     note="81/TCP as upstream; 80/TCP is the port the policy allows; UDP and SCTP denied like 81/TCP")

case("39-egress-allow-all-takes-precedence", "should enforce multiple egress policies with egress allow-all policy taking precedence",
     [_PORT_80_EGRESS, policy("allow-egress", "x", """
  podSelector:
    matchLabels: {}
  policyTypes: [Egress]
  egress:
  - {}
""")], all_true, note="81/TCP as upstream; the allow-all rule has no ports, so every port/protocol")

case("40-policies-deleted", "should stop enforcing policies after they are deleted (after the deletion)",
     [], all_true, note="no policy at all: everything open")


def _ip_block_cases(family, ip, host_bits, number):
    suffix = family

    def to_yb(port, proto):
        r = Reachability(True)
        r.expect_all_egress("x/a", False)
        r.expect("x/a", "y/b", True)
        return r

    case(f"{number}-egress-to-cidr-{suffix}", "should allow egress access to server in CIDR block",
         [policy("allow-client-a-via-cidr-egress-rule", "x", f"""
  podSelector:
    matchLabels: {{pod: a}}
  policyTypes: [Egress]
  egress:
  - to:
    - ipBlock:
        cidr: "{ip('y/b')}/{host_bits}"
""")], to_yb, families=(family,), note="no ports: every port/protocol as upstream's 80/TCP")

    def except_xb(port, proto):
        r = Reachability(True)
        r.expect("x/a", "x/b", False)
        return r

    case(f"{number + 1}-egress-cidr-except-{suffix}",
         "should enforce except clause while egress access to server in CIDR block",
         [policy("allow-client-a-via-cidr-egress-rule", "x", f"""
  podSelector:
    matchLabels: {{pod: a}}
  policyTypes: [Egress]
  egress:
  - to:
    - ipBlock:
        cidr: "{ip('x/a')}/4"
        except:
        - "{ip('x/b')}/{host_bits}"
""")], except_xb, families=(family,),
         note="x/a's address /4 holds every pod, as upstream assumes; every port/protocol as its 80/TCP")

    def to_xb(port, proto):
        r = Reachability(True)
        r.expect_all_egress("x/a", False)
        r.expect("x/a", "x/b", True)
        return r

    case(f"{number + 2}-cidr-overlapping-except-{suffix}",
         "should ensure an IP overlapping both IPBlock.CIDR and IPBlock.Except is allowed (after the update)",
         [policy("allow-client-a-via-cidr-egress-rule", "x", f"""
  podSelector:
    matchLabels: {{pod: a}}
  policyTypes: [Egress]
  egress:
  - to:
    - ipBlock:
        cidr: "{ip('x/b')}/{host_bits}"
""")], to_xb, families=(family,), note="no ports: every port/protocol as upstream's 80/TCP")


_ip_block_cases("ipv4", ip4, 32, 41)
_ip_block_cases("ipv6", ip6, 128, 44)

case("47-ingress-and-egress-controlled-independently",
     "should enforce policies to check ingress and egress policies can be controlled independently based on PodSelector",
     [policy("allow-egress-for-target", "x", """
  podSelector:
    matchLabels: {pod: a}
  policyTypes: [Egress]
  egress:
  - {}
"""), policy("deny-ingress-via-label-selector", "x", """
  podSelector:
    matchLabels: {pod: a}
  policyTypes: [Ingress]
""")], deny_all_ingress_xa, note="no ports: every port/protocol as upstream's 80/TCP")

def _sctp_81_to_xa(port, proto):
    r = deny_ingress_x(port, proto)
    r.expect_all_ingress("x/a", True)
    return r

case("48-sctp-is-not-tcp",
     "should not mistakenly treat 'protocol: SCTP' as 'protocol: TCP', even if the plugin doesn't support SCTP",
     [policy("deny-ingress", "x", """
  podSelector: {}
  policyTypes: [Ingress]
"""), policy("allow-only-sctp-ingress-on-port-81", "x", """
  podSelector:
    matchLabels: {pod: a}
  policyTypes: [Ingress]
  ingress:
  - ports:
    - port: 81
      protocol: SCTP
""")], only([(81, "SCTP")], _sctp_81_to_xa, deny_ingress_x),
     note="81/TCP as upstream; 81/SCTP is what the second policy opens to x/a; the rest denied like 81/TCP")

def _single_proto_case(name, upstream, proto, port):
    case(name, upstream,
         [policy(f"allow-only-{proto.lower()}-ingress-on-port-{port}", "x", f"""
  podSelector:
    matchLabels: {{pod: a}}
  policyTypes: [Ingress]
  ingress:
  - ports:
    - port: {port}
      protocol: {proto}
""")], only([(port, proto)], all_true, deny_all_ingress_xa),
         note=f"81/TCP as upstream; {port}/{proto} is what the policy opens; the rest denied like 81/TCP")

_single_proto_case("49-sctp-policy-isolates",
                   "should properly isolate pods that are selected by a policy allowing SCTP, even if the plugin "
                   "doesn't support SCTP", "SCTP", 80)
_single_proto_case("50-udp-policy-blocks-tcp", "should not allow access by TCP when a policy specifies only UDP",
                   "UDP", 81)

case("51-default-namespace-label-match-labels",
     "should enforce policy to allow traffic based on NamespaceSelector with MatchLabels using default ns label",
     [policy("allow-client-a-via-ns-selector-for-immutable-ns-label", "x", """
  podSelector:
    matchLabels: {pod: a}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector:
        matchLabels: {kubernetes.io/metadata.name: y}
""")], xa_from_ns_y_only, note="no ports: every port/protocol as upstream's 80/TCP")

def _xa_not_to_y(port, proto):
    r = Reachability(True)
    r.expect_peer(Peer(namespace="x", pod="a"), Peer(namespace="y"), False)
    return r

case("52-default-namespace-label-match-expressions-egress",
     "should enforce policy based on NamespaceSelector with MatchExpressions using default ns label",
     [policy("allow-ns-y-match-selector-for-immutable-ns-label", "x", """
  podSelector:
    matchLabels: {pod: a}
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector:
        matchExpressions:
        - {key: kubernetes.io/metadata.name, operator: NotIn, values: [y]}
""")], _xa_not_to_y, note="no ports: every port/protocol as upstream's 80/TCP")

# endPort: upstream's suite has no probe of its own for ranges; these follow the
# shape of "should enforce policy based on Ports" with endPort ranges whose
# edges fall on the probed ports.

case("53-end-port-range-ingress", "(endPort) should enforce policy based on Ports, with port 80 endPort 81",
     [policy("allow-ns-y-ports-80-81", "x", """
  podSelector:
    matchLabels: {pod: a}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector:
        matchLabels: {kubernetes.io/metadata.name: y}
    ports:
    - protocol: TCP
      port: 80
      endPort: 81
""")], only(ALL_TCP, xa_from_ns_y_only, deny_all_ingress_xa),
     note="the TCP range covers both probed ports; UDP and SCTP are not allowed")

case("54-end-port-range-edges", "(endPort) ranges starting at 81 and ending at 80",
     [policy("ranges", "x", """
  podSelector:
    matchLabels: {pod: a}
  policyTypes: [Ingress]
  ingress:
  - ports:
    - protocol: TCP
      port: 81
      endPort: 90
    - protocol: UDP
      port: 70
      endPort: 80
""")], only([(81, "TCP"), (80, "UDP")], all_true, deny_all_ingress_xa),
     note="81/TCP is the first port of a range, 80/UDP the last; 80/TCP and 81/UDP fall just outside")

case("55-end-port-range-egress", "(endPort) egress ranges ending at 80 and running from 81 to 65535",
     [policy("egress-ranges", "x", """
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - ports:
    - protocol: UDP
      port: 1
      endPort: 80
    - protocol: SCTP
      port: 81
      endPort: 65535
""")], only([(80, "UDP"), (81, "SCTP")], all_true, deny_egress_x),
     note="80/UDP and 81/SCTP are inside the ranges; every other probe leaves x isolated for egress")
