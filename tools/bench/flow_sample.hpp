#pragma once
// Flows to classify in the classifier benchmark: IPv4 only (rte_acl gets one
// context for one family), drawn from the cluster so that a fair share hits
// real rules.

#include "classifier/tables/flow.hpp"
#include "config/cluster.hpp"

#include <cstdint>
#include <vector>

namespace podgate::bench {

// `n` flows, seeded. Mix: 40% aimed at a policy (a selected pod as
// destination, a port its rules name), 40% pod to pod on a port some policy or
// container mentions (or 20000-20999, which nobody allows), 15% with one end
// outside the cluster (198.51.100.0/24), 5% ICMP echo.
std::vector<classifier::flow> sample_flows(const config::cluster& c, uint32_t n, uint64_t seed);

} // namespace podgate::bench
