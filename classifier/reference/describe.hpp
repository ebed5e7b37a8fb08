#pragma once
// Short, kubectl-like text for the objects explain() talks about: selectors,
// peers, ports and flows. Only the reference evaluator uses these; nothing
// here is on a hot path.

#include "classifier/tables/flow.hpp"
#include "config/cluster.hpp"

#include <string>

namespace podgate::classifier::reference {

// "{}" for the empty selector, else "pod=b, env in (a,b), !debug".
std::string describe(const config::label_selector& s);
// "podSelector {pod=b} + namespaceSelector {ns=y}", "ipBlock 10.0.0.0/8 except 10.1.0.0/16".
std::string describe(const config::peer& p);
// "TCP 80", "TCP 80-90", "UDP (all ports)", "TCP serve-80-tcp".
std::string describe(const config::port_rule& p);
// "TCP", "UDP", "SCTP", "ICMP", "ICMPv6" or "proto 47".
std::string protocol_name(uint8_t proto);
// "TCP 10.0.0.2:40000 -> 10.0.0.1:3306", "[fd00::2]:40000" for IPv6, no ports
// for protocols without them.
std::string describe(const flow& f);

} // namespace podgate::classifier::reference
