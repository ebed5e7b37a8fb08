#pragma once
// The expected.txt format of a conformance case: upstream's truth table
// printout ('.' connected, 'X' blocked; rows are sources, columns
// destinations), one table per group of port/protocols, plus a header:
//
//   families: ipv4 ipv6
//   label: namespace y ns2=updated        (applied after loading, as upstream
//   label: pod x/b pod2=updated            mutates labels between steps)
//
//   ports: 80/TCP 81/TCP
//   -     x/a  x/b ...
//   x/a   X    .   ...
//
// Lines starting with '#' are comments.

#include "config/result.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace podgate::conformance {

struct port_protocol {
    uint16_t port = 0;
    uint8_t proto = 6;
    friend auto operator<=>(const port_protocol&, const port_protocol&) = default;
};

std::string to_string(const port_protocol& pp); // "80/TCP"

struct truth_table {
    std::vector<std::string> pods;        // row and column order ("x/a", ...)
    std::vector<std::vector<bool>> cells; // [from][to], true = connected

    // Upstream's PrettyPrint; cells where `marks` is true get a '*'.
    std::string pretty(const std::vector<std::vector<bool>>* marks = nullptr) const;
};

struct label_change {
    bool on_namespace = false; // else on a pod
    std::string target;        // "y" or "x/b"
    std::string key;
    std::string value;
};

struct case_expectation {
    std::vector<std::string> families; // "ipv4", "ipv6"
    std::vector<label_change> labels;
    std::map<port_protocol, truth_table> tables;
};

// Parses expected.txt; an error names its line.
result<case_expectation> parse_expectation(const std::string& text);

} // namespace podgate::conformance
