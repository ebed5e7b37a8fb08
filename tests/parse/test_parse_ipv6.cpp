// IPv6: header, payload length and every extension header kind.
#include "packet_builder.hpp"
#include "parse_support.hpp"

#include <gtest/gtest.h>

using namespace podgate;
using namespace podgate::pipeline;
using podgate::test::ipv6_fields;
using podgate::test::packet_builder;
using podgate::test::parse_exact;
using podgate::test::v6;

namespace {

packet_builder v6_frame(const ipv6_fields& f = {}) {
    packet_builder b;
    b.ethernet().ipv6(f);
    return b;
}

} // namespace

TEST(parse_ipv6, tcp_fields) {
    ipv6_fields f;
    f.src = v6("fd00:10:244:1::5");
    f.dst = v6("2001:db8:ffff::ffff:1");
    f.hop_limit = 3;
    const auto frame = v6_frame(f).tcp(33000, 443, 0x18).payload(7).finish().bytes();
    const auto p = parse_exact(frame);
    ASSERT_EQ(p.status, parse_status::ok);
    EXPECT_EQ(p.family, ip_family::v6);
    EXPECT_EQ(p.ethertype, ethertype::ipv6);
    EXPECT_EQ(p.src_address(), *parse_ip("fd00:10:244:1::5"));
    EXPECT_EQ(p.dst_address(), *parse_ip("2001:db8:ffff::ffff:1"));
    EXPECT_EQ(p.l4_proto, ip_proto::tcp);
    EXPECT_EQ(p.sport, 33000);
    EXPECT_EQ(p.dport, 443);
    EXPECT_EQ(p.tcp_flags, 0x18);
    EXPECT_EQ(p.ttl, 3);
    EXPECT_EQ(p.l4_offset, 54);
    EXPECT_EQ(p.l4_length, 27);
    EXPECT_FALSE(p.is_fragment);
}

TEST(parse_ipv6, each_extension_header_kind) {
    struct ext_case {
        const char* name;
        void (*add)(packet_builder&);
        size_t length;
    };
    const ext_case cases[] = {
        {"hop-by-hop", [](packet_builder& b) { b.ext(0); }, 8},
        {"hop-by-hop long", [](packet_builder& b) { b.ext(0, 3); }, 32},
        {"routing", [](packet_builder& b) { b.ext(43, 2); }, 24},
        {"destination", [](packet_builder& b) { b.ext(60, 1); }, 16},
        {"ah", [](packet_builder& b) { b.ah(4); }, 24},     // (4 + 2) * 4
        {"ah odd", [](packet_builder& b) { b.ah(5); }, 28}, // 4-byte units
        {"atomic fragment", [](packet_builder& b) { b.fragment(0, false, 99); }, 8},
    };
    for (const auto& c : cases) {
        auto b = v6_frame();
        c.add(b);
        const auto frame = b.udp(1000, 2000).payload(4).finish().bytes();
        const auto p = parse_exact(frame);
        ASSERT_EQ(p.status, parse_status::ok) << c.name << " " << to_string(p.reason);
        EXPECT_EQ(p.l4_proto, ip_proto::udp) << c.name;
        EXPECT_EQ(p.l4_offset, 54 + c.length) << c.name;
        EXPECT_EQ(p.sport, 1000) << c.name;
        EXPECT_EQ(p.dport, 2000) << c.name;
        EXPECT_FALSE(p.is_fragment) << c.name;
        EXPECT_EQ(p.l4_length, 12) << c.name;
    }
}

TEST(parse_ipv6, full_chain_reaches_the_upper_layer) {
    const auto frame = v6_frame()
                           .ext(0)
                           .ext(60, 1)
                           .ext(43, 2)
                           .fragment(0, false, 5)
                           .ah(4)
                           .ext(60)
                           .tcp(7, 9, 0x01)
                           .finish()
                           .bytes();
    const auto p = parse_exact(frame);
    ASSERT_EQ(p.status, parse_status::ok) << to_string(p.reason);
    EXPECT_EQ(p.l4_proto, ip_proto::tcp);
    EXPECT_EQ(p.l4_offset, 54 + 8 + 16 + 24 + 8 + 24 + 8);
    EXPECT_EQ(p.tcp_flags, 0x01);
    EXPECT_EQ(p.frag_id, 5u);
}

TEST(parse_ipv6, chain_of_8_is_fine_9_is_bad_ext_chain) {
    auto b8 = v6_frame();
    for (int i = 0; i < 8; ++i) {
        b8.ext(60);
    }
    EXPECT_EQ(parse_exact(b8.tcp(1, 2).finish().bytes()).status, parse_status::ok);
    auto b9 = v6_frame();
    for (int i = 0; i < 9; ++i) {
        b9.ext(60);
    }
    EXPECT_EQ(parse_exact(b9.tcp(1, 2).finish().bytes()).reason, malformed_reason::bad_ext_chain);
}

TEST(parse_ipv6, hop_by_hop_only_first) {
    const auto frame = v6_frame().ext(60).ext(0).udp(1, 2).finish().bytes();
    EXPECT_EQ(parse_exact(frame).reason, malformed_reason::bad_ext_chain);
}

TEST(parse_ipv6, two_fragment_headers_are_bad_ext_chain) {
    const auto frame =
        v6_frame().fragment(0, false, 1).fragment(0, false, 2).udp(1, 2).finish().bytes();
    EXPECT_EQ(parse_exact(frame).reason, malformed_reason::bad_ext_chain);
}

TEST(parse_ipv6, no_next_header_is_ok_without_l4) {
    const auto frame = v6_frame().ext(60).proto(59).payload(8).finish().bytes();
    const auto p = parse_exact(frame);
    ASSERT_EQ(p.status, parse_status::ok);
    EXPECT_EQ(p.l4_proto, ip_proto::no_next_header);
    EXPECT_EQ(p.l4_offset, 62);
    EXPECT_FALSE(p.has_l4);
    EXPECT_FALSE(p.has_ports);
}

TEST(parse_ipv6, empty_payload_with_no_next_header) {
    const auto frame = v6_frame().proto(59).finish().bytes();
    const auto p = parse_exact(frame);
    ASSERT_EQ(p.status, parse_status::ok);
    EXPECT_EQ(p.l4_length, 0);
    EXPECT_EQ(p.l3_end(), 54u);
}

TEST(parse_ipv6, esp_ends_the_chain) {
    const auto frame = v6_frame().ext(60).proto(50).payload(32).finish().bytes();
    const auto p = parse_exact(frame);
    ASSERT_EQ(p.status, parse_status::ok);
    EXPECT_EQ(p.l4_proto, ip_proto::esp);
    EXPECT_FALSE(p.has_ports);
}

TEST(parse_ipv6, first_fragment_parses_on) {
    const auto frame =
        v6_frame().ext(0).fragment(0, true, 0xdeadbeef).tcp(5555, 22).payload(4).finish().bytes();
    const auto p = parse_exact(frame);
    ASSERT_EQ(p.status, parse_status::ok) << to_string(p.reason);
    EXPECT_TRUE(p.is_fragment);
    EXPECT_TRUE(p.is_first_fragment);
    EXPECT_TRUE(p.more_fragments);
    EXPECT_EQ(p.frag_id, 0xdeadbeefu);
    EXPECT_TRUE(p.has_ports);
    EXPECT_EQ(p.dport, 22);
}

TEST(parse_ipv6, later_fragment_stops_at_the_fragment_header) {
    for (bool more : {true, false}) {
        const auto frame = v6_frame()
                               .fragment(100, more, 0x01020304)
                               .ext(60)
                               .tcp(1, 2)
                               .payload(4)
                               .finish()
                               .bytes();
        const auto p = parse_exact(frame);
        ASSERT_EQ(p.status, parse_status::ok) << to_string(p.reason);
        EXPECT_TRUE(p.is_fragment);
        EXPECT_FALSE(p.is_first_fragment);
        EXPECT_EQ(p.more_fragments, more);
        EXPECT_EQ(p.frag_id, 0x01020304u);
        // The fragmentable part starts with the destination options header.
        EXPECT_EQ(p.l4_proto, ip_proto::destination_options);
        EXPECT_EQ(p.l4_offset, 62);
        EXPECT_FALSE(p.has_l4);
        EXPECT_FALSE(p.has_ports);
    }
}

TEST(parse_ipv6, unsafe_fragments_are_bad_fragment) {
    EXPECT_EQ(
        parse_exact(v6_frame().fragment(0, true, 1).udp(1, 2).payload(3).finish().bytes()).reason,
        malformed_reason::bad_fragment); // 11 bytes, more to come
    EXPECT_EQ(
        parse_exact(v6_frame().fragment(8190, false, 1).proto(17).payload(24).finish().bytes())
            .reason,
        malformed_reason::bad_fragment); // past 65535
    EXPECT_EQ(
        parse_exact(v6_frame().fragment(1, true, 1).proto(6).payload(16).finish().bytes()).reason,
        malformed_reason::bad_fragment); // RFC 1858 overlap
}

TEST(parse_ipv6, first_fragment_without_the_l4_header_is_malformed) {
    // RFC 7112: the first fragment holds the whole chain and the L4 header.
    const auto frame = v6_frame().fragment(0, true, 1).proto(6).payload(8).finish().bytes();
    EXPECT_EQ(parse_exact(frame).reason, malformed_reason::truncated_l4);
    const auto chain = v6_frame().fragment(0, true, 1).ext(60, 1).finish().bytes(); // 8 of 16 bytes
    auto cut = chain;
    cut.erase(cut.end() - 8, cut.end());
    cut[18] = 0; // payload length 16: fragment header + 8 bytes of options
    cut[19] = 16;
    EXPECT_EQ(parse_exact(cut).reason, malformed_reason::truncated_l3);
}

TEST(parse_ipv6, short_header_is_truncated_l3) {
    const auto frame = v6_frame().udp(1, 2).finish().bytes();
    for (size_t n = 14; n < 54; ++n) {
        EXPECT_EQ(parse_exact(frame, n).reason, malformed_reason::truncated_l3) << n;
    }
}

TEST(parse_ipv6, extension_header_past_the_datagram_is_truncated_l3) {
    auto b = v6_frame().ext(43, 2).udp(1, 2).finish();
    b.set8(54 + 1, 3); // routing header claims 32 bytes: all of it, leaving no UDP header
    EXPECT_EQ(parse_exact(b.bytes()).reason, malformed_reason::truncated_l4);
    b.set8(54 + 1, 4); // 40 bytes: past the end
    EXPECT_EQ(parse_exact(b.bytes()).reason, malformed_reason::truncated_l3);
    auto short_ah = v6_frame().ah(4).finish();
    short_ah.set8(54 + 1, 5); // 28 bytes claimed, 24 present
    EXPECT_EQ(parse_exact(short_ah.bytes()).reason, malformed_reason::truncated_l3);
}

TEST(parse_ipv6, version_must_be_6) {
    auto b = v6_frame().udp(1, 2).finish();
    b.set8(14, 0x40);
    EXPECT_EQ(parse_exact(b.bytes()).reason, malformed_reason::bad_version);
}

TEST(parse_ipv6, payload_length_past_the_frame_is_bad_ip_length) {
    const auto frame = v6_frame().udp(1, 2).payload(20).finish().bytes();
    EXPECT_EQ(parse_exact(frame, frame.size() - 1).reason, malformed_reason::bad_ip_length);
    auto padded = v6_frame().udp(1, 2).payload(20).finish().payload(6, 0);
    EXPECT_EQ(parse_exact(padded.bytes()).status, parse_status::ok);
    padded.set16(18, 36); // 8 + 20 + the 6 padding bytes + 2 more
    EXPECT_EQ(parse_exact(padded.bytes()).reason, malformed_reason::bad_ip_length);
}
