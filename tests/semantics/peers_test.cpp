// Peers: podSelector / namespaceSelector alone and together (AND) and in
// separate elements (OR), label expressions, the implied namespace label,
// empty peer lists and ipBlocks.

#include "tests/semantics/family_fixture.hpp"

namespace podgate::test {
namespace {

// prod (env=prod): db 1.1, api 1.2, web 1.3 (tier=front)
// dev  (env=dev):  api 2.2, tool 2.3
// ops (a Namespace object without labels of its own): api 3.2
// orphan (no Namespace object at all): api 4.2
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
kind: Namespace
metadata: {name: ops}
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
metadata: {name: web, namespace: prod, labels: {app: web, tier: front}}
spec: {containers: [{name: main}]}
status: {phase: Running, podIPs: [{ip: 10.0.1.3}, {ip: "fd00::1:3"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: dev, labels: {app: api}}
spec: {containers: [{name: main}]}
status: {phase: Running, podIPs: [{ip: 10.0.2.2}, {ip: "fd00::2:2"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: tool, namespace: dev, labels: {app: tool}}
spec: {containers: [{name: main}]}
status: {phase: Running, podIPs: [{ip: 10.0.2.3}, {ip: "fd00::2:3"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: ops, labels: {app: api}}
spec: {containers: [{name: main}]}
status: {phase: Running, podIPs: [{ip: 10.0.3.2}, {ip: "fd00::3:2"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: orphan, labels: {app: api}}
spec: {containers: [{name: main}]}
status: {phase: Running, podIPs: [{ip: 10.0.4.2}, {ip: "fd00::4:2"}]}
)";

class peers : public family_test {
  protected:
    // A policy on prod/db allowing ingress from `from` (a YAML flow sequence).
    static std::string db_from(const std::string& from) {
        return policy("prod", "db",
                      "\n  podSelector: {matchLabels: {app: db}}\n  ingress:\n  - from: " + from +
                          "\n");
    }
    std::string db() const { return addr(1, 1); }
    std::string prod_api() const { return addr(1, 2); }
    std::string web() const { return addr(1, 3); }
    std::string dev_api() const { return addr(2, 2); }
    std::string tool() const { return addr(2, 3); }
    std::string ops_api() const { return addr(3, 2); }
    std::string orphan_api() const { return addr(4, 2); }
};

TEST_P(peers, pod_selector_alone_selects_the_policy_namespace) {
    const auto c = load({world, db_from("[{podSelector: {matchLabels: {app: api}}}]")});
    dual_check check(c);
    EXPECT_TRUE(check(tcp(prod_api(), db(), 3306), allowed()));
    EXPECT_TRUE(check(tcp(dev_api(), db(), 3306), ingress_denied()));
    EXPECT_TRUE(check(tcp(ops_api(), db(), 3306), ingress_denied()));
    EXPECT_TRUE(check(tcp(orphan_api(), db(), 3306), ingress_denied()));
    EXPECT_TRUE(check(tcp(web(), db(), 3306), ingress_denied()));
}

TEST_P(peers, namespace_selector_alone_selects_every_pod_of_matching_namespaces) {
    const auto c = load({world, db_from("[{namespaceSelector: {matchLabels: {env: dev}}}]")});
    dual_check check(c);
    EXPECT_TRUE(check(tcp(dev_api(), db(), 3306), allowed()));
    EXPECT_TRUE(check(tcp(tool(), db(), 3306), allowed()));
    EXPECT_TRUE(check(tcp(prod_api(), db(), 3306), ingress_denied()));
    EXPECT_TRUE(check(tcp(outside(5, 10), db(), 3306), ingress_denied()));
}

TEST_P(peers, selectors_in_one_element_are_anded) {
    const auto c = load({world, db_from("[{podSelector: {matchLabels: {app: api}}, "
                                        "namespaceSelector: {matchLabels: {env: dev}}}]")});
    dual_check check(c);
    EXPECT_TRUE(check(tcp(dev_api(), db(), 3306), allowed()));
    EXPECT_TRUE(check(tcp(tool(), db(), 3306), ingress_denied()));
    EXPECT_TRUE(check(tcp(prod_api(), db(), 3306), ingress_denied()));
    EXPECT_TRUE(check(tcp(ops_api(), db(), 3306), ingress_denied()));
}

TEST_P(peers, separate_elements_are_ored) {
    const auto c = load({world, db_from("[{namespaceSelector: {matchLabels: {env: dev}}}, "
                                        "{podSelector: {matchLabels: {app: api}}}]")});
    dual_check check(c);
    EXPECT_TRUE(check(tcp(dev_api(), db(), 3306), allowed()));
    EXPECT_TRUE(check(tcp(tool(), db(), 3306), allowed()));
    EXPECT_TRUE(check(tcp(prod_api(), db(), 3306), allowed()));
    EXPECT_TRUE(check(tcp(ops_api(), db(), 3306), ingress_denied()));
    EXPECT_TRUE(check(tcp(web(), db(), 3306), ingress_denied()));
}

TEST_P(peers, egress_peers_and_or) {
    const auto c = load({world, policy("prod", "db-out", R"(
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Egress]
  egress:
  - to:
    - podSelector: {matchLabels: {app: api}}
      namespaceSelector: {matchLabels: {env: dev}}
    - podSelector: {matchLabels: {app: web}}
)")});
    dual_check check(c);
    EXPECT_TRUE(check(tcp(db(), dev_api(), 80), allowed()));
    EXPECT_TRUE(check(tcp(db(), web(), 80), allowed()));
    EXPECT_TRUE(check(tcp(db(), tool(), 80), egress_denied()));
    EXPECT_TRUE(check(tcp(db(), prod_api(), 80), egress_denied()));
    EXPECT_TRUE(check(tcp(db(), outside(5, 10), 80), egress_denied()));
}

TEST_P(peers, implied_namespace_name_label) {
    const auto c = load({world, db_from(R"(
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: orphan}}
    - namespaceSelector:
        matchExpressions: [{key: kubernetes.io/metadata.name, operator: In, values: [ops]}])")});
    dual_check check(c);
    EXPECT_TRUE(check(tcp(orphan_api(), db(), 3306), allowed())); // no Namespace object
    EXPECT_TRUE(check(tcp(ops_api(), db(), 3306), allowed()));
    EXPECT_TRUE(check(tcp(dev_api(), db(), 3306), ingress_denied()));
    EXPECT_TRUE(check(tcp(prod_api(), db(), 3306), ingress_denied()));
}

TEST_P(peers, empty_namespace_selector_selects_pods_of_every_namespace_only) {
    const auto c = load({world, db_from("[{namespaceSelector: {}}]")});
    dual_check check(c);
    EXPECT_TRUE(check(tcp(orphan_api(), db(), 3306), allowed()));
    EXPECT_TRUE(check(tcp(tool(), db(), 3306), allowed()));
    EXPECT_TRUE(check(tcp(web(), db(), 3306), allowed()));
    EXPECT_TRUE(check(tcp(outside(5, 10), db(), 3306), ingress_denied()));
}

TEST_P(peers, not_in_matches_an_absent_key) {
    const auto c = load({world,
                         db_from("[{namespaceSelector: {matchExpressions: [{key: env, operator: "
                                 "NotIn, values: [prod]}]}}]"),
                         policy("prod", "web", R"(
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from:
    - podSelector:
        matchExpressions: [{key: tier, operator: NotIn, values: [front, back]}]
)")});
    dual_check check(c);
    EXPECT_TRUE(check(tcp(dev_api(), db(), 3306), allowed()));    // env=dev
    EXPECT_TRUE(check(tcp(ops_api(), db(), 3306), allowed()));    // no env label
    EXPECT_TRUE(check(tcp(orphan_api(), db(), 3306), allowed())); // no env label, no object
    EXPECT_TRUE(check(tcp(prod_api(), db(), 3306), ingress_denied()));
    EXPECT_TRUE(check(tcp(prod_api(), web(), 80), allowed())); // no tier label
    EXPECT_TRUE(check(tcp(db(), web(), 80), allowed()));
    EXPECT_TRUE(check(tcp(web(), web(), 80), ingress_denied()));     // tier=front
    EXPECT_TRUE(check(tcp(dev_api(), web(), 80), ingress_denied())); // podSelector alone: prod only
}

TEST_P(peers, exists_and_does_not_exist) {
    const auto c = load(
        {world, db_from("[{podSelector: {matchExpressions: [{key: tier, operator: Exists}]}}]"),
         policy("dev", "api", R"(
  podSelector: {matchLabels: {app: api}}
  ingress:
  - from:
    - namespaceSelector:
        matchExpressions: [{key: env, operator: DoesNotExist}]
)")});
    dual_check check(c);
    EXPECT_TRUE(check(tcp(web(), db(), 3306), allowed()));
    EXPECT_TRUE(check(tcp(prod_api(), db(), 3306), ingress_denied()));
    EXPECT_TRUE(check(tcp(ops_api(), dev_api(), 80), allowed()));
    EXPECT_TRUE(check(tcp(orphan_api(), dev_api(), 80), allowed()));
    EXPECT_TRUE(check(tcp(prod_api(), dev_api(), 80), ingress_denied()));
    EXPECT_TRUE(check(tcp(tool(), dev_api(), 80), ingress_denied()));
}

TEST_P(peers, selector_with_labels_and_expressions_needs_both) {
    const auto c = load({world, db_from(R"(
    - podSelector:
        matchLabels: {app: api}
        matchExpressions: [{key: tier, operator: In, values: [front]}])")});
    dual_check check(c);
    EXPECT_TRUE(check(tcp(prod_api(), db(), 3306), ingress_denied())); // app=api, no tier
    EXPECT_TRUE(check(tcp(web(), db(), 3306), ingress_denied()));      // tier=front, app=web
}

TEST_P(peers, empty_peer_list_is_every_peer_including_non_pods) {
    const auto c = load({world, policy("prod", "db", R"(
  podSelector: {matchLabels: {app: db}}
  ingress:
  - ports: [{port: 3306}]
)")});
    dual_check check(c);
    EXPECT_TRUE(check(tcp(outside(5, 10), db(), 3306), allowed()));
    EXPECT_TRUE(check(tcp(orphan_api(), db(), 3306), allowed()));
    EXPECT_TRUE(check(tcp(web(), db(), 3306), allowed()));
    EXPECT_TRUE(check(tcp(web(), db(), 3307), ingress_denied()));
}

TEST_P(peers, ip_block_with_nested_except) {
    // 10.0.0.0/16 minus 10.0.1.0/24, with 10.0.1.2/32 back through another element.
    const auto c =
        load({world, policy("dev", "tool",
                            R"(
  podSelector: {matchLabels: {app: tool}}
  ingress:
  - from:
    - ipBlock: {cidr: ")" + pick("10.0.0.0/16", "fd00::/96") +
                                R"(", except: [")" + pick("10.0.1.0/24", "fd00::1:0/112") + R"("]}
    - ipBlock: {cidr: ")" + pick("10.0.1.2/32", "fd00::1:2/128") +
                                R"("}
)")});
    dual_check check(c);
    EXPECT_TRUE(check(tcp(prod_api(), tool(), 80), allowed())); // in the except, back via the /32
    EXPECT_TRUE(check(tcp(web(), tool(), 80), ingress_denied()));
    EXPECT_TRUE(check(tcp(db(), tool(), 80), ingress_denied()));
    EXPECT_TRUE(check(tcp(dev_api(), tool(), 80), allowed()));
    EXPECT_TRUE(check(tcp(orphan_api(), tool(), 80), allowed()));
    EXPECT_TRUE(check(tcp(addr(200, 7), tool(), 80), allowed())); // no pod there: still inside
    EXPECT_TRUE(check(tcp(outside(5, 10), tool(), 80), ingress_denied()));
}

TEST_P(peers, egress_ip_block_except_edges) {
    const auto c = load({world, policy("prod", "db-out",
                                       R"(
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Egress]
  egress:
  - to:
    - ipBlock: {cidr: ")" + pick("192.168.5.0/24", "2001:db8::5:0/112") +
                                           R"(", except: [")" +
                                           pick("192.168.5.128/25", "2001:db8::5:80/121") + R"("]}
)")});
    dual_check check(c);
    EXPECT_TRUE(check(tcp(db(), outside(5, 0), 443), allowed()));
    EXPECT_TRUE(check(tcp(db(), outside(5, 127), 443), allowed()));
    EXPECT_TRUE(check(tcp(db(), outside(5, 128), 443), egress_denied()));
    EXPECT_TRUE(check(tcp(db(), outside(5, 255), 443), egress_denied()));
    EXPECT_TRUE(check(tcp(db(), outside(6, 1), 443), egress_denied()));
    EXPECT_TRUE(check(tcp(db(), outside(4, 255), 443), egress_denied()));
    EXPECT_TRUE(check(tcp(db(), prod_api(), 443), egress_denied()));
}

TEST_P(peers, ip_block_matches_pod_addresses_regardless_of_labels) {
    const auto c = load(
        {world, db_from("[{ipBlock: {cidr: \"" + pick("10.0.2.0/24", "fd00::2:0/112") + "\"}}]")});
    dual_check check(c);
    EXPECT_TRUE(check(tcp(dev_api(), db(), 3306), allowed()));
    EXPECT_TRUE(check(tcp(tool(), db(), 3306), allowed()));
    EXPECT_TRUE(check(tcp(prod_api(), db(), 3306), ingress_denied()));
}

TEST_P(peers, ip_block_of_the_other_family_never_matches) {
    const auto c =
        load({world, db_from("[{ipBlock: {cidr: \"" + pick("::/0", "0.0.0.0/0") + "\"}}]"),
              policy("prod", "web",
                     R"(
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{ipBlock: {cidr: ")" +
                         pick("0.0.0.0/0", "::/0") + R"("}}]
)")});
    dual_check check(c);
    EXPECT_TRUE(check(tcp(prod_api(), db(), 3306), ingress_denied()));
    EXPECT_TRUE(check(tcp(outside(5, 10), db(), 3306), ingress_denied()));
    EXPECT_TRUE(check(tcp(prod_api(), web(), 80), allowed()));
    EXPECT_TRUE(check(tcp(outside(5, 10), web(), 80), allowed()));
}

TEST_P(peers, selectors_never_match_non_pod_addresses) {
    const auto c = load({world, db_from("[{podSelector: {}}, {namespaceSelector: {}}, "
                                        "{podSelector: {}, namespaceSelector: {}}]")});
    dual_check check(c);
    EXPECT_TRUE(check(tcp(outside(5, 10), db(), 3306), ingress_denied()));
    EXPECT_TRUE(check(tcp(addr(200, 7), db(), 3306), ingress_denied())); // pod network, no pod
    EXPECT_TRUE(check(tcp(orphan_api(), db(), 3306), allowed()));
}

PODGATE_BOTH_FAMILIES(peers);

} // namespace
} // namespace podgate::test
