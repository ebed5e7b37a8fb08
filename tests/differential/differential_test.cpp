// The compiled classifier against the reference evaluator on random
// adversarial clusters and random flows aimed at their edges, with both
// non_pod_traffic settings, through lookup and lookup_burst.
//
// Environment (for digging into a failure or running longer):
//   PODGATE_DIFF_SEED=n      run only the cluster with seed n
//   PODGATE_DIFF_CLUSTERS=n  adversarial clusters in total (default below)
//   PODGATE_DIFF_FLOWS=n     flows per cluster
//   PODGATE_DIFF_OUT=dir     where failing clusters are written as YAML

#include "config/manifest_loader.hpp"
#include "tests/differential/flow_source.hpp"
#include "tests/differential/harness.hpp"
#include "tests/support/synth/generate.hpp"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstring>

namespace podgate::differential {
namespace {

constexpr int blocks = 8;
constexpr uint64_t default_clusters = 1000;
constexpr uint64_t default_flows = 3000;

// Four shapes of adversarial cluster, chosen by seed.
synth::adversarial_params shape(uint64_t seed) {
    synth::adversarial_params p;
    p.seed = seed;
    switch (seed % 4) {
    case 1: // dense: many pods and policies, the most selector collisions
        p.min_pods = 30;
        p.min_policies = 8;
        break;
    case 2: // one or two policies: most pods unisolated
        p.max_policies = 2;
        break;
    case 3: // many namespaces, few pods: namespaceSelector-heavy
        p.min_namespaces = 5;
        p.max_pods = 15;
        break;
    default:
        break;
    }
    return p;
}

const char* shape_name(uint64_t seed) {
    static constexpr const char* names[] = {"mixed", "dense", "sparse", "namespaces"};
    return names[seed % 4];
}

class adversarial : public ::testing::TestWithParam<int> {};

TEST_P(adversarial, compiled_lookup_equals_reference) {
    const uint64_t only = env_u64("PODGATE_DIFF_SEED", 0);
    const uint64_t clusters = env_u64("PODGATE_DIFF_CLUSTERS", default_clusters);
    const uint64_t flows_per_cluster = env_u64("PODGATE_DIFF_FLOWS", default_flows);
    const int block = GetParam();
    uint64_t first = 1 + clusters * block / blocks;
    uint64_t last = 1 + clusters * (block + 1) / blocks;
    if (only != 0) {
        if (block != 0) {
            GTEST_SKIP() << "PODGATE_DIFF_SEED set: block 0 runs it";
        }
        first = only;
        last = only + 1;
    }
    const auto t0 = std::chrono::steady_clock::now();
    reason_tally tally;
    uint64_t compared = 0;
    for (uint64_t seed = first; seed < last; ++seed) {
        const config::cluster c = synth::generate_adversarial(shape(seed));
        const auto flows = flow_source(c, seed * 7919 + 1).take(flows_per_cluster);
        for (auto np : {config::default_action::allow, config::default_action::deny}) {
            const context ctx{"adversarial " + std::string(shape_name(seed)) + " seed " +
                                  std::to_string(seed) + " non-pod " + to_string(np),
                              &c, np};
            const auto expected = check_compiled(ctx, flows);
            tally.add(expected);
            compared += expected.size();
            if (HasFailure()) {
                return; // one failing cluster is enough to read; the seed replays it
            }
        }
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("[ block %d ] seeds %llu..%llu: %llu flows x (lookup, lookup_burst) in %.1f s; "
                "reference said: %s\n",
                block, static_cast<unsigned long long>(first),
                static_cast<unsigned long long>(last - 1),
                static_cast<unsigned long long>(compared), s, tally.summary().c_str());
    if (only == 0) {
        // The oracle must answer every way, or the comparison proves nothing.
        for (size_t r = 0; r < tally.count.size(); ++r) {
            if (!classifier::from_classifier(static_cast<classifier::verdict_reason>(r))) {
                continue; // the data plane's own reasons
            }
            EXPECT_GT(tally.count[r], 0u)
                << "the reference never answered "
                << classifier::to_string(static_cast<classifier::verdict_reason>(r));
        }
    }
}

INSTANTIATE_TEST_SUITE_P(seed_blocks, adversarial, ::testing::Range(0, blocks));

// A realistic cluster (StatefulSets, named ports with per-app numbers, shared
// CIDRs, cross-namespace selectors): the equivalence classes at a scale the
// adversarial clusters never reach.
TEST(scale_cluster, compiled_lookup_equals_reference) {
    reason_tally tally;
    for (uint64_t seed : {11u, 12u}) {
        const config::cluster c =
            synth::generate_scale({.pods = 1500, .policies = 150, .namespaces = 30, .seed = seed});
        const auto flows =
            flow_source(c, seed).take(env_u64("PODGATE_DIFF_FLOWS", default_flows) * 2);
        for (auto np : {config::default_action::allow, config::default_action::deny}) {
            const context ctx{"scale seed " + std::to_string(seed) + " non-pod " + to_string(np),
                              &c, np};
            tally.add(check_compiled(ctx, flows));
            if (HasFailure()) {
                return;
            }
        }
    }
    std::printf("[ scale ] %llu flows; reference said: %s\n",
                static_cast<unsigned long long>(tally.total()), tally.summary().c_str());
    EXPECT_GT(tally.count[static_cast<size_t>(classifier::verdict_reason::allowed)], 0u);
    EXPECT_GT(tally.count[static_cast<size_t>(classifier::verdict_reason::policy_ingress)], 0u);
    EXPECT_GT(tally.count[static_cast<size_t>(classifier::verdict_reason::policy_egress)], 0u);
}

// The check itself must be able to fail: tables compiled from a cluster whose
// one port range lost its last port, compared with the reference on the real
// cluster, must be reported (flow, both verdicts, explain, replay file).
TEST(harness, reports_tables_that_disagree_with_the_reference) {
    for (uint64_t seed = 1; seed < 200; ++seed) {
        const config::cluster c = synth::generate_adversarial(shape(seed));
        config::cluster broken = c;
        config::port_rule* victim = nullptr;
        for (auto& np : broken.policies) {
            for (auto* rules : {&np.ingress, &np.egress}) {
                for (auto& r : *rules) {
                    for (auto& pr : r.ports) {
                        if (victim == nullptr && pr.what == config::port_rule::kind::number &&
                            pr.end_port > pr.port) {
                            victim = &pr;
                        }
                    }
                }
            }
        }
        if (victim == nullptr) {
            continue;
        }
        --victim->end_port;
        const auto flows = flow_source(c, seed).take(default_flows);
        const classifier::reference::evaluator truth(c, {});
        const auto expected = evaluate_all(truth, flows);
        if (expected == evaluate_all(classifier::reference::evaluator(broken, {}), flows)) {
            continue; // the lost port was shadowed by another rule: try the next cluster
        }
        const auto compiled = classifier::compile(broken);
        ASSERT_TRUE(compiled) << compiled.error();
        const context ctx{"harness self-test seed " + std::to_string(seed), &c,
                          config::default_action::allow};
        size_t mismatches = 0;
        ::testing::TestPartResultArray reported;
        {
            const ::testing::ScopedFakeTestPartResultReporter capture(
                ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD,
                &reported);
            mismatches = compare_verdicts(ctx, truth, flows, expected,
                                          lookup_all(*compiled.value(), flows), "lookup");
        }
        ASSERT_GT(reported.size(), 0);
        const std::string first = reported.GetTestPartResult(0).message();
        EXPECT_NE(first.find("reference explain:\nflow: "), std::string::npos) << first;
        EXPECT_NE(first.find("verdict: "), std::string::npos) << first;
        // The replay file it names must load back to the cluster it came from.
        const auto at = first.find("cluster written to ");
        ASSERT_NE(at, std::string::npos) << first;
        const auto path_start = at + std::strlen("cluster written to ");
        const std::string path =
            first.substr(path_start, first.find(" (replay:", path_start) - path_start);
        const auto replay = config::load_manifests({path});
        EXPECT_TRUE(replay.ok()) << path
                                 << (replay.ok() ? "" : ": " + replay.errors.front().to_string());
        EXPECT_EQ(replay.objects.pods.size(), c.pods.size());
        EXPECT_EQ(replay.objects.policies.size(), c.policies.size());
        EXPECT_GT(mismatches, 0u);
        return;
    }
    FAIL() << "no cluster among 200 seeds where dropping one port changes a verdict";
}

} // namespace
} // namespace podgate::differential
