#include "app/control_json.hpp"

#include "app/stats.hpp"
#include "classifier/compile/stats_json.hpp"
#include "pipeline/conntrack/conntrack.hpp"

namespace podgate::app {

namespace {

run_view view_of(const appliance& a, const classifier::tables* t) {
    return {&a.counters(), &a.lcore_ids(), &a.ports(), t, a.options().worker.conntrack.capacity,
            a.uptime_s()};
}

} // namespace

nlohmann::json stats_document(const appliance& a) {
    // Table statistics are cold data read under the RCU reader slot elsewhere;
    // counters alone need no table.
    auto j = stats_json(view_of(a, nullptr));
    j["generation"] = a.status().generation;
    return j;
}

nlohmann::json policy_document(const appliance& a) {
    const reload_status s = a.status();
    nlohmann::json j = {
        {"generation", s.generation},
        {"reloads_ok", s.reloads_ok},
        {"reloads_failed", s.reloads_failed},
        {"last_trigger", s.last_trigger},
        {"last_result", s.last_result},
        {"last_errors", s.last_errors},
        {"last_load_ms", s.last_load_ms},
        {"last_compile_ms", s.last_compile_ms},
        {"last_compile_kind", s.last_compile_kind},
        {"last_trigger_to_live_ms", s.last_trigger_to_live_ms},
        {"manifests", a.options().manifests},
    };
    if (s.table_stats) {
        j["tables"] = classifier::to_json(*s.table_stats);
    }
    return j;
}

nlohmann::json conntrack_document(const appliance& a) {
    const auto& lc = a.counters();
    nlohmann::json j;
    uint64_t occupancy = 0;
    uint64_t states[pipeline::ct_state_count] = {};
    j["lcores"] = nlohmann::json::array();
    for (size_t i = 0; i < lc.size(); ++i) {
        occupancy += lc[i].ct_occupancy.get();
        for (unsigned s = 0; s < pipeline::ct_state_count; ++s) {
            states[s] += lc[i].ct_states[s].get();
        }
        j["lcores"].push_back(
            {{"lcore", a.lcore_ids()[i]}, {"occupancy", lc[i].ct_occupancy.get()}});
    }
    j["occupancy"] = occupancy;
    j["capacity"] = uint64_t{a.options().worker.conntrack.capacity} * lc.size();
    for (unsigned s = 0; s < pipeline::ct_state_count; ++s) {
        j["states"][to_string(static_cast<pipeline::ct_state>(s))] = states[s];
    }
    const auto stats = stats_json(view_of(a, nullptr));
    j["events"] = stats["conntrack"];
    j["events"].erase("occupancy");
    j["events"].erase("capacity");
    return j;
}

} // namespace podgate::app
