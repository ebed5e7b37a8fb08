#pragma once
// What the packet parser reports for one frame (see pipeline/parse/README.md).
// One cache line per packet: a burst of 32 results is 2 KiB of stack.
//
// Which fields are meaningful:
//   status == ok        everything below, subject to the has_* / is_* flags
//   status == not_ip    ethertype, vlan_count, vlan_ids, l3_offset
//   status == malformed reason; fields parsed before the failing check keep
//                       their values (useful for counters, never for policy)

#include "config/ip.hpp"

#include <cstdint>

namespace podgate::pipeline {

enum class parse_status : uint8_t {
    ok = 0,    // IPv4/IPv6 with every header the parser knows checked
    not_ip,    // an Ethernet frame carrying something else (ARP, LLDP, ...)
    malformed, // see malformed_reason; the data plane drops these
};

enum class malformed_reason : uint8_t {
    none = 0,
    truncated_l2,     // frame ends inside the Ethernet header or a VLAN tag
    too_many_vlans,   // a third VLAN tag
    truncated_l3,     // frame ends inside the IPv4 header (with options) or IPv6 header;
                      // IPv6 extension header runs past the datagram
    bad_version,      // IP version nibble does not match the ethertype
    bad_ihl,          // IPv4 IHL < 5
    bad_ip_length,    // IPv4 total length < header or > frame; IPv6 payload > frame
    bad_ext_chain,    // IPv6: hop-by-hop not first, two fragment headers, chain too long
    bad_fragment,     // fragment that cannot be reassembled safely (see README)
    truncated_l4,     // datagram (or first fragment) ends inside the L4 header
    bad_l4_header,    // TCP data offset < 5 or past the datagram; UDP length wrong
    headers_too_long, // headers continue past the parse budget (multi-segment mbufs)
};
inline constexpr unsigned malformed_reason_count = 12;

inline const char* to_string(parse_status s) noexcept {
    switch (s) {
    case parse_status::ok:
        return "ok";
    case parse_status::not_ip:
        return "not-ip";
    case parse_status::malformed:
        return "malformed";
    }
    return "?";
}

inline const char* to_string(malformed_reason e) noexcept {
    switch (e) {
    case malformed_reason::none:
        return "none";
    case malformed_reason::truncated_l2:
        return "truncated-l2";
    case malformed_reason::too_many_vlans:
        return "too-many-vlans";
    case malformed_reason::truncated_l3:
        return "truncated-l3";
    case malformed_reason::bad_version:
        return "bad-version";
    case malformed_reason::bad_ihl:
        return "bad-ihl";
    case malformed_reason::bad_ip_length:
        return "bad-ip-length";
    case malformed_reason::bad_ext_chain:
        return "bad-ext-chain";
    case malformed_reason::bad_fragment:
        return "bad-fragment";
    case malformed_reason::truncated_l4:
        return "truncated-l4";
    case malformed_reason::bad_l4_header:
        return "bad-l4-header";
    case malformed_reason::headers_too_long:
        return "headers-too-long";
    }
    return "?";
}

// IANA numbers the parser looks at.
namespace ip_proto {
inline constexpr uint8_t hop_by_hop = 0;
inline constexpr uint8_t icmp = 1;
inline constexpr uint8_t tcp = 6;
inline constexpr uint8_t udp = 17;
inline constexpr uint8_t routing = 43;
inline constexpr uint8_t fragment = 44;
inline constexpr uint8_t esp = 50;
inline constexpr uint8_t ah = 51;
inline constexpr uint8_t icmpv6 = 58;
inline constexpr uint8_t no_next_header = 59;
inline constexpr uint8_t destination_options = 60;
inline constexpr uint8_t sctp = 132;
} // namespace ip_proto

namespace ethertype {
inline constexpr uint16_t ipv4 = 0x0800;
inline constexpr uint16_t ipv6 = 0x86dd;
inline constexpr uint16_t vlan = 0x8100;     // 802.1Q
inline constexpr uint16_t qinq = 0x88a8;     // 802.1ad service tag
inline constexpr uint16_t qinq_old = 0x9100; // pre-802.1ad QinQ
} // namespace ethertype

// Addresses are kept as the host-order 128-bit value of podgate::ip_address
// with the family stored once: two ip_address members would take 64 bytes
// (family byte + padding each) and leave no room for the rest of the line.
// src_address()/dst_address() rebuild the classifier's type for free.
struct parsed_packet {
    u128 src = 0; // host byte order; IPv4 in the low 32 bits
    u128 dst = 0;

    parse_status status = parse_status::ok;
    malformed_reason reason = malformed_reason::none;
    ip_family family = ip_family::v4;
    uint8_t l4_proto = 0; // IPv6: the header after the extension chain (see README for fragments)

    uint16_t sport = 0; // valid when has_ports
    uint16_t dport = 0;

    uint8_t tcp_flags = 0; // TCP byte 13 (CWR ECE URG ACK PSH RST SYN FIN)
    uint8_t icmp_type = 0; // ICMP or ICMPv6, valid when has_l4
    uint8_t icmp_code = 0;
    bool is_fragment : 1 = false;       // MF set or offset != 0 (atomic fragments are not)
    bool is_first_fragment : 1 = false; // is_fragment and offset 0: L4 header present
    bool more_fragments : 1 = false;
    bool has_l4 : 1 = false;      // TCP/UDP/SCTP/ICMP/ICMPv6 header parsed
    bool has_ports : 1 = false;   // sport/dport valid (TCP, UDP, SCTP and not a later fragment)
    bool has_echo_id : 1 = false; // ICMP(v6) echo request/reply: icmp_echo_id valid
    bool is_nd : 1 = false;       // valid IPv6 neighbour discovery (types 133-137)

    uint16_t icmp_echo_id = 0;
    uint16_t ethertype = 0; // after the VLAN tags

    uint32_t frag_id = 0; // IPv4 16-bit id, IPv6 32-bit id (fragment header)

    uint16_t l3_offset = 0; // from the start of the frame
    uint16_t l4_offset = 0; // after IPv4 options / the IPv6 extension chain
    uint16_t l4_length = 0; // bytes from l4_offset to the end of the IP datagram

    uint16_t vlan_ids[2] = {0, 0}; // outer first; 12-bit VIDs
    uint8_t vlan_count = 0;
    uint8_t ttl = 0; // IPv4 TTL / IPv6 hop limit

    ip_address src_address() const noexcept { return {family, src}; }
    ip_address dst_address() const noexcept { return {family, dst}; }
    // Offset of the first byte after the IP datagram (Ethernet padding follows).
    uint32_t l3_end() const noexcept { return uint32_t{l4_offset} + l4_length; }

    friend bool operator==(const parsed_packet&, const parsed_packet&) = default;
};

static_assert(sizeof(parsed_packet) == 64, "parsed_packet is meant to fill one cache line");

} // namespace podgate::pipeline
