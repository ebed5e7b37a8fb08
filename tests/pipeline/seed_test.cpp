// Case 1, the seed: db accepts only api on TCP 3306 and may start nothing
// itself (egress deny-all), so a reply from db passes only as a conntrack hit.
#include "tests/pipeline/clusters.hpp"
#include "tests/pipeline/data_plane.hpp"

#include <gtest/gtest.h>

namespace podgate::pipetest {
namespace {

using classifier::verdict_reason;
namespace tf = tcp_flags;

class seed : public ::testing::Test {
  protected:
    void SetUp() override { dp.publish(compile(seed_cluster(), 1)); }
    data_plane dp;
};

TEST_F(seed, allowed_syn_creates_entry_and_reply_is_a_conntrack_hit) {
    ASSERT_TRUE(dp.send1(tcp4(api_v4, db_v4, 40000, 3306, tf::syn), t0()));
    EXPECT_EQ(dp.ct_size(), 1u);
    EXPECT_EQ(dp.counters().ct_creates.get(), 1u);
    EXPECT_EQ(dp.counters().new_flows_allowed.get(), 1u);
    EXPECT_EQ(dp.counters().ct_hits.get(), 0u);

    EXPECT_TRUE(dp.send1(tcp4(db_v4, api_v4, 3306, 40000, tf::syn_ack), t0()));
    EXPECT_EQ(dp.counters().ct_hits.get(), 1u);
    EXPECT_EQ(dp.counters().policy_lookups.get(), 1u)
        << "the reply must not be looked up as a new flow";
    EXPECT_EQ(dp.ct_size(), 1u);
    EXPECT_EQ(dp.counters().rx.get(), 2u);
    EXPECT_EQ(dp.counters().port_rx[0].get(), 2u);
    EXPECT_EQ(dp.total_drops(), 0u);
}

TEST_F(seed, the_same_syn_ack_without_a_connection_is_denied_by_db_egress) {
    // Proves the reply above passed because of conntrack, not policy.
    EXPECT_FALSE(dp.send1(tcp4(db_v4, api_v4, 3306, 40000, tf::syn_ack), t0()));
    EXPECT_EQ(dp.drops(verdict_reason::policy_egress), 1u);
    EXPECT_EQ(dp.ct_size(), 0u);
}

TEST_F(seed, frontend_to_db_is_dropped_as_ingress) {
    EXPECT_FALSE(dp.send1(tcp4(frontend_v4, db_v4, 40001, 3306, tf::syn), t0()));
    EXPECT_EQ(dp.drops(verdict_reason::policy_ingress), 1u);
    EXPECT_EQ(dp.total_drops(), 1u);
    EXPECT_EQ(dp.counters().new_flows_allowed.get(), 0u);
    EXPECT_EQ(dp.ct_size(), 0u);
}

TEST_F(seed, api_to_db_on_another_port_is_dropped_as_ingress) {
    EXPECT_FALSE(dp.send1(tcp4(api_v4, db_v4, 40002, 3307, tf::syn), t0()));
    EXPECT_EQ(dp.drops(verdict_reason::policy_ingress), 1u);
    EXPECT_EQ(dp.ct_size(), 0u);
}

TEST_F(seed, a_full_conversation_in_both_families) {
    const std::vector<frame> v4 = {
        tcp4(api_v4, db_v4, 40003, 3306, tf::syn),
        tcp4(db_v4, api_v4, 3306, 40003, tf::syn_ack),
        tcp4(api_v4, db_v4, 40003, 3306, tf::ack),
        tcp4(db_v4, api_v4, 3306, 40003, tf::ack),
        tcp4(api_v4, db_v4, 40003, 3306, tf::fin_ack),
        tcp4(db_v4, api_v4, 3306, 40003, tf::fin_ack),
    };
    const std::vector<frame> v6 = {
        tcp6(api_v6, db_v6, 40003, 3306, tf::syn),
        tcp6(db_v6, api_v6, 3306, 40003, tf::syn_ack),
        tcp6(api_v6, db_v6, 40003, 3306, tf::ack),
        tcp6(frontend_v6, db_v6, 40004, 3306, tf::syn),
    };
    // One packet per burst: every later packet is a conntrack hit (in one
    // burst they would follow the entry created earlier in it; see burst_test).
    EXPECT_EQ(dp.send(v4, t0(), 1), std::vector<bool>(6, true));
    EXPECT_EQ(dp.send(v6, t0(), 1), (std::vector<bool>{true, true, true, false}));
    EXPECT_EQ(dp.counters().ct_creates.get(), 2u);
    EXPECT_EQ(dp.counters().ct_hits.get(), 7u);
    EXPECT_EQ(dp.drops(verdict_reason::policy_ingress), 1u);
    EXPECT_EQ(dp.ct_size(), 2u);
}

} // namespace
} // namespace podgate::pipetest
