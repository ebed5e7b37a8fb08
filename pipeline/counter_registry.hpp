#pragma once
// The data plane's counters, declared once: every output (the stats JSON at
// exit and with --stats-json, /podgate/stats, /metrics, the exit summary,
// `podgate --list-counters`) is generated from the rows below, never
// hand-listed. Adding a counter is one field in lcore_counters and one row
// here; adding a drop, malformed or conntrack-state reason is one row in its
// own table (classifier/tables/reason.hpp, parsed_packet.hpp, conntrack.hpp).
//
// A row is one Prometheus family (or one labelled series of a family that
// several rows share, e.g. the conntrack events) over one field of
// lcore_counters, a scalar or an array indexed by label value.

#include "pipeline/conntrack/conntrack.hpp"
#include "pipeline/counters.hpp"

#include <cstdint>
#include <iterator>
#include <span>

namespace podgate::pipeline {

enum class metric_type : uint8_t { counter, gauge };

inline const char* to_string(metric_type t) noexcept {
    return t == metric_type::counter ? "counter" : "gauge";
}

// How a row's values are broken down.
enum class counter_scope : uint8_t {
    total, // summed over workers (labelled by `labels` when set)
    lcore, // one series per worker lcore (label lcore); the JSON holds the sum
    port,  // the field is indexed by port id: one series per port (labels port, name)
};

// The label values of a row over an array field: indexes first..end-1,
// skipping those `skip` says, each named by `name`.
struct label_values {
    const char* label = nullptr; // null: a scalar field, no label
    unsigned first = 0;
    unsigned end = 1;
    const char* (*name)(unsigned) = nullptr;
    bool (*skip)(unsigned) = nullptr;
};

struct counter_desc {
    const char* metric; // Prometheus family name
    metric_type type;
    const char* unit; // what one count is: "packets", "flows", "entries", "records"
    const char* help;
    // Where the stats JSON puts the value, "key" or "object.key"; a labelled
    // row is an object keyed by label value. Null: /metrics only, another
    // view of counters the JSON already has.
    const char* json;
    const counter* (*cells)(const lcore_counters&);
    counter_scope scope = counter_scope::total;
    label_values labels = {};
    // One series of a family several rows share: this row's fixed label.
    const char* series_label = nullptr;
    const char* series_value = nullptr;
};

namespace registry_detail {

// The first counter of a field, scalar or array: one signature for every row.
template <auto Field> const counter* cells(const lcore_counters& c) noexcept {
    if constexpr (std::is_array_v<std::remove_reference_t<decltype(c.*Field)>>) {
        return &(c.*Field)[0];
    } else {
        return &(c.*Field);
    }
}

inline const char* reason_name(unsigned i) {
    return to_string(static_cast<verdict_reason>(i));
}
inline bool not_a_drop(unsigned i) {
    return !is_drop(static_cast<verdict_reason>(i));
}
inline const char* malformed_name(unsigned i) {
    return to_string(static_cast<malformed_reason>(i));
}
inline const char* state_name(unsigned i) {
    return to_string(static_cast<ct_state>(i));
}
inline const char* denied_side(unsigned i) {
    return static_cast<verdict_reason>(i) == verdict_reason::policy_ingress ? "ingress" : "egress";
}
inline bool not_a_policy_drop(unsigned i) {
    const auto r = static_cast<verdict_reason>(i);
    return r != verdict_reason::policy_ingress && r != verdict_reason::policy_egress;
}

} // namespace registry_detail

// clang-format off
inline constexpr counter_desc counter_registry[] = {
#define PODGATE_CELLS(field) &registry_detail::cells<&lcore_counters::field>
    {"podgate_lcore_rx_packets_total", metric_type::counter, "packets", "Packets received per worker lcore.",
     "rx", PODGATE_CELLS(rx), counter_scope::lcore},
    {"podgate_lcore_tx_packets_total", metric_type::counter, "packets", "Packets transmitted per worker lcore.",
     "tx", PODGATE_CELLS(tx), counter_scope::lcore},
    {"podgate_port_rx_packets_total", metric_type::counter, "packets", "Packets received by workers per port.",
     "rx", PODGATE_CELLS(port_rx), counter_scope::port},
    {"podgate_port_tx_packets_total", metric_type::counter, "packets", "Packets transmitted per port.",
     "tx", PODGATE_CELLS(port_tx), counter_scope::port},
    {"podgate_dropped_packets_total", metric_type::counter, "packets", "Dropped packets by reason.",
     "dropped", PODGATE_CELLS(drops), counter_scope::total,
     {"reason", 0, verdict_reason_count, registry_detail::reason_name, registry_detail::not_a_drop}},
    {"podgate_malformed_packets_total", metric_type::counter, "packets", "Malformed packets by kind.",
     "malformed", PODGATE_CELLS(malformed), counter_scope::total,
     {"kind", 1, malformed_reason_count, registry_detail::malformed_name}},
    {"podgate_policy_denied_flows_total", metric_type::counter, "packets",
     "New flows denied, by the side that denied.",
     nullptr, PODGATE_CELLS(drops), counter_scope::total,
     {"side", 0, verdict_reason_count, registry_detail::denied_side, registry_detail::not_a_policy_drop}},
    {"podgate_policy_allowed_flows_total", metric_type::counter, "flows", "New flows policy allowed.",
     "new_flows_allowed", PODGATE_CELLS(new_flows_allowed)},
    {"podgate_policy_lookups_total", metric_type::counter, "packets",
     "Policy lookups (packets of flows not in conntrack).", "policy_lookups", PODGATE_CELLS(policy_lookups)},
    {"podgate_non_ip_forwarded_packets_total", metric_type::counter, "packets",
     "Non-IP frames forwarded (non-ip-traffic: forward).", "non_ip_forwarded", PODGATE_CELLS(non_ip_forwarded)},
    {"podgate_nd_passed_packets_total", metric_type::counter, "packets",
     "IPv6 neighbour discovery packets passed without policy.", "nd_passed", PODGATE_CELLS(nd_passed)},
    {"podgate_drop_log_skipped_total", metric_type::counter, "records",
     "Drop records a worker could not hand over (ring full).", "drop_log_skipped", PODGATE_CELLS(drop_log_skipped)},
    {"podgate_drop_capture_skipped_total", metric_type::counter, "packets",
     "Dropped packets not captured (ring or pool full).", "capture_skipped", PODGATE_CELLS(capture_skipped)},
    {"podgate_conntrack_entries", metric_type::gauge, "entries", "Open connection-tracking entries.",
     "conntrack.occupancy", PODGATE_CELLS(ct_occupancy)},
    {"podgate_conntrack_entries_by_state", metric_type::gauge, "entries", "Open entries by state.",
     nullptr, PODGATE_CELLS(ct_states), counter_scope::total, // JSON: /podgate/conntrack "states"
     {"state", 0, ct_state_count, registry_detail::state_name}},
#define PODGATE_CT_EVENT(field, key)                                                                             \
    {"podgate_conntrack_events_total", metric_type::counter, "events", "Connection-tracking events.",           \
     "conntrack." key, PODGATE_CELLS(field), counter_scope::total, {}, "event", key}
    PODGATE_CT_EVENT(ct_lookups, "lookups"),
    PODGATE_CT_EVENT(ct_hits, "hits"),
    PODGATE_CT_EVENT(ct_creates, "creates"),
    PODGATE_CT_EVENT(ct_stateless, "stateless"),
    PODGATE_CT_EVENT(ct_expired, "expired"),
    PODGATE_CT_EVENT(ct_evicted, "evicted"),
    PODGATE_CT_EVENT(ct_revalidated, "revalidated"),
    PODGATE_CT_EVENT(ct_revoked, "revoked"),
#undef PODGATE_CT_EVENT
#define PODGATE_FRAG_EVENT(field, key)                                                                           \
    {"podgate_fragment_events_total", metric_type::counter, "packets",                                         \
     "Fragments: first fragments whose verdict was kept (tracked) or not (table_full), later ones that "         \
     "followed it (followed).",                                                                                 \
     "fragments." key, PODGATE_CELLS(field), counter_scope::total, {}, "event", key}
    PODGATE_FRAG_EVENT(frag_tracked, "tracked"),
    PODGATE_FRAG_EVENT(frag_followed, "followed"),
    PODGATE_FRAG_EVENT(frag_table_full, "table_full"),
#undef PODGATE_FRAG_EVENT
#undef PODGATE_CELLS
};
// clang-format on

// Sum over workers of one cell of a row.
inline uint64_t sum_cell(std::span<const lcore_counters> lcores, const counter_desc& d,
                         unsigned i) noexcept {
    uint64_t n = 0;
    for (const auto& c : lcores) {
        n += d.cells(c)[i].get();
    }
    return n;
}

// Calls f(index, label value) for every labelled value of a row (once, with
// index 0 and null, for a scalar).
template <typename F> void each_label(const counter_desc& d, F f) {
    if (d.labels.label == nullptr) {
        f(0u, static_cast<const char*>(nullptr));
        return;
    }
    for (unsigned i = d.labels.first; i < d.labels.end; ++i) {
        if (d.labels.skip == nullptr || !d.labels.skip(i)) {
            f(i, d.labels.name(i));
        }
    }
}

} // namespace podgate::pipeline
