#pragma once
// The packet parser: a pure function over a contiguous byte range, so the
// same code runs on worker lcores (through mbuf_parse.hpp), in unit tests and
// under libFuzzer. Header-only, noexcept, no allocation, no logging; reads
// only bytes in [data, data + min(len, frame_len)). Thread-safe (no state).
//
// Order of checks (the first failure wins; see README.md for the rules):
//   Ethernet -> up to 2 VLAN tags -> IPv4 (IHL, total length) | IPv6 (payload
//   length, extension chain) -> fragment rules -> TCP | UDP | SCTP | ICMP |
//   ICMPv6 unless this is a later fragment.

#include "pipeline/parse/parsed_packet.hpp"

#include <bit>
#include <cstdint>
#include <cstring>

namespace podgate::pipeline {

inline constexpr unsigned max_vlan_tags = 2;
inline constexpr unsigned max_ipv6_ext_headers = 8;

namespace parse_detail {

inline uint16_t load_be16(const uint8_t* p) noexcept {
    return static_cast<uint16_t>(p[0] << 8 | p[1]);
}

inline uint32_t load_be32(const uint8_t* p) noexcept {
    uint32_t v;
    std::memcpy(&v, p, sizeof v);
    if constexpr (std::endian::native == std::endian::little) {
        v = __builtin_bswap32(v);
    }
    return v;
}

inline u128 load_be128(const uint8_t* p) noexcept {
    uint64_t hi;
    uint64_t lo;
    std::memcpy(&hi, p, sizeof hi);
    std::memcpy(&lo, p + 8, sizeof lo);
    if constexpr (std::endian::native == std::endian::little) {
        hi = __builtin_bswap64(hi);
        lo = __builtin_bswap64(lo);
    }
    return u128{hi} << 64 | lo;
}

// The bytes the parser may read and where the current layer ends. `end`
// starts as the frame length and shrinks to the IP datagram once its length
// field is checked; `visible` is what the caller handed over (the mbuf
// wrapper hands over at most a header budget of a longer frame).
struct span {
    const uint8_t* data;
    uint32_t visible;
    uint32_t end;

    // none when [off, off + n) lies inside the layer and the visible bytes.
    // Callers keep off <= end.
    malformed_reason need(uint32_t off, uint32_t n, malformed_reason past_end) const noexcept {
        if (n > end - off) {
            return past_end;
        }
        if (off > visible || n > visible - off) {
            return malformed_reason::headers_too_long;
        }
        return malformed_reason::none;
    }
};

inline bool fail(parsed_packet& p, malformed_reason r) noexcept {
    p.status = parse_status::malformed;
    p.reason = r;
    return false;
}

inline bool is_vlan_tpid(uint16_t type) noexcept {
    return type == ethertype::vlan || type == ethertype::qinq || type == ethertype::qinq_old;
}

// Ethernet and VLAN tags. False unless the frame carries IPv4 or IPv6.
inline bool parse_ethernet(const span& s, parsed_packet& p) noexcept {
    if (auto r = s.need(0, 14, malformed_reason::truncated_l2); r != malformed_reason::none) {
        return fail(p, r);
    }
    uint32_t type_off = 12;
    uint16_t type = load_be16(s.data + type_off);
    while (is_vlan_tpid(type)) {
        if (p.vlan_count == max_vlan_tags) {
            return fail(p, malformed_reason::too_many_vlans);
        }
        // TCI, then the next ethertype.
        if (auto r = s.need(type_off + 2, 4, malformed_reason::truncated_l2);
            r != malformed_reason::none) {
            return fail(p, r);
        }
        p.vlan_ids[p.vlan_count++] = load_be16(s.data + type_off + 2) & 0x0fff;
        type_off += 4;
        type = load_be16(s.data + type_off);
    }
    p.ethertype = type;
    p.l3_offset = static_cast<uint16_t>(type_off + 2);
    if (type != ethertype::ipv4 && type != ethertype::ipv6) {
        p.status = parse_status::not_ip;
        return false;
    }
    return true;
}

// Fragment bookkeeping shared by both families. `offset8` is in 8-byte
// units; `data_len` is the fragment's payload after all IP headers.
inline bool set_fragment(parsed_packet& p, uint32_t offset8, bool more,
                         uint32_t data_len) noexcept {
    p.is_fragment = more || offset8 != 0;
    p.is_first_fragment = p.is_fragment && offset8 == 0;
    p.more_fragments = more;
    if (!p.is_fragment) {
        return true;
    }
    // Reassembly would exceed 65535 bytes ("ping of death"), a non-final
    // fragment not a multiple of 8 (RFC 791, RFC 8200 4.5), or a TCP
    // fragment at offset 8 that would overwrite the flags (RFC 1858).
    if (offset8 * 8 + data_len > 65535 || (more && data_len % 8 != 0) ||
        (offset8 == 1 && p.l4_proto == ip_proto::tcp)) {
        return fail(p, malformed_reason::bad_fragment);
    }
    return true;
}

inline bool parse_ipv4(span& s, parsed_packet& p) noexcept {
    const uint32_t l3 = p.l3_offset;
    if (auto r = s.need(l3, 20, malformed_reason::truncated_l3); r != malformed_reason::none) {
        return fail(p, r);
    }
    const uint8_t* h = s.data + l3;
    if ((h[0] >> 4) != 4) {
        return fail(p, malformed_reason::bad_version);
    }
    const uint32_t header_len = (h[0] & 0x0fu) * 4;
    if (header_len < 20) {
        return fail(p, malformed_reason::bad_ihl);
    }
    if (auto r = s.need(l3, header_len, malformed_reason::truncated_l3);
        r != malformed_reason::none) {
        return fail(p, r);
    }
    const uint32_t total_len = load_be16(h + 2);
    if (total_len < header_len || total_len > s.end - l3) {
        return fail(p, malformed_reason::bad_ip_length);
    }
    s.end = l3 + total_len; // Ethernet padding after this is not ours

    p.family = ip_family::v4;
    p.ttl = h[8];
    p.l4_proto = h[9];
    p.src = load_be32(h + 12);
    p.dst = load_be32(h + 16);
    p.frag_id = load_be16(h + 4);
    p.l4_offset = static_cast<uint16_t>(l3 + header_len);
    p.l4_length = static_cast<uint16_t>(total_len - header_len);
    const uint16_t frag = load_be16(h + 6);
    return set_fragment(p, frag & 0x1fffu, (frag & 0x2000u) != 0, total_len - header_len);
}

inline bool parse_ipv6(span& s, parsed_packet& p) noexcept {
    const uint32_t l3 = p.l3_offset;
    if (auto r = s.need(l3, 40, malformed_reason::truncated_l3); r != malformed_reason::none) {
        return fail(p, r);
    }
    const uint8_t* h = s.data + l3;
    if ((h[0] >> 4) != 6) {
        return fail(p, malformed_reason::bad_version);
    }
    // Payload length 0 with a hop-by-hop jumbo option is a jumbogram; no
    // Ethernet frame carries one, so 0 just means an empty payload here.
    const uint32_t payload_len = load_be16(h + 4);
    if (40 + payload_len > s.end - l3) {
        return fail(p, malformed_reason::bad_ip_length);
    }
    s.end = l3 + 40 + payload_len;

    p.family = ip_family::v6;
    p.ttl = h[7];
    p.src = load_be128(h + 8);
    p.dst = load_be128(h + 24);

    uint8_t next = h[6];
    uint32_t off = l3 + 40;
    unsigned count = 0;
    bool fragment_seen = false;
    for (;;) {
        switch (next) {
        case ip_proto::hop_by_hop:
        case ip_proto::routing:
        case ip_proto::destination_options:
        case ip_proto::ah:
            if (next == ip_proto::hop_by_hop && count != 0) {
                return fail(p, malformed_reason::bad_ext_chain); // RFC 8200 4.1
            }
            break;
        case ip_proto::fragment:
            if (fragment_seen) {
                return fail(p, malformed_reason::bad_ext_chain);
            }
            fragment_seen = true;
            break;
        default:
            // Upper-layer protocol, ESP or No Next Header: the chain ends.
            p.l4_proto = next;
            p.l4_offset = static_cast<uint16_t>(off);
            p.l4_length = static_cast<uint16_t>(s.end - off);
            return true;
        }
        if (++count > max_ipv6_ext_headers) {
            return fail(p, malformed_reason::bad_ext_chain);
        }
        // Every extension header is at least 8 bytes; byte 1 is its length.
        if (auto r = s.need(off, 8, malformed_reason::truncated_l3); r != malformed_reason::none) {
            return fail(p, r);
        }
        const uint8_t* e = s.data + off;
        if (next == ip_proto::fragment) {
            const uint16_t frag = load_be16(e + 2);
            p.frag_id = load_be32(e + 4);
            next = e[0];
            off += 8;
            p.l4_proto = next; // what set_fragment and a later fragment see
            if (!set_fragment(p, frag >> 3, (frag & 1u) != 0, s.end - off)) {
                return false;
            }
            if (p.is_fragment && !p.is_first_fragment) {
                // The rest of the chain and the L4 header are in the first fragment.
                p.l4_offset = static_cast<uint16_t>(off);
                p.l4_length = static_cast<uint16_t>(s.end - off);
                return true;
            }
            continue;
        }
        const uint32_t ext_len = next == ip_proto::ah ? (e[1] + 2u) * 4 : (e[1] + 1u) * 8;
        if (auto r = s.need(off, ext_len, malformed_reason::truncated_l3);
            r != malformed_reason::none) {
            return fail(p, r);
        }
        next = e[0];
        off += ext_len;
    }
}

inline bool is_echo(uint8_t proto, uint8_t type) noexcept {
    if (proto == ip_proto::icmp) {
        return type == 0 || type == 8;
    }
    return type == 128 || type == 129;
}

// RFC 4861 section 6.1/7.1: hop limit 255, code 0, long enough for the
// message, never fragmented (RFC 6980). Anything else is plain ICMPv6 and
// goes through policy.
inline bool is_neighbour_discovery(const parsed_packet& p) noexcept {
    static constexpr uint8_t min_len[] = {8, 16, 24, 24, 40}; // types 133..137
    if (p.l4_proto != ip_proto::icmpv6 || p.icmp_type < 133 || p.icmp_type > 137) {
        return false;
    }
    return p.icmp_code == 0 && p.ttl == 255 && !p.is_fragment &&
           p.l4_length >= min_len[p.icmp_type - 133];
}

inline bool parse_l4(const span& s, parsed_packet& p) noexcept {
    const uint32_t off = p.l4_offset;
    // Formed only after need() proved `off` is inside the visible bytes.
    const uint8_t* l4 = nullptr;
    malformed_reason r = malformed_reason::none;
    switch (p.l4_proto) {
    case ip_proto::tcp: {
        if ((r = s.need(off, 20, malformed_reason::truncated_l4)) != malformed_reason::none) {
            return fail(p, r);
        }
        l4 = s.data + off;
        const uint32_t header_len = (l4[12] >> 4) * 4u;
        if (header_len < 20) {
            return fail(p, malformed_reason::bad_l4_header);
        }
        if ((r = s.need(off, header_len, malformed_reason::bad_l4_header)) !=
            malformed_reason::none) {
            return fail(p, r);
        }
        p.tcp_flags = l4[13];
        break;
    }
    case ip_proto::udp: {
        if ((r = s.need(off, 8, malformed_reason::truncated_l4)) != malformed_reason::none) {
            return fail(p, r);
        }
        l4 = s.data + off;
        // A first fragment's UDP length covers the reassembled datagram.
        // Bytes after the UDP length are allowed (RFC 768 surplus area).
        const uint32_t udp_len = load_be16(l4 + 4);
        if (udp_len < 8 || (!p.is_fragment && udp_len > s.end - off)) {
            return fail(p, malformed_reason::bad_l4_header);
        }
        break;
    }
    case ip_proto::sctp:
        if ((r = s.need(off, 12, malformed_reason::truncated_l4)) != malformed_reason::none) {
            return fail(p, r);
        }
        l4 = s.data + off;
        break;
    case ip_proto::icmp:
    case ip_proto::icmpv6:
        if ((r = s.need(off, 4, malformed_reason::truncated_l4)) != malformed_reason::none) {
            return fail(p, r);
        }
        l4 = s.data + off;
        p.icmp_type = l4[0];
        p.icmp_code = l4[1];
        if (is_echo(p.l4_proto, p.icmp_type)) {
            if ((r = s.need(off, 8, malformed_reason::truncated_l4)) != malformed_reason::none) {
                return fail(p, r);
            }
            p.icmp_echo_id = load_be16(l4 + 4);
            p.has_echo_id = true;
        }
        p.is_nd = is_neighbour_discovery(p);
        p.has_l4 = true;
        return true;
    default:
        return true; // no L4 header the data plane keys on (ESP, GRE, No Next Header, ...)
    }
    p.sport = load_be16(l4);
    p.dport = load_be16(l4 + 2);
    p.has_l4 = true;
    p.has_ports = true;
    return true;
}

// The shape nearly every packet has: untagged Ethernet, IPv4 without
// options, not a fragment, TCP or UDP, headers inside the visible bytes, in
// straight-line code (about a third of the general path's instructions).
// It accepts only frames the general path parses as ok and then fills in
// exactly what that path would (tests/parse checks both on every test frame
// and the fuzzer on every input); anything else returns false untouched.
inline bool parse_ipv4_tcp_udp(const uint8_t* d, uint32_t visible, uint32_t frame_len,
                               parsed_packet& p) noexcept {
    constexpr uint32_t l3 = 14;
    constexpr uint32_t l4 = l3 + 20;
    if (visible < l4 + 8 || load_be16(d + 12) != ethertype::ipv4 || d[l3] != 0x45) {
        return false;
    }
    const uint8_t* h = d + l3;
    const uint32_t total_len = load_be16(h + 2);
    const uint8_t proto = h[9];
    if (total_len < 20 + 8 || total_len > frame_len - l3 || (load_be16(h + 6) & 0x3fffu) != 0) {
        return false; // short, longer than the frame, or a fragment
    }
    const uint32_t l4_len = total_len - 20;
    const uint8_t* t = d + l4;
    uint8_t flags = 0;
    if (proto == ip_proto::tcp) {
        if (l4 + 20 > visible) {
            return false;
        }
        const uint32_t header_len = (t[12] >> 4) * 4u;
        if (header_len < 20 || header_len > l4_len || l4 + header_len > visible) {
            return false;
        }
        flags = t[13];
    } else if (proto == ip_proto::udp) {
        const uint32_t udp_len = load_be16(t + 4);
        if (udp_len < 8 || udp_len > l4_len) {
            return false;
        }
    } else {
        return false;
    }
    static constexpr parsed_packet blank{};
    p = blank;
    p.family = ip_family::v4;
    p.l4_proto = proto;
    p.sport = load_be16(t);
    p.dport = load_be16(t + 2);
    p.tcp_flags = flags;
    p.has_l4 = true;
    p.has_ports = true;
    p.ethertype = ethertype::ipv4;
    p.frag_id = load_be16(h + 4);
    p.l3_offset = l3;
    p.l4_offset = l4;
    p.l4_length = static_cast<uint16_t>(l4_len);
    p.ttl = h[8];
    p.src = load_be32(h + 12);
    p.dst = load_be32(h + 16);
    return true;
}

} // namespace parse_detail

// Every frame shape, every check (see the order at the top).
inline void parse_general(const uint8_t* data, uint32_t len, uint32_t frame_len,
                          parsed_packet& p) noexcept {
    static constexpr parsed_packet blank{};
    p = blank;
    parse_detail::span s{data, len < frame_len ? len : frame_len, frame_len};
    if (!parse_detail::parse_ethernet(s, p)) {
        return;
    }
    const bool l3_ok = p.ethertype == ethertype::ipv4 ? parse_detail::parse_ipv4(s, p)
                                                      : parse_detail::parse_ipv6(s, p);
    if (!l3_ok || (p.is_fragment && !p.is_first_fragment)) {
        return; // a later fragment carries no L4 header: ports stay unknown
    }
    parse_detail::parse_l4(s, p);
}

// Parses one Ethernet frame. `len` bytes at `data` are readable; `frame_len`
// (>= len) is the frame's real length, against which the IP length fields are
// checked. When frame_len > len, headers that continue past `len` give
// malformed/headers_too_long rather than a read past the buffer.
// In place: the worker parses straight into its burst array (one 64-byte
// copy of a blank result instead of field-by-field initialisation and a
// second copy out). The common shape takes the fast path.
inline void parse_packet(const uint8_t* data, uint32_t len, uint32_t frame_len,
                         parsed_packet& p) noexcept {
    if (parse_detail::parse_ipv4_tcp_udp(data, len < frame_len ? len : frame_len, frame_len, p))
        [[likely]] {
        return;
    }
    parse_general(data, len, frame_len, p);
}

inline parsed_packet parse_packet(const uint8_t* data, uint32_t len, uint32_t frame_len) noexcept {
    parsed_packet p;
    parse_packet(data, len, frame_len, p);
    return p;
}

inline parsed_packet parse_packet(const uint8_t* data, uint32_t len) noexcept {
    return parse_packet(data, len, len);
}

} // namespace podgate::pipeline
