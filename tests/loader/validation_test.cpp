// Every check the API server makes on the fields podgate reads, with the
// exact diagnostic: file:line: object: field: message.

#include "loader_test.hpp"

namespace podgate::config::test {
namespace {

// NetworkPolicy team-a/p; `spec` is the block under "spec:" and starts on line 7.
std::string policy(std::string_view spec) {
    return "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p\n  "
           "namespace: team-a\nspec:\n" +
           std::string(spec);
}

// One ingress rule whose first peer is `peer` (a flow map), on line 10.
std::string ingress_peer(std::string_view peer) {
    return policy("  podSelector: {}\n  ingress:\n  - from:\n    - " + std::string(peer) + "\n");
}

// One ingress rule whose first port is `port` (a flow map), on line 10.
std::string ingress_port(std::string_view port) {
    return policy("  podSelector: {}\n  ingress:\n  - ports:\n    - " + std::string(port) + "\n");
}

// A selector (spec.podSelector) with one match expression on line 9.
std::string expression(std::string_view expr) {
    return policy("  podSelector:\n    matchExpressions:\n    - " + std::string(expr) + "\n");
}

using strings = std::vector<std::string>;

TEST(LoaderValidation, TheIssueExampleVerbatim) {
    const auto errors = errors_of(R"(apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: db-policy
  namespace: team-a
spec:
  podSelector:
    matchLabels: {app: db}
  ingress:
  - from:
    - podSelector: {matchLabels: {app: api}}
    - ipBlock:
        except: []
        cidr: 10.0.0.0/33
)",
                                  "policies/db.yaml");
    EXPECT_EQ(errors,
              strings{"policies/db.yaml:14: NetworkPolicy team-a/db-policy: "
                      "spec.ingress[0].from[1].ipBlock.cidr: invalid CIDR \"10.0.0.0/33\""});
}

TEST(LoaderValidation, InvalidCidrs) {
    for (const std::string bad :
         {"10.0.0.0/33", "10.0.0.0", "300.1.0.0/16", "10.0.0.0/-1", "10.0.0.0/08", "fd00::/129",
          "fd00::1%eth0/64", "not-a-cidr", "10.0.0.0/8 ", "10.0.0.0/8/8"}) {
        EXPECT_EQ(errors_of(ingress_peer("ipBlock: {cidr: \"" + bad + "\"}")),
                  strings{"t.yaml:10: NetworkPolicy team-a/p: "
                          "spec.ingress[0].from[0].ipBlock.cidr: invalid CIDR \"" +
                          bad + "\""})
            << bad;
    }
    EXPECT_EQ(errors_of(ingress_peer("ipBlock: {cidr: \"\"}")),
              strings{"t.yaml:10: NetworkPolicy team-a/p: spec.ingress[0].from[0].ipBlock.cidr: "
                      "required value"});
    EXPECT_EQ(errors_of(ingress_peer("ipBlock: {except: [10.0.0.0/8]}")),
              strings{"t.yaml:10: NetworkPolicy team-a/p: spec.ingress[0].from[0].ipBlock.cidr: "
                      "required value"});
    EXPECT_EQ(
        errors_of(ingress_peer("ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/33]}")),
        strings{"t.yaml:10: NetworkPolicy team-a/p: spec.ingress[0].from[0].ipBlock.except[0]: "
                "invalid CIDR \"10.1.0.0/33\""});
}

TEST(LoaderValidation, ExceptMustBeAStrictSubsetOfCidr) {
    struct bad_case {
        const char* cidr;
        const char* except;
    };
    for (const auto& c : {bad_case{"10.0.0.0/8", "11.0.0.0/16"}, // outside
                          bad_case{"10.0.0.0/8", "10.0.0.0/8"},  // equal
                          bad_case{"10.0.0.0/16", "10.0.0.0/8"}, // wider
                          bad_case{"10.0.0.0/8", "10.9.9.9/8"},  // equal once host bits are cleared
                          bad_case{"10.0.0.0/8", "fd00::/64"},   // other family
                          bad_case{"::/0", "10.0.0.0/8"},        // other family
                          bad_case{"fd00::/64", "fd00:0:0:1::/80"}}) { // outside, IPv6
        EXPECT_EQ(
            errors_of(ingress_peer(std::string("ipBlock: {cidr: \"") + c.cidr + "\", except: [\"" +
                                   c.except + "\"]}")),
            strings{
                std::string(
                    "t.yaml:10: NetworkPolicy team-a/p: spec.ingress[0].from[0].ipBlock.except[0]: "
                    "invalid value \"") +
                c.except + "\": must be a strict subset of cidr \"" + c.cidr + "\""})
            << c.cidr << " except " << c.except;
    }
}

TEST(LoaderValidation, IpBlockMayNotBeCombinedWithASelector) {
    for (const char* peer :
         {"{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}",
          "{ipBlock: {cidr: 10.0.0.0/8}, namespaceSelector: {matchLabels: {a: b}}}"}) {
        EXPECT_EQ(errors_of(ingress_peer(peer)),
                  strings{"t.yaml:10: NetworkPolicy team-a/p: spec.ingress[0].from[0]: "
                          "may not specify both ipBlock and another peer"})
            << peer;
    }
}

TEST(LoaderValidation, PeerWithNothingSet) {
    for (const char* peer : {"{}", "{podSelector: null}", "null"}) {
        EXPECT_EQ(errors_of(ingress_peer(peer)),
                  strings{"t.yaml:10: NetworkPolicy team-a/p: spec.ingress[0].from[0]: "
                          "must specify a peer (podSelector, namespaceSelector or ipBlock)"})
            << peer;
    }
    // Egress peers too, under "to".
    EXPECT_EQ(errors_of(policy("  podSelector: {}\n  egress:\n  - to: [{}]\n")),
              strings{"t.yaml:9: NetworkPolicy team-a/p: spec.egress[0].to[0]: "
                      "must specify a peer (podSelector, namespaceSelector or ipBlock)"});
}

TEST(LoaderValidation, EndPortRules) {
    const std::string at = "t.yaml:10: NetworkPolicy team-a/p: spec.ingress[0].ports[0].endPort: ";
    EXPECT_EQ(errors_of(ingress_port("{endPort: 90}")),
              strings{at + "may not be specified when port is not specified"});
    EXPECT_EQ(errors_of(ingress_port("{port: http, endPort: 90}")),
              strings{at + "may not be specified when port is non-numeric"});
    EXPECT_EQ(errors_of(ingress_port("{port: 80, endPort: 79}")),
              strings{at + "invalid value 79: must be greater than or equal to port (80)"});
    EXPECT_EQ(errors_of(ingress_port("{port: 80, endPort: 65536}")),
              strings{at + "invalid value 65536: must be between 1 and 65535, inclusive"});
    EXPECT_EQ(errors_of(ingress_port("{port: 80, endPort: \"90\"}")),
              strings{at + "expected an integer, got \"90\""});
}

TEST(LoaderValidation, UnknownProtocols) {
    for (const char* proto : {"tcp", "Tcp", "ICMP", "ALL", ""}) {
        const std::string q = std::string("\"") + proto + "\"";
        EXPECT_EQ(errors_of(ingress_port("{protocol: " + q + ", port: 80}")),
                  strings{"t.yaml:10: NetworkPolicy team-a/p: spec.ingress[0].ports[0].protocol: "
                          "unsupported value " +
                          q + ": supported values: \"TCP\", \"UDP\", \"SCTP\""})
            << proto;
    }
}

TEST(LoaderValidation, PortNumbersOutOfRange) {
    const std::string at = "t.yaml:10: NetworkPolicy team-a/p: spec.ingress[0].ports[0].port: ";
    EXPECT_EQ(errors_of(ingress_port("{port: 0}")),
              strings{at + "invalid value 0: must be between 1 and 65535, inclusive"});
    EXPECT_EQ(errors_of(ingress_port("{port: 65536}")),
              strings{at + "invalid value 65536: must be between 1 and 65535, inclusive"});
    EXPECT_EQ(errors_of(ingress_port("{port: -1}")),
              strings{at + "invalid value -1: must be between 1 and 65535, inclusive"});
    EXPECT_EQ(errors_of(ingress_port("{port: 99999999999999999999999}")),
              strings{at + "invalid value 99999999999999999999999: number out of range"});
    EXPECT_EQ(errors_of(ingress_port("{port: 80.5}")),
              strings{at + "expected an integer, got 80.5"});
}

TEST(LoaderValidation, NamedPortsMustBeIanaServiceNames) {
    const std::string at =
        "t.yaml:10: NetworkPolicy team-a/p: spec.ingress[0].ports[0].port: invalid port name ";
    const std::pair<const char*, const char*> cases[] = {
        {"abcdefghijklmnop", "must be no more than 15 characters"},
        {"Http", "must contain only lowercase alphanumeric characters (a-z, 0-9) and hyphens (-)"},
        {"web_1", "must contain only lowercase alphanumeric characters (a-z, 0-9) and hyphens (-)"},
        {"8080", "must contain at least one letter (a-z)"},
        {"-http", "must not begin or end with a hyphen"},
        {"http-", "must not begin or end with a hyphen"},
        {"my--port", "must not contain consecutive hyphens"},
        {"", "must not be empty"},
    };
    for (const auto& [name, why] : cases) {
        EXPECT_EQ(errors_of(ingress_port(std::string("{port: \"") + name + "\"}")),
                  strings{at + "\"" + name + "\": " + why})
            << name;
    }
}

TEST(LoaderValidation, SelectorRequirements) {
    const std::string at =
        "t.yaml:9: NetworkPolicy team-a/p: spec.podSelector.matchExpressions[0].";
    EXPECT_EQ(errors_of(expression("{key: a, operator: Equals, values: [x]}")),
              strings{at + "operator: unsupported value \"Equals\": supported values: \"In\", "
                           "\"NotIn\", \"Exists\", "
                           "\"DoesNotExist\""});
    EXPECT_EQ(
        errors_of(expression("{key: a, operator: in, values: [x]}")),
        strings{
            at +
            "operator: unsupported value \"in\": supported values: \"In\", \"NotIn\", \"Exists\", "
            "\"DoesNotExist\""});
    EXPECT_EQ(errors_of(expression("{key: a, operator: In}")),
              strings{at + "values: must be specified when operator is In or NotIn"});
    EXPECT_EQ(errors_of(expression("{key: a, operator: NotIn, values: []}")),
              strings{at + "values: must be specified when operator is In or NotIn"});
    EXPECT_EQ(errors_of(expression("{key: a, operator: Exists, values: [x]}")),
              strings{at + "values: may not be specified when operator is Exists or DoesNotExist"});
    EXPECT_EQ(errors_of(expression("{key: a, operator: DoesNotExist, values: [x, y]}")),
              strings{at + "values: may not be specified when operator is Exists or DoesNotExist"});
    EXPECT_EQ(errors_of(expression("{key: a}")), strings{at + "operator: required value"});
    EXPECT_EQ(errors_of(expression("{operator: Exists}")), strings{at + "key: required value"});
    EXPECT_EQ(errors_of(expression("{key: \"a b\", operator: Exists}")),
              strings{at + "key: invalid label key \"a b\": name part must consist of alphanumeric "
                           "characters, '-', "
                           "'_' or '.', starting and ending with an alphanumeric character"});
    EXPECT_EQ(
        errors_of(expression("{key: a, operator: In, values: [\"x y\"]}")),
        strings{at +
                "values[0]: invalid label value \"x y\": must be empty or consist of alphanumeric "
                "characters, '-', '_' or '.', starting and ending with an alphanumeric character"});
}

TEST(LoaderValidation, PolicyTypes) {
    EXPECT_EQ(
        errors_of(policy("  podSelector: {}\n  policyTypes: [Ingress, egress]\n")),
        strings{
            "t.yaml:8: NetworkPolicy team-a/p: spec.policyTypes[1]: unsupported value \"egress\": "
            "supported values: \"Ingress\", \"Egress\""});
    EXPECT_EQ(errors_of(policy("  podSelector: {}\n  policyTypes: [Ingress, Egress, Ingress]\n")),
              strings{"t.yaml:8: NetworkPolicy team-a/p: spec.policyTypes: may not specify more "
                      "than two policyTypes"});
}

TEST(LoaderValidation, DuplicateObjects) {
    const auto errors = errors_of(R"(apiVersion: v1
kind: Pod
metadata: {name: a, namespace: x}
---
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: y}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: a, namespace: x}
---
apiVersion: v1
kind: Namespace
metadata: {name: a}
---
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: x}
---
apiVersion: v1
kind: Namespace
metadata: {name: a}
)");
    EXPECT_EQ(errors,
              (strings{"t.yaml:17: Pod x/a: duplicate object, first defined at t.yaml:1",
                       "t.yaml:21: Namespace a: duplicate object, first defined at t.yaml:13"}));
}

TEST(LoaderValidation, DuplicateObjectKeepsTheFirst) {
    const auto r = load_manifest_text(R"(apiVersion: v1
kind: Pod
metadata: {name: a}
status: {podIP: 10.0.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: a}
status: {podIP: 10.0.0.2}
)",
                                      "t.yaml");
    EXPECT_EQ(r.errors.size(), 1u);
    ASSERT_EQ(r.objects.pods.size(), 1u);
    EXPECT_EQ(r.objects.pods[0].ips.at(0), ip("10.0.0.1"));
}

TEST(LoaderValidation, MissingName) {
    EXPECT_EQ(errors_of("apiVersion: v1\nkind: Pod\nmetadata:\n  namespace: x\n"),
              strings{"t.yaml:4: Pod: metadata.name: required value"});
    EXPECT_EQ(errors_of("apiVersion: v1\nkind: Pod\nmetadata: {name: \"\"}\n"),
              strings{"t.yaml:3: Pod: metadata.name: required value"});
    EXPECT_EQ(errors_of("apiVersion: v1\nkind: Namespace\n"),
              strings{"t.yaml:1: Namespace: metadata.name: required value"});
    EXPECT_EQ(errors_of("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {labels: "
                        "{a: b}}\nspec: {podSelector: {}}\n"),
              strings{"t.yaml:3: NetworkPolicy: metadata.name: required value"});
}

TEST(LoaderValidation, InvalidNamesAndLabels) {
    EXPECT_EQ(errors_of("apiVersion: v1\nkind: Pod\nmetadata: {name: Web_1}\n"),
              strings{"t.yaml:3: Pod default/Web_1: metadata.name: invalid name \"Web_1\": must be "
                      "a lowercase RFC "
                      "1123 subdomain: lowercase alphanumeric characters, '-' or '.', starting and "
                      "ending with an "
                      "alphanumeric character"});
    EXPECT_EQ(errors_of("apiVersion: v1\nkind: Namespace\nmetadata: {name: a.b}\n"),
              strings{"t.yaml:3: Namespace a.b: metadata.name: invalid name \"a.b\": must be a "
                      "lowercase RFC 1123 "
                      "label: lowercase alphanumeric characters or '-', starting and ending with "
                      "an alphanumeric "
                      "character"});
    EXPECT_EQ(
        errors_of("apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: Team}\n"),
        strings{"t.yaml:3: Pod Team/a: metadata.namespace: invalid namespace \"Team\": must be a "
                "lowercase RFC "
                "1123 label: lowercase alphanumeric characters or '-', starting and ending with an "
                "alphanumeric character"});
    const std::string long_value(64, 'v');
    EXPECT_EQ(
        errors_of(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  labels:\n    -bad: x\n    ok: " +
            long_value + "\n    example.com/app: web\n    /x: y\n"),
        (strings{
            "t.yaml:6: Pod default/a: metadata.labels: invalid label key \"-bad\": name part must "
            "consist "
            "of alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric "
            "character",
            "t.yaml:7: Pod default/a: metadata.labels.ok: invalid label value \"" + long_value +
                "\": must be no more than 63 characters",
            "t.yaml:9: Pod default/a: metadata.labels: invalid label key \"/x\": prefix part must "
            "not be "
            "empty"}));
}

TEST(LoaderValidation, ApiVersionOfKnownKinds) {
    EXPECT_EQ(errors_of("apiVersion: extensions/v1beta1\nkind: NetworkPolicy\nmetadata: {name: "
                        "np}\nspec: {podSelector: {}}\n"),
              strings{"t.yaml:1: NetworkPolicy default/np: apiVersion: unsupported apiVersion "
                      "\"extensions/v1beta1\" "
                      "for NetworkPolicy (expected \"networking.k8s.io/v1\")"});
    EXPECT_EQ(errors_of("apiVersion: apps/v1\nkind: Pod\nmetadata: {name: p}\n"),
              strings{"t.yaml:1: Pod default/p: apiVersion: unsupported apiVersion \"apps/v1\" for "
                      "Pod (expected "
                      "\"v1\")"});
    EXPECT_EQ(errors_of("kind: Namespace\nmetadata: {name: n}\n"),
              strings{"t.yaml:1: Namespace n: apiVersion: required value (expected \"v1\")"});
    EXPECT_EQ(errors_of("apiVersion: v1\nmetadata: {name: n}\n"),
              strings{"t.yaml:1: kind: required value"});
}

TEST(LoaderValidation, DuplicateEndpointIPsNameBothPods) {
    const auto errors = errors_of(R"(apiVersion: v1
kind: Pod
metadata: {name: first, namespace: a}
status:
  podIPs: [{ip: 10.0.0.1}, {ip: "fd00::1"}]
---
apiVersion: v1
kind: Pod
metadata: {name: second, namespace: b}
status:
  podIPs:
  - ip: 10.0.0.2
  - ip: fd00::1
---
apiVersion: v1
kind: Pod
metadata: {name: third, namespace: b}
status:
  podIP: 10.0.0.1
)");
    EXPECT_EQ(
        errors,
        (strings{"t.yaml:13: Pod b/second: status.podIPs[1].ip: IP fd00::1 is also used by Pod "
                 "a/first (t.yaml:1)",
                 "t.yaml:19: Pod b/third: status.podIP: IP 10.0.0.1 is also used by Pod a/first "
                 "(t.yaml:1)"}));
}

TEST(LoaderValidation, PodAddresses) {
    const std::string head = "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nstatus:\n";
    EXPECT_EQ(errors_of(head + "  podIP: 10.0.0.256\n"),
              strings{"t.yaml:5: Pod default/a: status.podIP: invalid IP address \"10.0.0.256\""});
    EXPECT_EQ(errors_of(head + "  podIPs: [{ip: 10.0.0.1}, {ip: 10.0.0.2}]\n"),
              strings{"t.yaml:5: Pod default/a: status.podIPs[1].ip: may specify no more than one "
                      "IP for each IP "
                      "family"});
    EXPECT_EQ(
        errors_of(head + "  podIPs: [{ip: \"fd00::1\"}, {ip: \"fd00::1\"}]\n"),
        strings{"t.yaml:5: Pod default/a: status.podIPs[1].ip: duplicate IP address \"fd00::1\""});
    EXPECT_EQ(
        errors_of(head + "  podIPs: [{ip: 10.0.0.1/32}]\n"),
        strings{
            "t.yaml:5: Pod default/a: status.podIPs[0].ip: invalid IP address \"10.0.0.1/32\""});
}

TEST(LoaderValidation, ContainerPorts) {
    const std::string head =
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n";
    const std::string at = "t.yaml:7: Pod default/a: spec.containers[0].ports[0].";
    EXPECT_EQ(errors_of(head + "  - name: c\n    ports: [{name: http}]\n"),
              strings{at + "containerPort: required value"});
    EXPECT_EQ(
        errors_of(head + "  - name: c\n    ports: [{containerPort: 70000}]\n"),
        strings{at + "containerPort: invalid value 70000: must be between 1 and 65535, inclusive"});
    EXPECT_EQ(errors_of(head + "  - name: c\n    ports: [{containerPort: \"80\"}]\n"),
              strings{at + "containerPort: expected an integer, got \"80\""});
    EXPECT_EQ(
        errors_of(head + "  - name: c\n    ports: [{containerPort: 80, name: HTTP}]\n"),
        strings{
            at +
            "name: invalid port name \"HTTP\": must contain only lowercase alphanumeric characters "
            "(a-z, 0-9) and hyphens (-)"});
    EXPECT_EQ(
        errors_of(head + "  - name: c\n    ports: [{containerPort: 80, protocol: HTTP}]\n"),
        strings{
            at +
            "protocol: unsupported value \"HTTP\": supported values: \"TCP\", \"UDP\", \"SCTP\""});
    EXPECT_EQ(errors_of(head + "  - name: c\n    ports: [{containerPort: 80, name: web}, "
                               "{containerPort: 81, name: web}]\n"),
              strings{"t.yaml:7: Pod default/a: spec.containers[0].ports[1].name: duplicate port "
                      "name \"web\""});
    // The API checks names per container; two containers may reuse one.
    EXPECT_EQ(errors_of(head + "  - {name: c, ports: [{containerPort: 80, name: web}]}\n"
                               "  - {name: d, ports: [{containerPort: 81, name: web}]}\n"),
              strings{});
}

TEST(LoaderValidation, WrongNodeTypes) {
    struct type_case {
        std::string text;
        std::string error;
    };
    const std::string pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n";
    const std::string np = "t.yaml:7: NetworkPolicy team-a/p: ";
    const type_case cases[] = {
        {policy("  - 1\n"), "t.yaml:7: NetworkPolicy team-a/p: spec: expected a map, got a list"},
        {policy("  podSelector: []\n"), np + "spec.podSelector: expected a map, got a list"},
        {policy("  podSelector: all\n"), np + "spec.podSelector: expected a map, got all"},
        {policy("  podSelector: {matchLabels: [a]}\n"),
         np + "spec.podSelector.matchLabels: expected a map, got a list"},
        {policy("  podSelector: {matchLabels: {a: {b: c}}}\n"),
         np + "spec.podSelector.matchLabels.a: expected a string, got a map"},
        {policy("  podSelector: {matchExpressions: {key: a}}\n"),
         np + "spec.podSelector.matchExpressions: expected a list, got a map"},
        {policy("  podSelector: {matchExpressions: [{key: a, operator: In, values: x}]}\n"),
         np + "spec.podSelector.matchExpressions[0].values: expected a list, got x"},
        {policy("  podSelector: {matchExpressions: [{key: [a], operator: Exists}]}\n"),
         np + "spec.podSelector.matchExpressions[0].key: expected a string, got a list"},
        {policy("  ingress: {from: []}\n"), np + "spec.ingress: expected a list, got a map"},
        {policy("  ingress: [[]]\n"), np + "spec.ingress[0]: expected a map, got a list"},
        {policy("  ingress: [{from: peer}]\n"),
         np + "spec.ingress[0].from: expected a list, got peer"},
        {policy("  ingress: [{ports: [80]}]\n"),
         np + "spec.ingress[0].ports[0]: expected a map, got 80"},
        {policy("  ingress: [{ports: [{port: [80]}]}]\n"),
         np + "spec.ingress[0].ports[0].port: expected an integer or a port name, got a list"},
        {policy("  egress: [{to: [{ipBlock: 10.0.0.0/8}]}]\n"),
         np + "spec.egress[0].to[0].ipBlock: expected a map, got 10.0.0.0/8"},
        {policy("  egress: [{to: [{ipBlock: {cidr: [10.0.0.0/8]}}]}]\n"),
         np + "spec.egress[0].to[0].ipBlock.cidr: expected a string, got a list"},
        {policy("  egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8, except: 10.1.0.0/16}}]}]\n"),
         np + "spec.egress[0].to[0].ipBlock.except: expected a list, got 10.1.0.0/16"},
        {policy("  policyTypes: Ingress\n"), np + "spec.policyTypes: expected a list, got Ingress"},
        {policy("  policyTypes: [[Ingress]]\n"),
         np + "spec.policyTypes[0]: expected a string, got a list"},
        {"apiVersion: v1\nkind: Pod\nmetadata: [a]\n",
         "t.yaml:3: Pod: metadata: expected a map, got a list"},
        {"apiVersion: v1\nkind: [Pod]\nmetadata: {name: a}\n",
         "t.yaml:2: kind: expected a string, got a list"},
        {"apiVersion: {v: 1}\nkind: Pod\nmetadata: {name: a}\n",
         "t.yaml:1: apiVersion: expected a string, got a map"},
        {pod + "spec: {hostNetwork: \"true\"}\n",
         "t.yaml:4: Pod default/a: spec.hostNetwork: expected a boolean, got \"true\""},
        {pod + "spec: {hostNetwork: yes please}\n",
         "t.yaml:4: Pod default/a: spec.hostNetwork: expected a boolean, got yes please"},
        {pod + "spec: {containers: {name: c}}\n",
         "t.yaml:4: Pod default/a: spec.containers: expected a list, got a map"},
        {pod + "spec: {containers: [{ports: {containerPort: 80}}]}\n",
         "t.yaml:4: Pod default/a: spec.containers[0].ports: expected a list, got a map"},
        {pod + "status: {podIPs: 10.0.0.1}\n",
         "t.yaml:4: Pod default/a: status.podIPs: expected a list, got 10.0.0.1"},
        {pod + "status: {podIPs: [10.0.0.1]}\n",
         "t.yaml:4: Pod default/a: status.podIPs[0]: expected a map, got 10.0.0.1"},
        {pod + "status: {podIP: [10.0.0.1]}\n",
         "t.yaml:4: Pod default/a: status.podIP: expected a string, got a list"},
        {pod + "status: {phase: {running: true}}\n",
         "t.yaml:4: Pod default/a: status.phase: expected a string, got a map"},
        {"apiVersion: v1\nkind: Namespace\nmetadata: {name: n, labels: [a]}\n",
         "t.yaml:3: Namespace n: metadata.labels: expected a map, got a list"},
        {"apiVersion: v1\nkind: List\nitems: {a: 1}\n",
         "t.yaml:3: List: items: expected a list, got a map"},
        {"apiVersion: v1\nkind: List\nitems: [1]\n",
         "t.yaml:3: items[0]: expected a Kubernetes object (a map), got 1"},
        {"[1, 2]\n", "t.yaml:1: expected a Kubernetes object (a map), got a list"},
        {"just text\n", "t.yaml:1: expected a Kubernetes object (a map), got just text"},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(errors_of(c.text), strings{c.error}) << c.text;
    }
    EXPECT_EQ(errors_of("? [complex]\n: key\n"),
              (strings{"t.yaml:1: map key must be a string, got a list",
                       "t.yaml:1: kind: required value"}));
}

TEST(LoaderValidation, DuplicateKeys) {
    EXPECT_EQ(errors_of("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  name: b\n"),
              strings{"t.yaml:5: Pod default/a: metadata.name: duplicate key"});
    EXPECT_EQ(errors_of(policy("  podSelector: {}\n  podSelector: {matchLabels: {a: b}}\n")),
              strings{"t.yaml:8: NetworkPolicy team-a/p: spec.podSelector: duplicate key"});
}

TEST(LoaderValidation, MergeKeysAreRefusedNotIgnored) {
    EXPECT_EQ(
        errors_of("base: &base {podSelector: {matchLabels: {app: db}}}\n" +
                  policy("  <<: *base\n  policyTypes: [Ingress]\n")),
        strings{"t.yaml:8: NetworkPolicy team-a/p: spec: YAML merge keys (<<) are not supported"});
    // Quoted, it is an ordinary (unknown) key.
    const auto r = load_manifest_text(policy("  podSelector: {}\n  \"<<\": 1\n"), "t.yaml");
    EXPECT_TRUE(r.ok()) << joined(r.errors);
    EXPECT_EQ(messages(r.warnings),
              strings{"t.yaml:8: NetworkPolicy team-a/p: spec.<<: unknown field (ignored)"});
}

TEST(LoaderValidation, AllErrorsAreCollectedAndGoodObjectsKept) {
    const auto r = load_manifest_text(R"(apiVersion: v1
kind: Pod
metadata: {name: good}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: bad}
spec:
  podSelector: {}
  ingress:
  - from: [{ipBlock: {cidr: 1.2.3.4/40}}, {}]
    ports: [{port: 0}, {protocol: icmp}]
---
apiVersion: v1
kind: Pod
metadata: {name: Bad}
)",
                                      "t.yaml");
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.errors.size(), 5u) << joined(r.errors);
    ASSERT_EQ(r.objects.pods.size(), 1u); // the bad objects are dropped, the good one stays
    EXPECT_EQ(r.objects.pods[0].name, "good");
    EXPECT_TRUE(r.objects.policies.empty());
    // Reported in file order.
    for (size_t i = 1; i < r.errors.size(); ++i) {
        EXPECT_LE(r.errors[i - 1].line, r.errors[i].line);
    }
}

TEST(LoaderValidation, SyntaxErrorsHaveFileAndLine) {
    const auto yaml = load_manifest_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [a\n  labels: {}\n", "bad.yaml");
    ASSERT_EQ(yaml.errors.size(), 1u);
    EXPECT_EQ(yaml.errors[0].file, "bad.yaml");
    EXPECT_GE(yaml.errors[0].line, 4);
    EXPECT_EQ(yaml.errors[0].message.rfind("YAML syntax error: ", 0), 0u) << yaml.errors[0].message;

    const auto json = load_manifest_text(
        "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Pod\"\n  \"metadata\": {}\n}\n", "bad.json");
    EXPECT_EQ(messages(json.errors),
              strings{"bad.json:4: JSON syntax error: expected ',' or '}', found '\"'"});
}

TEST(LoaderValidation, DiagnosticFormat) {
    EXPECT_EQ((diagnostic{"a.yaml", 3, "Pod x/y", "spec", "bad"}).to_string(),
              "a.yaml:3: Pod x/y: spec: bad");
    EXPECT_EQ((diagnostic{"a.yaml", 0, "", "", "cannot read"}).to_string(), "a.yaml: cannot read");
    EXPECT_EQ((diagnostic{"a.yaml", 7, "", "kind", "required value"}).to_string(),
              "a.yaml:7: kind: required value");
    EXPECT_EQ((diagnostic{"a.yaml", 7, "List", "", "oops"}).to_string(), "a.yaml:7: List: oops");
}

} // namespace
} // namespace podgate::config::test
