#pragma once
// Ethernet frames for the pipeline tests, built byte by byte with the parser
// tests' packet_builder (lengths and the IPv4 checksum filled in).

#include "config/ip.hpp"

#include <cstdint>
#include <vector>

namespace podgate::pipetest {

using frame = std::vector<uint8_t>;

namespace tcp_flags {
inline constexpr uint8_t fin = 0x01;
inline constexpr uint8_t syn = 0x02;
inline constexpr uint8_t rst = 0x04;
inline constexpr uint8_t ack = 0x10;
inline constexpr uint8_t syn_ack = syn | ack;
inline constexpr uint8_t fin_ack = fin | ack;
} // namespace tcp_flags

frame tcp4(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, uint8_t flags);
frame tcp6(u128 src, u128 dst, uint16_t sport, uint16_t dport, uint8_t flags);
frame udp4(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport);
// ICMP echo: request (type 8) or reply (type 0) with identifier `id`.
frame echo4(uint32_t src, uint32_t dst, bool request, uint16_t id, uint16_t seq = 1);

// IPv4 fragments of one datagram `id`: the first carries the TCP header and
// 4 bytes of data (24 bytes, more fragments); a later one starts at
// `offset8` (8-byte units) with 16 bytes of data.
frame tcp4_first_fragment(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, uint16_t id);
frame tcp4_later_fragment(uint32_t src, uint32_t dst, uint16_t id, uint16_t offset8, bool more);
// The same over IPv6 with a fragment header and UDP.
frame udp6_first_fragment(u128 src, u128 dst, uint16_t sport, uint16_t dport, uint32_t id);
frame udp6_later_fragment(u128 src, u128 dst, uint32_t id, uint16_t offset8, bool more);

// IPv6 neighbour solicitation (type 135, hop limit 255), valid per RFC 4861;
// with another hop limit it is plain ICMPv6 and goes through policy.
frame neighbour_solicitation(u128 src, u128 dst, uint8_t hop_limit = 255);
// An ARP request frame (ethertype 0x0806).
frame arp();

} // namespace podgate::pipetest
