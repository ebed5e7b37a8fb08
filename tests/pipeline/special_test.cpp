// Case 2: egress denial, traffic between non-pods, non-IP frames, IPv6
// neighbour discovery, malformed frames, ICMP echo tracked by identifier.
#include "tests/parse/packet_builder.hpp"
#include "tests/pipeline/clusters.hpp"
#include "tests/pipeline/data_plane.hpp"

#include <gtest/gtest.h>

namespace podgate::pipetest {
namespace {

using classifier::verdict_reason;
using pipeline::malformed_reason;
using test::packet_builder;
namespace tf = tcp_flags;

TEST(egress, a_new_flow_from_an_egress_isolated_pod_is_dropped_as_egress) {
    data_plane dp;
    dp.publish(compile(seed_cluster(), 1));
    EXPECT_FALSE(dp.send1(tcp4(db_v4, frontend_v4, 50000, 80, tf::syn), t0()));
    EXPECT_FALSE(dp.send1(tcp6(db_v6, api_v6, 50000, 8080, tf::syn), t0()));
    EXPECT_EQ(dp.drops(verdict_reason::policy_egress), 2u);
    EXPECT_EQ(dp.drops(verdict_reason::policy_ingress), 0u);
    EXPECT_EQ(dp.total_drops(), 2u);
    // frontend is not isolated at all: it may reach api.
    EXPECT_TRUE(dp.send1(tcp4(frontend_v4, api_v4, 50001, 8080, tf::syn), t0()));
}

class non_pod : public ::testing::TestWithParam<config::default_action> {};

TEST_P(non_pod, traffic_between_non_pods_follows_the_compile_option) {
    const bool allow = GetParam() == config::default_action::allow;
    data_plane dp;
    dp.publish(compile(seed_cluster(), 1, GetParam()));
    EXPECT_EQ(dp.send1(tcp4(outside_a_v4, outside_b_v4, 1234, 443, tf::syn), t0()), allow);
    EXPECT_EQ(dp.send1(udp4(outside_b_v4, outside_a_v4, 53, 1234), t0()), allow);
    EXPECT_EQ(dp.drops(verdict_reason::non_pod_denied), allow ? 0u : 2u);
    EXPECT_EQ(dp.counters().new_flows_allowed.get(), allow ? 2u : 0u);
    EXPECT_EQ(dp.ct_size(), allow ? 2u : 0u);
    // A pod end is always decided by policy, whatever the option.
    EXPECT_TRUE(dp.send1(tcp4(outside_a_v4, api_v4, 1235, 8080, tf::syn), t0()));
    EXPECT_FALSE(dp.send1(tcp4(outside_a_v4, db_v4, 1236, 3306, tf::syn), t0()));
    EXPECT_EQ(dp.drops(verdict_reason::policy_ingress), 1u);
}

INSTANTIATE_TEST_SUITE_P(option, non_pod,
                         ::testing::Values(config::default_action::allow,
                                           config::default_action::deny));

class non_ip : public ::testing::TestWithParam<bool> {};

TEST_P(non_ip, frames_follow_forward_non_ip) {
    const bool forward = GetParam();
    auto cfg = small_config();
    cfg.forward_non_ip = forward;
    data_plane dp(cfg);
    dp.publish(compile(seed_cluster(), 1, config::default_action::deny));
    const frame lldp = packet_builder().ethernet().ethertype(0x88cc).payload(40).bytes();
    const frame tagged_arp =
        packet_builder().ethernet().vlan(0x8100, 7).ethertype(0x0806).payload(28).bytes();
    EXPECT_EQ(dp.send({arp(), lldp, tagged_arp}, t0()), std::vector<bool>(3, forward));
    EXPECT_EQ(dp.counters().non_ip_forwarded.get(), forward ? 3u : 0u);
    EXPECT_EQ(dp.drops(verdict_reason::non_ip_denied), forward ? 0u : 3u);
    EXPECT_EQ(dp.counters().policy_lookups.get(), 0u);
    EXPECT_EQ(dp.counters().ct_lookups.get(), 0u);
}

INSTANTIATE_TEST_SUITE_P(forward_non_ip, non_ip, ::testing::Bool());

TEST(neighbour_discovery, always_passes_even_where_policy_denies) {
    auto cfg = small_config();
    cfg.forward_non_ip = false;
    data_plane dp(cfg);
    dp.publish(compile(seed_cluster(), 1, config::default_action::deny));
    // db is isolated both ways: any other ICMPv6 to or from it is denied.
    EXPECT_TRUE(dp.send1(neighbour_solicitation(frontend_v6, db_v6), t0()));
    EXPECT_TRUE(dp.send1(neighbour_solicitation(db_v6, api_v6), t0()));
    EXPECT_TRUE(dp.send1(neighbour_solicitation(pod_v6(0x99), pod_v6(0x98)),
                         t0())); // non-pods, denied option
    EXPECT_EQ(dp.counters().nd_passed.get(), 3u);
    EXPECT_EQ(dp.counters().ct_lookups.get(), 0u);
    EXPECT_EQ(dp.ct_size(), 0u);
    // The same message with hop limit 64 is not ND (RFC 4861): policy decides.
    EXPECT_FALSE(dp.send1(neighbour_solicitation(frontend_v6, db_v6, 64), t0()));
    EXPECT_EQ(dp.drops(verdict_reason::policy_ingress), 1u);
    EXPECT_EQ(dp.counters().nd_passed.get(), 3u);
}

struct malformed_case {
    const char* name;
    frame f;
    malformed_reason reason;
};

std::vector<malformed_case> malformed_frames() {
    test::ipv4_fields ip;
    ip.src = api_v4;
    ip.dst = db_v4;
    std::vector<malformed_case> out;
    out.push_back({"runt", frame(10, 0xff), malformed_reason::truncated_l2});
    out.push_back({"three vlans",
                   packet_builder()
                       .ethernet()
                       .vlan(0x88a8, 1)
                       .vlan(0x8100, 2)
                       .vlan(0x8100, 3)
                       .ipv4(ip)
                       .tcp(1, 3306)
                       .finish()
                       .bytes(),
                   malformed_reason::too_many_vlans});
    packet_builder version;
    version.ethernet().ipv4(ip).tcp(40000, 3306).finish();
    out.push_back({"version 6 in IPv4", version.set8(version.l3(), 0x65).bytes(),
                   malformed_reason::bad_version});
    packet_builder ihl;
    ihl.ethernet().ipv4(ip).tcp(40000, 3306).finish();
    out.push_back({"IHL 4", ihl.set8(ihl.l3(), 0x44).bytes(), malformed_reason::bad_ihl});
    packet_builder length;
    length.ethernet().ipv4(ip).tcp(40000, 3306).finish();
    out.push_back({"total length past the frame", length.set16(length.l3() + 2, 1000).bytes(),
                   malformed_reason::bad_ip_length});
    out.push_back({"TCP header cut",
                   packet_builder().ethernet().ipv4(ip).proto(6).payload(10).finish().bytes(),
                   malformed_reason::truncated_l4});
    packet_builder offset;
    offset.ethernet().ipv4(ip).tcp(40000, 3306).finish();
    out.push_back({"TCP data offset 4", offset.set8(offset.l4() + 12, 0x40).bytes(),
                   malformed_reason::bad_l4_header});
    test::ipv4_fields frag = ip;
    frag.frag_offset8 = 1; // would overwrite the TCP flags (RFC 1858)
    out.push_back({"TCP fragment at offset 8",
                   packet_builder().ethernet().ipv4(frag).proto(6).payload(16).finish().bytes(),
                   malformed_reason::bad_fragment});
    return out;
}

TEST(malformed, every_reason_is_dropped_and_counted) {
    data_plane dp;
    dp.publish(compile(seed_cluster(), 1));
    const auto cases = malformed_frames();
    std::vector<frame> frames;
    for (const auto& c : cases) {
        frames.push_back(c.f);
    }
    // Once alone, then all in one burst between two good packets.
    for (const auto& c : cases) {
        EXPECT_FALSE(dp.send1(c.f, t0())) << c.name;
    }
    frames.insert(frames.begin(), tcp4(api_v4, db_v4, 40000, 3306, tf::syn));
    frames.push_back(tcp4(db_v4, api_v4, 3306, 40000, tf::syn_ack));
    std::vector<bool> want(frames.size(), false);
    want.front() = want.back() = true;
    EXPECT_EQ(dp.send(frames, t0()), want);

    EXPECT_EQ(dp.drops(verdict_reason::malformed), 2 * cases.size());
    EXPECT_EQ(dp.total_drops(), 2 * cases.size());
    for (const auto& c : cases) {
        EXPECT_EQ(dp.malformed(c.reason), 2u)
            << c.name << " counted as " << pipeline::to_string(c.reason);
    }
    EXPECT_EQ(dp.malformed(malformed_reason::none), 0u);
    EXPECT_EQ(dp.counters().policy_lookups.get(), 2u);
}

// icmp-world: only frontend is isolated (egress, no rule), so frontend may
// answer an echo only as part of a tracked exchange.
class icmp_echo : public ::testing::Test {
  protected:
    void SetUp() override {
        dp.publish(compile(load(yaml({pods_yaml(), egress_deny_all("frontend")})), 1));
    }
    data_plane dp;
};

TEST_F(icmp_echo, request_and_reply_are_tracked_by_identifier) {
    EXPECT_TRUE(dp.send1(echo4(api_v4, frontend_v4, true, 77, 1), t0()));
    EXPECT_EQ(dp.ct_size(), 1u);
    EXPECT_TRUE(dp.send1(echo4(frontend_v4, api_v4, false, 77, 1), t0()));
    EXPECT_EQ(dp.counters().ct_hits.get(), 1u);
    // Another identifier is another exchange: frontend may not start it.
    EXPECT_FALSE(dp.send1(echo4(frontend_v4, api_v4, false, 78, 1), t0()));
    EXPECT_FALSE(dp.send1(echo4(frontend_v4, api_v4, true, 79, 1), t0()));
    EXPECT_EQ(dp.drops(verdict_reason::policy_egress), 2u);
    // The next request of exchange 77 (another sequence number) is a hit too.
    EXPECT_TRUE(dp.send1(echo4(api_v4, frontend_v4, true, 77, 2), t0()));
    EXPECT_TRUE(dp.send1(echo4(frontend_v4, api_v4, false, 77, 2), t0()));
    EXPECT_EQ(dp.counters().ct_hits.get(), 3u);
    EXPECT_EQ(dp.counters().ct_creates.get(), 1u);
    EXPECT_EQ(dp.ct_size(), 1u);
}

TEST_F(icmp_echo, an_echo_entry_expires_after_the_icmp_timeout) {
    ASSERT_TRUE(dp.send1(echo4(api_v4, frontend_v4, true, 5, 1), t0()));
    const uint64_t timeout = small_config().conntrack.timeouts.icmp * hz();
    dp.expire_all(t0() + timeout - 1);
    EXPECT_EQ(dp.ct_size(), 1u);
    dp.expire_all(t0() + timeout);
    EXPECT_EQ(dp.ct_size(), 0u);
    EXPECT_EQ(dp.counters().ct_expired.get(), 1u);
    EXPECT_FALSE(dp.send1(echo4(frontend_v4, api_v4, false, 5, 1), t0() + timeout));
    EXPECT_EQ(dp.drops(verdict_reason::policy_egress), 1u);
}

} // namespace
} // namespace podgate::pipetest
