// The incremental compiler against the reference evaluator: a random cluster
// is compiled without some of its pods, then walked through random pod
// changes (pods come back, replicas with fresh addresses, removals, new IPs,
// labels copied from a neighbour, reordering) and the odd policy change; after
// every step the updated tables must give the reference's verdict for the
// step's cluster on flows aimed at its edges, through lookup and
// lookup_burst. The pod-table patching (insert, backward-shift erase, regrow)
// is also checked against a model on tables small enough to collide.
//
// Environment: PODGATE_DIFF_SEED (one cluster), PODGATE_DIFF_CLUSTERS,
// PODGATE_DIFF_FLOWS, PODGATE_DIFF_OUT as in differential_test.cpp.

#include "classifier/compile/incremental.hpp"
#include "classifier/compile/pod_slots.hpp"
#include "tests/differential/flow_source.hpp"
#include "tests/differential/harness.hpp"
#include "tests/support/synth/generate.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <map>

namespace podgate::differential {
namespace {

constexpr uint64_t default_clusters = 300;
constexpr uint64_t default_flows = 800;
constexpr int steps_per_cluster = 8;

struct walk {
    synth::random r;
    config::cluster full; // every pod the walk may bring back
    uint32_t fresh = 0;   // counter for new names and addresses

    ip_address fresh_address(ip_family f) {
        ++fresh;
        // 10.250/16 and fd00:250::/96: outside the generator's pod ranges, and
        // sometimes inside an ipBlock, which is what makes identities differ.
        return f == ip_family::v4 ? ip_address::v4(0x0afa0000u + fresh)
                                  : ip_address::v6((u128{0xfd00025000000000ull} << 64) + fresh);
    }

    // One random change of the pods of `c`; returns what it did.
    std::string mutate_pods(config::cluster& c) {
        auto& pods = c.pods;
        const auto find = [&](const config::pod& p) {
            return std::find_if(pods.begin(), pods.end(), [&](const config::pod& q) {
                return q.ns == p.ns && q.name == p.name;
            });
        };
        switch (r.below(6)) {
        case 0: { // a pod of the full cluster comes back (or is re-added)
            const config::pod& p = r.pick(full.pods);
            if (find(p) == pods.end()) {
                pods.insert(pods.begin() + static_cast<long>(r.below(pods.size() + 1)), p);
                return "add " + p.qualified_name();
            }
            return "none";
        }
        case 1: { // a replica: same labels and ports, new name and addresses
            if (pods.empty()) {
                return "none";
            }
            config::pod p = r.pick(pods);
            p.name += "-r" + std::to_string(++fresh);
            for (auto& a : p.ips) {
                a = fresh_address(a.family);
            }
            pods.push_back(p);
            return "replica " + p.qualified_name();
        }
        case 2: { // a pod goes away
            if (pods.empty()) {
                return "none";
            }
            const size_t i = r.below(pods.size());
            const std::string name = pods[i].qualified_name();
            pods.erase(pods.begin() + static_cast<long>(i));
            return "remove " + name;
        }
        case 3: { // rescheduled: new addresses
            if (pods.empty()) {
                return "none";
            }
            config::pod& p = pods[r.below(pods.size())];
            for (auto& a : p.ips) {
                a = fresh_address(a.family);
            }
            return "readdress " + p.qualified_name();
        }
        case 4: { // relabelled like another pod of its namespace
            if (pods.empty()) {
                return "none";
            }
            config::pod& p = pods[r.below(pods.size())];
            const config::pod& like = pods[r.below(pods.size())];
            if (like.ns == p.ns) {
                p.labels = like.labels;
            } else {
                p.terminated = true; // a phase change instead (never back: its IP may be reused)
            }
            return "relabel " + p.qualified_name();
        }
        default: { // the manifests reordered
            if (pods.size() > 1) {
                std::swap(pods[r.below(pods.size())], pods[r.below(pods.size())]);
            }
            return "reorder";
        }
        }
    }
};

// "pod ns/name forms a new identity" -> "pod * forms a new identity".
std::string reason_kind(const std::string& why) {
    if (why.rfind("pod ", 0) != 0) {
        return why;
    }
    return "pod *" + why.substr(why.find(' ', 4));
}

size_t endpoint_count(const config::cluster& c) {
    return static_cast<size_t>(std::count_if(c.pods.begin(), c.pods.end(),
                                             [](const config::pod& p) { return p.is_endpoint(); }));
}

// An address no pod uses that differs from `a` only in its last byte.
ip_address unused_neighbour(const config::cluster& c, ip_address a) {
    for (unsigned low = 1; low < 255; ++low) {
        ip_address candidate = a;
        candidate.value = (a.value & ~u128{0xff}) | low;
        const bool used = std::any_of(c.pods.begin(), c.pods.end(), [&](const config::pod& p) {
            return std::find(p.ips.begin(), p.ips.end(), candidate) != p.ips.end();
        });
        if (!used) {
            return candidate;
        }
    }
    return a;
}

TEST(incremental, updated_tables_equal_reference) {
    const uint64_t only = env_u64("PODGATE_DIFF_SEED", 0);
    const uint64_t clusters = env_u64("PODGATE_DIFF_CLUSTERS", default_clusters);
    const uint64_t flows_per_step = env_u64("PODGATE_DIFF_FLOWS", default_flows);
    uint64_t steps = 0, incremental = 0, failed = 0, compared = 0, sealed_pairs = 0;
    std::map<std::string, uint64_t> full_reasons;
    for (uint64_t seed = only ? only : 1; seed <= (only ? only : clusters); ++seed) {
        synth::adversarial_params shape;
        shape.seed = seed;
        walk w{synth::random(seed * 31 + 7), synth::generate_adversarial(shape)};
        auto current = std::make_shared<config::cluster>(w.full);
        // Start without about a third of the pods, so later ones arrive.
        std::erase_if(current->pods, [&](const config::pod&) { return w.r.chance(0.35); });
        const auto non_pod =
            seed % 2 ? config::default_action::allow : config::default_action::deny;
        classifier::compile_options opt;
        opt.non_pod_traffic = non_pod;
        classifier::incremental_compiler compiler;
        if (w.r.chance(0.5)) {
            current->seal();
        }
        ASSERT_TRUE(compiler.compile(current, opt)) << "seed " << seed;
        std::string history;
        for (int step = 0; step < steps_per_cluster; ++step) {
            auto next = std::make_shared<config::cluster>(*current); // a copy starts unsealed
            const int changes = 1 + static_cast<int>(w.r.below(3));
            for (int i = 0; i < changes; ++i) {
                history += " " + w.mutate_pods(*next);
            }
            if (w.r.chance(0.05) && !next->policies.empty()) {
                next->policies.pop_back(); // the full-compile path must hand over state too
                history += " drop-policy";
            }
            // Mostly sealed, as the loader returns them: both diffs, and the
            // mix of a sealed and an unsealed snapshot, get their share.
            if (w.r.chance(0.7)) {
                next->seal();
                history += " sealed";
                sealed_pairs += current->packed_pods.covers(current->pods.size());
            }
            opt.generation = static_cast<uint64_t>(step) + 2;
            auto result = compiler.update(next, opt);
            ++steps;
            if (!result) {
                // Only a clash of addresses may fail; the generator never makes one.
                ++failed;
                ADD_FAILURE() << "seed " << seed << " step " << step << ":" << history << ": "
                              << result.error();
                return;
            }
            const auto& report = compiler.last_report();
            incremental += report.incremental;
            if (!report.incremental) {
                ++full_reasons[reason_kind(report.full_reason)];
            }
            EXPECT_EQ(result.value()->stats.incremental, report.incremental);
            EXPECT_EQ(result.value()->stats.pods, endpoint_count(*next));
            EXPECT_EQ(result.value()->generation, opt.generation);
            const context ctx{"incremental seed " + std::to_string(seed) + " step " +
                                  std::to_string(step) +
                                  (report.incremental ? " (patched)" : " (full)") + ":" + history,
                              next.get(), non_pod};
            const classifier::reference::evaluator reference(*next, {non_pod});
            const auto flows =
                flow_source(*next, seed * 131 + static_cast<uint64_t>(step)).take(flows_per_step);
            const auto expected = evaluate_all(reference, flows);
            compare_verdicts(ctx, reference, flows, expected, lookup_all(*result.value(), flows),
                             "lookup");
            compare_verdicts(ctx, reference, flows, expected,
                             lookup_burst_all(*result.value(), flows), "lookup_burst");
            compared += flows.size();
            if (HasFailure()) {
                return;
            }
            current = next;
        }
    }
    std::printf(
        "[ incremental ] %llu updates (%llu between sealed snapshots), %llu patched, %llu full, "
        "%llu flows compared\n",
        static_cast<unsigned long long>(steps), static_cast<unsigned long long>(sealed_pairs),
        static_cast<unsigned long long>(incremental),
        static_cast<unsigned long long>(steps - incremental),
        static_cast<unsigned long long>(compared));
    for (const auto& [why, n] : full_reasons) {
        std::printf("  full compile, %s: %llu\n", why.c_str(), static_cast<unsigned long long>(n));
    }
    EXPECT_EQ(failed, 0u);
    if (only == 0) {
        // Both paths must be exercised, or the comparison proves nothing.
        EXPECT_GT(incremental, steps / 4);
        EXPECT_GT(steps - incremental, steps / 20);
        EXPECT_GT(sealed_pairs, steps / 4);
    }
}

// Sealed bytes are equal exactly when the objects are: every pair of pods
// and of policies of adversarial clusters (which share labels, selectors and
// ports on purpose), compared both ways.
TEST(incremental, packed_bytes_equal_exactly_when_meaning_does) {
    uint64_t equal_pods = 0, equal_policies = 0, pairs = 0;
    for (uint64_t seed = 1; seed <= 40; ++seed) {
        synth::adversarial_params shape;
        shape.seed = seed;
        config::cluster c = synth::generate_adversarial(shape);
        // Twins under other names would never compare equal; give some pods
        // and policies a twin with the same name, then drift a field.
        walk w{synth::random(seed), c};
        const size_t pods = c.pods.size();
        for (size_t i = 0; i < pods && i < c.pods.size(); i += 3) {
            config::pod twin = c.pods[i];
            if (w.r.chance(0.5)) {
                w.mutate_pods(c); // may readdress, relabel, end or reorder pods
            }
            c.pods.push_back(std::move(twin));
        }
        const size_t policies = c.policies.size();
        for (size_t i = 0; i < policies; i += 2) {
            config::network_policy twin = c.policies[i];
            if (w.r.chance(0.5) && !twin.ingress.empty()) {
                twin.ingress.front().ports.push_back({});
            } else if (w.r.chance(0.5)) {
                twin.pod_selector.match_labels["drift"] = "x";
            }
            c.policies.push_back(std::move(twin));
        }
        c.seal();
        ASSERT_TRUE(c.packed_pods.covers(c.pods.size()));
        ASSERT_TRUE(c.packed_policies.covers(c.policies.size()));
        for (size_t i = 0; i < c.pods.size(); ++i) {
            for (size_t j = i + 1; j < c.pods.size(); ++j) {
                const auto& a = c.pods[i];
                const auto& b = c.pods[j];
                const bool same = a.ns == b.ns && a.name == b.name && a.same_meaning(b);
                ASSERT_EQ(c.packed_pods.at(i) == c.packed_pods.at(j), same)
                    << "seed " << seed << ": " << a.qualified_name() << " vs "
                    << b.qualified_name();
                equal_pods += same;
                ++pairs;
            }
        }
        for (size_t i = 0; i < c.policies.size(); ++i) {
            for (size_t j = i + 1; j < c.policies.size(); ++j) {
                const bool same = c.policies[i].same_meaning(c.policies[j]);
                ASSERT_EQ(c.packed_policies.at(i) == c.packed_policies.at(j), same)
                    << "seed " << seed << ": " << c.policies[i].qualified_name();
                equal_policies += same;
                ++pairs;
            }
        }
        const config::cluster copy = c;
        EXPECT_FALSE(copy.packed_pods.covers(copy.pods.size()) && !copy.pods.empty());
        const config::cluster moved = std::move(c);
        EXPECT_TRUE(moved.packed_pods.covers(moved.pods.size()));
    }
    std::printf("[ packed ] %llu pairs, %llu equal pods, %llu equal policies\n",
                static_cast<unsigned long long>(pairs), static_cast<unsigned long long>(equal_pods),
                static_cast<unsigned long long>(equal_policies));
    // Both answers must occur, or the comparison proves nothing.
    EXPECT_GT(equal_pods, 20u);
    EXPECT_GT(equal_policies, 20u);
}

// Replicas of one Deployment on a realistic cluster: each update must be
// patched, not recompiled, and still agree with the reference.
TEST(incremental, replicas_of_a_scale_cluster_are_patched) {
    auto c = std::make_shared<config::cluster>(
        synth::generate_scale({.pods = 1500, .policies = 150, .namespaces = 30, .seed = 5}));
    classifier::incremental_compiler compiler;
    ASSERT_TRUE(compiler.compile(c, {}));
    walk w{synth::random(5), *c};
    for (int step = 0; step < 20; ++step) {
        auto next = std::make_shared<config::cluster>(*c);
        config::pod p = next->pods[w.r.below(next->pods.size())];
        if (!p.is_endpoint()) {
            continue;
        }
        p.name += "-replica-" + std::to_string(step);
        for (auto& a : p.ips) {
            a = unused_neighbour(*next, a); // from the same pod range, as a CNI would give
        }
        next->pods.push_back(p);
        auto result = compiler.update(next, {});
        ASSERT_TRUE(result) << result.error();
        const auto& report = compiler.last_report();
        EXPECT_TRUE(report.incremental) << report.full_reason;
        EXPECT_EQ(report.pods_added, 1u);
        EXPECT_EQ(report.pods_removed + report.pods_changed, 0u);
        EXPECT_EQ(result.value()->stats.pods, endpoint_count(*next));
        const context ctx{"scale replica step " + std::to_string(step), next.get(),
                          config::default_action::allow};
        const classifier::reference::evaluator reference(*next, {});
        const auto flows = flow_source(*next, 1000 + static_cast<uint64_t>(step)).take(2000);
        compare_verdicts(ctx, reference, flows, evaluate_all(reference, flows),
                         lookup_all(*result.value(), flows), "lookup");
        if (HasFailure()) {
            return;
        }
        c = next;
    }
}

// A clash of addresses is refused whole: the error names the pod, and the next
// update still starts from the last good state.
TEST(incremental, address_clash_is_refused_and_state_kept) {
    auto c = std::make_shared<config::cluster>(
        synth::generate_scale({.pods = 200, .policies = 20, .namespaces = 5, .seed = 9}));
    classifier::incremental_compiler compiler;
    ASSERT_TRUE(compiler.compile(c, {}));
    auto bad = std::make_shared<config::cluster>(*c);
    config::pod twin = bad->pods.front();
    twin.name += "-twin";
    bad->pods.push_back(twin); // same addresses as the original
    const auto refused = compiler.update(bad, {});
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().find("more than one pod"), std::string::npos) << refused.error();
    EXPECT_NE(refused.error().find(twin.qualified_name()), std::string::npos) << refused.error();

    auto good = std::make_shared<config::cluster>(*c);
    good->pods.pop_back();
    const auto accepted = compiler.update(good, {});
    ASSERT_TRUE(accepted) << accepted.error();
    EXPECT_TRUE(compiler.last_report().incremental) << compiler.last_report().full_reason;
    const classifier::reference::evaluator reference(*good, {});
    const auto flows = flow_source(*good, 77).take(3000);
    const context ctx{"after a refused clash", good.get(), config::default_action::allow};
    compare_verdicts(ctx, reference, flows, evaluate_all(reference, flows),
                     lookup_all(*accepted.value(), flows), "lookup");
}

// Insert / erase / find on tables of 8..64 slots (every probe chain wraps and
// collides) against a std::map, through thousands of random operations.
TEST(pod_slots, insert_erase_match_a_model) {
    using namespace classifier::compile_detail;
    synth::random r(42);
    for (uint32_t capacity : {8u, 16u, 64u}) {
        auto slots = empty_pod_table<classifier::pod_slot_v4>(capacity);
        std::map<uint32_t, uint32_t> model; // addr -> identity
        for (int op = 0; op < 20000; ++op) {
            // Few distinct addresses, so erases hit and inserts clash.
            const auto addr = static_cast<uint32_t>(r.below(capacity * 3) * 0x01000001u);
            if (r.chance(0.5) && model.size() < capacity / 2) {
                const bool fresh = insert_pod_slot(
                    slots, classifier::pod_slot_v4{addr, static_cast<uint32_t>(op), 0, 0});
                ASSERT_EQ(fresh, model.emplace(addr, op).second)
                    << "capacity " << capacity << " op " << op;
            } else {
                ASSERT_EQ(erase_pod_slot(slots, addr), model.erase(addr) == 1)
                    << "capacity " << capacity;
            }
            for (uint32_t probe = 0; probe < capacity * 3; ++probe) {
                const uint32_t a = probe * 0x01000001u;
                const auto* s = find_pod_slot(slots, a);
                const auto it = model.find(a);
                ASSERT_EQ(s != nullptr, it != model.end())
                    << "capacity " << capacity << " op " << op;
                if (s) {
                    ASSERT_EQ(s->identity, it->second);
                }
            }
        }
    }
}

} // namespace
} // namespace podgate::differential
