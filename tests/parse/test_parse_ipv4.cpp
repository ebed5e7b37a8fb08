// IPv4: header, options, length fields, padding, fragments.
#include "packet_builder.hpp"
#include "parse_support.hpp"

#include <gtest/gtest.h>

using namespace podgate;
using namespace podgate::pipeline;
using podgate::test::ipv4_fields;
using podgate::test::packet_builder;
using podgate::test::parse_exact;

TEST(parse_ipv4, tcp_fields) {
    ipv4_fields f;
    f.src = 0xc0a80a01; // 192.168.10.1
    f.dst = 0x0a2a0007; // 10.42.0.7
    f.ttl = 17;
    f.id = 0xbeef;
    f.dont_fragment = true;
    const auto frame =
        packet_builder().ethernet().ipv4(f).tcp(51000, 8443, 0x12).payload(5).finish().bytes();
    const auto p = parse_exact(frame);
    ASSERT_EQ(p.status, parse_status::ok);
    EXPECT_EQ(p.family, ip_family::v4);
    EXPECT_EQ(p.src_address(), *parse_ip("192.168.10.1"));
    EXPECT_EQ(p.dst_address(), *parse_ip("10.42.0.7"));
    EXPECT_EQ(p.l4_proto, ip_proto::tcp);
    EXPECT_EQ(p.sport, 51000);
    EXPECT_EQ(p.dport, 8443);
    EXPECT_EQ(p.tcp_flags, 0x12);
    EXPECT_TRUE(p.has_l4);
    EXPECT_TRUE(p.has_ports);
    EXPECT_FALSE(p.is_fragment); // DF alone is not a fragment
    EXPECT_FALSE(p.is_first_fragment);
    EXPECT_EQ(p.frag_id, 0xbeef);
    EXPECT_EQ(p.ttl, 17);
    EXPECT_EQ(p.l3_offset, 14);
    EXPECT_EQ(p.l4_offset, 34);
    EXPECT_EQ(p.l4_length, 25);
    EXPECT_EQ(p.l3_end(), frame.size());
}

TEST(parse_ipv4, options_move_the_l4_header) {
    for (size_t opt_len : {4, 12, 40}) {
        ipv4_fields f;
        f.options.assign(opt_len, 1); // NOPs
        const auto frame =
            packet_builder().ethernet().ipv4(f).udp(53, 5353).payload(3).finish().bytes();
        const auto p = parse_exact(frame);
        ASSERT_EQ(p.status, parse_status::ok) << opt_len;
        EXPECT_EQ(p.l4_offset, 34 + opt_len);
        EXPECT_EQ(p.sport, 53);
        EXPECT_EQ(p.dport, 5353);
        EXPECT_EQ(p.l4_length, 11);
    }
}

TEST(parse_ipv4, ethernet_padding_after_the_datagram_is_fine) {
    // 14 + 20 + 8 = 42 bytes of ICMP, padded to the 60-byte minimum with junk.
    const auto frame =
        packet_builder().ethernet().ipv4().icmp(8, 0, 77, 1).finish().payload(18, 0xee).bytes();
    ASSERT_EQ(frame.size(), 60u);
    const auto p = parse_exact(frame);
    ASSERT_EQ(p.status, parse_status::ok);
    EXPECT_EQ(p.l3_end(), 42u);
    EXPECT_EQ(p.icmp_echo_id, 77);
}

TEST(parse_ipv4, frame_shorter_than_20_bytes_of_ip_is_truncated_l3) {
    const auto frame = packet_builder().ethernet().ipv4().tcp(1, 2).finish().bytes();
    for (size_t n = 14; n < 34; ++n) {
        EXPECT_EQ(parse_exact(frame, n).reason, malformed_reason::truncated_l3) << n;
    }
}

TEST(parse_ipv4, options_past_the_frame_are_truncated_l3) {
    ipv4_fields f;
    f.options.assign(40, 1);
    const auto frame = packet_builder().ethernet().ipv4(f).finish().bytes(); // IHL 15, no payload
    ASSERT_EQ(parse_exact(frame).status, parse_status::ok);
    for (size_t n = 34; n < frame.size(); ++n) {
        EXPECT_EQ(parse_exact(frame, n).reason, malformed_reason::truncated_l3) << n;
    }
}

TEST(parse_ipv4, version_must_be_4) {
    auto b = packet_builder().ethernet().ipv4().tcp(1, 2).finish();
    b.set8(14, 0x65);
    EXPECT_EQ(parse_exact(b.bytes()).reason, malformed_reason::bad_version);
}

TEST(parse_ipv4, ihl_below_5_is_bad_ihl) {
    for (uint8_t ihl = 0; ihl < 5; ++ihl) {
        auto b = packet_builder().ethernet().ipv4().tcp(1, 2).finish();
        b.set8(14, static_cast<uint8_t>(0x40 | ihl));
        EXPECT_EQ(parse_exact(b.bytes()).reason, malformed_reason::bad_ihl) << int(ihl);
    }
}

TEST(parse_ipv4, total_length_below_header_is_bad_ip_length) {
    ipv4_fields f;
    f.options.assign(8, 1);
    auto b = packet_builder().ethernet().ipv4(f).tcp(1, 2).finish();
    b.set16(16, 27); // header is 28 bytes
    EXPECT_EQ(parse_exact(b.bytes()).reason, malformed_reason::bad_ip_length);
    b.set16(16, 28); // header only: ok, no room for TCP
    EXPECT_EQ(parse_exact(b.bytes()).reason, malformed_reason::truncated_l4);
}

TEST(parse_ipv4, total_length_past_the_frame_is_bad_ip_length) {
    const auto frame = packet_builder().ethernet().ipv4().udp(1, 2).payload(10).finish().bytes();
    EXPECT_EQ(parse_exact(frame).status, parse_status::ok);
    // Losing even the last byte of the datagram is caught by the length field.
    EXPECT_EQ(parse_exact(frame, frame.size() - 1).reason, malformed_reason::bad_ip_length);
    auto b = packet_builder().ethernet().ipv4().udp(1, 2).payload(10).finish();
    b.set16(16, static_cast<uint16_t>(frame.size() - 14 + 1));
    EXPECT_EQ(parse_exact(b.bytes()).reason, malformed_reason::bad_ip_length);
}

TEST(parse_ipv4, first_fragment_has_ports) {
    ipv4_fields f;
    f.more_fragments = true;
    f.id = 0x4242;
    const auto frame =
        packet_builder().ethernet().ipv4(f).udp(4000, 53).payload(16).finish().bytes();
    const auto p = parse_exact(frame); // UDP length says 24; fine for a fragment
    ASSERT_EQ(p.status, parse_status::ok);
    EXPECT_TRUE(p.is_fragment);
    EXPECT_TRUE(p.is_first_fragment);
    EXPECT_TRUE(p.more_fragments);
    EXPECT_TRUE(p.has_ports);
    EXPECT_EQ(p.frag_id, 0x4242u);
    EXPECT_EQ(p.dport, 53);
}

TEST(parse_ipv4, first_fragment_udp_length_may_exceed_the_fragment) {
    ipv4_fields f;
    f.more_fragments = true;
    auto b = packet_builder().ethernet().ipv4(f).udp(4000, 53).payload(16).finish();
    b.set16(34 + 4, 1400);
    EXPECT_EQ(parse_exact(b.bytes()).status, parse_status::ok);
}

TEST(parse_ipv4, later_fragments_have_no_ports) {
    for (bool more : {true, false}) {
        ipv4_fields f;
        f.more_fragments = more;
        f.frag_offset8 = 185;
        f.id = 7;
        // Bytes that would look like a TCP header must not be read as one.
        const auto frame =
            packet_builder().ethernet().ipv4(f).tcp(1111, 2222).payload(4).finish().bytes();
        const auto p = parse_exact(frame);
        ASSERT_EQ(p.status, parse_status::ok) << more;
        EXPECT_TRUE(p.is_fragment);
        EXPECT_FALSE(p.is_first_fragment);
        EXPECT_EQ(p.more_fragments, more);
        EXPECT_FALSE(p.has_l4);
        EXPECT_FALSE(p.has_ports);
        EXPECT_EQ(p.sport, 0);
        EXPECT_EQ(p.tcp_flags, 0);
        EXPECT_EQ(p.l4_proto, ip_proto::tcp);
        EXPECT_EQ(p.l4_offset, 34);
        EXPECT_EQ(p.frag_id, 7u);
    }
}

TEST(parse_ipv4, first_fragment_too_short_for_ports_is_truncated_l4) {
    ipv4_fields f;
    f.more_fragments = true;
    // 8 bytes of a TCP header: the ports are there, the flags are not.
    auto b = packet_builder().ethernet().ipv4(f).tcp(1, 2).finish();
    b.set16(16, 28);
    const auto frame = b.bytes();
    EXPECT_EQ(parse_exact(frame, 14 + 28).reason, malformed_reason::truncated_l4);
}

TEST(parse_ipv4, unsafe_fragments_are_bad_fragment) {
    {
        ipv4_fields f; // reassembles past 65535 bytes
        f.frag_offset8 = 8189;
        const auto frame =
            packet_builder().ethernet().ipv4(f).proto(17).payload(24).finish().bytes();
        EXPECT_EQ(parse_exact(frame).reason, malformed_reason::bad_fragment);
        f.frag_offset8 = 8188; // 65504 + 24 = 65528: fine
        const auto ok = packet_builder().ethernet().ipv4(f).proto(17).payload(24).finish().bytes();
        EXPECT_EQ(parse_exact(ok).status, parse_status::ok);
    }
    {
        ipv4_fields f; // non-final fragment not a multiple of 8
        f.more_fragments = true;
        const auto frame =
            packet_builder().ethernet().ipv4(f).udp(1, 2).payload(5).finish().bytes();
        EXPECT_EQ(parse_exact(frame).reason, malformed_reason::bad_fragment);
    }
    {
        ipv4_fields f; // TCP fragment at offset 8 overlapping the flags (RFC 1858)
        f.frag_offset8 = 1;
        const auto frame =
            packet_builder().ethernet().ipv4(f).proto(6).payload(16).finish().bytes();
        EXPECT_EQ(parse_exact(frame).reason, malformed_reason::bad_fragment);
        const auto udp = packet_builder().ethernet().ipv4(f).proto(17).payload(16).finish().bytes();
        EXPECT_EQ(parse_exact(udp).status, parse_status::ok);
    }
}

TEST(parse_ipv4, other_protocols_are_ok_without_l4) {
    const auto frame =
        packet_builder().ethernet().ipv4().proto(47).payload(24).finish().bytes(); // GRE
    const auto p = parse_exact(frame);
    ASSERT_EQ(p.status, parse_status::ok);
    EXPECT_EQ(p.l4_proto, 47);
    EXPECT_FALSE(p.has_l4);
    EXPECT_FALSE(p.has_ports);
    EXPECT_EQ(p.l4_length, 24);
}
