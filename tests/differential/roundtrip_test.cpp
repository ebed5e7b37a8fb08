// The synth writers and config::load_manifest_text together: a cluster
// written as kubectl would print it (and in a style that leans on the
// loader's defaults) must load back to the same objects and the same
// verdicts, through the reference evaluator and through the compiled tables.

#include "config/manifest_loader.hpp"
#include "tests/differential/flow_source.hpp"
#include "tests/differential/harness.hpp"
#include "tests/support/synth/generate.hpp"
#include "tests/support/synth/writer.hpp"

#include <gtest/gtest.h>

#include <map>
#include <sstream>

namespace podgate::differential {
namespace {

using namespace config;

std::string show(const ip_address& a) {
    return podgate::to_string(a);
}

bool same_port_rule(const port_rule& a, const port_rule& b) {
    return a.proto == b.proto && a.what == b.what && a.name == b.name &&
           (a.what != port_rule::kind::number || (a.port == b.port && a.end_port == b.end_port));
}

bool same_peer(const peer& a, const peer& b) {
    if (a.pod_selector != b.pod_selector || a.namespace_selector != b.namespace_selector ||
        a.block.has_value() != b.block.has_value()) {
        return false;
    }
    return !a.block || (a.block->cidr == b.block->cidr && a.block->except == b.block->except);
}

bool same_rules(const std::vector<rule>& a, const std::vector<rule>& b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (size_t i = 0; i < a.size(); ++i) {
        if (a[i].ports.size() != b[i].ports.size() || a[i].peers.size() != b[i].peers.size()) {
            return false;
        }
        for (size_t k = 0; k < a[i].ports.size(); ++k) {
            if (!same_port_rule(a[i].ports[k], b[i].ports[k])) {
                return false;
            }
        }
        for (size_t k = 0; k < a[i].peers.size(); ++k) {
            if (!same_peer(a[i].peers[k], b[i].peers[k])) {
                return false;
            }
        }
    }
    return true;
}

// Empty when `loaded` holds the objects of `original`; else the first difference.
std::string difference(const cluster& original, const cluster& loaded) {
    std::map<std::string, const pod*> pods;
    for (const auto& p : loaded.pods) {
        pods[p.qualified_name()] = &p;
    }
    if (loaded.pods.size() != original.pods.size()) {
        return "pod count " + std::to_string(loaded.pods.size()) +
               " != " + std::to_string(original.pods.size());
    }
    for (const auto& p : original.pods) {
        auto it = pods.find(p.qualified_name());
        if (it == pods.end()) {
            return "pod " + p.qualified_name() + " missing";
        }
        const pod& q = *it->second;
        if (q.labels != p.labels || q.ips != p.ips || q.host_network != p.host_network ||
            q.terminated != p.terminated || q.ports.size() != p.ports.size()) {
            return "pod " + p.qualified_name() +
                   " differs (labels, addresses, state or port count)" +
                   (q.ips.empty() || p.ips.empty()
                        ? ""
                        : "; first ip " + show(q.ips[0]) + " vs " + show(p.ips[0]));
        }
        for (size_t i = 0; i < p.ports.size(); ++i) {
            const auto& x = p.ports[i];
            const auto& y = q.ports[i];
            if (x.name != y.name || x.number != y.number || x.proto != y.proto) {
                return "pod " + p.qualified_name() + " port " + std::to_string(i) + " differs";
            }
        }
    }
    std::map<std::string, const network_policy*> policies;
    for (const auto& np : loaded.policies) {
        policies[np.qualified_name()] = &np;
    }
    if (loaded.policies.size() != original.policies.size()) {
        return "policy count differs";
    }
    for (const auto& np : original.policies) {
        auto it = policies.find(np.qualified_name());
        if (it == policies.end()) {
            return "policy " + np.qualified_name() + " missing";
        }
        const network_policy& q = *it->second;
        if (q.pod_selector != np.pod_selector || q.affects_ingress != np.affects_ingress ||
            q.affects_egress != np.affects_egress) {
            return "policy " + np.qualified_name() + ": podSelector or policyTypes differ";
        }
        // Rules of a direction the policy does not affect may be dropped.
        if ((np.affects_ingress && !same_rules(np.ingress, q.ingress)) ||
            (np.affects_egress && !same_rules(np.egress, q.egress))) {
            return "policy " + np.qualified_name() + ": rules differ";
        }
    }
    for (const auto& n : original.namespaces) {
        if (loaded.namespace_labels(n.name) != n.labels) {
            return "namespace " + n.name + " labels differ";
        }
    }
    for (const auto& n : loaded.namespaces) {
        if (original.namespace_labels(n.name) != n.labels) {
            return "namespace " + n.name + " appeared with labels beyond the implied one";
        }
    }
    return {};
}

std::string diagnostics(const load_result& r) {
    std::ostringstream s;
    for (size_t i = 0; i < r.errors.size() && i < 5; ++i) {
        s << "\n  error: " << r.errors[i].to_string();
    }
    return s.str();
}

struct format {
    const char* name;
    bool json;
    bool vary;
};
constexpr format formats[] = {{"yaml", false, false},
                              {"yaml-varied", false, true},
                              {"json", true, false},
                              {"json-varied", true, true}};

std::string write(const cluster& c, const format& f) {
    return f.json ? synth::to_json(c, {f.vary}) : synth::to_yaml(c, {f.vary});
}

// Loads `c` back through `f`, checks the objects and the verdicts on `flows`.
void round_trip(const cluster& c, const std::string& what, const format& f,
                const std::vector<classifier::flow>& flows, bool check_compiled_tables) {
    const std::string text = write(c, f);
    const load_result loaded = load_manifest_text(text, what + "." + f.name);
    ASSERT_TRUE(loaded.ok()) << what << " (" << f.name << ") did not load; cluster written to "
                             << write_replay(c, what) << diagnostics(loaded);
    const std::string diff = difference(c, loaded.objects);
    EXPECT_EQ(diff, "") << what << " (" << f.name << "); cluster written to "
                        << write_replay(c, what);
    for (auto np : {default_action::allow, default_action::deny}) {
        const classifier::reference::evaluator original(c, {np});
        const classifier::reference::evaluator reloaded(loaded.objects, {np});
        const context ctx{what + " " + f.name + " non-pod " + to_string(np), &c, np};
        compare_verdicts(ctx, original, flows, evaluate_all(original, flows),
                         evaluate_all(reloaded, flows), "reference on the reloaded cluster");
        if (check_compiled_tables) {
            const context loaded_ctx{ctx.what + " reloaded", &loaded.objects, np};
            check_compiled(loaded_ctx, flows);
        }
    }
}

TEST(round_trip, adversarial_clusters_load_back_identical) {
    const uint64_t clusters = env_u64("PODGATE_ROUNDTRIP_CLUSTERS", 120);
    for (uint64_t seed = 1; seed <= clusters && !HasFailure(); ++seed) {
        const cluster c = synth::generate_adversarial({.seed = seed});
        const auto flows = flow_source(c, seed + 99).take(400);
        for (const auto& f : formats) {
            round_trip(c, "roundtrip seed " + std::to_string(seed), f, flows, seed % 4 == 0);
        }
    }
}

TEST(round_trip, scale_cluster_loads_back_identical) {
    const cluster c =
        synth::generate_scale({.pods = 2000, .policies = 200, .namespaces = 40, .seed = 5});
    const auto flows = flow_source(c, 5).take(3000);
    for (const auto& f : formats) {
        round_trip(c, "roundtrip scale", f, flows, true);
    }
}

// Label values a YAML reader would turn into bools, numbers or null unless the
// writer quotes them; all are valid Kubernetes label values.
TEST(round_trip, scalars_that_look_like_other_types_stay_strings) {
    cluster c;
    const std::vector<std::string> tricky = {"true", "yes",  "No",      "on",     "null",  "1",
                                             "1.0",  "1e3",  "0x1f",    "0777",   "1_000", "",
                                             "y",    "NULL", "1.2.3.4", "a.b-c_d"};
    for (size_t i = 0; i < tricky.size(); ++i) {
        namespace_object n;
        n.name = "ns" + std::to_string(i);
        n.labels = {{"v", tricky[i]}, {namespace_name_label, n.name}};
        c.namespaces.push_back(n);
        pod p;
        p.ns = n.name;
        p.name = "p" + std::to_string(i);
        p.labels = {{"v", tricky[i]}};
        p.ips = {ip_address::v4(0x0A000001u + static_cast<uint32_t>(i))};
        c.pods.push_back(p);
    }
    for (const auto& f : formats) {
        const load_result loaded = load_manifest_text(write(c, f), std::string("tricky.") + f.name);
        ASSERT_TRUE(loaded.ok()) << f.name << diagnostics(loaded);
        EXPECT_EQ(difference(c, loaded.objects), "") << f.name;
    }
}

} // namespace
} // namespace podgate::differential
