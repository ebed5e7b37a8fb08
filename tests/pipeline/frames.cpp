#include "tests/pipeline/frames.hpp"

#include "tests/parse/packet_builder.hpp"

namespace podgate::pipetest {

using test::ipv4_fields;
using test::ipv6_fields;
using test::packet_builder;

namespace {

ipv4_fields v4(uint32_t src, uint32_t dst) {
    ipv4_fields f;
    f.src = src;
    f.dst = dst;
    return f;
}

ipv6_fields v6(u128 src, u128 dst) {
    ipv6_fields f;
    f.src = src;
    f.dst = dst;
    return f;
}

} // namespace

frame tcp4(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, uint8_t flags) {
    return packet_builder()
        .ethernet()
        .ipv4(v4(src, dst))
        .tcp(sport, dport, flags)
        .payload(6)
        .finish()
        .bytes();
}

frame tcp6(u128 src, u128 dst, uint16_t sport, uint16_t dport, uint8_t flags) {
    return packet_builder().ethernet().ipv6(v6(src, dst)).tcp(sport, dport, flags).finish().bytes();
}

frame udp4(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport) {
    return packet_builder()
        .ethernet()
        .ipv4(v4(src, dst))
        .udp(sport, dport)
        .payload(18)
        .finish()
        .bytes();
}

frame echo4(uint32_t src, uint32_t dst, bool request, uint16_t id, uint16_t seq) {
    return packet_builder()
        .ethernet()
        .ipv4(v4(src, dst))
        .icmp(request ? 8 : 0, 0, id, seq)
        .payload(32)
        .finish()
        .bytes();
}

frame tcp4_first_fragment(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, uint16_t id) {
    ipv4_fields f = v4(src, dst);
    f.id = id;
    f.more_fragments = true;
    return packet_builder()
        .ethernet()
        .ipv4(f)
        .tcp(sport, dport, tcp_flags::ack)
        .payload(4)
        .finish()
        .bytes();
}

frame tcp4_later_fragment(uint32_t src, uint32_t dst, uint16_t id, uint16_t offset8, bool more) {
    ipv4_fields f = v4(src, dst);
    f.id = id;
    f.frag_offset8 = offset8;
    f.more_fragments = more;
    return packet_builder().ethernet().ipv4(f).proto(6).payload(16).finish().bytes();
}

frame udp6_first_fragment(u128 src, u128 dst, uint16_t sport, uint16_t dport, uint32_t id) {
    // UDP length covers the whole datagram (8 + 16 + 16), not this fragment.
    packet_builder b;
    b.ethernet().ipv6(v6(src, dst)).fragment(0, true, id).udp(sport, dport).payload(16).finish();
    return b.set16(b.l4() + 4, 40).bytes();
}

frame udp6_later_fragment(u128 src, u128 dst, uint32_t id, uint16_t offset8, bool more) {
    return packet_builder()
        .ethernet()
        .ipv6(v6(src, dst))
        .fragment(offset8, more, id)
        .proto(17)
        .payload(16)
        .finish()
        .bytes();
}

frame neighbour_solicitation(u128 src, u128 dst, uint8_t hop_limit) {
    ipv6_fields f = v6(src, dst);
    f.hop_limit = hop_limit;
    // 8 bytes of ICMPv6 header + the 16-byte target address.
    return packet_builder().ethernet().ipv6(f).icmpv6(135, 0).payload(16, 0).finish().bytes();
}

frame arp() {
    return packet_builder().ethernet().ethertype(0x0806).payload(28, 0).bytes();
}

} // namespace podgate::pipetest
