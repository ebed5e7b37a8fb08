#pragma once
// Semantics cases run once per address family. Cases are YAML read by the
// product loader; their pods have both an IPv4 address 10.0.<net>.<host> and
// an IPv6 address fd00::<net>:<host> (hex), so /24 and /112 (and /16 and /96)
// describe the same pods in the two families.

#include "tests/semantics/dual_check.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <initializer_list>
#include <ostream>
#include <string>

namespace podgate {
// gtest prints parameters with this (instead of "1-byte object <04>").
inline void PrintTo(ip_family f, std::ostream* os) {
    *os << (f == ip_family::v4 ? "IPv4" : "IPv6");
}
} // namespace podgate

namespace podgate::test {

class family_test : public ::testing::TestWithParam<ip_family> {
  protected:
    bool v6() const { return GetParam() == ip_family::v6; }

    // The address of pod (net, host) in the family under test.
    std::string addr(int net, int host) const { return v6() ? addr6(net, host) : addr4(net, host); }
    // An address outside every pod network: 192.168.<net>.<host> / 2001:db8::<net>:<host>.
    std::string outside(int net, int host) const {
        return v6() ? format("2001:db8::%x:%x", net, host) : format("192.168.%d.%d", net, host);
    }
    // Picks the spelling of a CIDR (or anything else) for the family under test.
    std::string pick(const std::string& v4_text, const std::string& v6_text) const {
        return v6() ? v6_text : v4_text;
    }

    // Loads YAML documents (joined with "---") through the product loader.
    static config::cluster load(std::initializer_list<std::string> documents) {
        std::string text;
        for (const auto& d : documents) {
            text += text.empty() ? "" : "\n---\n";
            text += d;
        }
        return load_yaml(text);
    }
    // A NetworkPolicy document; `spec` holds the spec's fields indented by two.
    static std::string policy(const std::string& ns, const std::string& name,
                              const std::string& spec) {
        return "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: " + name +
               ", namespace: " + ns + "}\nspec:" + spec;
    }

    static std::string addr4(int net, int host) { return format("10.0.%d.%d", net, host); }
    static std::string addr6(int net, int host) { return format("fd00::%x:%x", net, host); }

  private:
    static std::string format(const char* fmt, int a, int b) {
        char buf[64];
        std::snprintf(buf, sizeof buf, fmt, a, b);
        return buf;
    }
};

inline std::string family_name(const ::testing::TestParamInfo<ip_family>& info) {
    return info.param == ip_family::v4 ? "ipv4" : "ipv6";
}

#define PODGATE_BOTH_FAMILIES(suite)                                                               \
    INSTANTIATE_TEST_SUITE_P(families, suite, ::testing::Values(ip_family::v4, ip_family::v6),     \
                             ::podgate::test::family_name)

} // namespace podgate::test
