#pragma once
// IP addresses and prefixes as plain values: one 128-bit integer per address,
// IPv4 in the low 32 bits. The two families are separate address spaces
// (0.0.0.0/0 never matches an IPv6 address and ::/0 never an IPv4 one).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace podgate {

__extension__ using u128 = unsigned __int128;

enum class ip_family : uint8_t { v4 = 4, v6 = 6 };

constexpr unsigned address_bits(ip_family f) noexcept {
    return f == ip_family::v4 ? 32 : 128;
}

struct ip_address {
    ip_family family = ip_family::v4;
    u128 value = 0; // host byte order; IPv4 uses the low 32 bits

    static ip_address v4(uint32_t host_order) noexcept { return {ip_family::v4, host_order}; }
    static ip_address v6(u128 host_order) noexcept { return {ip_family::v6, host_order}; }
    uint32_t as_v4() const noexcept { return static_cast<uint32_t>(value); }

    friend bool operator==(const ip_address&, const ip_address&) = default;
    friend auto operator<=>(const ip_address& a, const ip_address& b) noexcept {
        if (a.family != b.family) {
            return a.family <=> b.family;
        }
        return a.value <=> b.value;
    }
};

struct ip_prefix {
    ip_address base; // host bits always zero
    uint8_t length = 0;

    bool contains(const ip_address& a) const noexcept;
    // True when every address of `inner` is in this prefix.
    bool contains(const ip_prefix& inner) const noexcept;
    friend bool operator==(const ip_prefix&, const ip_prefix&) = default;
};

// Mask of the top `length` bits of a family's address.
u128 prefix_mask(ip_family f, unsigned length) noexcept;

// Textual forms. parse_* return nullopt on anything that is not exactly an
// address / a CIDR. parse_cidr clears host bits as the Kubernetes API server
// does ("10.1.0.1/4" means 0.0.0.0/4).
std::optional<ip_address> parse_ip(std::string_view text);
std::optional<ip_prefix> parse_cidr(std::string_view text);
std::string to_string(const ip_address& a);
std::string to_string(const ip_prefix& p);

} // namespace podgate
