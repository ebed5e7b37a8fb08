// What the loader produces from valid manifests: every field podgate reads,
// and every default the API server would apply.

#include "loader_test.hpp"

namespace podgate::config::test {
namespace {

TEST(LoaderObjects, NamespaceGetsTheImpliedNameLabel) {
    const auto c = load_ok(R"(
apiVersion: v1
kind: Namespace
metadata:
  name: team-a
  labels: {team: a, env: prod}
)");
    ASSERT_EQ(c.namespaces.size(), 1u);
    const auto& ns = c.namespaces[0];
    EXPECT_EQ(ns.name, "team-a");
    EXPECT_EQ(ns.labels,
              (label_map{{"team", "a"}, {"env", "prod"}, {namespace_name_label, "team-a"}}));
    EXPECT_EQ(ns.where.file, "t.yaml");
    EXPECT_EQ(ns.where.line, 2);
}

TEST(LoaderObjects, NamespaceWithoutLabelsHasOnlyTheImpliedOne) {
    const auto c = load_ok("apiVersion: v1\nkind: Namespace\nmetadata: {name: empty}\n");
    ASSERT_EQ(c.namespaces.size(), 1u);
    EXPECT_EQ(c.namespaces[0].labels, (label_map{{namespace_name_label, "empty"}}));
}

TEST(LoaderObjects, WrongImpliedLabelIsOverwrittenWithAWarning) {
    const auto r = load_manifest_text(R"(apiVersion: v1
kind: Namespace
metadata:
  name: real
  labels: {kubernetes.io/metadata.name: other}
)",
                                      "t.yaml");
    ASSERT_TRUE(r.ok()) << joined(r.errors);
    EXPECT_EQ(r.objects.namespaces.at(0).labels.at(namespace_name_label), "real");
    ASSERT_EQ(r.warnings.size(), 1u);
    EXPECT_EQ(r.warnings[0].to_string(), "t.yaml:5: Namespace real: metadata.labels: "
                                         "kubernetes.io/metadata.name is \"other\"; the API server "
                                         "sets it to the namespace name \"real\"");
}

TEST(LoaderObjects, PodFieldsAndDefaults) {
    const auto c = load_ok(R"(
apiVersion: v1
kind: Pod
metadata:
  name: web-1
  labels: {app: web, tier: "1"}
spec:
  containers:
  - name: main
    ports:
    - {containerPort: 8080, name: http}
    - {containerPort: 53, name: dns, protocol: UDP}
    - {containerPort: 9999}
  - name: sidecar
    ports:
    - {containerPort: 2049, protocol: SCTP, name: nfs}
status:
  phase: Running
  podIP: 10.1.2.3
)");
    ASSERT_EQ(c.pods.size(), 1u);
    const pod& p = c.pods[0];
    EXPECT_EQ(p.ns, "default"); // metadata.namespace omitted
    EXPECT_EQ(p.name, "web-1");
    EXPECT_EQ(p.qualified_name(), "default/web-1");
    EXPECT_EQ(p.labels, (label_map{{"app", "web"}, {"tier", "1"}}));
    ASSERT_EQ(p.ips.size(), 1u);
    EXPECT_EQ(p.ips[0], ip_address::v4(0x0a010203));
    ASSERT_EQ(p.ports.size(), 4u);
    EXPECT_EQ(p.ports[0].name, "http");
    EXPECT_EQ(p.ports[0].number, 8080);
    EXPECT_EQ(p.ports[0].proto, protocol::tcp); // protocol omitted
    EXPECT_EQ(p.ports[1].proto, protocol::udp);
    EXPECT_EQ(p.ports[2].name, "");
    EXPECT_EQ(p.ports[2].number, 9999);
    EXPECT_EQ(p.ports[3].proto, protocol::sctp);
    EXPECT_EQ(p.resolve_port("nfs", protocol::sctp), 2049);
    EXPECT_FALSE(p.host_network);
    EXPECT_FALSE(p.terminated);
    EXPECT_TRUE(p.is_endpoint());
    EXPECT_EQ(p.where.line, 2);
}

TEST(LoaderObjects, PodIPv6Only) {
    const auto c = load_ok(R"(apiVersion: v1
kind: Pod
metadata: {name: v6, namespace: ns6}
status: {podIP: "fd00:10:244::7"}
)");
    const pod* p = find_pod(c, "v6");
    ASSERT_NE(p, nullptr);
    ASSERT_EQ(p->ips.size(), 1u);
    EXPECT_EQ(p->ips[0].family, ip_family::v6);
    EXPECT_EQ(p->ips[0], ip("fd00:10:244::7"));
    EXPECT_EQ(p->ns, "ns6");
}

TEST(LoaderObjects, DualStackPodIPsInOrder) {
    const auto c = load_ok(R"(apiVersion: v1
kind: Pod
metadata: {name: ds}
status:
  podIP: fd00::9
  podIPs:
  - ip: fd00::9
  - ip: 10.0.0.9
)");
    const pod* p = find_pod(c, "ds");
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->ips, (std::vector<ip_address>{ip("fd00::9"), ip("10.0.0.9")}));
}

TEST(LoaderObjects, PodIPUsedWhenPodIPsIsAbsent) {
    const auto c =
        load_ok("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nstatus: {podIP: 192.168.1.1}\n");
    EXPECT_EQ(c.pods.at(0).ips, (std::vector<ip_address>{ip("192.168.1.1")}));
}

TEST(LoaderObjects, PodIPDifferentFromPodIPsWarns) {
    const auto r = load_manifest_text(R"(apiVersion: v1
kind: Pod
metadata: {name: a}
status:
  podIP: 10.0.0.1
  podIPs: [{ip: 10.0.0.2}]
)",
                                      "t.yaml");
    ASSERT_TRUE(r.ok()) << joined(r.errors);
    EXPECT_EQ(r.objects.pods.at(0).ips, (std::vector<ip_address>{ip("10.0.0.2")}));
    EXPECT_EQ(messages(r.warnings),
              (std::vector<std::string>{"t.yaml:5: Pod default/a: status.podIP: \"10.0.0.1\" "
                                        "differs from status.podIPs[0].ip; using status.podIPs"}));
}

TEST(LoaderObjects, HostNetworkTerminatedAndAddresslessPodsAreNotEndpoints) {
    const auto r = load_manifest_text(R"(apiVersion: v1
kind: Pod
metadata: {name: proxy-1, namespace: kube-system}
spec: {hostNetwork: true}
status: {podIP: 172.18.0.2, phase: Running}
---
apiVersion: v1
kind: Pod
metadata: {name: proxy-2, namespace: kube-system}
spec: {hostNetwork: true}
status: {podIP: 172.18.0.2, phase: Running}
---
apiVersion: v1
kind: Pod
metadata: {name: done}
status: {podIP: 10.0.0.5, phase: Succeeded}
---
apiVersion: v1
kind: Pod
metadata: {name: crashed}
status: {podIP: 10.0.0.5, phase: Failed}
---
apiVersion: v1
kind: Pod
metadata: {name: live}
status: {podIP: 10.0.0.5, phase: Running}
---
apiVersion: v1
kind: Pod
metadata: {name: pending}
spec: {hostNetwork: false}
status: {phase: Pending}
)",
                                      "t.yaml");
    // Shared addresses are fine when at most one holder is an endpoint.
    ASSERT_TRUE(r.ok()) << joined(r.errors);
    EXPECT_TRUE(r.warnings.empty()) << joined(r.warnings);
    const auto& c = r.objects;
    ASSERT_EQ(c.pods.size(), 6u);
    EXPECT_TRUE(find_pod(c, "proxy-1")->host_network);
    EXPECT_FALSE(find_pod(c, "proxy-1")->is_endpoint());
    EXPECT_TRUE(find_pod(c, "done")->terminated);
    EXPECT_TRUE(find_pod(c, "crashed")->terminated);
    EXPECT_FALSE(find_pod(c, "crashed")->is_endpoint());
    EXPECT_FALSE(find_pod(c, "live")->terminated);
    EXPECT_TRUE(find_pod(c, "live")->is_endpoint());
    EXPECT_TRUE(find_pod(c, "pending")->ips.empty());
    EXPECT_FALSE(find_pod(c, "pending")->is_endpoint());
}

TEST(LoaderObjects, PolicyDefaults) {
    const auto c = load_ok(R"(apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: only-ingress}
spec:
  podSelector: {}
  ingress:
  - ports:
    - {}
    - port: 80
    - port: http
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: with-egress, namespace: b}
spec:
  podSelector: {matchLabels: {app: x}}
  egress: [{}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: empty-types, namespace: b}
spec:
  podSelector: {}
  policyTypes: []
  egress: []
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: egress-only, namespace: b}
spec:
  podSelector: {}
  policyTypes: [Egress]
)");
    const network_policy* a = find_policy(c, "only-ingress");
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->ns, "default");
    EXPECT_TRUE(a->pod_selector.selects_all());
    EXPECT_TRUE(a->affects_ingress);
    EXPECT_FALSE(a->affects_egress); // no egress rules
    ASSERT_EQ(a->ingress.size(), 1u);
    EXPECT_TRUE(a->ingress[0].peers.empty());
    const auto& ports = a->ingress[0].ports;
    ASSERT_EQ(ports.size(), 3u);
    EXPECT_EQ(ports[0].what, port_rule::kind::all_ports);
    EXPECT_EQ(ports[0].proto, protocol::tcp);
    EXPECT_EQ(ports[1].what, port_rule::kind::number);
    EXPECT_EQ(ports[1].port, 80);
    EXPECT_EQ(ports[1].end_port, 80);
    EXPECT_EQ(ports[1].proto, protocol::tcp);
    EXPECT_EQ(ports[2].what, port_rule::kind::named);
    EXPECT_EQ(ports[2].name, "http");

    const network_policy* b = find_policy(c, "with-egress");
    ASSERT_NE(b, nullptr);
    EXPECT_TRUE(b->affects_ingress);
    EXPECT_TRUE(b->affects_egress); // egress rules present
    ASSERT_EQ(b->egress.size(), 1u);
    EXPECT_TRUE(b->egress[0].peers.empty());
    EXPECT_TRUE(b->egress[0].ports.empty());
    EXPECT_EQ(b->pod_selector.match_labels, (label_map{{"app", "x"}}));

    const network_policy* e = find_policy(c, "empty-types");
    ASSERT_NE(e, nullptr);
    EXPECT_TRUE(e->affects_ingress); // [] is the same as omitted
    EXPECT_FALSE(e->affects_egress);

    const network_policy* g = find_policy(c, "egress-only");
    ASSERT_NE(g, nullptr);
    EXPECT_FALSE(g->affects_ingress);
    EXPECT_TRUE(g->affects_egress);
}

TEST(LoaderObjects, NumericNamedAndRangePorts) {
    const auto c = load_ok(R"(apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p}
spec:
  podSelector: {}
  ingress:
  - ports:
    - {port: 1, protocol: UDP}
    - {port: 65535, protocol: SCTP}
    - {port: 32000, endPort: 32768}
    - {port: 443, endPort: 443}
    - {port: "https"}
    - {port: a-1}
    - {port: abcdefghijklmno}
    - {port: +8080}
)");
    const auto& ports = c.policies.at(0).ingress.at(0).ports;
    ASSERT_EQ(ports.size(), 8u);
    EXPECT_EQ(ports[0].proto, protocol::udp);
    EXPECT_EQ(ports[0].port, 1);
    EXPECT_EQ(ports[1].proto, protocol::sctp);
    EXPECT_EQ(ports[1].port, 65535);
    EXPECT_EQ(ports[2].what, port_rule::kind::number);
    EXPECT_EQ(ports[2].port, 32000);
    EXPECT_EQ(ports[2].end_port, 32768);
    EXPECT_EQ(ports[3].end_port, 443);
    EXPECT_EQ(ports[4].what, port_rule::kind::named);
    EXPECT_EQ(ports[4].name, "https");
    EXPECT_EQ(ports[5].name, "a-1");
    EXPECT_EQ(ports[6].name, "abcdefghijklmno"); // 15 characters: the limit
    EXPECT_EQ(ports[7].port, 8080);
}

TEST(LoaderObjects, PeersAndSelectors) {
    const auto c = load_ok(R"(apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: peers, namespace: team-a}
spec:
  podSelector:
    matchLabels: {app: db}
    matchExpressions:
    - {key: tier, operator: In, values: [a, b]}
    - {key: env, operator: NotIn, values: [dev]}
    - {key: team, operator: Exists}
    - {key: legacy, operator: DoesNotExist}
  ingress:
  - from:
    - podSelector: {matchLabels: {role: client}}
    - namespaceSelector: {}
    - namespaceSelector: {matchLabels: {team: b}}
      podSelector: {}
    - podSelector: null
      namespaceSelector: {matchLabels: {x: y}}
)");
    const auto& np = c.policies.at(0);
    ASSERT_EQ(np.pod_selector.match_expressions.size(), 4u);
    EXPECT_EQ(np.pod_selector.match_expressions[0],
              (label_requirement{"tier", selector_op::in, {"a", "b"}}));
    EXPECT_EQ(np.pod_selector.match_expressions[1],
              (label_requirement{"env", selector_op::not_in, {"dev"}}));
    EXPECT_EQ(np.pod_selector.match_expressions[2],
              (label_requirement{"team", selector_op::exists, {}}));
    EXPECT_EQ(np.pod_selector.match_expressions[3],
              (label_requirement{"legacy", selector_op::does_not_exist, {}}));
    const auto& peers = np.ingress.at(0).peers;
    ASSERT_EQ(peers.size(), 4u);
    ASSERT_TRUE(peers[0].pod_selector.has_value());
    EXPECT_EQ(peers[0].pod_selector->match_labels, (label_map{{"role", "client"}}));
    EXPECT_FALSE(peers[0].namespace_selector.has_value());
    EXPECT_FALSE(peers[0].block.has_value());
    EXPECT_FALSE(peers[1].pod_selector.has_value());
    ASSERT_TRUE(peers[1].namespace_selector.has_value());
    EXPECT_TRUE(peers[1].namespace_selector->selects_all()); // {} is present and selects all
    EXPECT_TRUE(peers[2].pod_selector.has_value());
    EXPECT_TRUE(peers[2].namespace_selector.has_value());
    EXPECT_FALSE(peers[3].pod_selector.has_value()); // null is absent
    EXPECT_TRUE(peers[3].namespace_selector.has_value());
}

TEST(LoaderObjects, IpBlocksIncludingHostBitsAndIPv6) {
    const auto c = load_ok(R"(apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: blocks}
spec:
  podSelector: {}
  egress:
  - to:
    - ipBlock: {cidr: 10.1.0.1/4, except: [10.1.2.3/24]}
    - ipBlock: {cidr: "2001:db8::/32", except: ["2001:db8:1::/48", "2001:db8:ffff::1/128"]}
    - ipBlock: {cidr: 0.0.0.0/0}
)");
    const auto& peers = c.policies.at(0).egress.at(0).peers;
    ASSERT_EQ(peers.size(), 3u);
    ASSERT_TRUE(peers[0].block.has_value());
    // The API server keeps host bits as written and means the masked prefix.
    EXPECT_EQ(peers[0].block->cidr, cidr("0.0.0.0/4"));
    EXPECT_EQ(peers[0].block->cidr.base, ip_address::v4(0));
    EXPECT_EQ(peers[0].block->except, (std::vector<ip_prefix>{cidr("10.1.2.0/24")}));
    EXPECT_FALSE(peers[0].pod_selector.has_value());
    EXPECT_EQ(peers[1].block->cidr.base.family, ip_family::v6);
    EXPECT_EQ(peers[1].block->cidr.length, 32);
    EXPECT_EQ(peers[1].block->except,
              (std::vector<ip_prefix>{cidr("2001:db8:1::/48"), cidr("2001:db8:ffff::1/128")}));
    EXPECT_EQ(peers[2].block->cidr.length, 0);
    EXPECT_TRUE(peers[2].block->except.empty());
}

TEST(LoaderObjects, WarningsForLegalButSuspiciousPolicies) {
    const auto r = load_manifest_text(R"(apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: w}
spec:
  podSelecter: {matchLabels: {app: x}}
  policyTypes: [Ingress]
  ingress:
  - from:
    - podSelector: {matchLabel: {a: b}}
      namespaceSelector: {}
      extra: 1
    ports:
    - {port: 80, protocl: UDP}
  egress:
  - to: [{ipBlock: {cidr: 10.0.0.0/8, exept: [10.1.0.0/16]}}]
)",
                                      "t.yaml");
    ASSERT_TRUE(r.ok()) << joined(r.errors);
    EXPECT_EQ(messages(r.warnings),
              (std::vector<std::string>{
                  "t.yaml:5: NetworkPolicy default/w: spec.podSelecter: unknown field (ignored)",
                  "t.yaml:5: NetworkPolicy default/w: spec.podSelector: missing: selects every pod "
                  "in the namespace",
                  "t.yaml:9: NetworkPolicy default/w: "
                  "spec.ingress[0].from[0].podSelector.matchLabel: unknown field (ignored)",
                  "t.yaml:11: NetworkPolicy default/w: spec.ingress[0].from[0].extra: unknown "
                  "field (ignored)",
                  "t.yaml:13: NetworkPolicy default/w: spec.ingress[0].ports[0].protocl: unknown "
                  "field (ignored)",
                  "t.yaml:15: NetworkPolicy default/w: spec.egress[0].to[0].ipBlock.exept: unknown "
                  "field (ignored)",
                  "t.yaml:15: NetworkPolicy default/w: spec.egress: rules are ignored: policyTypes "
                  "does not include Egress",
              }));
    // The misspelt selector is ignored, exactly as the API server would.
    EXPECT_TRUE(r.objects.policies.at(0).pod_selector.selects_all());
    EXPECT_FALSE(r.objects.policies.at(0).affects_egress);
}

TEST(LoaderObjects, OtherKindsAreSkipped) {
    const auto r = load_manifest_text(R"(apiVersion: v1
kind: Service
metadata: {name: s}
spec: {ports: [{port: not-validated-here}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
---
apiVersion: v1
kind: Pod
metadata: {name: p}
)",
                                      "t.yaml");
    EXPECT_TRUE(r.ok()) << joined(r.errors);
    EXPECT_TRUE(r.warnings.empty());
    EXPECT_EQ(r.objects.pods.size(), 1u);
}

TEST(LoaderObjects, QuotedScalarsAreStringsAndPlainOnesAreText) {
    const auto c = load_ok(R"(apiVersion: v1
kind: Pod
metadata:
  name: '007'
  labels: {version: 1.10, enabled: "true", n: 5}
spec:
  hostNetwork: false
)");
    const pod* p = find_pod(c, "007");
    ASSERT_NE(p, nullptr);
    // Label values keep their text: 1.10 is not the float 1.1.
    EXPECT_EQ(p->labels, (label_map{{"version", "1.10"}, {"enabled", "true"}, {"n", "5"}}));
}

TEST(LoaderObjects, YamlAnchorsAndAliasesAreFollowed) {
    const auto c = load_ok(R"(apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: a}
spec:
  podSelector: &sel {matchLabels: {app: web}}
  ingress:
  - from: [{podSelector: *sel}]
    ports: &ports [{port: 80}, {port: 443}]
  egress:
  - ports: *ports
)");
    const auto& np = c.policies.at(0);
    EXPECT_EQ(np.ingress.at(0).peers.at(0).pod_selector, np.pod_selector);
    EXPECT_EQ(np.egress.at(0).ports.size(), 2u);
    EXPECT_EQ(np.egress.at(0).ports[1].port, 443);
}

} // namespace
} // namespace podgate::config::test
