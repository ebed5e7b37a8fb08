// The bundled example (examples/seed): every flow of every flows.txt, with the
// verdict its "# expect:" line states, through the product loader, the
// reference evaluator and the compiled tables.

#include "classifier/text/flow_text.hpp"
#include "tests/semantics/dual_check.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#ifndef PODGATE_SOURCE_DIR
#error "PODGATE_SOURCE_DIR must name the source tree"
#endif

namespace podgate::test {
namespace {

const std::string seed_dir = std::string(PODGATE_SOURCE_DIR) + "/examples/seed";

struct expected_flow {
    classifier::flow f;
    classifier::verdict v;
    std::string where; // "flows.txt:12"
};

// "allow (allowed)" and the like, as to_string(verdict) prints them.
bool parse_verdict(const std::string& text, classifier::verdict& out) {
    for (const bool allow : {true, false}) {
        for (unsigned r = 0; r < classifier::verdict_reason_count; ++r) {
            const classifier::verdict v{allow, static_cast<classifier::verdict_reason>(r)};
            if (text == to_string(v)) {
                out = v;
                return true;
            }
        }
    }
    return false;
}

// Every flow line must follow an "# expect: <verdict>" line.
std::vector<expected_flow> read_flows(const std::string& path) {
    std::vector<expected_flow> out;
    std::ifstream in(path);
    EXPECT_TRUE(in) << "cannot open " << path;
    const std::string marker = "# expect: ";
    std::string line;
    std::string pending;
    for (int number = 1; std::getline(in, line); ++number) {
        const std::string where = path + ":" + std::to_string(number);
        if (line.rfind(marker, 0) == 0) {
            const auto close = line.find(')');
            pending =
                line.substr(marker.size(), close == std::string::npos ? std::string::npos
                                                                      : close + 1 - marker.size());
            continue;
        }
        if (classifier::is_blank_or_comment(line)) {
            continue;
        }
        auto f = classifier::parse_flow(line);
        classifier::verdict v;
        if (!f) {
            ADD_FAILURE() << where << ": " << f.error();
        } else if (!parse_verdict(pending, v)) {
            ADD_FAILURE() << where << ": no (valid) \"# expect:\" line before this flow: \""
                          << pending << "\"";
        } else {
            out.push_back({*f, v, where});
        }
        pending.clear();
    }
    return out;
}

config::cluster load(const std::vector<std::string>& paths) {
    config::load_result r = config::load_manifests(paths);
    for (const auto& e : r.errors) {
        ADD_FAILURE() << "loader error: " << e.to_string();
    }
    return std::move(r.objects);
}

void check_flows(const config::cluster& c, const std::string& flows_file, size_t at_least) {
    const auto flows = read_flows(flows_file);
    EXPECT_GE(flows.size(), at_least) << flows_file;
    dual_check check(c);
    for (const auto& e : flows) {
        EXPECT_TRUE(check(e.f, e.v)) << e.where;
    }
}

TEST(seed, base_policy) {
    const config::cluster c = load({seed_dir + "/manifests"});
    ASSERT_EQ(c.policies.size(), 1u);
    EXPECT_EQ(c.policies[0].qualified_name(), "shop/db-policy");
    EXPECT_EQ(c.pods.size(), 5u);
    check_flows(c, seed_dir + "/flows.txt", 10);
}

TEST(seed, variant_namespace_selector_in_separate_element_is_or) {
    const config::cluster c =
        load({seed_dir + "/manifests/cluster.yaml", seed_dir + "/variants/namespace-or"});
    ASSERT_EQ(c.policies.size(), 1u);
    check_flows(c, seed_dir + "/variants/namespace-or/flows.txt", 6);
}

TEST(seed, variant_namespace_selector_in_same_element_is_and) {
    const config::cluster c =
        load({seed_dir + "/manifests/cluster.yaml", seed_dir + "/variants/namespace-and"});
    ASSERT_EQ(c.policies.size(), 1u);
    check_flows(c, seed_dir + "/variants/namespace-and/flows.txt", 6);
}

TEST(seed, variant_ip_block_source) {
    const config::cluster c =
        load({seed_dir + "/manifests/cluster.yaml", seed_dir + "/variants/ip-block"});
    ASSERT_EQ(c.policies.size(), 1u);
    check_flows(c, seed_dir + "/variants/ip-block/flows.txt", 6);
}

TEST(seed, explain_names_the_policy_and_the_failing_peer) {
    const config::cluster c = load({seed_dir + "/manifests"});
    classifier::reference::evaluator e(c);
    const auto f = classifier::parse_flow("tcp 10.0.1.30 40000 10.0.1.10 3306");
    ASSERT_TRUE(f) << f.error();
    const std::string text = e.explain(*f);
    EXPECT_NE(text.find("source 10.0.1.30: pod shop/frontend"), std::string::npos) << text;
    EXPECT_NE(text.find("policy shop/db-policy"), std::string::npos) << text;
    EXPECT_NE(text.find("ingress[0]: no match: peer did not match"), std::string::npos) << text;
    EXPECT_EQ(text.substr(text.rfind('\n') + 1), "verdict: deny (policy-ingress)") << text;
}

} // namespace
} // namespace podgate::test
