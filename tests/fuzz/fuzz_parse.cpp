// libFuzzer target for the packet parser (pipeline/parse/parse.hpp).
// Build by hand:
//   clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -I. \
//       tests/fuzz/fuzz_parse.cpp -o fuzz_parse
//   ./fuzz_parse -max_total_time=60 /tmp/parse-work tests/fuzz/parse_corpus
// (the first directory receives new inputs; keep the committed seeds read-only).
//
// Besides ASan/UBSan, checks the parser's own promises and traps on a break:
// an ok result lies inside the bytes; the header-budget form (the mbuf
// wrapper's view) gives the same answer or headers_too_long; the IPv4
// TCP/UDP fast path agrees with the general parser whenever it accepts.
#include "pipeline/parse/parse.hpp"

#include <cstddef>
#include <cstdint>

using namespace podgate::pipeline;

namespace {

void check(bool cond) {
    if (!cond) {
        __builtin_trap();
    }
}

void check_invariants(const parsed_packet& p, uint32_t frame_len) {
    switch (p.status) {
    case parse_status::ok:
        check(p.reason == malformed_reason::none);
        check(p.l3_offset >= 14 && p.l3_offset <= p.l4_offset);
        check(p.l3_end() <= frame_len);
        check(!p.has_ports || p.has_l4);
        check(!p.is_first_fragment || p.is_fragment);
        check(!(p.is_fragment && !p.is_first_fragment && p.has_l4));
        check(!p.is_nd || p.l4_proto == ip_proto::icmpv6);
        check(p.vlan_count <= max_vlan_tags);
        break;
    case parse_status::not_ip:
        check(p.reason == malformed_reason::none && p.l3_offset <= frame_len);
        break;
    case parse_status::malformed:
        check(p.reason != malformed_reason::none);
        check(static_cast<unsigned>(p.reason) < malformed_reason_count);
        break;
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size > 65535 + 64) {
        return 0;
    }
    const auto len = static_cast<uint32_t>(size);
    const parsed_packet full = parse_packet(data, len);
    check_invariants(full, len);
    // The view parse_mbuf gives on a long packet: 256 bytes of a longer frame.
    constexpr uint32_t budget = 256;
    const parsed_packet cut = parse_packet(data, len < budget ? len : budget, len);
    check_invariants(cut, len);
    if (cut.status != parse_status::malformed || cut.reason != malformed_reason::headers_too_long) {
        check(cut == full);
    }
    // The fast path answers exactly as the general parser whenever it answers.
    for (const uint32_t visible : {len, len < budget ? len : budget}) {
        parsed_packet fast;
        if (parse_detail::parse_ipv4_tcp_udp(data, visible, len, fast)) {
            parsed_packet general;
            parse_general(data, visible, len, general);
            check(fast == general);
        }
    }
    return 0;
}
