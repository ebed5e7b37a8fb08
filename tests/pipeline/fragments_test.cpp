// Case 3: fragments are never reassembled; the first fragment's verdict is
// kept for the later ones of its datagram (src, dst, protocol, id).
#include "tests/pipeline/clusters.hpp"
#include "tests/pipeline/data_plane.hpp"

#include <gtest/gtest.h>

namespace podgate::pipetest {
namespace {

using classifier::verdict_reason;
namespace tf = tcp_flags;

class fragments : public ::testing::Test {
  protected:
    void SetUp() override { dp.publish(compile(seed_cluster(), 1)); }
    data_plane dp;
};

TEST_F(fragments, later_fragments_follow_an_allowed_first_fragment) {
    EXPECT_TRUE(dp.send1(tcp4_first_fragment(api_v4, db_v4, 40000, 3306, 100), t0()));
    EXPECT_EQ(dp.counters().frag_tracked.get(), 1u);
    EXPECT_TRUE(dp.send1(tcp4_later_fragment(api_v4, db_v4, 100, 3, true), t0()));
    EXPECT_TRUE(dp.send1(tcp4_later_fragment(api_v4, db_v4, 100, 5, false), t0()));
    EXPECT_EQ(dp.counters().frag_followed.get(), 2u);
    EXPECT_EQ(dp.total_drops(), 0u);
    EXPECT_EQ(dp.counters().policy_lookups.get(), 1u);
}

TEST_F(fragments, later_fragments_of_a_denied_first_fragment_are_dropped) {
    EXPECT_FALSE(dp.send1(tcp4_first_fragment(frontend_v4, db_v4, 40001, 3306, 101), t0()));
    EXPECT_EQ(dp.drops(verdict_reason::policy_ingress), 1u);
    EXPECT_EQ(dp.counters().frag_tracked.get(), 1u);
    EXPECT_FALSE(dp.send1(tcp4_later_fragment(frontend_v4, db_v4, 101, 3, true), t0()));
    EXPECT_FALSE(dp.send1(tcp4_later_fragment(frontend_v4, db_v4, 101, 5, false), t0()));
    EXPECT_EQ(dp.drops(verdict_reason::fragment_denied), 2u);
    EXPECT_EQ(dp.counters().frag_followed.get(), 0u);
}

TEST_F(fragments, a_later_fragment_without_its_first_is_an_orphan) {
    EXPECT_FALSE(dp.send1(tcp4_later_fragment(api_v4, db_v4, 102, 3, true), t0()));
    EXPECT_EQ(dp.drops(verdict_reason::fragment_orphan), 1u);
    // Arriving first does not make it follow the first fragment that comes later.
    EXPECT_TRUE(dp.send1(tcp4_first_fragment(api_v4, db_v4, 40002, 3306, 102), t0()));
    // Same id, other source: another datagram.
    EXPECT_FALSE(dp.send1(tcp4_later_fragment(frontend_v4, db_v4, 102, 3, false), t0()));
    EXPECT_EQ(dp.drops(verdict_reason::fragment_orphan), 2u);
}

TEST_F(fragments, ipv6_fragments_follow_their_first_fragment) {
    // UDP api -> db is denied (db accepts TCP 3306 only); api -> frontend is allowed.
    EXPECT_TRUE(dp.send1(udp6_first_fragment(api_v6, frontend_v6, 5000, 53, 0xabcdef01), t0()));
    EXPECT_FALSE(dp.send1(udp6_first_fragment(api_v6, db_v6, 5000, 53, 0xabcdef02), t0()));
    EXPECT_EQ(dp.send({udp6_later_fragment(api_v6, frontend_v6, 0xabcdef01, 3, false),
                       udp6_later_fragment(api_v6, db_v6, 0xabcdef02, 3, false),
                       udp6_later_fragment(api_v6, db_v6, 0xabcdef03, 3, false)},
                      t0()),
              (std::vector<bool>{true, false, false}));
    EXPECT_EQ(dp.counters().frag_followed.get(), 1u);
    EXPECT_EQ(dp.drops(verdict_reason::fragment_denied), 1u);
    EXPECT_EQ(dp.drops(verdict_reason::fragment_orphan), 1u);
    EXPECT_EQ(dp.drops(verdict_reason::policy_ingress), 1u);
}

TEST_F(fragments, a_first_fragment_and_its_followers_in_one_burst) {
    EXPECT_EQ(
        dp.send({tcp4_first_fragment(api_v4, db_v4, 40003, 3306, 103),
                 tcp4_later_fragment(api_v4, db_v4, 104, 3, false), // orphan: id 104 has no first
                 tcp4_first_fragment(frontend_v4, db_v4, 40004, 3306, 105)},
                t0()),
        (std::vector<bool>{true, false, false}));
    EXPECT_EQ(dp.send({tcp4_later_fragment(api_v4, db_v4, 103, 3, false),
                       tcp4_later_fragment(frontend_v4, db_v4, 105, 3, false)},
                      t0()),
              (std::vector<bool>{true, false}));
    EXPECT_EQ(dp.counters().frag_tracked.get(), 2u);
    EXPECT_EQ(dp.counters().frag_followed.get(), 1u);
    EXPECT_EQ(dp.drops(verdict_reason::fragment_orphan), 1u);
    EXPECT_EQ(dp.drops(verdict_reason::fragment_denied), 1u);
}

TEST_F(fragments, later_fragments_in_the_burst_of_their_first_fragment_follow_it) {
    // Whatever their order inside the burst: the burst is one instant.
    EXPECT_EQ(dp.send({tcp4_later_fragment(api_v4, db_v4, 110, 5, false),
                       tcp4_first_fragment(api_v4, db_v4, 40010, 3306, 110),
                       tcp4_later_fragment(api_v4, db_v4, 110, 3, true),
                       tcp4_first_fragment(frontend_v4, db_v4, 40011, 3306, 111),
                       tcp4_later_fragment(frontend_v4, db_v4, 111, 3, false)},
                      t0()),
              (std::vector<bool>{true, true, true, false, false}));
    EXPECT_EQ(dp.counters().frag_followed.get(), 2u);
    EXPECT_EQ(dp.drops(verdict_reason::fragment_denied), 1u);
    EXPECT_EQ(dp.drops(verdict_reason::policy_ingress), 1u);
    EXPECT_EQ(dp.drops(verdict_reason::fragment_orphan), 0u);
}

TEST_F(fragments, a_kept_verdict_expires) {
    ASSERT_TRUE(dp.send1(tcp4_first_fragment(api_v4, db_v4, 40005, 3306, 106), t0()));
    const uint64_t timeout = small_config().fragments.timeout_s * hz();
    dp.expire_all(t0() + timeout - 1);
    EXPECT_TRUE(dp.send1(tcp4_later_fragment(api_v4, db_v4, 106, 3, true), t0() + timeout - 1));
    // A later fragment refreshed the verdict's lifetime.
    const uint64_t after = t0() + 2 * timeout - 1;
    dp.expire_all(after);
    EXPECT_FALSE(dp.send1(tcp4_later_fragment(api_v4, db_v4, 106, 5, false), after));
    EXPECT_EQ(dp.drops(verdict_reason::fragment_orphan), 1u);
}

// Regression: a first fragment of a flow conntrack already knows passes as a
// conntrack hit; its verdict must still be kept for the later fragments (at
// b54e16e it was not, and answers such as large UDP replies were cut).
TEST_F(fragments, later_fragments_follow_a_first_fragment_of_a_tracked_flow) {
    ASSERT_TRUE(dp.send1(tcp4(api_v4, db_v4, 40006, 3306, tf::syn), t0()));
    ASSERT_TRUE(dp.send1(tcp4(db_v4, api_v4, 3306, 40006, tf::syn_ack), t0()));
    // The answer from db arrives in two fragments.
    EXPECT_TRUE(dp.send1(tcp4_first_fragment(db_v4, api_v4, 3306, 40006, 107), t0()));
    EXPECT_TRUE(dp.send1(tcp4_later_fragment(db_v4, api_v4, 107, 3, false), t0()))
        << "the later fragment of a tracked flow's datagram was dropped";
    EXPECT_EQ(dp.drops(verdict_reason::fragment_orphan), 0u);
    EXPECT_EQ(dp.counters().frag_tracked.get(), 1u);
}

// Regression, same cause, in-burst path: the first fragment follows the
// entry its SYN created earlier in the same burst.
TEST_F(fragments, later_fragments_follow_a_first_fragment_that_followed_in_burst) {
    EXPECT_EQ(dp.send({tcp4(api_v4, db_v4, 40007, 3306, tf::syn),
                       tcp4_first_fragment(api_v4, db_v4, 40007, 3306, 108)},
                      t0()),
              (std::vector<bool>{true, true}));
    EXPECT_TRUE(dp.send1(tcp4_later_fragment(api_v4, db_v4, 108, 3, false), t0()));
    EXPECT_EQ(dp.drops(verdict_reason::fragment_orphan), 0u);
}

} // namespace
} // namespace podgate::pipetest
