// Semantics that depend on how manifests are read: policyTypes defaulting,
// empty versus absent lists, protocol defaults, the implied namespace label
// and the pod fields that decide whether a pod counts. Loaded through
// config::load_manifest_text, the product path.

#include "tests/semantics/family_fixture.hpp"

namespace podgate::test {
namespace {

// prod: db 1.1 (mysql 3306/TCP, dns 53/UDP: protocol omitted on mysql),
//       api 1.2, done 1.7 (Succeeded), node 1.9 (hostNetwork)
// dev (no Namespace object): tool 2.3
constexpr const char* world = R"(
apiVersion: v1
kind: Namespace
metadata:
  name: prod
  labels: {env: prod}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: prod, labels: {app: db}}
spec:
  containers:
  - name: mysql
    ports:
    - {name: mysql, containerPort: 3306}
    - {name: dns, containerPort: 53, protocol: UDP}
status:
  phase: Running
  podIP: 10.0.1.1
  podIPs: [{ip: 10.0.1.1}, {ip: "fd00::1:1"}]
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: prod, labels: {app: api}}
spec:
  containers: [{name: api}]
status:
  phase: Running
  podIP: 10.0.1.2
  podIPs: [{ip: 10.0.1.2}, {ip: "fd00::1:2"}]
---
apiVersion: v1
kind: Pod
metadata: {name: done, namespace: prod, labels: {app: api}}
spec:
  containers: [{name: job}]
status:
  phase: Succeeded
  podIP: 10.0.1.7
  podIPs: [{ip: 10.0.1.7}, {ip: "fd00::1:7"}]
---
apiVersion: v1
kind: Pod
metadata: {name: node, namespace: prod, labels: {app: api}}
spec:
  hostNetwork: true
  containers: [{name: agent}]
status:
  phase: Running
  podIP: 10.0.1.9
  podIPs: [{ip: 10.0.1.9}, {ip: "fd00::1:9"}]
---
apiVersion: v1
kind: Pod
metadata: {name: tool, namespace: dev, labels: {app: tool}}
spec:
  containers: [{name: tool}]
status:
  phase: Running
  podIP: 10.0.2.3
  podIPs: [{ip: 10.0.2.3}, {ip: "fd00::2:3"}]
)";

class yaml : public family_test {
  protected:
    static config::cluster load(const std::string& policies) {
        return family_test::load({world, policies});
    }
    std::string db() const { return addr(1, 1); }
    std::string api() const { return addr(1, 2); }
    std::string done() const { return addr(1, 7); }
    std::string node() const { return addr(1, 9); }
    std::string tool() const { return addr(2, 3); }
};

TEST_P(yaml, policy_types_omitted_without_egress_rules_means_ingress) {
    const auto c = load(R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: prod}
spec:
  podSelector: {matchLabels: {app: db}}
)");
    ASSERT_EQ(c.policies.size(), 1u);
    dual_check check(c);
    EXPECT_TRUE(check(tcp(api(), db(), 3306), ingress_denied()));
    EXPECT_TRUE(check(tcp(db(), api(), 80), allowed()));
}

TEST_P(yaml, policy_types_omitted_with_egress_rules_means_both) {
    const auto c = load(R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: prod}
spec:
  podSelector: {matchLabels: {app: db}}
  egress:
  - ports: [{port: 53, protocol: UDP}]
)");
    ASSERT_EQ(c.policies.size(), 1u);
    dual_check check(c);
    EXPECT_TRUE(check(tcp(api(), db(), 3306), ingress_denied()));
    EXPECT_TRUE(check(udp(db(), outside(5, 10), 53), allowed()));
    EXPECT_TRUE(check(tcp(db(), api(), 80), egress_denied()));
}

TEST_P(yaml, explicit_policy_types_ignore_rules_of_the_other_side) {
    const auto c = load(R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: prod}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Egress]
  ingress:
  - from: [{podSelector: {matchLabels: {app: api}}}]
)");
    dual_check check(c);
    EXPECT_TRUE(check(tcp(tool(), db(), 3306), allowed())); // ingress not isolated
    EXPECT_TRUE(check(tcp(db(), api(), 80), egress_denied()));
}

TEST_P(yaml, empty_and_absent_from_and_ports_allow_everything) {
    const auto c = load(R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: empty-rule, namespace: prod}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - {}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: empty-lists, namespace: prod}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
  - from: []
    ports: []
)");
    dual_check check(c);
    for (const auto& dst : {db(), api()}) {
        EXPECT_TRUE(check(tcp(outside(5, 10), dst, 1), allowed()));
        EXPECT_TRUE(check(udp(tool(), dst, 65535), allowed()));
        EXPECT_TRUE(check(icmp(tool(), dst), allowed()));
    }
}

TEST_P(yaml, empty_or_absent_rule_list_allows_nothing) {
    const auto c = load(R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: empty-list, namespace: prod}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: []
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: absent, namespace: prod}
spec:
  podSelector: {matchLabels: {app: api}}
  policyTypes: [Ingress, Egress]
)");
    dual_check check(c);
    EXPECT_TRUE(check(tcp(tool(), db(), 3306), ingress_denied()));
    EXPECT_TRUE(check(tcp(tool(), api(), 80), ingress_denied()));
    EXPECT_TRUE(check(tcp(api(), tool(), 80), egress_denied()));
}

TEST_P(yaml, port_protocol_defaults_to_tcp_and_port_alone_means_all_ports) {
    const auto c = load(R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: prod}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - ports:
    - port: 3306
    - protocol: UDP
    - port: 30000
      endPort: 30002
)");
    dual_check check(c);
    EXPECT_TRUE(check(tcp(api(), db(), 3306), allowed()));
    EXPECT_TRUE(check(sctp(api(), db(), 3306), ingress_denied()));
    EXPECT_TRUE(check(udp(api(), db(), 12345), allowed()));
    EXPECT_TRUE(check(tcp(api(), db(), 30002), allowed()));
    EXPECT_TRUE(check(tcp(api(), db(), 30003), ingress_denied()));
    EXPECT_TRUE(check(udp(api(), db(), 30003), allowed()));
}

TEST_P(yaml, container_port_protocol_defaults_to_tcp_for_named_ports) {
    const auto c = load(R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: prod}
spec:
  podSelector: {}
  ingress:
  - ports: [{port: mysql}, {port: dns, protocol: UDP}]
)");
    dual_check check(c);
    EXPECT_TRUE(check(tcp(api(), db(), 3306), allowed()));
    EXPECT_TRUE(check(udp(api(), db(), 53), allowed()));
    EXPECT_TRUE(check(tcp(api(), db(), 53), ingress_denied()));
    EXPECT_TRUE(check(tcp(db(), api(), 3306), ingress_denied())); // api has no "mysql"
}

TEST_P(yaml, implied_namespace_label_for_namespaces_with_and_without_objects) {
    const auto c = load(R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: prod}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: dev}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: tool, namespace: dev}
spec:
  podSelector: {}
  ingress:
  - from:
    - namespaceSelector:
        matchExpressions:
        - {key: kubernetes.io/metadata.name, operator: In, values: [prod]}
)");
    dual_check check(c);
    EXPECT_TRUE(check(tcp(tool(), db(), 3306), allowed()));
    EXPECT_TRUE(check(tcp(api(), db(), 3306), ingress_denied()));
    EXPECT_TRUE(check(tcp(api(), tool(), 80), allowed()));
    EXPECT_TRUE(check(tcp(outside(5, 10), tool(), 80), ingress_denied()));
}

TEST_P(yaml, host_network_and_finished_pods_are_not_pods) {
    const auto c = load(R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: prod}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress, Egress]
  ingress:
  - from: [{podSelector: {matchLabels: {app: api}}}]
  egress:
  - to: [{podSelector: {matchLabels: {app: api}}}]
)");
    dual_check check(c);
    EXPECT_TRUE(check(tcp(api(), db(), 3306), allowed()));
    EXPECT_TRUE(check(tcp(node(), db(), 3306), ingress_denied()));
    EXPECT_TRUE(check(tcp(done(), db(), 3306), ingress_denied()));
    EXPECT_TRUE(check(tcp(db(), node(), 80), egress_denied()));
    EXPECT_TRUE(check(tcp(node(), done(), 80), non_pod_allowed()));
}

PODGATE_BOTH_FAMILIES(yaml);

} // namespace
} // namespace podgate::test
