#pragma once
// The packet parser over an rte_mbuf. Header-only, noexcept, no allocation,
// no logging; safe on any lcore.
//
// The parser always sees exactly min(pkt_len, parse_header_budget) bytes:
// in place when the first segment holds them (the common case), otherwise
// copied from the segment chain into a stack buffer. So the verdict on a
// packet never depends on how the driver split it into segments. Headers
// longer than the budget give malformed/headers_too_long.

#include "pipeline/parse/parse.hpp"

#include <rte_mbuf.h>

namespace podgate::pipeline {

// Ethernet + 2 tags + IPv6 + a few extension headers + TCP with options
// fits; IPv4 with 40 bytes of options and TCP with 40 takes 142.
inline constexpr uint32_t parse_header_budget = 256;

inline void parse_mbuf(const rte_mbuf* m, parsed_packet& p) noexcept {
    const uint32_t pkt_len = rte_pktmbuf_pkt_len(m);
    const uint32_t want = pkt_len < parse_header_budget ? pkt_len : parse_header_budget;
    if (want <= m->data_len) [[likely]] { // the first segment holds the headers
        parse_packet(rte_pktmbuf_mtod(m, const uint8_t*), want, pkt_len, p);
        return;
    }
    alignas(64) uint8_t copy[parse_header_budget];
    const auto* bytes = static_cast<const uint8_t*>(rte_pktmbuf_read(m, 0, want, copy));
    if (bytes == nullptr) [[unlikely]] {
        // The chain holds fewer bytes than pkt_len claims: a broken mbuf.
        p = parsed_packet{};
        p.status = parse_status::malformed;
        p.reason = malformed_reason::truncated_l2;
        return;
    }
    parse_packet(bytes, want, pkt_len, p);
}

inline parsed_packet parse_mbuf(const rte_mbuf* m) noexcept {
    parsed_packet p;
    parse_mbuf(m, p);
    return p;
}

} // namespace podgate::pipeline
