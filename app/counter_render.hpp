#pragma once
// The data plane's counters rendered from their one declaration
// (pipeline/counter_registry.hpp, app/control_metrics.hpp): as the stats
// JSON's counter keys, as Prometheus samples, and as the list that
// `podgate --list-counters` prints. Pure functions of the counter blocks:
// no EAL, no appliance, so unit tests drive them directly.

#include "app/prometheus.hpp"
#include "pipeline/counter_registry.hpp"

#include <nlohmann/json.hpp>

#include <span>
#include <string>
#include <vector>

namespace podgate::app {

struct port_label {
    uint16_t port;
    std::string name;
};

// Every registry row that has a JSON path, summed over workers, into `j`
// ("a.b" goes to j["a"]["b"]; a labelled row is an object by label value).
void counters_json(std::span<const pipeline::lcore_counters> lcores, nlohmann::json& j);

// The JSON keys of the port-scope rows ("rx", "tx") for one port, into `entry`.
void port_counters_json(std::span<const pipeline::lcore_counters> lcores, uint16_t port,
                        nlohmann::json& entry);

// The lcore-scope rows of one worker, into `entry`.
void lcore_counters_json(const pipeline::lcore_counters& lcore, nlohmann::json& entry);

// Every registry row as Prometheus samples.
void counter_metrics(prometheus_writer& w, std::span<const pipeline::lcore_counters> lcores,
                     std::span<const unsigned> lcore_ids, const std::vector<port_label>& ports);

// Both registries and the label vocabularies, as `podgate --list-counters` prints them.
nlohmann::json list_counters();

} // namespace podgate::app
