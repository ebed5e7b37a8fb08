// TCP, UDP, SCTP, ICMP, ICMPv6 and neighbour discovery.
#include "packet_builder.hpp"
#include "parse_support.hpp"

#include <gtest/gtest.h>

using namespace podgate;
using namespace podgate::pipeline;
using podgate::test::ipv6_fields;
using podgate::test::packet_builder;
using podgate::test::parse_exact;

namespace {

constexpr size_t l4_v4 = 34; // Ethernet + 20-byte IPv4 header

packet_builder v4() {
    packet_builder b;
    b.ethernet().ipv4();
    return b;
}

packet_builder v6(uint8_t hop_limit = 64) {
    packet_builder b;
    ipv6_fields f;
    f.hop_limit = hop_limit;
    b.ethernet().ipv6(f);
    return b;
}

// Keeps the first `l4_bytes` of the L4 header and fixes the IP length to match.
std::vector<uint8_t> cut_l4_v4(packet_builder b, size_t l4_bytes) {
    b.set16(16, static_cast<uint16_t>(20 + l4_bytes));
    auto frame = b.bytes();
    frame.resize(l4_v4 + l4_bytes);
    return frame;
}

} // namespace

TEST(parse_l4, tcp_with_options) {
    const auto frame = v4().tcp(1, 65535, 0xc2, 10).payload(1).finish().bytes();
    const auto p = parse_exact(frame);
    ASSERT_EQ(p.status, parse_status::ok);
    EXPECT_EQ(p.sport, 1);
    EXPECT_EQ(p.dport, 65535);
    EXPECT_EQ(p.tcp_flags, 0xc2);
    EXPECT_EQ(p.l4_length, 61);
}

TEST(parse_l4, tcp_shorter_than_20_is_truncated_l4) {
    const auto b = v4().tcp(1, 2).finish();
    for (size_t n = 0; n < 20; ++n) {
        EXPECT_EQ(parse_exact(cut_l4_v4(b, n)).reason, malformed_reason::truncated_l4) << n;
    }
    EXPECT_EQ(parse_exact(cut_l4_v4(b, 20)).status, parse_status::ok);
}

TEST(parse_l4, tcp_data_offset_below_5_is_bad_l4_header) {
    for (uint8_t doff = 0; doff < 5; ++doff) {
        auto b = v4().tcp(1, 2).payload(40).finish();
        b.set8(l4_v4 + 12, static_cast<uint8_t>(doff << 4));
        EXPECT_EQ(parse_exact(b.bytes()).reason, malformed_reason::bad_l4_header) << int(doff);
    }
}

TEST(parse_l4, tcp_data_offset_past_the_datagram_is_bad_l4_header) {
    auto b = v4().tcp(1, 2, 0x10, 2).finish().payload(40, 0); // 28 bytes of TCP, then padding
    EXPECT_EQ(parse_exact(b.bytes()).status, parse_status::ok);
    b.set8(l4_v4 + 12, 8 << 4); // 32 bytes: inside the frame but past the datagram
    EXPECT_EQ(parse_exact(b.bytes()).reason, malformed_reason::bad_l4_header);
}

TEST(parse_l4, udp_length_checks) {
    const auto good = v4().udp(68, 67).payload(12).finish();
    EXPECT_EQ(parse_exact(good.bytes()).status, parse_status::ok);
    auto short_len = good;
    short_len.set16(l4_v4 + 4, 7);
    EXPECT_EQ(parse_exact(short_len.bytes()).reason, malformed_reason::bad_l4_header);
    auto long_len = good;
    long_len.set16(l4_v4 + 4, 21);
    EXPECT_EQ(parse_exact(long_len.bytes()).reason, malformed_reason::bad_l4_header);
    auto surplus = good; // UDP shorter than the datagram: RFC 768 surplus area
    surplus.set16(l4_v4 + 4, 8);
    EXPECT_EQ(parse_exact(surplus.bytes()).status, parse_status::ok);
    EXPECT_EQ(parse_exact(cut_l4_v4(good, 7)).reason, malformed_reason::truncated_l4);
}

TEST(parse_l4, udp_over_ipv6) {
    const auto frame = v6().udp(546, 547).payload(4).finish().bytes();
    const auto p = parse_exact(frame);
    ASSERT_EQ(p.status, parse_status::ok);
    EXPECT_EQ(p.sport, 546);
    EXPECT_EQ(p.dport, 547);
    EXPECT_TRUE(p.has_ports);
}

TEST(parse_l4, sctp_ports) {
    const auto b = v4().sctp(36412, 38412).payload(16).finish();
    const auto p = parse_exact(b.bytes());
    ASSERT_EQ(p.status, parse_status::ok);
    EXPECT_EQ(p.l4_proto, ip_proto::sctp);
    EXPECT_EQ(p.sport, 36412);
    EXPECT_EQ(p.dport, 38412);
    EXPECT_TRUE(p.has_ports);
    EXPECT_EQ(parse_exact(cut_l4_v4(b, 11)).reason, malformed_reason::truncated_l4);
    EXPECT_EQ(parse_exact(cut_l4_v4(b, 12)).status, parse_status::ok);
}

TEST(parse_l4, icmp_echo_identifier) {
    for (uint8_t type : {8, 0}) {
        const auto b = v4().icmp(type, 0, 0x5151, 9).payload(56).finish();
        const auto p = parse_exact(b.bytes());
        ASSERT_EQ(p.status, parse_status::ok);
        EXPECT_EQ(p.l4_proto, ip_proto::icmp);
        EXPECT_EQ(p.icmp_type, type);
        EXPECT_TRUE(p.has_l4);
        EXPECT_TRUE(p.has_echo_id);
        EXPECT_EQ(p.icmp_echo_id, 0x5151);
        EXPECT_FALSE(p.has_ports);
        EXPECT_EQ(parse_exact(cut_l4_v4(b, 7)).reason, malformed_reason::truncated_l4);
    }
}

TEST(parse_l4, icmp_error_has_no_echo_id) {
    const auto b = v4().icmp(3, 4, 0, 1400).payload(28).finish();
    const auto p = parse_exact(b.bytes());
    ASSERT_EQ(p.status, parse_status::ok);
    EXPECT_EQ(p.icmp_type, 3);
    EXPECT_EQ(p.icmp_code, 4);
    EXPECT_FALSE(p.has_echo_id);
    EXPECT_EQ(p.icmp_echo_id, 0);
    // 4 bytes (type, code, checksum) are the minimum for non-echo types.
    EXPECT_EQ(parse_exact(cut_l4_v4(b, 4)).status, parse_status::ok);
    EXPECT_EQ(parse_exact(cut_l4_v4(b, 3)).reason, malformed_reason::truncated_l4);
}

TEST(parse_l4, icmpv6_echo_identifier) {
    for (uint8_t type : {128, 129}) {
        const auto frame = v6().icmpv6(type, 0, 0xabcd, 1).payload(8).finish().bytes();
        const auto p = parse_exact(frame);
        ASSERT_EQ(p.status, parse_status::ok);
        EXPECT_EQ(p.l4_proto, ip_proto::icmpv6);
        EXPECT_TRUE(p.has_echo_id);
        EXPECT_EQ(p.icmp_echo_id, 0xabcd);
        EXPECT_FALSE(p.is_nd);
    }
    auto b = v6().icmpv6(128, 0, 1, 1).finish();
    b.set16(18, 7); // payload length: 7 bytes of echo header
    auto frame = b.bytes();
    frame.resize(54 + 7);
    EXPECT_EQ(parse_exact(frame).reason, malformed_reason::truncated_l4);
}

TEST(parse_l4, icmpv4_types_in_icmpv6_are_not_echo) {
    const auto p = parse_exact(v6().icmpv6(8, 0, 5, 5).finish().bytes());
    ASSERT_EQ(p.status, parse_status::ok);
    EXPECT_FALSE(p.has_echo_id);
}

TEST(parse_l4, neighbour_discovery_types) {
    const size_t body[] = {0, 8, 16, 16, 32}; // RS, RA, NS, NA, redirect beyond the first 8 bytes
    for (uint8_t type = 133; type <= 137; ++type) {
        const auto frame = v6(255).icmpv6(type, 0).payload(body[type - 133]).finish().bytes();
        const auto p = parse_exact(frame);
        ASSERT_EQ(p.status, parse_status::ok) << int(type);
        EXPECT_TRUE(p.is_nd) << int(type);
        EXPECT_EQ(p.icmp_type, type);
    }
    EXPECT_FALSE(parse_exact(v6(255).icmpv6(138, 0).payload(16).finish().bytes()).is_nd);
    EXPECT_FALSE(parse_exact(v6(255).icmpv6(132, 0).payload(16).finish().bytes()).is_nd);
}

TEST(parse_l4, invalid_neighbour_discovery_is_plain_icmpv6) {
    // Routed (hop limit < 255), non-zero code, too short, or fragmented.
    const auto routed = parse_exact(v6(254).icmpv6(135, 0).payload(16).finish().bytes());
    EXPECT_EQ(routed.status, parse_status::ok);
    EXPECT_FALSE(routed.is_nd);
    EXPECT_FALSE(parse_exact(v6(255).icmpv6(135, 1).payload(16).finish().bytes()).is_nd);
    EXPECT_FALSE(parse_exact(v6(255).icmpv6(135, 0).payload(15).finish().bytes()).is_nd);
    packet_builder frag;
    ipv6_fields f;
    f.hop_limit = 255;
    frag.ethernet().ipv6(f).fragment(0, true, 3).icmpv6(135, 0).payload(16);
    const auto fp = parse_exact(frag.finish().bytes());
    EXPECT_EQ(fp.status, parse_status::ok);
    EXPECT_FALSE(fp.is_nd);
}

TEST(parse_l4, headers_past_the_budget_are_headers_too_long) {
    // The frame is 200 bytes but only the first 60 are handed over.
    const auto frame = v4().tcp(1, 2, 0x10, 10).payload(106).finish().bytes();
    ASSERT_EQ(frame.size(), 200u);
    EXPECT_EQ(parse_exact(frame).status, parse_status::ok);
    const auto p = parse_exact(frame, 60, frame.size());
    EXPECT_EQ(p.status, parse_status::malformed);
    EXPECT_EQ(p.reason, malformed_reason::headers_too_long);
    // Headers inside the visible bytes: same answer as the whole frame.
    const auto q = parse_exact(frame, 94, frame.size());
    EXPECT_EQ(q.status, parse_status::ok);
    EXPECT_EQ(q.l3_end(), 200u);
}

TEST(parse_l4, ipv6_chain_past_the_budget_is_headers_too_long) {
    const auto frame = v6().ext(0, 20).udp(1, 2).finish().bytes(); // 168-byte hop-by-hop
    EXPECT_EQ(parse_exact(frame).status, parse_status::ok);
    EXPECT_EQ(parse_exact(frame, 100, frame.size()).reason, malformed_reason::headers_too_long);
    EXPECT_EQ(parse_exact(frame, 14 + 40 + 168 + 7, frame.size()).reason,
              malformed_reason::headers_too_long);
}
