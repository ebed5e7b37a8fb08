// The IPv4 TCP/UDP fast path (parse_detail::parse_ipv4_tcp_udp) against the
// general parser: whenever the fast path accepts a frame it must give the
// general parser's result field for field, and it must accept the common
// shapes (or the data plane silently loses its speed). Frames: valid TCP and
// UDP frames, every single-byte mutation of their headers to a set of
// values, every truncation and every announced frame length around them.
#include "packet_builder.hpp"
#include "parse_support.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

using namespace podgate;
using namespace podgate::pipeline;

namespace {

std::vector<std::vector<uint8_t>> seeds() {
    std::vector<std::vector<uint8_t>> out;
    out.push_back(test::packet_builder().ethernet().ipv4().tcp(43210, 80).finish().bytes());
    out.push_back(
        test::packet_builder().ethernet().ipv4().tcp(1, 443, 0x18, 3).payload(20).finish().bytes());
    out.push_back(
        test::packet_builder().ethernet().ipv4().udp(5353, 53).payload(4).finish().bytes());
    out.push_back(test::packet_builder().ethernet().ipv4().udp(9, 9).finish().bytes());
    test::ipv4_fields df;
    df.dont_fragment = true;
    out.push_back(
        test::packet_builder().ethernet().ipv4(df).tcp(2, 3, 0x10).payload(6).finish().bytes());
    return out;
}

struct tally {
    uint64_t accepted = 0;
    uint64_t declined = 0;
};

// Parses bytes [0, len) of `frame` announced as `frame_len` both ways, from
// an exactly sized copy (ASan flags any read past it).
void compare(const std::vector<uint8_t>& frame, uint32_t len, uint32_t frame_len, tally& t) {
    auto copy = std::make_unique<uint8_t[]>(len == 0 ? 1 : len);
    std::copy(frame.begin(), frame.begin() + len, copy.get());
    parsed_packet fast;
    const uint32_t visible = len < frame_len ? len : frame_len;
    if (!parse_detail::parse_ipv4_tcp_udp(copy.get(), visible, frame_len, fast)) {
        ++t.declined;
        return;
    }
    ++t.accepted;
    parsed_packet general;
    parse_general(copy.get(), len, frame_len, general);
    ASSERT_EQ(general.status, parse_status::ok);
    ASSERT_EQ(fast, general) << "len " << len << " frame_len " << frame_len;
}

} // namespace

TEST(parse_fast_path, accepts_the_common_shapes_exactly_as_the_general_parser) {
    for (const auto& f : seeds()) {
        tally t;
        compare(f, static_cast<uint32_t>(f.size()), static_cast<uint32_t>(f.size()), t);
        EXPECT_EQ(t.accepted, 1u) << "a plain IPv4 TCP/UDP frame must take the fast path";
    }
}

TEST(parse_fast_path, declines_other_shapes) {
    test::ipv4_fields with_options;
    with_options.options = {1, 1, 1, 1};
    test::ipv4_fields first_fragment;
    first_fragment.more_fragments = true;
    const std::vector<std::vector<uint8_t>> others = {
        test::packet_builder().ethernet().vlan(0x8100, 7).ipv4().tcp(1, 2).finish().bytes(),
        test::packet_builder().ethernet().ipv4(with_options).udp(1, 2).finish().bytes(),
        test::packet_builder()
            .ethernet()
            .ipv4(first_fragment)
            .udp(1, 2)
            .payload(8)
            .finish()
            .bytes(),
        test::packet_builder().ethernet().ipv4().sctp(1, 2).finish().bytes(),
        test::packet_builder().ethernet().ipv4().icmp(8, 0, 1, 1).finish().bytes(),
        test::packet_builder().ethernet().ipv6().tcp(1, 2).finish().bytes(),
    };
    for (const auto& f : others) {
        tally t;
        compare(f, static_cast<uint32_t>(f.size()), static_cast<uint32_t>(f.size()), t);
        EXPECT_EQ(t.accepted, 0u);
        // The general parser still handles them (through parse_packet).
        EXPECT_NE(test::parse_exact(f).status, parse_status::malformed);
    }
}

TEST(parse_fast_path, every_header_byte_mutation_truncation_and_length_agrees) {
    static constexpr uint8_t values[] = {0x00, 0x01, 0x04, 0x05, 0x06, 0x08, 0x11,
                                         0x14, 0x1c, 0x20, 0x28, 0x3f, 0x40, 0x45,
                                         0x46, 0x4f, 0x50, 0x80, 0xf0, 0xff};
    tally t;
    for (const auto& seed : seeds()) {
        const auto n = static_cast<uint32_t>(seed.size());
        for (uint32_t len = 0; len <= n; ++len) {
            for (uint32_t frame_len : {len, len + 1, n, n + 40}) {
                if (frame_len >= len) {
                    compare(seed, len, frame_len, t);
                }
            }
        }
        const uint32_t header_bytes = n < 14 + 20 + 32 ? n : 14 + 20 + 32;
        for (uint32_t at = 0; at < header_bytes; ++at) {
            for (uint8_t v : values) {
                auto f = seed;
                f[at] = v;
                compare(f, n, n, t);
                compare(f, n, n + 8, t);
                compare(f, n > 54 ? 54 : n, n, t); // a header-budget view of a longer frame
                if (HasFatalFailure()) {
                    return;
                }
            }
        }
    }
    // Both outcomes must have happened many times, or the test proves nothing.
    EXPECT_GT(t.accepted, 5000u);
    EXPECT_GT(t.declined, 1000u);
}
