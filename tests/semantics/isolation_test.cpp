// Isolation, union of policies, verdict order, non-pod traffic and which pods
// count as pods.

#include "tests/semantics/family_fixture.hpp"

namespace podgate::test {
namespace {

// prod: db 1.1, api 1.2, web 1.3; dev: api 2.2.
const std::string world = R"(
apiVersion: v1
kind: Namespace
metadata: {name: prod, labels: {env: prod}}
---
apiVersion: v1
kind: Namespace
metadata: {name: dev, labels: {env: dev}}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: prod, labels: {app: db}}
spec: {containers: [{name: main}]}
status: {phase: Running, podIPs: [{ip: 10.0.1.1}, {ip: "fd00::1:1"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: prod, labels: {app: api}}
spec: {containers: [{name: main}]}
status: {phase: Running, podIPs: [{ip: 10.0.1.2}, {ip: "fd00::1:2"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: prod, labels: {app: web}}
spec: {containers: [{name: main}]}
status: {phase: Running, podIPs: [{ip: 10.0.1.3}, {ip: "fd00::1:3"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: dev, labels: {app: api}}
spec: {containers: [{name: main}]}
status: {phase: Running, podIPs: [{ip: 10.0.2.2}, {ip: "fd00::2:2"}]}
)";

class isolation : public family_test {
  protected:
    std::string db() const { return addr(1, 1); }
    std::string api() const { return addr(1, 2); }
    std::string web() const { return addr(1, 3); }
    std::string dev_api() const { return addr(2, 2); }
};

TEST_P(isolation, without_policies_everything_passes) {
    const auto c = load({world});
    dual_check check(c);
    EXPECT_TRUE(check(tcp(api(), db(), 3306), allowed()));
    EXPECT_TRUE(check(udp(db(), dev_api(), 53), allowed()));
    EXPECT_TRUE(check(icmp(web(), api()), allowed()));
    EXPECT_TRUE(check(tcp(outside(5, 10), db(), 3306), allowed()));
    EXPECT_TRUE(check(tcp(db(), outside(5, 10), 443), allowed()));
}

TEST_P(isolation, ingress_policy_does_not_isolate_egress) {
    const auto c = load({world, policy("prod", "db-no-ingress", R"(
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress]
)")});
    dual_check check(c);
    EXPECT_TRUE(check(tcp(api(), db(), 3306), ingress_denied()));
    EXPECT_TRUE(check(tcp(outside(5, 10), db(), 3306), ingress_denied()));
    EXPECT_TRUE(check(icmp(api(), db()), ingress_denied()));
    EXPECT_TRUE(check(tcp(db(), api(), 8080), allowed()));
    EXPECT_TRUE(check(tcp(db(), outside(5, 10), 443), allowed()));
    EXPECT_TRUE(check(tcp(db(), web(), 80), allowed())); // web is not selected
}

TEST_P(isolation, egress_policy_does_not_isolate_ingress) {
    const auto c = load({world, policy("prod", "db-no-egress", R"(
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Egress]
)")});
    dual_check check(c);
    EXPECT_TRUE(check(tcp(db(), api(), 8080), egress_denied()));
    EXPECT_TRUE(check(udp(db(), outside(5, 10), 53), egress_denied()));
    EXPECT_TRUE(check(icmp(db(), web()), egress_denied()));
    EXPECT_TRUE(check(tcp(api(), db(), 3306), allowed()));
    EXPECT_TRUE(check(tcp(outside(5, 10), db(), 3306), allowed()));
}

TEST_P(isolation, egress_denial_is_reported_before_ingress_denial) {
    const auto c = load({world, policy("prod", "deny-all", R"(
  podSelector: {}
  policyTypes: [Ingress, Egress]
)")});
    dual_check check(c);
    EXPECT_TRUE(check(tcp(api(), db(), 3306), egress_denied()));
    EXPECT_TRUE(check(tcp(db(), dev_api(), 80), egress_denied()));
    EXPECT_TRUE(check(tcp(dev_api(), db(), 3306), ingress_denied()));
    EXPECT_TRUE(check(tcp(outside(5, 10), web(), 80), ingress_denied()));
    EXPECT_TRUE(check(tcp(web(), outside(5, 10), 80), egress_denied()));
    EXPECT_TRUE(check(tcp(dev_api(), outside(5, 10), 80), allowed())); // dev is another namespace
}

TEST_P(isolation, policy_selects_only_pods_of_its_namespace) {
    const auto c = load({world, policy("prod", "deny-api", R"(
  podSelector: {matchLabels: {app: api}}
  policyTypes: [Ingress]
)")});
    dual_check check(c);
    EXPECT_TRUE(check(tcp(web(), api(), 80), ingress_denied()));
    EXPECT_TRUE(check(tcp(web(), dev_api(), 80), allowed()));
}

TEST_P(isolation, allowed_flows_are_the_union_of_selecting_policies) {
    const auto c = load({world, policy("prod", "api-to-db", R"(
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: api}}}]
    ports: [{port: 3306}]
)"),
                         policy("prod", "web-to-db", R"(
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: 80}]
)"),
                         // Selects db for egress only: adds nothing to db's ingress.
                         policy("prod", "db-egress", R"(
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Egress]
  egress: [{}]
)")});
    dual_check check(c);
    EXPECT_TRUE(check(tcp(api(), db(), 3306), allowed()));
    EXPECT_TRUE(check(tcp(web(), db(), 80), allowed()));
    // Rules are not mixed: api gets 3306 only, web gets 80 only.
    EXPECT_TRUE(check(tcp(api(), db(), 80), ingress_denied()));
    EXPECT_TRUE(check(tcp(web(), db(), 3306), ingress_denied()));
    EXPECT_TRUE(check(tcp(dev_api(), db(), 3306), ingress_denied()));
    EXPECT_TRUE(check(tcp(db(), outside(5, 10), 1), allowed()));
}

TEST_P(isolation, deny_all_plus_allow_policy_is_the_allow_policy) {
    const auto c = load({world, policy("prod", "deny-all", R"(
  podSelector: {}
  policyTypes: [Ingress]
)"),
                         policy("prod", "allow-api", R"(
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: api}}}]
)")});
    dual_check check(c);
    EXPECT_TRUE(check(tcp(api(), db(), 3306), allowed()));
    EXPECT_TRUE(check(udp(api(), db(), 9), allowed()));
    EXPECT_TRUE(check(tcp(web(), db(), 3306), ingress_denied()));
    EXPECT_TRUE(check(tcp(db(), web(), 80), ingress_denied()));
}

TEST_P(isolation, allow_all_ingress_and_egress) {
    const auto c = load({world, policy("prod", "allow-all", R"(
  podSelector: {}
  policyTypes: [Ingress, Egress]
  ingress: [{}]
  egress: [{}]
)")});
    dual_check check(c);
    EXPECT_TRUE(check(tcp(outside(5, 10), db(), 3306), allowed()));
    EXPECT_TRUE(check(udp(dev_api(), web(), 5353), allowed()));
    EXPECT_TRUE(check(sctp(api(), outside(7, 7), 9), allowed()));
    EXPECT_TRUE(check(icmp(db(), api()), allowed()));
    EXPECT_TRUE(check(other_protocol(outside(5, 10), db(), 47), allowed()));
}

TEST_P(isolation, non_pod_traffic_follows_the_option) {
    const auto c = load({world, policy("prod", "deny-all", R"(
  podSelector: {}
  policyTypes: [Ingress, Egress]
)")});
    {
        dual_check check(c);
        EXPECT_TRUE(check(tcp(outside(5, 10), outside(6, 1), 80), non_pod_allowed()));
        EXPECT_TRUE(check(icmp(outside(5, 10), outside(6, 1)), non_pod_allowed()));
    }
    {
        dual_check check(c, config::default_action::deny);
        EXPECT_TRUE(check(tcp(outside(5, 10), outside(6, 1), 80), non_pod_denied()));
        EXPECT_TRUE(check(udp(outside(6, 1), outside(5, 10), 53), non_pod_denied()));
        // Flows with a pod end ignore the option.
        EXPECT_TRUE(check(tcp(outside(5, 10), dev_api(), 80), allowed()));
        EXPECT_TRUE(check(tcp(outside(5, 10), db(), 80), ingress_denied()));
    }
}

const std::string host_network_agent = R"(
apiVersion: v1
kind: Pod
metadata: {name: node-agent, namespace: prod, labels: {app: api}}
spec: {hostNetwork: true, containers: [{name: main}]}
status: {phase: Running, podIPs: [{ip: 10.0.1.9}, {ip: "fd00::1:9"}]}
)";

TEST_P(isolation, host_network_pods_are_not_pods) {
    const auto c = load({world, host_network_agent, policy("prod", "api-to-db", R"(
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: api}}}]
)"),
                         policy("prod", "no-egress", R"(
  podSelector: {}
  policyTypes: [Egress]
)")});
    {
        dual_check check(c);
        // Labels match, but selectors only match endpoint pods.
        EXPECT_TRUE(check(tcp(addr(1, 9), db(), 3306), ingress_denied()));
        EXPECT_TRUE(check(tcp(api(), addr(1, 9), 80), egress_denied()));
        // The podSelector {} egress policy does not isolate it: both ends are non-pods.
        EXPECT_TRUE(check(tcp(addr(1, 9), outside(5, 10), 80), non_pod_allowed()));
        EXPECT_EQ(check.reference().pod_at(*parse_ip(addr(1, 9))), nullptr);
    }
    {
        dual_check check(c, config::default_action::deny);
        EXPECT_TRUE(check(tcp(addr(1, 9), outside(5, 10), 80), non_pod_denied()));
    }
}

const std::string finished_and_pending = R"(
apiVersion: v1
kind: Pod
metadata: {name: old-api, namespace: prod, labels: {app: api}}
spec: {containers: [{name: main}]}
status: {phase: Succeeded, podIPs: [{ip: 10.0.1.8}, {ip: "fd00::1:8"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: failed-api, namespace: prod, labels: {app: api}}
spec: {containers: [{name: main}]}
status: {phase: Failed, podIPs: [{ip: 10.0.1.7}, {ip: "fd00::1:7"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: pending-api, namespace: prod, labels: {app: api}}
spec: {containers: [{name: main}]}
status: {phase: Pending}
)";

TEST_P(isolation, terminated_and_address_less_pods_are_not_pods) {
    const auto c = load({world, finished_and_pending, policy("prod", "api-to-db", R"(
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: api}}}]
)"),
                         policy("prod", "api-egress", R"(
  podSelector: {matchLabels: {app: api}}
  policyTypes: [Egress]
)")});
    dual_check check(c);
    EXPECT_TRUE(check(tcp(addr(1, 8), db(), 3306), ingress_denied()));
    EXPECT_TRUE(check(tcp(addr(1, 7), db(), 3306), ingress_denied()));
    EXPECT_TRUE(check(tcp(addr(1, 8), outside(5, 10), 80), non_pod_allowed()));
    EXPECT_TRUE(check(tcp(api(), db(), 3306), egress_denied()));
    EXPECT_EQ(check.reference().pod_at(*parse_ip(addr(1, 8))), nullptr);
    ASSERT_NE(check.reference().pod_at(*parse_ip(api())), nullptr);
    EXPECT_EQ(check.reference().pod_at(*parse_ip(api()))->name, "api");
}

PODGATE_BOTH_FAMILIES(isolation);

} // namespace
} // namespace podgate::test
