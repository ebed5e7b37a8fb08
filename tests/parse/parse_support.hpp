#pragma once
// Shared by the parser tests: parse from an exactly sized heap copy (so
// ASan flags any read past the frame) and readable gtest output.

#include "pipeline/parse/parse.hpp"

#include <cstdint>
#include <memory>
#include <ostream>
#include <vector>

namespace podgate::pipeline {

inline void PrintTo(parse_status s, std::ostream* os) {
    *os << to_string(s);
}
inline void PrintTo(malformed_reason r, std::ostream* os) {
    *os << to_string(r);
}
inline void PrintTo(const parsed_packet& p, std::ostream* os) {
    *os << "{" << to_string(p.status) << "/" << to_string(p.reason) << " "
        << to_string(p.src_address()) << " > " << to_string(p.dst_address()) << " proto "
        << int(p.l4_proto) << " " << p.sport << ">" << p.dport << " l3 " << p.l3_offset << " l4 "
        << p.l4_offset << "+" << p.l4_length << " frag " << p.is_fragment << p.is_first_fragment
        << p.more_fragments << " id " << p.frag_id << " l4 " << p.has_l4 << p.has_ports
        << p.has_echo_id << p.is_nd << " vlans " << int(p.vlan_count) << "}";
}

} // namespace podgate::pipeline

namespace podgate::test {

// Parses the first `n` bytes of `frame` (all of it by default), announcing
// `frame_len` as the real frame length (n by default).
inline pipeline::parsed_packet parse_exact(const std::vector<uint8_t>& frame, size_t n = SIZE_MAX,
                                           size_t frame_len = 0) {
    n = n < frame.size() ? n : frame.size();
    auto copy = std::make_unique<uint8_t[]>(n); // exactly n bytes: no slack to hide overreads
    std::copy(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(n), copy.get());
    return pipeline::parse_packet(copy.get(), static_cast<uint32_t>(n),
                                  static_cast<uint32_t>(frame_len == 0 ? n : frame_len));
}

} // namespace podgate::test
