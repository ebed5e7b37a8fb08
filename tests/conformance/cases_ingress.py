"""Conformance cases 01-29: the ingress side of upstream's netpol suite."""

from netpol_model import (
    Peer, Reachability, case, policy, only, all_true, deny_ingress_x, deny_egress_x,
    deny_all_ingress_xa, xa_from_ns_y_only, xa_from_xb_only, ALL_TCP)

# NetworkPolicy between server and client ------------------------------------------------

case("01-default-deny-ingress", "should support a 'default-deny-ingress' policy (TCP, UDP and SCTP contexts)",
     [policy("deny-ingress", "x", """
  podSelector: {}
  policyTypes: [Ingress]
""")], deny_ingress_x, note="every port/protocol: upstream runs this case for TCP, UDP and SCTP on port 80")

def _deny_all(port, proto):
    r = Reachability(True)
    r.expect_peer(Peer(), Peer(namespace="x"), False)
    r.expect_peer(Peer(namespace="x"), Peer(), False)
    return r

case("02-default-deny-all", "should support a 'default-deny-all' policy",
     [policy("deny-all", "x", """
  podSelector: {}
  policyTypes: [Ingress, Egress]
""")], _deny_all, note="no ports in the policy: every port/protocol as upstream's 80/TCP")

case("03-pod-selector", "should enforce policy to allow traffic from pods within server namespace based on PodSelector",
     [policy("x-a-allows-x-b", "x", """
  podSelector:
    matchLabels: {pod: a}
  policyTypes: [Ingress]
  ingress:
  - from:
    - podSelector:
        matchLabels: {pod: b}
""")], xa_from_xb_only, note="no ports in the rule: every port/protocol as upstream's 80/TCP")

def _target(port, proto):
    r = Reachability(True)
    r.expect_all_ingress("x/a", True)
    r.expect_all_ingress("x/b", False)
    r.expect_all_ingress("x/c", False)
    return r

case("04-allow-ingress-for-a-target", "should enforce policy to allow ingress traffic for a target",
     [policy("deny-all", "x", """
  podSelector: {}
  policyTypes: [Ingress]
"""), policy("allow-all-to-a", "x", """
  podSelector:
    matchLabels: {pod: a}
  policyTypes: [Ingress]
  ingress:
  - from:
    - podSelector: {}
      namespaceSelector: {}
""")], _target, note="no ports: every port/protocol as upstream's 80/TCP")

case("05-allow-from-all-namespaces", "should enforce policy to allow ingress traffic from pods in all namespaces",
     [policy("allow-from-another-ns", "x", """
  podSelector:
    matchLabels: {pod: a}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector:
        matchLabels: {}
""")], all_true, note="no ports: every port/protocol as upstream's 80/TCP")

case("06-namespace-selector", "should enforce policy to allow traffic only from a different namespace, based on NamespaceSelector",
     [policy("allow-client-a-via-ns-selector", "x", """
  podSelector:
    matchLabels: {pod: a}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector:
        matchLabels: {kubernetes.io/metadata.name: y}
""")], xa_from_ns_y_only, note="no ports: every port/protocol as upstream's 80/TCP")

case("07-pod-selector-match-expressions", "should enforce policy based on PodSelector with MatchExpressions",
     [policy("x-a-allows-x-b", "x", """
  podSelector:
    matchLabels: {pod: a}
  policyTypes: [Ingress]
  ingress:
  - from:
    - podSelector:
        matchExpressions:
        - {key: pod, operator: In, values: [b]}
""")], xa_from_xb_only, note="no ports: every port/protocol as upstream's 80/TCP")

case("08-namespace-selector-match-expressions", "should enforce policy based on NamespaceSelector with MatchExpressions",
     [policy("allow-ns-y-match-selector", "x", """
  podSelector:
    matchLabels: {pod: a}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector:
        matchExpressions:
        - {key: kubernetes.io/metadata.name, operator: In, values: [y]}
""")], xa_from_ns_y_only, note="no ports: every port/protocol as upstream's 80/TCP")

def _pod_or_ns(port, proto):
    r = Reachability(True)
    r.expect("x/a", "x/a", False)
    r.expect("x/c", "x/a", False)
    return r

case("09-pod-or-namespace-selector", "should enforce policy based on PodSelector or NamespaceSelector",
     [policy("allow-ns-y-match-selector", "x", """
  podSelector:
    matchLabels: {pod: a}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector:
        matchExpressions:
        - {key: kubernetes.io/metadata.name, operator: NotIn, values: [x]}
    - podSelector:
        matchLabels: {pod: b}
""")], _pod_or_ns, note="no ports: every port/protocol as upstream's 80/TCP")

def _pod_and_ns(port, proto):
    r = Reachability(True)
    r.expect_all_ingress("x/a", False)
    r.expect("y/b", "x/a", True)
    r.expect("z/b", "x/a", True)
    return r

case("10-pod-and-namespace-selector", "should enforce policy based on PodSelector and NamespaceSelector",
     [policy("allow-ns-y-podselector-and-nsselector", "x", """
  podSelector:
    matchLabels: {pod: a}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector:
        matchExpressions:
        - {key: kubernetes.io/metadata.name, operator: NotIn, values: [x]}
      podSelector:
        matchLabels: {pod: b}
""")], _pod_and_ns, note="no ports: every port/protocol as upstream's 80/TCP")

def _multi_pod_and_ns(port, proto):
    r = Reachability(True)
    r.expect_peer(Peer(namespace="x"), Peer(namespace="x", pod="a"), False)
    r.expect("y/a", "x/a", False)
    r.expect("z/a", "x/a", False)
    return r

case("11-multiple-pod-and-namespace-selectors", "should enforce policy based on Multiple PodSelectors and NamespaceSelectors",
     [policy("allow-ns-y-z-pod-b-c", "x", """
  podSelector:
    matchLabels: {pod: a}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector:
        matchExpressions:
        - {key: kubernetes.io/metadata.name, operator: NotIn, values: [x]}
      podSelector:
        matchExpressions:
        - {key: pod, operator: In, values: [b, c]}
""")], _multi_pod_and_ns, note="no ports: every port/protocol as upstream's 80/TCP")

def _any_pod_selectors(port, proto):
    r = Reachability(True)
    r.expect_all_ingress("x/a", False)
    r.expect("x/b", "x/a", True)
    r.expect("x/c", "x/a", True)
    return r

case("12-any-pod-selectors", "should enforce policy based on any PodSelectors",
     [policy("allow-ns-x-pod-b-c", "x", """
  podSelector:
    matchLabels: {pod: a}
  policyTypes: [Ingress]
  ingress:
  - from:
    - podSelector:
        matchLabels: {pod: b}
    - podSelector:
        matchLabels: {pod: c}
""")], _any_pod_selectors, note="no ports: every port/protocol as upstream's 80/TCP")

def _ya_only(port, proto):
    r = Reachability(True)
    r.expect_all_ingress("x/a", False)
    r.expect("y/a", "x/a", True)
    return r

case("13-pod-in-different-namespace",
     "should enforce policy to allow traffic only from a pod in a different namespace based on PodSelector and "
     "NamespaceSelector (TCP, UDP and SCTP contexts)",
     [policy("allow-ns-y-pod-a-via-namespace-pod-selector", "x", """
  podSelector:
    matchLabels: {pod: a}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector:
        matchLabels: {kubernetes.io/metadata.name: y}
      podSelector:
        matchLabels: {pod: a}
""")], _ya_only, note="no ports: upstream runs it on 80 over TCP, UDP and SCTP; 81 alike")


def _ports_case(name, proto, upstream):
    def allow81(port, p):
        r = Reachability(True)
        r.expect_peer(Peer(namespace="x"), Peer(namespace="x", pod="a"), False)
        r.expect_peer(Peer(namespace="y"), Peer(namespace="x", pod="a"), True)
        r.expect_peer(Peer(namespace="z"), Peer(namespace="x", pod="a"), False)
        return r
    case(name, upstream,
         [policy("allow-ingress-on-port-81-ns-x", "x", f"""
  podSelector:
    matchLabels: {{pod: a}}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector:
        matchLabels: {{kubernetes.io/metadata.name: y}}
    ports:
    - port: 81
      protocol: {proto}
""")], only([(81, proto)], allow81, deny_all_ingress_xa),
         note=f"81/{proto} as upstream; every other port/protocol: x/a is isolated and nothing else is "
              f"allowed (upstream's stacked-policies case probes 80/TCP this way)")

_ports_case("14-ports-tcp", "TCP", "should enforce policy based on Ports")
_ports_case("15-ports-udp", "UDP", "should enforce policy based on Ports (UDP context)")
_ports_case("16-ports-sctp", "SCTP", "should enforce policy based on Ports (SCTP context)")


def _stacked_allow(port, proto):
    r = Reachability(True)
    r.expect_peer(Peer(namespace="x"), Peer(namespace="x", pod="a"), False)
    r.expect_peer(Peer(namespace="y"), Peer(namespace="x", pod="a"), True)
    r.expect_peer(Peer(namespace="z"), Peer(namespace="x", pod="a"), False)
    return r

case("17-stacked-policies", "should enforce multiple, stacked policies with overlapping podSelectors (final step)",
     [policy("allow-client-a-via-ns-selector", "x", """
  podSelector:
    matchLabels: {pod: a}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector:
        matchLabels: {kubernetes.io/metadata.name: y}
    ports:
    - port: 81
      protocol: TCP
"""), policy("allow-client-a-via-ns-selector-80", "x", """
  podSelector:
    matchLabels: {pod: a}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector:
        matchLabels: {kubernetes.io/metadata.name: y}
    ports:
    - port: 80
      protocol: TCP
""")], only(ALL_TCP, _stacked_allow, deny_all_ingress_xa),
     note="80/TCP and 81/TCP as upstream (reachabilityALLOW); UDP and SCTP: neither policy allows them")

case("18-allow-all", "should support allow-all policy",
     [policy("allow-all", "x", """
  podSelector:
    matchLabels: {}
  policyTypes: [Ingress]
  ingress:
  - {}
""")], all_true, note="upstream probes 80/TCP and 81/TCP; the rule has no ports, so UDP and SCTP alike")

case("19-named-port-ingress", "should allow ingress access on one named port",
     [policy("allow-all", "x", """
  podSelector:
    matchLabels: {}
  policyTypes: [Ingress]
  ingress:
  - ports:
    - port: serve-81-tcp
""")], only([(81, "TCP")], all_true, deny_ingress_x),
     note="81/TCP and 80/TCP as upstream; the named port is TCP (protocol defaults to TCP), so UDP and SCTP "
          "are denied like 80/TCP")

case("20-named-port-from-namespace", "should allow ingress access from namespace on one named port",
     [policy("allow-client-a-via-ns-selector-80", "x", """
  podSelector:
    matchLabels: {pod: a}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector:
        matchLabels: {kubernetes.io/metadata.name: y}
    ports:
    - port: serve-80-tcp
      protocol: TCP
""")], only([(80, "TCP")], xa_from_ns_y_only, deny_all_ingress_xa),
     note="80/TCP and 81/TCP as upstream; UDP and SCTP denied like 81/TCP")

case("21-named-port-egress", "should allow egress access on one named port",
     [policy("allow-egress", "x", """
  podSelector:
    matchLabels: {}
  policyTypes: [Egress]
  egress:
  - ports:
    - port: serve-80-tcp
""")], only([(80, "TCP")], all_true, deny_egress_x),
     note="80/TCP and 81/TCP as upstream; UDP and SCTP denied like 81/TCP (the named port is TCP)")

case("22-updated-policy-deny-all", "should enforce updated policy (after the update to `ingress: []`)",
     [policy("allow-all-mutate-to-deny-all", "x", """
  podSelector:
    matchLabels: {}
  policyTypes: [Ingress]
  ingress: []
""")], deny_ingress_x, note="no rules: every port/protocol as upstream's 81/TCP")

def _updated_ns_after(port, proto):
    r = Reachability(True)
    r.expect_all_ingress("x/a", False)
    r.expect_peer(Peer(namespace="y"), Peer(), True)
    return r

_NS2_POLICY = policy("allow-client-a-via-ns-selector", "x", """
  podSelector:
    matchLabels: {pod: a}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector:
        matchLabels: {ns2: updated}
""")

case("23-ingress-from-updated-namespace-before", "should allow ingress access from updated namespace (before the label)",
     [_NS2_POLICY], deny_all_ingress_xa, note="no ports: every port/protocol as upstream's 80/TCP")

case("24-ingress-from-updated-namespace", "should allow ingress access from updated namespace (after the label)",
     [_NS2_POLICY], _updated_ns_after, labels=["namespace y ns2=updated"],
     note="no ports: every port/protocol as upstream's 80/TCP")

_POD2_POLICY = policy("allow-client-a-via-pod-selector", "x", """
  podSelector:
    matchLabels: {pod: a}
  policyTypes: [Ingress]
  ingress:
  - from:
    - podSelector:
        matchLabels: {pod: b, pod2: updated}
""")

case("25-ingress-from-updated-pod-before", "should allow ingress access from updated pod (before the label)",
     [_POD2_POLICY], deny_all_ingress_xa, note="no ports: every port/protocol as upstream's 80/TCP")

case("26-ingress-from-updated-pod", "should allow ingress access from updated pod (after the label)",
     [_POD2_POLICY], xa_from_xb_only, labels=["pod x/b pod2=updated"],
     note="no ports: every port/protocol as upstream's 80/TCP")

def _other_ns_denied(port, proto):
    r = Reachability(True)
    r.expect_peer(Peer(namespace="y"), Peer(namespace="x"), False)
    r.expect_peer(Peer(namespace="z"), Peer(namespace="x"), False)
    return r

case("27-deny-ingress-from-other-namespaces", "should deny ingress from pods on other namespaces",
     [policy("deny-empty-policy", "x", """
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
  - from:
    - podSelector:
        matchLabels: {}
""")], _other_ns_denied, note="no ports: every port/protocol as upstream's 80/TCP")

_ISOLATED_POLICY = policy("deny-ingress-via-label-selector", "x", """
  podSelector:
    matchLabels: {target: isolated}
  policyTypes: [Ingress]
""")

case("28-deny-ingress-to-updated-pod-before", "should deny ingress access to updated pod (before the label)",
     [_ISOLATED_POLICY], all_true, note="selects nothing yet: every port/protocol open")

case("29-deny-ingress-to-updated-pod", "should deny ingress access to updated pod (after the label)",
     [_ISOLATED_POLICY], deny_all_ingress_xa, labels=["pod x/a target=isolated"],
     note="no rules: every port/protocol as upstream's 80/TCP")

