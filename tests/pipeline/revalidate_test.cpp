// Case 5: a table change reaches flows conntrack already admitted. With
// established=revalidate an entry admitted under an older generation is
// re-checked (in its original direction) on its next packet; with keep it
// stays until it expires.
#include "tests/pipeline/clusters.hpp"
#include "tests/pipeline/data_plane.hpp"

#include <gtest/gtest.h>

namespace podgate::pipetest {
namespace {

using classifier::verdict_reason;
using pipeline::established_policy;
namespace tf = tcp_flags;

// Generation 2 without the allow: db isolated both ways with no rule.
config::cluster revoked_cluster() {
    return load(yaml({pods_yaml(), ingress_deny_all("db"), egress_deny_all("db")}));
}
// Generation 2 that still allows api -> db:3306, among other changes.
config::cluster still_allowed_cluster() {
    return load(
        yaml({pods_yaml(), db_allows_api(3306), db_allows_frontend(5432), egress_deny_all("db")}));
}

class revalidation : public ::testing::TestWithParam<established_policy> {
  protected:
    static pipeline::worker_config cfg() {
        auto c = small_config();
        c.established = GetParam();
        return c;
    }
    void establish(uint16_t sport) {
        ASSERT_TRUE(dp.send1(tcp4(api_v4, db_v4, sport, 3306, tf::syn), t0()));
        ASSERT_TRUE(dp.send1(tcp4(db_v4, api_v4, 3306, sport, tf::syn_ack), t0()));
    }
    bool revalidates() const { return GetParam() == established_policy::revalidate; }
    data_plane dp{cfg()};
};

TEST_P(revalidation, a_revoked_flow_is_dropped_only_under_revalidate) {
    dp.publish(compile(seed_cluster(), 1));
    establish(44000);
    EXPECT_EQ(dp.counters().ct_revalidated.get(), 0u) << "same generation: nothing to re-check";

    dp.publish(compile(revoked_cluster(), 2));
    // A brand-new flow sees generation 2 in both modes.
    EXPECT_FALSE(dp.send1(tcp4(api_v4, db_v4, 44001, 3306, tf::syn), t0()));
    EXPECT_EQ(dp.drops(verdict_reason::policy_ingress), 1u);

    EXPECT_EQ(dp.send1(tcp4(api_v4, db_v4, 44000, 3306, tf::ack), t0()), !revalidates());
    EXPECT_EQ(dp.counters().ct_revalidated.get(), revalidates() ? 1u : 0u);
    EXPECT_EQ(dp.counters().ct_revoked.get(), revalidates() ? 1u : 0u);
    EXPECT_EQ(dp.drops(verdict_reason::policy_ingress), revalidates() ? 2u : 1u);
    EXPECT_EQ(dp.ct_size(), revalidates() ? 0u : 1u);
    // Revoked: db's answer is a new flow from db now, and db may start nothing.
    EXPECT_EQ(dp.send1(tcp4(db_v4, api_v4, 3306, 44000, tf::ack), t0()), !revalidates());
    EXPECT_EQ(dp.drops(verdict_reason::policy_egress), revalidates() ? 1u : 0u);
    EXPECT_EQ(dp.counters().ct_revoked.get(), revalidates() ? 1u : 0u);
}

TEST_P(revalidation, a_flow_allowed_by_both_generations_keeps_passing) {
    dp.publish(compile(seed_cluster(), 1));
    establish(44100);
    dp.publish(compile(still_allowed_cluster(), 2));
    // The first packet after the change is db's answer: the re-check must use
    // the flow's original direction (api -> db), which db's egress deny-all
    // would refuse the other way round.
    EXPECT_TRUE(dp.send1(tcp4(db_v4, api_v4, 3306, 44100, tf::ack), t0()));
    EXPECT_TRUE(dp.send1(tcp4(api_v4, db_v4, 44100, 3306, tf::ack), t0()));
    EXPECT_EQ(dp.counters().ct_revalidated.get(), revalidates() ? 1u : 0u)
        << "once per entry and generation";
    EXPECT_EQ(dp.counters().ct_revoked.get(), 0u);
    EXPECT_EQ(dp.total_drops(), 0u);

    dp.publish(compile(seed_cluster(), 3));
    EXPECT_TRUE(dp.send1(tcp4(api_v4, db_v4, 44100, 3306, tf::ack), t0()));
    EXPECT_EQ(dp.counters().ct_revalidated.get(), revalidates() ? 2u : 0u);
    EXPECT_EQ(dp.counters().ct_revoked.get(), 0u);
    EXPECT_EQ(dp.ct_size(), 1u);
}

TEST_P(revalidation, a_revoked_flow_is_found_out_by_its_reply_too) {
    // frontend -> db:5432 allowed in generation 1, gone in generation 2.
    dp.publish(compile(still_allowed_cluster(), 1));
    ASSERT_TRUE(dp.send1(tcp4(frontend_v4, db_v4, 44200, 5432, tf::syn), t0()));
    dp.publish(compile(seed_cluster(), 2));
    const std::vector<frame> both = {tcp4(db_v4, frontend_v4, 5432, 44200, tf::syn_ack),
                                     tcp4(frontend_v4, db_v4, 44200, 5432, tf::ack)};
    EXPECT_EQ(dp.send(both, t0(), 1), std::vector<bool>(2, !revalidates()));
    EXPECT_EQ(dp.counters().ct_revoked.get(), revalidates() ? 1u : 0u);
}

INSTANTIATE_TEST_SUITE_P(established, revalidation,
                         ::testing::Values(established_policy::revalidate,
                                           established_policy::keep),
                         [](const auto& info) {
                             return info.param == established_policy::revalidate ? "revalidate"
                                                                                 : "keep";
                         });

// Regression (fixed; pipeline/worker/burst.cpp, step 2 + revalidate): both packets hit the
// same position in the bulk lookup. The first revokes and removes the entry;
// for the second, revalidate() finds no key at that position any more
// (rte_hash_get_key_with_position fails) and answers "still valid", so the
// second packet of a revoked flow passes, and touch() writes into the freed
// entry. Fails until fixed.
TEST(revalidation_burst, two_packets_of_a_revoked_flow_in_one_burst_are_both_dropped) {
    data_plane dp;
    dp.publish(compile(seed_cluster(), 1));
    ASSERT_TRUE(dp.send1(tcp4(api_v4, db_v4, 44300, 3306, tf::syn), t0()));
    dp.publish(compile(revoked_cluster(), 2));
    EXPECT_EQ(dp.send({tcp4(api_v4, db_v4, 44300, 3306, tf::ack),
                       tcp4(api_v4, db_v4, 44300, 3306, tf::ack)},
                      t0()),
              (std::vector<bool>{false, false}));
    EXPECT_EQ(dp.drops(verdict_reason::policy_ingress), 2u);
    EXPECT_EQ(dp.ct_size(), 0u);
    // One entry was re-checked and revoked, once.
    EXPECT_EQ(dp.counters().ct_revoked.get(), 1u);
    EXPECT_EQ(dp.counters().ct_revalidated.get(), 1u);
}

} // namespace
} // namespace podgate::pipetest
