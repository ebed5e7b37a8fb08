#pragma once
// Flow lists drawn from a cluster, for benchmarks and traffic: the one flow
// generator of the tree (`podgate-policy flows`, bench_classifier). It only
// aims: which flows are allowed is decided by the compiled tables, never here.
//
// Addresses are endpoint pods' IPs and, with probability external_fraction
// per end, 198.51.100.0/24 or 2001:db8::/32. Destination ports are those the
// policies name (numbers, endPort ranges, named ports resolved on the pods),
// the pods' container ports, and TCP/UDP 20000-20999, which nobody allows.
// Source ports are ephemeral (32768-60999); ICMP echo takes the identifier
// as its source port.

#include "classifier/tables/flow.hpp"
#include "classifier/tables/tables.hpp"
#include "config/cluster.hpp"

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace podgate::tools {

struct flowgen_params {
    uint64_t seed = 1;
    double ipv6_fraction = 0;       // share of IPv6 flows
    double external_fraction = 0.1; // per end: an address outside the cluster
};

// Draws candidate flows. Mix: 40% aimed at one rule of one policy (a pod it
// selects at one end, an ipBlock address or a pod at the other, a port the
// rule names), 55% between random addresses on a port from the pool, 5%
// ICMP echo. Deterministic for a seed (std::mt19937_64 is specified exactly).
class flow_generator {
  public:
    flow_generator(const config::cluster& c, const flowgen_params& p);

    classifier::flow next();

  private:
    struct target {
        ip_address addr;
        const config::pod* pod;
    };
    struct port_range {
        uint8_t proto;
        uint16_t lo, hi;
    };
    struct aim {
        const config::network_policy* policy;
        const config::rule* rule;
        config::direction dir;
        std::vector<target> selected[2]; // per family: pods the policy selects
    };

    const std::vector<target>& pods(ip_family f) const { return _pods[f == ip_family::v6]; }
    uint64_t below(uint64_t n) { return n == 0 ? 0 : _rng() % n; }
    bool chance(double p) { return static_cast<double>(_rng() >> 11) * 0x1.0p-53 < p; }
    ip_address external(ip_family f);
    ip_address address(ip_family f);
    target any_end(ip_family f);
    std::optional<classifier::flow> aimed(ip_family f);
    classifier::flow random_flow(ip_family f);

    std::mt19937_64 _rng;
    flowgen_params _p;
    std::vector<target> _pods[2];
    std::vector<port_range> _ports;
    std::vector<aim> _aims;
};

struct flow_list {
    std::vector<classifier::flow> flows;
    uint32_t allowed = 0;
    std::string error; // non-empty: the share asked for could not be reached
};

// `count` distinct flows (5-tuple). With `allow_fraction`, exactly
// round(count * allow_fraction) of them are allowed by `t`, interleaved so
// that any prefix has about the same share; without, the flows as drawn.
flow_list generate_flows(const config::cluster& c, const classifier::tables& t,
                         const flowgen_params& p, uint32_t count,
                         std::optional<double> allow_fraction);

} // namespace podgate::tools
