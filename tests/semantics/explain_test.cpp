// explain(): what a person reads. The text is checked for the facts it must
// carry, and its last line must always agree with evaluate().

#include "tests/semantics/family_fixture.hpp"

#include <vector>

namespace podgate::test {
namespace {

std::string last_line(const std::string& text) {
    const auto nl = text.rfind('\n');
    return nl == std::string::npos ? text : text.substr(nl + 1);
}

// prod: db 1.1 (mysql 3306/TCP), api 1.2, web 1.3 (egress isolated);
// dev (env=dev): tool 2.3; host-network node 1.9.
const std::string world = R"(
apiVersion: v1
kind: Namespace
metadata: {name: dev, labels: {env: dev}}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: prod, labels: {app: db}}
spec: {containers: [{name: mysql, ports: [{name: mysql, containerPort: 3306}]}]}
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
metadata: {name: tool, namespace: dev, labels: {app: tool}}
spec: {containers: [{name: main}]}
status: {phase: Running, podIPs: [{ip: 10.0.2.3}, {ip: "fd00::2:3"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: node, namespace: prod}
spec: {hostNetwork: true, containers: [{name: main}]}
status: {phase: Running, podIPs: [{ip: 10.0.1.9}, {ip: "fd00::1:9"}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-policy, namespace: prod}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: api}}}]
    ports: [{port: 3306}]
  - from: [{namespaceSelector: {matchLabels: {env: dev}}}]
    ports: [{port: metrics}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-out, namespace: prod}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
)";

class explain : public family_test {};

TEST_P(explain, allowed_flow_names_pods_policy_and_matching_rule) {
    const auto c = load({world});
    dual_check check(c);
    const std::string text = check.reference().explain(tcp(addr(1, 2), addr(1, 1), 3306));
    EXPECT_NE(text.find("pod prod/api"), std::string::npos) << text;
    EXPECT_NE(text.find("pod prod/db"), std::string::npos) << text;
    EXPECT_NE(text.find("policy prod/db-policy (inline.yaml:"), std::string::npos) << text;
    EXPECT_NE(text.find("ingress[0]: matched"), std::string::npos) << text;
    EXPECT_NE(text.find("egress of pod prod/api: not isolated"), std::string::npos) << text;
    EXPECT_EQ(last_line(text), "verdict: allow (allowed)") << text;
}

TEST_P(explain, denied_flow_says_why_each_rule_failed) {
    const auto c = load({world});
    dual_check check(c);
    const std::string peer = check.reference().explain(tcp(addr(1, 3), addr(1, 1), 3306));
    EXPECT_NE(peer.find("ingress[0]: no match: peer did not match"), std::string::npos) << peer;
    EXPECT_EQ(last_line(peer), "verdict: deny (policy-egress)") << peer; // web's egress is isolated
    EXPECT_NE(peer.find("egress of pod prod/web: isolated by 1 policy"), std::string::npos) << peer;

    const std::string port = check.reference().explain(tcp(addr(1, 2), addr(1, 1), 3307));
    EXPECT_NE(port.find("ingress[0]: no match: port did not match"), std::string::npos) << port;
    EXPECT_EQ(last_line(port), "verdict: deny (policy-ingress)") << port;

    const std::string named = check.reference().explain(tcp(addr(2, 3), addr(1, 1), 9100));
    EXPECT_NE(named.find("ingress[1]: no match: named port unresolved"), std::string::npos)
        << named;
    EXPECT_NE(named.find("metrics"), std::string::npos) << named;
    EXPECT_EQ(last_line(named), "verdict: deny (policy-ingress)") << named;
}

TEST_P(explain, non_pods_are_named_as_such) {
    const auto c = load({world});
    dual_check check(c, config::default_action::deny);
    const std::string text = check.reference().explain(udp(addr(1, 9), outside(5, 10), 53));
    EXPECT_NE(text.find("not a pod (prod/node uses the host network)"), std::string::npos) << text;
    EXPECT_NE(text.find(outside(5, 10) + ": not a pod"), std::string::npos) << text;
    EXPECT_EQ(last_line(text), "verdict: deny (non-pod-denied)") << text;
}

TEST_P(explain, last_line_always_agrees_with_evaluate) {
    const auto c = load({world});
    dual_check check(c);
    std::vector<std::string> addresses{addr(1, 1), addr(1, 2), addr(1, 3),
                                       addr(2, 3), addr(1, 9), outside(5, 10)};
    for (const auto& src : addresses) {
        for (const auto& dst : addresses) {
            for (const auto& f :
                 {tcp(src, dst, 3306), tcp(src, dst, 9100), udp(src, dst, 3306), icmp(src, dst)}) {
                const auto v = check.reference().evaluate(f);
                EXPECT_EQ(last_line(check.reference().explain(f)), "verdict: " + to_string(v));
                EXPECT_TRUE(check(f, v)); // and the compiled tables agree with the reference
            }
        }
    }
}

TEST(dual_check_helper, names_the_engine_that_disagrees) {
    const auto c = load_yaml(world);
    dual_check check(c);
    const auto wrong = check(tcp("10.0.1.2", "10.0.1.1", 3307), allowed());
    ASSERT_FALSE(wrong);
    const std::string message = wrong.message();
    EXPECT_NE(message.find("reference: deny (policy-ingress)   <-- disagrees"), std::string::npos)
        << message;
    EXPECT_NE(message.find("compiled:  deny (policy-ingress)   <-- disagrees"), std::string::npos)
        << message;
    EXPECT_NE(message.find("verdict: deny (policy-ingress)"), std::string::npos) << message;
    EXPECT_TRUE(check(tcp("10.0.1.2", "10.0.1.1", 3307), ingress_denied()));
}

PODGATE_BOTH_FAMILIES(explain);

} // namespace
} // namespace podgate::test
