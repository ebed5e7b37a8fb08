// Ports: numbers, endPort ranges and their edges, protocol-only entries,
// named ports (resolved on the destination pod, by name and protocol) and
// protocols without ports (ICMP, ICMPv6, anything else).

#include "tests/semantics/family_fixture.hpp"

namespace podgate::test {
namespace {

// prod: db 1.1 (mysql 3306/TCP, metrics 9100/TCP)
//       api 1.2 (http 8080/TCP, dns 53/UDP, metrics 9200/TCP)
//       web 1.3 (http 80/TCP, metrics 9300/UDP)
//       node 1.9: host network, http 8080/TCP
const std::string world = R"(
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: prod, labels: {app: db}}
spec:
  containers:
  - name: mysql
    ports: [{name: mysql, containerPort: 3306}]
  - name: exporter
    ports: [{name: metrics, containerPort: 9100, protocol: TCP}]
status: {phase: Running, podIPs: [{ip: 10.0.1.1}, {ip: "fd00::1:1"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: prod, labels: {app: api}}
spec:
  containers:
  - name: api
    ports:
    - {name: http, containerPort: 8080}
    - {name: dns, containerPort: 53, protocol: UDP}
    - {name: metrics, containerPort: 9200}
status: {phase: Running, podIPs: [{ip: 10.0.1.2}, {ip: "fd00::1:2"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: prod, labels: {app: web}}
spec:
  containers:
  - name: web
    ports:
    - {name: http, containerPort: 80}
    - {name: metrics, containerPort: 9300, protocol: UDP}
status: {phase: Running, podIPs: [{ip: 10.0.1.3}, {ip: "fd00::1:3"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: node, namespace: prod, labels: {app: node}}
spec:
  hostNetwork: true
  containers:
  - name: agent
    ports: [{name: http, containerPort: 8080}]
status: {phase: Running, podIPs: [{ip: 10.0.1.9}, {ip: "fd00::1:9"}]}
)";

class ports : public family_test {
  protected:
    // A policy on prod/db allowing ingress from anyone on `ports` (YAML flow sequence).
    static std::string db_ports(const std::string& ports) {
        return policy("prod", "db",
                      "\n  podSelector: {matchLabels: {app: db}}\n  ingress:\n  - ports: " + ports +
                          "\n");
    }
    std::string db() const { return addr(1, 1); }
    std::string api() const { return addr(1, 2); }
    std::string web() const { return addr(1, 3); }
    std::string node() const { return addr(1, 9); }
};

TEST_P(ports, number_and_protocol_must_both_match) {
    const auto c = load({world, db_ports("[{port: 3306}]")});
    dual_check check(c);
    EXPECT_TRUE(check(tcp(api(), db(), 3306), allowed()));
    EXPECT_TRUE(check(tcp(api(), db(), 3305), ingress_denied()));
    EXPECT_TRUE(check(tcp(api(), db(), 3307), ingress_denied()));
    EXPECT_TRUE(check(udp(api(), db(), 3306), ingress_denied()));
    EXPECT_TRUE(check(sctp(api(), db(), 3306), ingress_denied()));
}

TEST_P(ports, end_port_range_is_inclusive) {
    const auto c = load({world, db_ports(R"(
    - {protocol: TCP, port: 30000, endPort: 30010}
    - {protocol: UDP, port: 65000, endPort: 65535}
    - {protocol: SCTP, port: 1, endPort: 1})")});
    dual_check check(c);
    EXPECT_TRUE(check(tcp(api(), db(), 29999), ingress_denied()));
    EXPECT_TRUE(check(tcp(api(), db(), 30000), allowed()));
    EXPECT_TRUE(check(tcp(api(), db(), 30005), allowed()));
    EXPECT_TRUE(check(tcp(api(), db(), 30010), allowed()));
    EXPECT_TRUE(check(tcp(api(), db(), 30011), ingress_denied()));
    EXPECT_TRUE(check(udp(api(), db(), 30005), ingress_denied()));
    EXPECT_TRUE(check(udp(api(), db(), 64999), ingress_denied()));
    EXPECT_TRUE(check(udp(api(), db(), 65000), allowed()));
    EXPECT_TRUE(check(udp(api(), db(), 65535), allowed()));
    EXPECT_TRUE(check(tcp(api(), db(), 65535), ingress_denied()));
    EXPECT_TRUE(check(sctp(api(), db(), 1), allowed()));
    EXPECT_TRUE(check(sctp(api(), db(), 2), ingress_denied()));
}

TEST_P(ports, overlapping_ranges_across_policies) {
    const auto c = load({world, policy("prod", "low", R"(
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: api}}}]
    ports: [{port: 1000, endPort: 2000}]
)"),
                         policy("prod", "high", R"(
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: 1500, endPort: 2500}]
)")});
    dual_check check(c);
    EXPECT_TRUE(check(tcp(api(), db(), 1000), allowed()));
    EXPECT_TRUE(check(tcp(api(), db(), 2000), allowed()));
    EXPECT_TRUE(check(tcp(api(), db(), 2001), ingress_denied()));
    EXPECT_TRUE(check(tcp(web(), db(), 1499), ingress_denied()));
    EXPECT_TRUE(check(tcp(web(), db(), 1500), allowed()));
    EXPECT_TRUE(check(tcp(web(), db(), 2500), allowed()));
    EXPECT_TRUE(check(tcp(web(), db(), 2501), ingress_denied()));
}

TEST_P(ports, protocol_without_port_is_every_port_of_that_protocol) {
    const auto c = load({world, db_ports("[{protocol: UDP}]")});
    dual_check check(c);
    EXPECT_TRUE(check(udp(api(), db(), 1), allowed()));
    EXPECT_TRUE(check(udp(api(), db(), 65535), allowed()));
    EXPECT_TRUE(check(tcp(api(), db(), 53), ingress_denied()));
    EXPECT_TRUE(check(sctp(api(), db(), 53), ingress_denied()));
    EXPECT_TRUE(check(icmp(api(), db()), ingress_denied()));
}

TEST_P(ports, empty_ports_allow_every_protocol) {
    const auto c = load({world, policy("prod", "db", R"(
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: api}}}]
)")});
    dual_check check(c);
    EXPECT_TRUE(check(tcp(api(), db(), 1), allowed()));
    EXPECT_TRUE(check(udp(api(), db(), 65535), allowed()));
    EXPECT_TRUE(check(sctp(api(), db(), 9), allowed()));
    EXPECT_TRUE(check(icmp(api(), db()), allowed()));
    EXPECT_TRUE(check(other_protocol(api(), db(), 47), allowed())); // GRE
    EXPECT_TRUE(check(icmp(web(), db()), ingress_denied()));
}

TEST_P(ports, a_rule_with_ports_never_allows_other_protocols) {
    const auto c = load({world, db_ports("[{protocol: TCP}, {protocol: UDP}, {protocol: SCTP}]"),
                         policy("prod", "db-out", R"(
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Egress]
  egress:
  - ports: [{port: 443}]
)")});
    dual_check check(c);
    EXPECT_TRUE(check(tcp(api(), db(), 22), allowed()));
    EXPECT_TRUE(check(icmp(api(), db()), ingress_denied()));
    EXPECT_TRUE(check(other_protocol(api(), db(), 47), ingress_denied()));
    EXPECT_TRUE(check(other_protocol(api(), db(), config::ipproto_icmp), ingress_denied()));
    EXPECT_TRUE(check(other_protocol(api(), db(), config::ipproto_icmpv6), ingress_denied()));
    EXPECT_TRUE(check(icmp(db(), outside(5, 10)), egress_denied()));
    EXPECT_TRUE(check(tcp(db(), outside(5, 10), 443), allowed()));
}

TEST_P(ports, named_port_resolves_on_each_destination_pod) {
    const auto c = load({world, policy("prod", "metrics", R"(
  podSelector: {}
  ingress:
  - ports: [{port: metrics}]
)")});
    dual_check check(c);
    EXPECT_TRUE(check(tcp(outside(5, 10), db(), 9100), allowed()));
    EXPECT_TRUE(check(tcp(outside(5, 10), db(), 9200), ingress_denied()));
    EXPECT_TRUE(check(tcp(outside(5, 10), api(), 9200), allowed()));
    EXPECT_TRUE(check(tcp(outside(5, 10), api(), 9100), ingress_denied()));
    // web's "metrics" is UDP: the TCP entry does not resolve there.
    EXPECT_TRUE(check(tcp(outside(5, 10), web(), 9300), ingress_denied()));
    EXPECT_TRUE(check(udp(outside(5, 10), web(), 9300), ingress_denied()));
}

TEST_P(ports, named_port_needs_name_and_protocol) {
    const auto c = load({world, policy("prod", "metrics", R"(
  podSelector: {}
  ingress:
  - ports: [{port: metrics, protocol: UDP}]
)")});
    dual_check check(c);
    EXPECT_TRUE(check(udp(api(), web(), 9300), allowed()));
    EXPECT_TRUE(check(tcp(api(), web(), 9300), ingress_denied()));
    EXPECT_TRUE(check(tcp(web(), db(), 9100), ingress_denied()));
    EXPECT_TRUE(check(udp(web(), db(), 9100), ingress_denied()));
}

TEST_P(ports, named_port_unknown_on_destination_never_matches) {
    const auto c = load({world, policy("prod", "mysql", R"(
  podSelector: {}
  ingress:
  - ports: [{port: mysql}]
)")});
    dual_check check(c);
    EXPECT_TRUE(check(tcp(web(), db(), 3306), allowed()));
    EXPECT_TRUE(check(tcp(web(), api(), 3306), ingress_denied()));
    EXPECT_TRUE(check(tcp(db(), web(), 3306), ingress_denied()));
}

TEST_P(ports, egress_named_port_resolves_on_the_peer) {
    const auto c = load({world, policy("prod", "db-out", R"(
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Egress]
  egress:
  - ports: [{port: http}]
)")});
    dual_check check(c);
    EXPECT_TRUE(check(tcp(db(), api(), 8080), allowed()));
    EXPECT_TRUE(check(tcp(db(), web(), 80), allowed()));
    EXPECT_TRUE(check(tcp(db(), api(), 80), egress_denied()));
    EXPECT_TRUE(check(tcp(db(), web(), 8080), egress_denied()));
    // A destination that is not a pod never matches a named port.
    EXPECT_TRUE(check(tcp(db(), outside(5, 10), 80), egress_denied()));
    EXPECT_TRUE(check(tcp(db(), outside(5, 10), 8080), egress_denied()));
    EXPECT_TRUE(check(tcp(db(), node(), 8080), egress_denied())); // host-network "pod"
}

TEST_P(ports, named_and_numeric_entries_are_ored) {
    const auto c = load({world, policy("prod", "api", R"(
  podSelector: {matchLabels: {app: api}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: dns, protocol: UDP}, {port: 9999}]
)")});
    dual_check check(c);
    EXPECT_TRUE(check(udp(web(), api(), 53), allowed()));
    EXPECT_TRUE(check(tcp(web(), api(), 53), ingress_denied()));
    EXPECT_TRUE(check(tcp(web(), api(), 9999), allowed()));
    EXPECT_TRUE(check(udp(db(), api(), 53), ingress_denied()));
}

TEST_P(ports, egress_and_ingress_ports_both_apply) {
    const auto c = load({world, policy("prod", "web-out", R"(
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress:
  - ports: [{port: 3000, endPort: 4000}]
)"),
                         policy("prod", "db-in", R"(
  podSelector: {matchLabels: {app: db}}
  ingress:
  - ports: [{port: mysql}]
)")});
    dual_check check(c);
    EXPECT_TRUE(check(tcp(web(), db(), 3306), allowed()));
    EXPECT_TRUE(check(tcp(web(), db(), 3307), ingress_denied()));
    EXPECT_TRUE(check(tcp(web(), db(), 9100), egress_denied()));
    EXPECT_TRUE(check(tcp(api(), db(), 3306), allowed()));
}

PODGATE_BOTH_FAMILIES(ports);

} // namespace
} // namespace podgate::test
