#include "config/ip.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace podgate {

u128 prefix_mask(ip_family f, unsigned length) noexcept {
    const unsigned bits = address_bits(f);
    if (length == 0) {
        return 0;
    }
    const u128 all = bits == 32 ? u128{0xffffffffu} : ~u128{0};
    return (all << (bits - length)) & all;
}

bool ip_prefix::contains(const ip_address& a) const noexcept {
    return a.family == base.family && (a.value & prefix_mask(a.family, length)) == base.value;
}

bool ip_prefix::contains(const ip_prefix& inner) const noexcept {
    return inner.base.family == base.family && inner.length >= length && contains(inner.base);
}

std::optional<ip_address> parse_ip(std::string_view text) {
    char buf[INET6_ADDRSTRLEN + 1];
    if (text.empty() || text.size() >= sizeof buf) {
        return std::nullopt;
    }
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    if (text.find(':') == std::string_view::npos) {
        in_addr a4{};
        if (inet_pton(AF_INET, buf, &a4) != 1) {
            return std::nullopt;
        }
        return ip_address::v4(ntohl(a4.s_addr));
    }
    in6_addr a6{};
    if (inet_pton(AF_INET6, buf, &a6) != 1) {
        return std::nullopt;
    }
    u128 v = 0;
    for (uint8_t byte : a6.s6_addr) {
        v = (v << 8) | byte;
    }
    return ip_address::v6(v);
}

std::optional<ip_prefix> parse_cidr(std::string_view text) {
    const auto slash = text.find('/');
    if (slash == std::string_view::npos) {
        return std::nullopt;
    }
    auto addr = parse_ip(text.substr(0, slash));
    const auto len_text = text.substr(slash + 1);
    unsigned len = 0;
    auto [end, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
    if (!addr || ec != std::errc{} || end != len_text.data() + len_text.size() ||
        len_text.empty() || len > address_bits(addr->family) ||
        (len_text.size() > 1 && len_text[0] == '0')) {
        return std::nullopt;
    }
    addr->value &= prefix_mask(addr->family, len);
    return ip_prefix{*addr, static_cast<uint8_t>(len)};
}

std::string to_string(const ip_address& a) {
    char buf[INET6_ADDRSTRLEN];
    if (a.family == ip_family::v4) {
        in_addr a4{htonl(a.as_v4())};
        inet_ntop(AF_INET, &a4, buf, sizeof buf);
    } else {
        in6_addr a6{};
        u128 v = a.value;
        for (int i = 15; i >= 0; --i) {
            a6.s6_addr[i] = static_cast<uint8_t>(v);
            v >>= 8;
        }
        inet_ntop(AF_INET6, &a6, buf, sizeof buf);
    }
    return buf;
}

std::string to_string(const ip_prefix& p) {
    return to_string(p.base) + "/" + std::to_string(p.length);
}

} // namespace podgate
