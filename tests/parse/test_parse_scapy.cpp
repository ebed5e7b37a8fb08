// Frames built and dissected by scapy (gen_scapy_golden.py): an oracle that
// shares no code with packet_builder.hpp or the parser.
#include "parse_support.hpp"

#include <gtest/gtest.h>

#include <vector>

using namespace podgate;
using namespace podgate::pipeline;
using podgate::test::parse_exact;

namespace {

struct golden {
    const char* name;
    std::vector<uint8_t> frame;
    parse_status status;
    int family;
    const char* src;
    const char* dst;
    int proto, sport, dport, has_ports, is_fragment, is_first_fragment;
    uint32_t frag_id;
    int l3_offset, l4_offset, l3_end, vlan_count, vlan0, vlan1, icmp_type, has_echo_id, echo_id,
        is_nd;
};

const std::vector<golden>& goldens() {
    static const std::vector<golden> all = {
#include "scapy_golden.inc"
    };
    return all;
}

} // namespace

TEST(parse_scapy, fields_match_scapys_dissection) {
    ASSERT_GE(goldens().size(), 18u);
    for (const auto& g : goldens()) {
        SCOPED_TRACE(g.name);
        const auto p = parse_exact(g.frame);
        ASSERT_EQ(p.status, g.status) << to_string(p.reason);
        EXPECT_EQ(p.l3_offset, g.l3_offset);
        EXPECT_EQ(p.vlan_count, g.vlan_count);
        EXPECT_EQ(p.vlan_ids[0], g.vlan0);
        EXPECT_EQ(p.vlan_ids[1], g.vlan1);
        if (g.status != parse_status::ok) {
            continue;
        }
        EXPECT_EQ(p.family, g.family == 4 ? ip_family::v4 : ip_family::v6);
        EXPECT_EQ(p.src_address(), parse_ip(g.src).value());
        EXPECT_EQ(p.dst_address(), parse_ip(g.dst).value());
        EXPECT_EQ(p.l4_proto, g.proto);
        EXPECT_EQ(p.has_ports, g.has_ports != 0);
        EXPECT_EQ(p.sport, g.sport);
        EXPECT_EQ(p.dport, g.dport);
        EXPECT_EQ(p.is_fragment, g.is_fragment != 0);
        EXPECT_EQ(p.is_first_fragment, g.is_first_fragment != 0);
        EXPECT_EQ(p.frag_id, g.frag_id);
        EXPECT_EQ(p.l4_offset, g.l4_offset);
        EXPECT_EQ(p.l3_end(), static_cast<uint32_t>(g.l3_end));
        EXPECT_EQ(p.icmp_type, g.icmp_type);
        EXPECT_EQ(p.has_echo_id, g.has_echo_id != 0);
        EXPECT_EQ(p.icmp_echo_id, g.echo_id);
        EXPECT_EQ(p.is_nd, g.is_nd != 0);
    }
}
