// Case 6: burst edges. Within a burst conntrack is looked up once for all
// packets before any entry is created, so a reply in the same burst as its
// SYN (a hairpin) must follow the entry created earlier in that burst. And
// the verdicts must not depend on how packets are cut into bursts.
#include "tests/pipeline/clusters.hpp"
#include "tests/pipeline/data_plane.hpp"

#include <gtest/gtest.h>

namespace podgate::pipetest {
namespace {

using classifier::verdict_reason;
namespace tf = tcp_flags;

class bursts : public ::testing::Test {
  protected:
    void SetUp() override { dp.publish(compile(seed_cluster(), 1)); }
    data_plane dp;
};

TEST_F(bursts, a_syn_and_its_syn_ack_in_one_burst) {
    EXPECT_EQ(dp.send({tcp4(api_v4, db_v4, 45000, 3306, tf::syn),
                       tcp4(db_v4, api_v4, 3306, 45000, tf::syn_ack)},
                      t0()),
              (std::vector<bool>{true, true}));
    EXPECT_EQ(dp.counters().ct_creates.get(), 1u);
    EXPECT_EQ(dp.counters().new_flows_allowed.get(), 1u);
    EXPECT_EQ(dp.total_drops(), 0u);
    EXPECT_EQ(dp.ct_size(), 1u);
    // The SYN-ACK moved the entry to established: it outlives tcp_syn_sent.
    const auto& timeouts = small_config().conntrack.timeouts;
    dp.expire_all(t0() + timeouts.tcp_syn_sent * hz() + 1);
    EXPECT_EQ(dp.ct_size(), 1u);
    EXPECT_TRUE(dp.send1(tcp4(db_v4, api_v4, 3306, 45000, tf::ack),
                         t0() + timeouts.tcp_syn_sent * hz() + 1));
}

TEST_F(bursts, the_syn_ack_first_in_the_burst_is_a_new_flow_and_denied) {
    EXPECT_EQ(dp.send({tcp4(db_v4, api_v4, 3306, 45001, tf::syn_ack),
                       tcp4(api_v4, db_v4, 45001, 3306, tf::syn)},
                      t0()),
              (std::vector<bool>{false, true}));
    EXPECT_EQ(dp.drops(verdict_reason::policy_egress), 1u);
}

TEST_F(bursts, a_reply_follows_only_an_allowed_packet_of_the_burst) {
    // frontend's SYN is denied and creates nothing; db's answer stays denied.
    EXPECT_EQ(dp.send({tcp4(frontend_v4, db_v4, 45002, 3306, tf::syn),
                       tcp4(db_v4, frontend_v4, 3306, 45002, tf::syn_ack)},
                      t0()),
              (std::vector<bool>{false, false}));
    EXPECT_EQ(dp.drops(verdict_reason::policy_ingress), 1u);
    EXPECT_EQ(dp.drops(verdict_reason::policy_egress), 1u);
    EXPECT_EQ(dp.ct_size(), 0u);
}

// 32 packets: eight connections api -> db interleaved with denied traffic
// and packets that need no flow state; the hairpin of connection 0 spans the
// whole burst (SYN first, SYN-ACK last).
std::vector<frame> mixed_traffic(std::vector<bool>& expect) {
    std::vector<frame> f;
    expect.clear();
    auto add = [&](frame fr, bool pass) {
        f.push_back(std::move(fr));
        expect.push_back(pass);
    };
    add(tcp4(api_v4, db_v4, 46000, 3306, tf::syn), true);
    for (uint16_t c = 1; c < 8; ++c) {
        const auto sport = static_cast<uint16_t>(46000 + c);
        add(tcp4(api_v4, db_v4, sport, 3306, tf::syn), true);
        add(tcp4(frontend_v4, db_v4, sport, 3306, tf::syn), false); // ingress
        add(tcp4(db_v4, api_v4, 3306, sport, tf::syn_ack), true);   // follows
    }
    add(tcp4(db_v4, frontend_v4, 3306, 46100, tf::syn), false); // egress
    add(arp(), true);
    add(tcp4_later_fragment(api_v4, db_v4, 999, 3, false), false); // orphan
    add(neighbour_solicitation(frontend_v6, db_v6), true);
    add(frame(12, 0), false);                                 // runt
    add(tcp4(api_v4, db_v4, 46002, 3307, tf::syn), false);    // ingress: port
    add(tcp4(api_v4, db_v4, 46001, 3306, tf::ack), true);     // tracked
    add(tcp4(db_v4, api_v4, 3306, 46003, tf::ack), true);     // tracked
    add(tcp4(api_v4, db_v4, 46000, 3306, tf::ack), true);     // tracked
    add(tcp4(db_v4, api_v4, 3306, 46000, tf::syn_ack), true); // hairpin end
    return f;
}

class burst_size : public ::testing::TestWithParam<uint16_t> {};

TEST_P(burst_size, verdicts_and_counters_do_not_depend_on_the_burst_size) {
    std::vector<bool> expect;
    const auto frames = mixed_traffic(expect);
    ASSERT_EQ(frames.size(), 32u);
    data_plane dp;
    dp.publish(compile(seed_cluster(), 1));
    EXPECT_EQ(dp.send(frames, t0(), GetParam()), expect);
    const auto& c = dp.counters();
    EXPECT_EQ(c.rx.get(), 32u);
    EXPECT_EQ(c.ct_creates.get(), 8u);
    EXPECT_EQ(c.new_flows_allowed.get(), 8u);
    EXPECT_EQ(dp.ct_size(), 8u);
    EXPECT_EQ(dp.drops(verdict_reason::policy_ingress), 8u);
    EXPECT_EQ(dp.drops(verdict_reason::policy_egress), 1u);
    EXPECT_EQ(dp.drops(verdict_reason::fragment_orphan), 1u);
    EXPECT_EQ(dp.drops(verdict_reason::malformed), 1u);
    EXPECT_EQ(dp.total_drops(), 11u);
    EXPECT_EQ(c.non_ip_forwarded.get(), 1u);
    EXPECT_EQ(c.nd_passed.get(), 1u);
    // Every connection reached established (SYN-ACK seen), whatever the cut.
    const uint64_t later = t0() + small_config().conntrack.timeouts.tcp_syn_sent * hz() + 1;
    dp.expire_all(later);
    EXPECT_EQ(dp.ct_size(), 8u);
}

INSTANTIATE_TEST_SUITE_P(sizes, burst_size, ::testing::Values(1, 2, 7, 31, 32));

} // namespace
} // namespace podgate::pipetest
