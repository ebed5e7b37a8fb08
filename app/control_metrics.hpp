#pragma once
// The /metrics families that are not data-plane counters (those are in
// pipeline/counter_registry.hpp): values the control side holds (NIC
// statistics, attribution totals, reload status, table statistics). Their
// name, type, unit, help and labels are declared here once; metrics_render.cpp
// gives their values and `podgate --list-counters` lists them.

#include "pipeline/counter_registry.hpp"

#include <cstdint>
#include <iterator>

namespace podgate::app {

struct control_metric {
    const char* metric;
    pipeline::metric_type type;
    const char* unit;
    const char* help;
    const char* labels; // label names, comma-separated ("" for none)
    const char* source; // where the value comes from, for --list-counters
};

enum class control_id : uint8_t {
    port_nic_missed,
    attributed_flows,
    conntrack_capacity,
    reloads,
    reload_last_trigger_to_live,
    reload_last_compile,
    reload_last_failed,
    reload_last_error_info,
    policy_generation,
    table_bytes,
    table_identities,
    table_pods,
    table_policies,
    uptime,
};

// clang-format off
inline constexpr control_metric control_metrics[] = {
    {"podgate_port_nic_missed_total", pipeline::metric_type::counter, "packets",
     "Packets the NIC dropped for lack of RX descriptors.", "port", "stats JSON ports[].nic.imissed"},
    {"podgate_attributed_flows_total", pipeline::metric_type::counter, "flows",
     "New flows attributed to a policy: on each isolated side, the first selecting policy (cluster order) "
     "whose rules allow them; kept across reloads.", "policy,side,verdict", "stats JSON attributed_flows"},
    {"podgate_conntrack_capacity", pipeline::metric_type::gauge, "entries",
     "Connection-tracking capacity over all workers.", "", "stats JSON conntrack.capacity"},
    {"podgate_reloads_total", pipeline::metric_type::counter, "reloads", "Policy reloads by result.", "result",
     "/podgate/policy reloads_ok, reloads_failed"},
    {"podgate_reload_last_trigger_to_live_seconds", pipeline::metric_type::gauge, "seconds",
     "Last successful reload: trigger until every worker ran the new generation.", "",
     "/podgate/policy last_trigger_to_live_ms"},
    {"podgate_reload_last_compile_seconds", pipeline::metric_type::gauge, "seconds",
     "Last load+compile: compile time.", "", "/podgate/policy last_compile_ms"},
    {"podgate_reload_last_failed", pipeline::metric_type::gauge, "", "1 when the last reload was rejected.", "",
     "/podgate/policy last_result"},
    {"podgate_reload_last_error_info", pipeline::metric_type::gauge, "",
     "Errors of the last rejected reload (file:line: object: field: message).", "error",
     "/podgate/policy last_errors"},
    {"podgate_policy_generation", pipeline::metric_type::gauge, "", "Live policy generation.", "",
     "/podgate/policy generation"},
    {"podgate_table_bytes", pipeline::metric_type::gauge, "bytes", "Bytes of the live compiled tables.", "",
     "/podgate/policy tables.bytes"},
    {"podgate_table_identities", pipeline::metric_type::gauge, "", "Peer identities in the live tables.", "",
     "/podgate/policy tables.identities"},
    {"podgate_table_pods", pipeline::metric_type::gauge, "", "Endpoint pods in the live tables.", "",
     "/podgate/policy tables.pods"},
    {"podgate_table_policies", pipeline::metric_type::gauge, "", "NetworkPolicies in the live tables.", "",
     "/podgate/policy tables.policies"},
    {"podgate_uptime_seconds", pipeline::metric_type::gauge, "seconds", "Seconds since the workers started.", "",
     "stats JSON elapsed_s"},
};
// clang-format on
static_assert(std::size(control_metrics) == static_cast<size_t>(control_id::uptime) + 1);

inline const control_metric& control(control_id id) noexcept {
    return control_metrics[static_cast<size_t>(id)];
}

} // namespace podgate::app
