// parse_mbuf on real mbufs: single segments, two-segment chains split at
// every byte of the headers, and the header budget. Starts an EAL once per
// process (--no-huge, own --file-prefix): registered with is_parallel: false.
#include "pipeline/parse/mbuf_parse.hpp"

#include "packet_builder.hpp"
#include "parse_support.hpp"

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <gtest/gtest.h>

#include <cstring>
#include <mutex>
#include <vector>

using namespace podgate;
using namespace podgate::pipeline;
using podgate::test::ipv6_fields;
using podgate::test::packet_builder;
using podgate::test::parse_exact;

namespace {

rte_mempool* g_pool = nullptr;

class mbuf_parse : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        static std::once_flag once;
        std::call_once(once, [] {
            const char* args[] = {"test_parse_mbuf",
                                  "--no-huge",
                                  "--no-pci",
                                  "--file-prefix",
                                  "podgate-parse-test",
                                  "-m",
                                  "256",
                                  "-l",
                                  "0",
                                  "--log-level",
                                  "lib.*:error"};
            int argc = static_cast<int>(std::size(args));
            if (rte_eal_init(argc, const_cast<char**>(args)) < 0) {
                return;
            }
            g_pool = rte_pktmbuf_pool_create("parse_test", 255, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                             SOCKET_ID_ANY);
        });
        ASSERT_NE(g_pool, nullptr) << "EAL or mempool setup failed: " << rte_strerror(rte_errno);
    }

    // An mbuf chain holding `frame`, split after `split` bytes (no split when
    // split >= size). Freed by the caller with rte_pktmbuf_free.
    static rte_mbuf* chain(const std::vector<uint8_t>& frame, size_t split) {
        split = split < frame.size() ? split : frame.size();
        rte_mbuf* head = rte_pktmbuf_alloc(g_pool);
        EXPECT_NE(head, nullptr);
        if (head == nullptr) {
            return nullptr;
        }
        if (split > 0) {
            std::memcpy(rte_pktmbuf_append(head, static_cast<uint16_t>(split)), frame.data(),
                        split);
        }
        if (split < frame.size()) {
            rte_mbuf* tail = rte_pktmbuf_alloc(g_pool);
            EXPECT_NE(tail, nullptr);
            const auto rest = static_cast<uint16_t>(frame.size() - split);
            std::memcpy(rte_pktmbuf_append(tail, rest), frame.data() + split, rest);
            EXPECT_EQ(rte_pktmbuf_chain(head, tail), 0);
        }
        return head;
    }
};

std::vector<uint8_t> v4_tcp() {
    return packet_builder()
        .ethernet()
        .vlan(0x8100, 12)
        .ipv4()
        .tcp(40001, 6443, 0x02, 5)
        .payload(64)
        .finish()
        .bytes();
}

std::vector<uint8_t> v6_chain_udp() {
    return packet_builder()
        .ethernet()
        .ipv6()
        .ext(0, 1)
        .fragment(0, true, 0x11223344)
        .ext(60, 2)
        .udp(5353, 53)
        .payload(32)
        .finish()
        .bytes();
}

} // namespace

TEST_F(mbuf_parse, single_segment_matches_the_byte_parser) {
    for (const auto& frame : {v4_tcp(), v6_chain_udp()}) {
        rte_mbuf* m = chain(frame, frame.size());
        ASSERT_NE(m, nullptr);
        EXPECT_EQ(m->nb_segs, 1);
        const auto p = parse_mbuf(m);
        EXPECT_EQ(p.status, parse_status::ok);
        EXPECT_EQ(p, parse_exact(frame));
        rte_pktmbuf_free(m);
    }
}

TEST_F(mbuf_parse, headers_straddling_two_segments) {
    const auto v4 = v4_tcp();
    const auto v6 = v6_chain_udp();
    // Every split point from inside the MAC header to past the L4 header.
    for (size_t split = 1; split < 100; ++split) {
        rte_mbuf* m = chain(v4, split);
        ASSERT_NE(m, nullptr);
        ASSERT_EQ(m->nb_segs, 2);
        const auto p = parse_mbuf(m);
        ASSERT_EQ(p.status, parse_status::ok) << split << " " << to_string(p.reason);
        EXPECT_EQ(p.src_address(), *parse_ip("10.0.0.1"));
        EXPECT_EQ(p.dst_address(), *parse_ip("10.0.1.2"));
        EXPECT_EQ(p.vlan_ids[0], 12);
        EXPECT_EQ(p.sport, 40001);
        EXPECT_EQ(p.dport, 6443);
        EXPECT_EQ(p.l3_end(), v4.size());
        rte_pktmbuf_free(m);
    }
    for (size_t split = 1; split < 120; ++split) {
        rte_mbuf* m = chain(v6, split);
        ASSERT_NE(m, nullptr);
        const auto p = parse_mbuf(m);
        ASSERT_EQ(p.status, parse_status::ok) << split << " " << to_string(p.reason);
        EXPECT_EQ(p.src_address(), *parse_ip("2001:db8::1"));
        EXPECT_TRUE(p.is_first_fragment);
        EXPECT_EQ(p.frag_id, 0x11223344u);
        EXPECT_EQ(p.l4_offset, 14 + 40 + 16 + 8 + 24);
        EXPECT_EQ(p.sport, 5353);
        EXPECT_EQ(p.dport, 53);
        EXPECT_EQ(p, parse_exact(v6));
        rte_pktmbuf_free(m);
    }
}

TEST_F(mbuf_parse, length_fields_are_checked_against_pkt_len) {
    auto frame = v4_tcp();
    frame.pop_back(); // IPv4 total length now exceeds the packet
    rte_mbuf* m = chain(frame, 40);
    ASSERT_NE(m, nullptr);
    const auto p = parse_mbuf(m);
    EXPECT_EQ(p.status, parse_status::malformed);
    EXPECT_EQ(p.reason, malformed_reason::bad_ip_length);
    rte_pktmbuf_free(m);
}

TEST_F(mbuf_parse, budget_makes_the_answer_independent_of_segmentation) {
    // 14 + 40 + 248-byte hop-by-hop + 8 UDP: headers end at byte 310 > 256.
    const auto frame =
        packet_builder().ethernet().ipv6().ext(0, 30).udp(1, 2).payload(300).finish().bytes();
    ASSERT_EQ(parse_exact(frame).status, parse_status::ok);
    for (size_t split : {size_t{30}, size_t{255}, size_t{400}, frame.size()}) {
        rte_mbuf* m = chain(frame, split);
        ASSERT_NE(m, nullptr);
        const auto p = parse_mbuf(m);
        EXPECT_EQ(p.status, parse_status::malformed) << split;
        EXPECT_EQ(p.reason, malformed_reason::headers_too_long) << split;
        rte_pktmbuf_free(m);
    }
    // Just inside the budget: ok wherever the split falls.
    const auto fits =
        packet_builder().ethernet().ipv6().ext(0, 23).udp(1, 2).payload(300).finish().bytes();
    for (size_t split : {size_t{30}, size_t{255}, size_t{400}}) {
        rte_mbuf* m = chain(fits, split);
        ASSERT_NE(m, nullptr);
        const auto p = parse_mbuf(m);
        EXPECT_EQ(p.status, parse_status::ok) << split;
        EXPECT_EQ(p.l4_offset, 14 + 40 + 192);
        EXPECT_EQ(p.dport, 2);
        rte_pktmbuf_free(m);
    }
}

TEST_F(mbuf_parse, short_packets) {
    const auto frame = v4_tcp();
    for (size_t n : {size_t{0}, size_t{13}, size_t{20}}) {
        std::vector<uint8_t> cut(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(n));
        rte_mbuf* m = chain(cut, n / 2);
        ASSERT_NE(m, nullptr);
        const auto p = parse_mbuf(m);
        EXPECT_EQ(p.status, parse_status::malformed) << n;
        EXPECT_EQ(p.reason,
                  n < 18 ? malformed_reason::truncated_l2 : malformed_reason::truncated_l3)
            << n;
        rte_pktmbuf_free(m);
    }
}
