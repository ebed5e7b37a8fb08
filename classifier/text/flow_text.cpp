#include "classifier/text/flow_text.hpp"

#include <array>
#include <charconv>

namespace podgate::classifier {

namespace {

std::optional<unsigned> parse_number(std::string_view s, unsigned max) {
    unsigned v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size() || s.empty() || v > max) {
        return std::nullopt;
    }
    return v;
}

std::optional<uint8_t> parse_protocol(std::string_view s) {
    static constexpr std::pair<std::string_view, uint8_t> names[] = {
        {"tcp", 6}, {"udp", 17}, {"sctp", 132}, {"icmp", 1}, {"icmpv6", 58}};
    for (const auto& [name, number] : names) {
        if (s.size() == name.size() && std::equal(s.begin(), s.end(), name.begin(),
                                                  [](char a, char b) { return (a | 0x20) == b; })) {
            return number;
        }
    }
    if (auto n = parse_number(s, 255)) {
        return static_cast<uint8_t>(*n);
    }
    return std::nullopt;
}

} // namespace

bool is_blank_or_comment(std::string_view line) {
    const auto first = line.find_first_not_of(" \t\r");
    return first == std::string_view::npos || line[first] == '#';
}

result<flow> parse_flow(std::string_view text) {
    std::array<std::string_view, 5> words;
    size_t count = 0;
    size_t pos = 0;
    while (true) {
        pos = text.find_first_not_of(" \t\r", pos);
        if (pos == std::string_view::npos || text[pos] == '#') {
            break;
        }
        const size_t end = std::min(text.find_first_of(" \t\r", pos), text.size());
        if (count == words.size()) {
            return fail("too many fields (expected: PROTO SRC_IP SRC_PORT DST_IP DST_PORT)");
        }
        words[count++] = text.substr(pos, end - pos);
        pos = end;
    }
    if (count != words.size()) {
        return fail("expected 5 fields (PROTO SRC_IP SRC_PORT DST_IP DST_PORT), got " +
                    std::to_string(count));
    }
    auto proto = parse_protocol(words[0]);
    auto src = parse_ip(words[1]);
    auto sport = parse_number(words[2], 65535);
    auto dst = parse_ip(words[3]);
    auto dport = parse_number(words[4], 65535);
    if (!proto) {
        return fail("unknown protocol \"" + std::string(words[0]) + "\"");
    }
    if (!src) {
        return fail("invalid source address \"" + std::string(words[1]) + "\"");
    }
    if (!sport) {
        return fail("invalid source port \"" + std::string(words[2]) + "\"");
    }
    if (!dst) {
        return fail("invalid destination address \"" + std::string(words[3]) + "\"");
    }
    if (!dport) {
        return fail("invalid destination port \"" + std::string(words[4]) + "\"");
    }
    if (src->family != dst->family) {
        return fail("source and destination are of different address families");
    }
    return flow{*src, *dst, *proto, static_cast<uint16_t>(*sport), static_cast<uint16_t>(*dport)};
}

std::string protocol_name(uint8_t proto) {
    switch (proto) {
    case 6:
        return "tcp";
    case 17:
        return "udp";
    case 132:
        return "sctp";
    case 1:
        return "icmp";
    case 58:
        return "icmpv6";
    default:
        return std::to_string(proto);
    }
}

std::string to_string(const flow& f) {
    return protocol_name(f.proto) + " " + to_string(f.src) + " " + std::to_string(f.sport) + " " +
           to_string(f.dst) + " " + std::to_string(f.dport);
}

} // namespace podgate::classifier
