#pragma once
// Test-local frame builder: appends headers byte by byte, links each header's
// "next protocol" byte to the layer that follows, and fills the IPv4 total
// length / checksum, IPv6 payload length and UDP length in finish(). Tests
// then corrupt single bytes with set8/set16 to reach each malformed path.

#include "config/ip.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace podgate::test {

struct ipv4_fields {
    uint32_t src = 0x0a000001; // 10.0.0.1
    uint32_t dst = 0x0a000102; // 10.0.1.2
    uint8_t ttl = 64;
    uint16_t id = 0x1234;
    uint16_t frag_offset8 = 0; // in 8-byte units
    bool more_fragments = false;
    bool dont_fragment = false;
    std::vector<uint8_t> options; // padded with zeros (EOL) to a multiple of 4
};

struct ipv6_fields {
    u128 src = u128{0x20010db800000000ull} << 64 | 1; // 2001:db8::1
    u128 dst = u128{0x20010db800000000ull} << 64 | 2; // 2001:db8::2
    uint8_t hop_limit = 64;
};

class packet_builder {
  public:
    packet_builder& ethernet() {
        for (uint8_t b : {0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01}) {
            u8(b);
        }
        _type_pos = _bytes.size();
        return u16(0);
    }
    packet_builder& vlan(uint16_t tpid, uint16_t vid, uint8_t pcp = 0) {
        set16(_type_pos, tpid);
        u16(static_cast<uint16_t>(pcp << 13 | vid));
        _type_pos = _bytes.size();
        return u16(0);
    }
    // Ends layer 2 with a non-IP ethertype.
    packet_builder& ethertype(uint16_t type) {
        set16(_type_pos, type);
        return *this;
    }

    packet_builder& ipv4(const ipv4_fields& f = {}) {
        set16(_type_pos, 0x0800);
        _ip4 = _bytes.size();
        const size_t opt_len = (f.options.size() + 3) / 4 * 4;
        u8(static_cast<uint8_t>(0x40 | (20 + opt_len) / 4)).u8(0).u16(0).u16(f.id);
        u16(static_cast<uint16_t>((f.dont_fragment ? 0x4000 : 0) | (f.more_fragments ? 0x2000 : 0) |
                                  f.frag_offset8));
        u8(f.ttl);
        _next_pos = _bytes.size();
        u8(0).u16(0).u32(f.src).u32(f.dst);
        for (size_t i = 0; i < opt_len; ++i) {
            u8(i < f.options.size() ? f.options[i] : 0);
        }
        return *this;
    }

    packet_builder& ipv6(const ipv6_fields& f = {}) {
        set16(_type_pos, 0x86dd);
        _ip6 = _bytes.size();
        u32(0x60000000).u16(0);
        _next_pos = _bytes.size();
        u8(0).u8(f.hop_limit).u128v(f.src).u128v(f.dst);
        return *this;
    }
    // Hop-by-hop (0), routing (43) or destination options (60): `units` is
    // the length byte, the header is (units + 1) * 8 bytes.
    packet_builder& ext(uint8_t kind, uint8_t units = 0) {
        next(kind);
        _next_pos = _bytes.size();
        u8(0).u8(units);
        if (kind == 43) {
            u8(4).u8(0); // routing type 4 (segment routing), segments left 0
        } else {
            u8(1).u8(static_cast<uint8_t>(4 + units * 8)); // PadN over the rest
        }
        return zeros(4 + units * 8u);
    }
    // AH: the length byte counts 4-byte units minus 2.
    packet_builder& ah(uint8_t units = 4) {
        next(51);
        _next_pos = _bytes.size();
        u8(0).u8(units);
        return zeros((units + 2u) * 4 - 2);
    }
    packet_builder& fragment(uint16_t offset8, bool more, uint32_t id) {
        next(44);
        _next_pos = _bytes.size();
        u8(0).u8(0).u16(static_cast<uint16_t>(offset8 << 3 | (more ? 1 : 0))).u32(id);
        return *this;
    }
    // Ends the IP chain with a protocol number and no header of ours.
    packet_builder& proto(uint8_t p) {
        next(p);
        return *this;
    }

    packet_builder& tcp(uint16_t sport, uint16_t dport, uint8_t flags = 0x02,
                        uint8_t option_words = 0) {
        next(6);
        _l4 = _bytes.size();
        u16(sport).u16(dport).u32(1000).u32(0);
        u8(static_cast<uint8_t>((5 + option_words) << 4)).u8(flags).u16(65535).u16(0).u16(0);
        for (unsigned i = 0; i < option_words * 4u; ++i) {
            u8(1); // NOP
        }
        return *this;
    }
    packet_builder& udp(uint16_t sport, uint16_t dport) {
        next(17);
        _l4 = _bytes.size();
        _udp = _bytes.size();
        return u16(sport).u16(dport).u16(0).u16(0);
    }
    packet_builder& sctp(uint16_t sport, uint16_t dport) {
        next(132);
        _l4 = _bytes.size();
        return u16(sport).u16(dport).u32(0xdeadbeef).u32(0);
    }
    // ICMP (IPv4) or ICMPv6 (next = 58): type, code, checksum, 4 bytes of body.
    packet_builder& icmp(uint8_t type, uint8_t code, uint16_t id = 0, uint16_t seq = 0,
                         bool v6 = false) {
        next(v6 ? 58 : 1);
        _l4 = _bytes.size();
        return u8(type).u8(code).u16(0).u16(id).u16(seq);
    }
    packet_builder& icmpv6(uint8_t type, uint8_t code, uint16_t id = 0, uint16_t seq = 0) {
        return icmp(type, code, id, seq, true);
    }

    packet_builder& payload(size_t n, uint8_t fill = 0xab) {
        _bytes.insert(_bytes.end(), n, fill);
        return *this;
    }
    packet_builder& zeros(size_t n) { return payload(n, 0); }

    // Fills the length fields from the bytes written so far; bytes appended
    // later are Ethernet padding.
    packet_builder& finish() {
        const size_t end = _bytes.size();
        if (_ip4) {
            set16(*_ip4 + 2, static_cast<uint16_t>(end - *_ip4));
            const size_t hlen = (_bytes[*_ip4] & 0x0f) * 4u;
            uint32_t sum = 0;
            for (size_t i = 0; i < hlen; i += 2) {
                sum += static_cast<uint32_t>(_bytes[*_ip4 + i] << 8 | _bytes[*_ip4 + i + 1]);
            }
            while (sum >> 16) {
                sum = (sum & 0xffff) + (sum >> 16);
            }
            set16(*_ip4 + 10, static_cast<uint16_t>(~sum));
        }
        if (_ip6) {
            set16(*_ip6 + 4, static_cast<uint16_t>(end - *_ip6 - 40));
        }
        if (_udp) {
            set16(*_udp + 4, static_cast<uint16_t>(end - *_udp));
        }
        return *this;
    }

    std::vector<uint8_t> bytes() const { return _bytes; }
    size_t size() const { return _bytes.size(); }
    size_t l3() const { return _ip4 ? *_ip4 : _ip6.value_or(0); }
    size_t l4() const { return _l4.value_or(0); }

    packet_builder& set8(size_t off, uint8_t v) {
        _bytes.at(off) = v;
        return *this;
    }
    packet_builder& set16(size_t off, uint16_t v) {
        _bytes.at(off) = static_cast<uint8_t>(v >> 8);
        _bytes.at(off + 1) = static_cast<uint8_t>(v);
        return *this;
    }

  private:
    packet_builder& u8(uint8_t v) {
        _bytes.push_back(v);
        return *this;
    }
    packet_builder& u16(uint16_t v) {
        return u8(static_cast<uint8_t>(v >> 8)).u8(static_cast<uint8_t>(v));
    }
    packet_builder& u32(uint32_t v) {
        return u16(static_cast<uint16_t>(v >> 16)).u16(static_cast<uint16_t>(v));
    }
    packet_builder& u128v(u128 v) {
        for (int shift = 120; shift >= 0; shift -= 8) {
            u8(static_cast<uint8_t>(v >> shift));
        }
        return *this;
    }
    void next(uint8_t proto) { _bytes.at(_next_pos) = proto; }

    std::vector<uint8_t> _bytes;
    size_t _type_pos = 0;
    size_t _next_pos = 0;
    std::optional<size_t> _ip4;
    std::optional<size_t> _ip6;
    std::optional<size_t> _udp;
    std::optional<size_t> _l4;
};

inline u128 v6(const char* text) {
    return parse_ip(text).value().value;
}

} // namespace podgate::test
