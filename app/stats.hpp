#pragma once
// Counter reports, built on the control thread from the per-lcore blocks and
// the ports' own statistics: a short periodic line, a full summary at exit,
// and the same as JSON (--stats-json, the control interface).

#include "app/attribution_totals.hpp"
#include "classifier/tables/tables.hpp"
#include "pipeline/counters.hpp"
#include "pipeline/ports/ports.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace podgate::app {

struct run_view {
    const std::vector<pipeline::lcore_counters>* lcores;
    const std::vector<unsigned>* lcore_ids;
    const pipeline::port_setup* ports;
    const classifier::tables* tables;
    uint64_t conntrack_capacity; // per worker
    double elapsed_s;
};

struct totals {
    uint64_t rx = 0, tx = 0, dropped = 0;
};
totals sum(const std::vector<pipeline::lcore_counters>& lcores);

nlohmann::json stats_json(const run_view& v);
std::string stats_line(const run_view& v);    // one line, periodic
std::string stats_summary(const run_view& v); // several lines, at exit

// Attribution totals as {"ns/name": {"ingress": {"allow": n}, "egress": {"allow": n}}}
// (the "verdict" level leaves room for denied flows per policy).
nlohmann::json attribution_json(const std::vector<attribution_totals::entry>& totals);

} // namespace podgate::app
