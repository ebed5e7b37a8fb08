// Ethernet, VLAN tags and non-IP frames.
#include "pipeline/parse/parse.hpp"

#include "packet_builder.hpp"
#include "parse_support.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

using namespace podgate;
using namespace podgate::pipeline;
using podgate::test::packet_builder;
using podgate::test::parse_exact;

namespace {

std::vector<uint8_t>
tcp_frame_with_tags(std::initializer_list<std::pair<uint16_t, uint16_t>> tags) {
    packet_builder b;
    b.ethernet();
    for (auto [tpid, vid] : tags) {
        b.vlan(tpid, vid, 5);
    }
    return b.ipv4().tcp(40000, 80).finish().bytes();
}

} // namespace

TEST(parse_l2, untagged_ipv4) {
    const auto p = parse_exact(tcp_frame_with_tags({}));
    EXPECT_EQ(p.status, parse_status::ok);
    EXPECT_EQ(p.ethertype, ethertype::ipv4);
    EXPECT_EQ(p.vlan_count, 0);
    EXPECT_EQ(p.l3_offset, 14);
    EXPECT_EQ(p.l4_offset, 34);
}

TEST(parse_l2, single_8021q_tag) {
    const auto p = parse_exact(tcp_frame_with_tags({{0x8100, 100}}));
    ASSERT_EQ(p.status, parse_status::ok);
    EXPECT_EQ(p.vlan_count, 1);
    EXPECT_EQ(p.vlan_ids[0], 100); // PCP bits masked off
    EXPECT_EQ(p.l3_offset, 18);
    EXPECT_EQ(p.dport, 80);
}

TEST(parse_l2, qinq_88a8_then_8100) {
    const auto p = parse_exact(tcp_frame_with_tags({{0x88a8, 4000}, {0x8100, 4095}}));
    ASSERT_EQ(p.status, parse_status::ok);
    EXPECT_EQ(p.vlan_count, 2);
    EXPECT_EQ(p.vlan_ids[0], 4000);
    EXPECT_EQ(p.vlan_ids[1], 4095);
    EXPECT_EQ(p.l3_offset, 22);
    EXPECT_EQ(p.l4_offset, 42);
    EXPECT_EQ(p.sport, 40000);
}

TEST(parse_l2, qinq_9100) {
    const auto p = parse_exact(tcp_frame_with_tags({{0x9100, 7}, {0x8100, 8}}));
    ASSERT_EQ(p.status, parse_status::ok);
    EXPECT_EQ(p.vlan_count, 2);
    EXPECT_EQ(p.vlan_ids[0], 7);
    EXPECT_EQ(p.vlan_ids[1], 8);
}

TEST(parse_l2, third_tag_is_too_many_vlans) {
    const auto p = parse_exact(tcp_frame_with_tags({{0x88a8, 1}, {0x8100, 2}, {0x8100, 3}}));
    EXPECT_EQ(p.status, parse_status::malformed);
    EXPECT_EQ(p.reason, malformed_reason::too_many_vlans);
}

TEST(parse_l2, short_frames_are_truncated_l2) {
    const auto frame = tcp_frame_with_tags({});
    for (size_t n = 0; n < 14; ++n) {
        const auto p = parse_exact(frame, n);
        EXPECT_EQ(p.status, parse_status::malformed) << n;
        EXPECT_EQ(p.reason, malformed_reason::truncated_l2) << n;
    }
}

TEST(parse_l2, frame_ending_inside_a_tag_is_truncated_l2) {
    const auto frame = tcp_frame_with_tags({{0x88a8, 1}, {0x8100, 2}});
    for (size_t n = 14; n < 22; ++n) {
        const auto p = parse_exact(frame, n);
        EXPECT_EQ(p.reason, malformed_reason::truncated_l2) << n;
    }
    EXPECT_EQ(parse_exact(frame, 22).reason, malformed_reason::truncated_l3);
}

TEST(parse_l2, arp_lldp_and_8023_are_not_ip) {
    for (uint16_t type : {0x0806, 0x88cc, 0x8847, 0x0042 /* 802.3 length */}) {
        const auto frame = packet_builder().ethernet().ethertype(type).payload(46).bytes();
        const auto p = parse_exact(frame);
        EXPECT_EQ(p.status, parse_status::not_ip) << type;
        EXPECT_EQ(p.reason, malformed_reason::none);
        EXPECT_EQ(p.ethertype, type);
        EXPECT_EQ(p.l3_offset, 14);
    }
}

TEST(parse_l2, tagged_arp_is_not_ip_with_its_tag) {
    const auto frame =
        packet_builder().ethernet().vlan(0x8100, 33).ethertype(0x0806).payload(28).bytes();
    const auto p = parse_exact(frame);
    EXPECT_EQ(p.status, parse_status::not_ip);
    EXPECT_EQ(p.ethertype, 0x0806);
    EXPECT_EQ(p.vlan_count, 1);
    EXPECT_EQ(p.vlan_ids[0], 33);
    EXPECT_EQ(p.l3_offset, 18);
}

TEST(parse_l2, every_reason_has_a_distinct_name) {
    std::set<std::string> names;
    for (unsigned r = 0; r < malformed_reason_count; ++r) {
        const std::string name = to_string(static_cast<malformed_reason>(r));
        EXPECT_NE(name, "?") << r;
        names.insert(name);
    }
    EXPECT_EQ(names.size(), malformed_reason_count);
    EXPECT_STREQ(to_string(static_cast<malformed_reason>(malformed_reason_count)), "?");
    EXPECT_STREQ(to_string(parse_status::not_ip), "not-ip");
}
