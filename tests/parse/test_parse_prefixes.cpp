// Property: cutting a valid frame short never yields "ok" with fields that
// point past the cut, and the parser reads only the bytes it is handed
// (parse_exact copies into an exactly sized allocation: ASan sees overreads).
#include "packet_builder.hpp"
#include "parse_support.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace podgate;
using namespace podgate::pipeline;
using podgate::test::ipv4_fields;
using podgate::test::ipv6_fields;
using podgate::test::packet_builder;
using podgate::test::parse_exact;

namespace {

struct sample {
    std::string name;
    std::vector<uint8_t> frame;
};

std::vector<sample> samples() {
    ipv4_fields opts;
    opts.options.assign(12, 1);
    ipv4_fields first;
    first.more_fragments = true;
    ipv4_fields later;
    later.frag_offset8 = 3;
    ipv6_fields nd;
    nd.hop_limit = 255;
    std::vector<sample> s;
    s.push_back(
        {"v4 tcp",
         packet_builder().ethernet().ipv4().tcp(1, 2, 0x02, 3).payload(9).finish().bytes()});
    s.push_back(
        {"v4 options udp padded",
         packet_builder().ethernet().ipv4(opts).udp(3, 4).payload(2).finish().payload(10).bytes()});
    s.push_back({"qinq v4 sctp", packet_builder()
                                     .ethernet()
                                     .vlan(0x88a8, 1)
                                     .vlan(0x8100, 2)
                                     .ipv4()
                                     .sctp(5, 6)
                                     .finish()
                                     .bytes()});
    s.push_back({"v4 icmp echo",
                 packet_builder().ethernet().ipv4().icmp(8, 0, 3, 4).payload(8).finish().bytes()});
    s.push_back({"v4 first fragment",
                 packet_builder().ethernet().ipv4(first).tcp(7, 8).payload(4).finish().bytes()});
    s.push_back({"v4 later fragment",
                 packet_builder().ethernet().ipv4(later).proto(6).payload(30).finish().bytes()});
    s.push_back({"v6 chain tcp", packet_builder()
                                     .ethernet()
                                     .vlan(0x8100, 9)
                                     .ipv6()
                                     .ext(0, 1)
                                     .ext(43, 2)
                                     .fragment(0, false, 1)
                                     .ah(3)
                                     .ext(60)
                                     .tcp(9, 10, 0x11, 2)
                                     .payload(3)
                                     .finish()
                                     .bytes()});
    s.push_back({"v6 later fragment", packet_builder()
                                          .ethernet()
                                          .ipv6()
                                          .fragment(9, true, 2)
                                          .proto(17)
                                          .payload(16)
                                          .finish()
                                          .bytes()});
    s.push_back({"v6 nd",
                 packet_builder().ethernet().ipv6(nd).icmpv6(135, 0).payload(16).finish().bytes()});
    s.push_back({"v6 no next",
                 packet_builder().ethernet().ipv6().ext(60).proto(59).finish().payload(6).bytes()});
    return s;
}

// Bytes the reported L4 header occupies.
uint32_t l4_header_bytes(const parsed_packet& p) {
    if (!p.has_l4) {
        return 0;
    }
    switch (p.l4_proto) {
    case ip_proto::tcp:
        return 20;
    case ip_proto::udp:
        return 8;
    case ip_proto::sctp:
        return 12;
    default:
        return p.has_echo_id ? 8 : 4;
    }
}

} // namespace

TEST(parse_prefixes, no_prefix_reports_fields_past_its_end) {
    for (const auto& s : samples()) {
        const auto full = parse_exact(s.frame);
        ASSERT_EQ(full.status, parse_status::ok) << s.name << " " << to_string(full.reason);
        for (size_t n = 0; n <= s.frame.size(); ++n) {
            const auto p = parse_exact(s.frame, n);
            if (n < full.l3_end()) {
                // The IP length field (or a header) no longer fits.
                EXPECT_EQ(p.status, parse_status::malformed) << s.name << " n=" << n;
                EXPECT_NE(p.reason, malformed_reason::none) << s.name << " n=" << n;
                EXPECT_NE(p.reason, malformed_reason::headers_too_long) << s.name << " n=" << n;
                continue;
            }
            // Only Ethernet padding was cut: same answer, everything inside n.
            ASSERT_EQ(p.status, parse_status::ok) << s.name << " n=" << n;
            EXPECT_LE(p.l3_end(), n) << s.name;
            EXPECT_LE(p.l4_offset + l4_header_bytes(p), n) << s.name;
            EXPECT_EQ(p, full) << s.name << " n=" << n;
        }
    }
}

TEST(parse_prefixes, budget_cut_is_either_the_full_answer_or_headers_too_long) {
    for (const auto& s : samples()) {
        const auto full = parse_exact(s.frame);
        // TCP options count as header: the parser checks the data offset.
        const uint32_t header_end = full.l4_offset + (full.has_l4 && full.l4_proto == ip_proto::tcp
                                                          ? (s.frame[full.l4_offset + 12] >> 4) * 4u
                                                          : l4_header_bytes(full));
        for (size_t n = 0; n <= s.frame.size(); ++n) {
            const auto p = parse_exact(s.frame, n, s.frame.size());
            if (p.status == parse_status::ok) {
                EXPECT_EQ(p, full) << s.name << " n=" << n;
                EXPECT_GE(n, header_end) << s.name;
            } else {
                EXPECT_EQ(p.reason, malformed_reason::headers_too_long) << s.name << " n=" << n;
                EXPECT_LT(n, header_end) << s.name;
            }
        }
    }
}
