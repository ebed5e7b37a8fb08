// Attribution from the compiled tables (classifier::attribute: the
// first selecting policy, in cluster order, whose own rules allow the flow on
// each isolated side) against the reference evaluator's, which asks the
// Kubernetes objects directly, on random adversarial clusters and a realistic
// one, over flows aimed at their edges. Every flow is compared, allowed or
// not: for a denied side both must say "none".
//
// Environment: PODGATE_DIFF_SEED (one cluster), PODGATE_DIFF_CLUSTERS,
// PODGATE_DIFF_FLOWS, PODGATE_DIFF_OUT as in differential_test.cpp.

#include "classifier/lookup/attribution.hpp"
#include "tests/differential/flow_source.hpp"
#include "tests/differential/harness.hpp"
#include "tests/support/synth/generate.hpp"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <cstdio>

namespace podgate::differential {
namespace {

using classifier::no_policy;

constexpr uint64_t default_clusters = 1000;
constexpr uint64_t default_flows = 2000;

// Dense clusters (many policies over few pods) stack the most policies on a
// pod; the default shape mixes everything.
synth::adversarial_params attribution_shape(uint64_t seed) {
    synth::adversarial_params p;
    p.seed = seed;
    if (seed % 2 == 1) {
        p.max_pods = 20;
        p.min_policies = 6;
        p.max_policies = 16;
    }
    return p;
}

struct attribution_tally {
    uint64_t flows = 0;
    uint64_t credited[2] = {0, 0}; // egress, ingress
    uint64_t not_first = 0;        // credited a policy other than the side's first selecting one
};

std::string policy_name(const config::cluster& c, uint32_t p) {
    return p == no_policy          ? "none"
           : p < c.policies.size() ? c.policies[p].qualified_name()
                                   : "#" + std::to_string(p);
}

// Compares compiled and reference attribution flow by flow; reports the first
// few mismatches (flow, both answers, the reference's explain, a replay
// file). `pick` gives the compiled answer, so a wrong one can be tested too.
template <typename Pick>
size_t compare_attribution(const context& ctx, const classifier::tables& t,
                           const classifier::reference::evaluator& reference,
                           const std::vector<classifier::flow>& flows, Pick pick,
                           attribution_tally& tally) {
    constexpr size_t max_reported = 3;
    size_t mismatches = 0;
    std::string replay;
    for (const auto& f : flows) {
        const auto want = reference.attribute(f);
        const classifier::attributed got = pick(f);
        ++tally.flows;
        const auto src = classifier::resolve(t, f.src);
        const auto dst = classifier::resolve(t, f.dst);
        const classifier::group_id groups[2] = {src.egress, dst.ingress};
        const uint32_t credited[2] = {want.egress, want.ingress};
        for (int s = 0; s < 2; ++s) {
            if (credited[s] != no_policy) {
                ++tally.credited[s];
                tally.not_first += credited[s] != t.names->group_policies.at(groups[s]).front();
            }
        }
        if (want.egress == got.egress && want.ingress == got.ingress) {
            continue;
        }
        if (++mismatches > max_reported) {
            continue;
        }
        if (replay.empty()) {
            replay = write_replay(*ctx.cluster, ctx.what);
        }
        const auto& c = *ctx.cluster;
        ADD_FAILURE() << ctx.what << ": flow " << describe(f) << "\n  reference: egress "
                      << policy_name(c, want.egress) << ", ingress " << policy_name(c, want.ingress)
                      << "\n  compiled:  egress " << policy_name(c, got.egress) << ", ingress "
                      << policy_name(c, got.ingress) << "\n  cluster written to " << replay
                      << "\n  reference explain:\n"
                      << reference.explain(f);
    }
    if (mismatches > max_reported) {
        ADD_FAILURE() << ctx.what << ": " << mismatches << " of " << flows.size()
                      << " flows differ (first " << max_reported << " shown)";
    }
    return mismatches;
}

// Compiles and compares; also checks that every side of every flow the
// compiled lookup allows is credited when it is isolated.
void check_attribution(const context& ctx, const std::vector<classifier::flow>& flows,
                       attribution_tally& tally) {
    const auto compiled = classifier::compile(*ctx.cluster);
    ASSERT_TRUE(compiled) << ctx.what << ": " << compiled.error();
    const classifier::tables& t = *compiled.value();
    const classifier::reference::evaluator reference(*ctx.cluster, {});
    compare_attribution(
        ctx, t, reference, flows,
        [&](const classifier::flow& f) { return classifier::attribute(t, f); }, tally);
    for (const auto& f : flows) {
        if (!classifier::lookup(t, f).allow) {
            continue;
        }
        const auto a = classifier::attribute(t, f);
        const bool egress_isolated =
            classifier::resolve(t, f.src).egress != classifier::not_isolated;
        const bool ingress_isolated =
            classifier::resolve(t, f.dst).ingress != classifier::not_isolated;
        ASSERT_EQ(a.egress != no_policy, egress_isolated) << ctx.what << ": " << describe(f);
        ASSERT_EQ(a.ingress != no_policy, ingress_isolated) << ctx.what << ": " << describe(f);
    }
}

TEST(attribution, compiled_equals_reference_on_adversarial_clusters) {
    const uint64_t only = env_u64("PODGATE_DIFF_SEED", 0);
    const uint64_t clusters = env_u64("PODGATE_DIFF_CLUSTERS", default_clusters);
    const uint64_t per_cluster = env_u64("PODGATE_DIFF_FLOWS", default_flows);
    const uint64_t first = only != 0 ? only : 1;
    const uint64_t last = only != 0 ? only + 1 : 1 + clusters;
    attribution_tally tally;
    for (uint64_t seed = first; seed < last; ++seed) {
        const config::cluster c = synth::generate_adversarial(attribution_shape(seed));
        const auto flows = flow_source(c, seed * 7919 + 3).take(per_cluster);
        check_attribution(
            {"attribution seed " + std::to_string(seed), &c, config::default_action::allow}, flows,
            tally);
        if (HasFailure()) {
            return; // one failing cluster is enough to read; the seed replays it
        }
    }
    std::printf(
        "[ attribution ] %llu flows; credited egress %llu, ingress %llu, not the first selecting "
        "policy %llu\n",
        static_cast<unsigned long long>(tally.flows),
        static_cast<unsigned long long>(tally.credited[0]),
        static_cast<unsigned long long>(tally.credited[1]),
        static_cast<unsigned long long>(tally.not_first));
    if (only == 0) {
        // The comparison proves little unless both sides were credited, and
        // often a policy that is not simply the first selecting one.
        EXPECT_GT(tally.credited[0], 0u);
        EXPECT_GT(tally.credited[1], 0u);
        EXPECT_GT(tally.not_first, tally.flows / 1000);
    }
}

TEST(attribution, compiled_equals_reference_on_a_scale_cluster) {
    const config::cluster c =
        synth::generate_scale({.pods = 1500, .policies = 150, .namespaces = 30, .seed = 21});
    const auto flows = flow_source(c, 21).take(env_u64("PODGATE_DIFF_FLOWS", default_flows) * 4);
    attribution_tally tally;
    check_attribution({"attribution scale seed 21", &c, config::default_action::allow}, flows,
                      tally);
    std::printf(
        "[ attribution scale ] %llu flows; credited egress %llu, ingress %llu, not first %llu\n",
        static_cast<unsigned long long>(tally.flows),
        static_cast<unsigned long long>(tally.credited[0]),
        static_cast<unsigned long long>(tally.credited[1]),
        static_cast<unsigned long long>(tally.not_first));
    EXPECT_GT(tally.credited[0] + tally.credited[1], 0u);
}

// The comparison must catch a wrong rule: crediting the *last* admitting
// policy instead of the first differs from the reference on these flows.
TEST(attribution, a_last_instead_of_first_attribution_is_reported) {
    const auto last_admitting = [](const classifier::tables& t, classifier::group_id g,
                                   classifier::identity_id peer, const classifier::flow& f) {
        uint32_t found = no_policy;
        if (g == classifier::not_isolated) {
            return found;
        }
        for (uint32_t k = t.attribution_first[g]; k < t.attribution_first[g + 1]; ++k) {
            const auto& p = t.attribution[k];
            if (classifier::row_has(t, classifier::side_row(t, p.rows, f.proto, f.dport), peer)) {
                found = p.policy;
            }
        }
        return found;
    };
    size_t mismatches = 0;
    for (uint64_t seed = 1; seed < 40 && mismatches == 0; ++seed) {
        const config::cluster c = synth::generate_adversarial(attribution_shape(seed));
        const auto compiled = classifier::compile(c);
        ASSERT_TRUE(compiled) << compiled.error();
        const classifier::tables& t = *compiled.value();
        const auto flows = flow_source(c, seed).take(default_flows);
        const auto wrong = [&](const classifier::flow& f) {
            const auto src = classifier::resolve(t, f.src);
            const auto dst = classifier::resolve(t, f.dst);
            return classifier::attributed{last_admitting(t, src.egress, dst.identity, f),
                                          last_admitting(t, dst.ingress, src.identity, f)};
        };
        attribution_tally tally;
        ::testing::TestPartResultArray reported;
        {
            const ::testing::ScopedFakeTestPartResultReporter capture(
                ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD,
                &reported);
            mismatches = compare_attribution(
                {"self-test seed " + std::to_string(seed), &c, config::default_action::allow}, t,
                classifier::reference::evaluator(c, {}), flows, wrong, tally);
        }
        if (mismatches > 0) {
            ASSERT_GT(reported.size(), 0);
            const std::string first = reported.GetTestPartResult(0).message();
            EXPECT_NE(first.find("reference explain:"), std::string::npos) << first;
            EXPECT_NE(first.find("cluster written to "), std::string::npos) << first;
        }
    }
    EXPECT_GT(mismatches, 0u) << "no flow among 39 clusters has two admitting policies on one side";
}

} // namespace
} // namespace podgate::differential
