#pragma once
// The documents the control interface serves, as JSON built on the control
// side from counters and reload status. Telemetry flattens them into DPDK
// telemetry dicts; the metrics endpoint renders them as Prometheus text.

#include "app/daemon.hpp"

#include <nlohmann/json.hpp>

namespace podgate::app {

nlohmann::json stats_document(const appliance& a);
nlohmann::json policy_document(const appliance& a);
nlohmann::json conntrack_document(const appliance& a);

} // namespace podgate::app
