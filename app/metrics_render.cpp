// GET /metrics: every family from its declaration (pipeline/counter_registry.hpp
// for the data plane's counters, app/control_metrics.hpp for the rest), with
// values read from where they live, never back from a JSON document.

#include "app/control_metrics.hpp"
#include "app/counter_render.hpp"
#include "app/daemon.hpp"
#include "app/metrics_http.hpp"

#include <rte_ethdev.h>

namespace podgate::app {

namespace {

template <typename V>
void sample(prometheus_writer& w, control_id id, const std::string& labels, V value) {
    const control_metric& m = control(id);
    w.sample(m.metric, to_string(m.type), m.help, labels, value);
}

} // namespace

std::string render_metrics(const appliance& a) {
    prometheus_writer w;
    std::vector<port_label> ports;
    for (const auto& p : a.ports().ports) {
        ports.push_back({p.port, p.name});
    }
    counter_metrics(w, a.counters(), a.lcore_ids(), ports);
    for (const auto& p : a.ports().ports) {
        rte_eth_stats s{};
        rte_eth_stats_get(p.port, &s);
        sample(w, control_id::port_nic_missed, prometheus_label("port", std::to_string(p.port)),
               s.imissed);
    }
    for (const auto& e : a.attribution().snapshot()) {
        sample(w, control_id::attributed_flows,
               prometheus_label("policy", e.policy) + "," +
                   prometheus_label("side", to_string(e.side)) + "," +
                   prometheus_label("verdict", "allow"),
               e.flows);
    }
    sample(w, control_id::conntrack_capacity, "",
           uint64_t{a.options().worker.conntrack.capacity} * a.counters().size());
    const reload_status st = a.status();
    sample(w, control_id::reloads, prometheus_label("result", "ok"), st.reloads_ok);
    sample(w, control_id::reloads, prometheus_label("result", "failed"), st.reloads_failed);
    sample(w, control_id::reload_last_trigger_to_live, "", st.last_trigger_to_live_ms / 1000.0);
    sample(w, control_id::reload_last_compile, "", st.last_compile_ms / 1000.0);
    sample(w, control_id::reload_last_failed, "", st.last_result == "failed" ? 1 : 0);
    for (const auto& e : st.last_errors) {
        sample(w, control_id::reload_last_error_info, prometheus_label("error", e), 1);
    }
    sample(w, control_id::policy_generation, "", st.generation);
    if (st.table_stats) {
        const auto& t = *st.table_stats;
        sample(w, control_id::table_bytes, "", t.bytes_total);
        sample(w, control_id::table_identities, "", t.identities);
        sample(w, control_id::table_pods, "", t.pods);
        sample(w, control_id::table_policies, "", t.policies);
    }
    sample(w, control_id::uptime, "", a.uptime_s());
    return w.str();
}

} // namespace podgate::app
