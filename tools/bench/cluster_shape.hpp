#pragma once
// P:N:M (pods:policies:namespaces), the cluster shapes the benchmarks take on
// their command lines (--cases, --acl-sweep), as a CLI11 validator.

#include <CLI/CLI.hpp>

#include <cstdint>
#include <cstdio>
#include <string>

namespace podgate::bench {

struct cluster_shape {
    uint32_t pods = 0;
    uint32_t policies = 0;
    uint32_t namespaces = 0;
};

inline bool parse_shape(const std::string& text, cluster_shape& s) {
    char tail = 0;
    return std::sscanf(text.c_str(), "%u:%u:%u%c", &s.pods, &s.policies, &s.namespaces, &tail) ==
               3 &&
           s.namespaces > 0;
}

inline cluster_shape to_shape(const std::string& text) {
    cluster_shape s;
    parse_shape(text, s);
    return s;
}

inline const CLI::Validator shape_check(
    [](std::string& v) {
        cluster_shape s;
        return parse_shape(v, s) ? std::string()
                                 : "bad cluster shape '" + v + "' (PODS:POLICIES:NAMESPACES)";
    },
    "P:N:M");

} // namespace podgate::bench
