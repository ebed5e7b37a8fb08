#pragma once
// Random flows aimed at the places a compiled classifier gets wrong: pod
// addresses, the first/last address of every ipBlock cidr and except and the
// addresses just outside them, every port boundary of every rule (±1), the
// numbers named ports resolve to, 0 and 65535, and plain random values.
// Half of them are aimed at one rule: a pod the policy selects, a peer the
// rule names (or an address at the edge of its ipBlock), a port at the edge of
// the rule's ports; without that, a change to one rule is seen by one random
// flow in thousands.

#include "classifier/tables/flow.hpp"
#include "config/cluster.hpp"
#include "tests/support/synth/random.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace podgate::differential {

class flow_source {
  public:
    flow_source(const config::cluster& c, uint64_t seed);

    classifier::flow next();
    std::vector<classifier::flow> take(size_t n);

    size_t edge_addresses() const { return _edges_v4.size() + _edges_v6.size(); }
    size_t edge_ports() const { return _ports.size(); }

  private:
    ip_address address(bool v6);
    uint16_t port();
    void protocol_and_port(classifier::flow& f);
    bool aimed(classifier::flow& f);
    const config::pod* pick_pod(const std::vector<const config::pod*>& pods, bool v6);
    std::optional<ip_address> peer_address(const config::network_policy& np, const config::peer& p,
                                           bool v6);
    uint16_t port_near(const config::port_rule& pr, const config::pod* destination);

    const std::vector<const config::pod*>& selected_by(const config::network_policy& np);
    const std::vector<const config::pod*>& matching(const config::network_policy& np,
                                                    const config::peer& p);

    const config::cluster& _cluster;
    synth::random _r;
    std::vector<const config::pod*> _endpoints;
    std::map<std::string, config::label_map, std::less<>> _ns_labels;
    std::map<const void*, std::vector<const config::pod*>> _cache; // policy or peer -> pods
    std::vector<ip_address> _pods_v4, _pods_v6;   // every pod address (any pod state)
    std::vector<ip_address> _edges_v4, _edges_v6; // ipBlock boundaries and neighbours
    std::vector<uint16_t> _ports;                 // rule boundaries, named numbers, ±1
};

std::string describe(const classifier::flow& f);

} // namespace podgate::differential
