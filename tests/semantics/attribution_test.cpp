// Attribution by hand: which policy gets the credit for an allowed flow, asked
// of the compiled tables (classifier::attribute) and of the
// reference evaluator. On each isolated side the first selecting policy in
// cluster order whose own rules allow the flow is credited; an unisolated
// side credits nobody.

#include "classifier/lookup/attribution.hpp"
#include "tests/semantics/family_fixture.hpp"

namespace podgate::test {
namespace {

// A running pod at 10.0.<net>.<host> / fd00::<net>:<host>; `ports` is a YAML
// flow sequence of container ports.
std::string pod(const std::string& ns, const std::string& name, const std::string& labels,
                const std::string& ports, int net, int host) {
    char ips[96];
    std::snprintf(ips, sizeof ips, "[{ip: 10.0.%d.%d}, {ip: \"fd00::%x:%x\"}]", net, host, net,
                  host);
    return "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name + ", namespace: " + ns +
           ", labels: " + labels + "}\nspec: {containers: [{name: c, ports: " + ports +
           "}]}\nstatus: {phase: Running, podIPs: " + ips + "}\n";
}

// prod: db 1.1 (http 8080/TCP), api 1.2 (http 80/TCP), web 1.3; dev: probe 2.1
const std::string world =
    pod("prod", "db", "{app: db, tier: back}", "[{name: http, containerPort: 8080}]", 1, 1) +
    "---\n" +
    pod("prod", "api", "{app: api, tier: back}", "[{name: http, containerPort: 80}]", 1, 2) +
    "---\n" + pod("prod", "web", "{app: web}", "[]", 1, 3) + "---\n" +
    pod("dev", "probe", "{app: probe}", "[]", 2, 1);

constexpr const char* none = "-";

class attribution : public family_test {
  protected:
    // A policy on prod pods matching `selector` (a YAML flow map) with `body`
    // (the spec's remaining fields, each line indented by two).
    static std::string on(const std::string& name, const std::string& selector,
                          const std::string& body) {
        return policy("prod", name, "\n  podSelector: " + selector + "\n" + body);
    }
    static std::string ingress(const std::string& name, const std::string& selector,
                               const std::string& rules) {
        return on(name, selector, "  policyTypes: [Ingress]\n  ingress: " + rules + "\n");
    }
    static std::string egress(const std::string& name, const std::string& selector,
                              const std::string& rules) {
        return on(name, selector, "  policyTypes: [Egress]\n  egress: " + rules + "\n");
    }

    void compile(std::initializer_list<std::string> policies) {
        std::string text = world;
        for (const auto& d : policies) {
            text += "\n---\n" + d;
        }
        _cluster = load_yaml(text);
        _compiled = classifier::compile(_cluster);
        ASSERT_TRUE(_compiled) << _compiled.error();
        _reference = std::make_unique<classifier::reference::evaluator>(_cluster);
    }

    // Both engines credit `egress_policy` and `ingress_policy` ("name" of a
    // prod policy, or `none`), and the flow's verdict is `allow`.
    ::testing::AssertionResult credits(const classifier::flow& f, const std::string& egress_policy,
                                       const std::string& ingress_policy, bool allow = true) const {
        const auto c = classifier::attribute(*_compiled.value(), f);
        const auto r = _reference->attribute(f);
        const std::string want = egress_policy + " / " + ingress_policy;
        const std::string compiled = name(c.egress) + " / " + name(c.ingress);
        const std::string reference = name(r.egress) + " / " + name(r.ingress);
        const bool compiled_allows = classifier::lookup(*_compiled.value(), f).allow;
        const bool reference_allows = _reference->evaluate(f).allow;
        if (compiled == want && reference == want && compiled_allows == allow &&
            reference_allows == allow) {
            return ::testing::AssertionSuccess();
        }
        return ::testing::AssertionFailure()
               << "credited egress / ingress: expected " << want
               << (allow ? " (allowed)" : " (denied)") << "\n  compiled:  " << compiled
               << (compiled_allows ? " (allowed)" : " (denied)") << "\n  reference: " << reference
               << (reference_allows ? " (allowed)" : " (denied)") << "\n"
               << _reference->explain(f);
    }

    std::string db() const { return addr(1, 1); }
    std::string api() const { return addr(1, 2); }
    std::string web() const { return addr(1, 3); }
    std::string probe() const { return addr(2, 1); }

  private:
    std::string name(uint32_t p) const {
        return p == classifier::no_policy ? none : _cluster.policies.at(p).name;
    }

    config::cluster _cluster;
    classifier::compile_result _compiled = fail("not compiled");
    std::unique_ptr<classifier::reference::evaluator> _reference;
};

TEST_P(attribution, two_policies_on_one_pod_each_credited_for_its_port) {
    compile({ingress("allow-80", "{matchLabels: {app: db}}", "[{ports: [{port: 80}]}]"),
             ingress("allow-443", "{matchLabels: {app: db}}", "[{ports: [{port: 443}]}]")});
    EXPECT_TRUE(credits(tcp(web(), db(), 80), none, "allow-80"));
    EXPECT_TRUE(credits(tcp(web(), db(), 443), none, "allow-443"));
    EXPECT_TRUE(credits(tcp(probe(), db(), 443), none, "allow-443"));
    EXPECT_TRUE(credits(tcp(outside(5, 5), db(), 80), none, "allow-80")); // a non-pod source
    EXPECT_TRUE(credits(tcp(web(), db(), 22), none, none, false)); // isolated, nothing allows
    EXPECT_TRUE(credits(tcp(db(), web(), 80), none, none));        // neither side isolated
}

TEST_P(attribution, both_allow_the_first_in_cluster_order_is_credited) {
    // "zeta" comes first in the manifests, so first in cluster order.
    compile({ingress("zeta", "{matchLabels: {app: db}}",
                     "[{from: [{podSelector: {matchLabels: {app: web}}}], "
                     "ports: [{port: 80}]}]"),
             ingress("alpha", "{matchLabels: {app: db}}", "[{ports: [{port: 80}, {port: 81}]}]")});
    EXPECT_TRUE(credits(tcp(web(), db(), 80), none, "zeta"));
    EXPECT_TRUE(credits(tcp(api(), db(), 80), none, "alpha")); // zeta's peer does not match
    EXPECT_TRUE(credits(tcp(web(), db(), 81), none, "alpha")); // nor its port
    // The same two policies the other way round.
    compile({ingress("alpha", "{matchLabels: {app: db}}", "[{ports: [{port: 80}, {port: 81}]}]"),
             ingress("zeta", "{matchLabels: {app: db}}",
                     "[{from: [{podSelector: {matchLabels: {app: web}}}], "
                     "ports: [{port: 80}]}]")});
    EXPECT_TRUE(credits(tcp(web(), db(), 80), none, "alpha"));
}

TEST_P(attribution, a_policy_without_rules_is_never_credited) {
    compile({ingress("deny-all", "{matchLabels: {app: db}}", "[]"),
             ingress("allow-80", "{matchLabels: {app: db}}", "[{ports: [{port: 80}]}]")});
    EXPECT_TRUE(credits(tcp(web(), db(), 80), none, "allow-80"));
    EXPECT_TRUE(credits(tcp(web(), db(), 81), none, none, false));
}

TEST_P(attribution, egress_and_ingress_each_credited) {
    compile({egress("web-to-db", "{matchLabels: {app: web}}",
                    "[{to: [{podSelector: {matchLabels: {app: db}}}], "
                    "ports: [{port: 8080}]}]"),
             egress("web-anywhere", "{matchLabels: {app: web}}", "[{}]"),
             ingress("db-from-web", "{matchLabels: {app: db}}",
                     "[{from: [{podSelector: {matchLabels: {app: web}}}]}]")});
    EXPECT_TRUE(credits(tcp(web(), db(), 8080), "web-to-db", "db-from-web"));
    EXPECT_TRUE(credits(tcp(web(), db(), 9000), "web-anywhere", "db-from-web"));
    EXPECT_TRUE(
        credits(udp(web(), db(), 8080), "web-anywhere", "db-from-web")); // web-to-db is TCP only
    EXPECT_TRUE(credits(icmp(web(), db()), "web-anywhere", "db-from-web"));
    EXPECT_TRUE(credits(tcp(web(), api(), 80), "web-anywhere", none));
    EXPECT_TRUE(credits(tcp(web(), outside(7, 7), 443), "web-anywhere", none));
    EXPECT_TRUE(
        credits(tcp(api(), db(), 8080), none, none, false)); // ingress isolated, api not allowed
}

TEST_P(attribution, ingress_named_ports_resolve_on_each_selected_pod) {
    // Both policies select db (http = 8080) and api (http = 80).
    compile({ingress("named", "{matchLabels: {tier: back}}", "[{ports: [{port: http}]}]"),
             ingress("numbered", "{matchLabels: {tier: back}}",
                     "[{ports: [{port: 80}, {port: 8080}]}]")});
    EXPECT_TRUE(credits(tcp(web(), db(), 8080), none, "named"));
    EXPECT_TRUE(credits(tcp(web(), db(), 80), none, "numbered"));
    EXPECT_TRUE(credits(tcp(web(), api(), 80), none, "named"));
    EXPECT_TRUE(credits(tcp(web(), api(), 8080), none, "numbered"));
    EXPECT_TRUE(credits(udp(web(), api(), 80), none, none, false)); // http is a TCP port
}

TEST_P(attribution, egress_named_ports_resolve_on_the_peer) {
    compile({egress("to-http", "{matchLabels: {app: web}}", "[{ports: [{port: http}]}]"),
             egress("to-8080", "{matchLabels: {app: web}}", "[{ports: [{port: 8080}]}]")});
    EXPECT_TRUE(credits(tcp(web(), db(), 8080), "to-http", none));
    EXPECT_TRUE(credits(tcp(web(), api(), 8080), "to-8080", none));
    EXPECT_TRUE(credits(tcp(web(), api(), 80), "to-http", none));
    EXPECT_TRUE(credits(tcp(web(), outside(1, 1), 8080), "to-8080",
                        none)); // no pod: the name resolves nowhere
    EXPECT_TRUE(credits(tcp(web(), outside(1, 1), 80), none, none, false));
}

PODGATE_BOTH_FAMILIES(attribution);

} // namespace
} // namespace podgate::test
