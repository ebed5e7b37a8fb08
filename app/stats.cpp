#include "app/stats.hpp"

#include <rte_ethdev.h>

#include <cstdio>

namespace podgate::app {

namespace {

using pipeline::counter;
using pipeline::lcore_counters;

uint64_t total(const std::vector<lcore_counters>& lc, counter lcore_counters::*field) {
    uint64_t n = 0;
    for (const auto& c : lc) {
        n += (c.*field).get();
    }
    return n;
}

uint64_t total_drop(const std::vector<lcore_counters>& lc, unsigned reason) {
    uint64_t n = 0;
    for (const auto& c : lc) {
        n += c.drops[reason].get();
    }
    return n;
}

} // namespace

totals sum(const std::vector<lcore_counters>& lcores) {
    totals t;
    t.rx = total(lcores, &lcore_counters::rx);
    t.tx = total(lcores, &lcore_counters::tx);
    for (unsigned r = 0; r < pipeline::drop_reason_count; ++r) {
        t.dropped += total_drop(lcores, r);
    }
    return t;
}

nlohmann::json stats_json(const run_view& v) {
    const auto& lc = *v.lcores;
    const totals t = sum(lc);
    nlohmann::json j;
    j["elapsed_s"] = v.elapsed_s;
    j["generation"] = v.tables ? v.tables->generation : 0;
    j["rx"] = t.rx;
    j["tx"] = t.tx;
    j["dropped_total"] = t.dropped;
    for (unsigned r = 0; r < pipeline::drop_reason_count; ++r) {
        j["dropped"][to_string(static_cast<pipeline::drop_reason>(r))] = total_drop(lc, r);
    }
    for (unsigned r = 1; r < pipeline::malformed_reason_count; ++r) {
        uint64_t n = 0;
        for (const auto& c : lc) {
            n += c.malformed[r].get();
        }
        j["malformed"][to_string(static_cast<pipeline::malformed_reason>(r))] = n;
    }
    j["non_ip_forwarded"] = total(lc, &lcore_counters::non_ip_forwarded);
    j["drop_log_skipped"] = total(lc, &lcore_counters::drop_log_skipped);
    j["capture_skipped"] = total(lc, &lcore_counters::capture_skipped);
    j["nd_passed"] = total(lc, &lcore_counters::nd_passed);
    j["policy_lookups"] = total(lc, &lcore_counters::policy_lookups);
    j["new_flows_allowed"] = total(lc, &lcore_counters::new_flows_allowed);
    j["conntrack"] = {
        {"lookups", total(lc, &lcore_counters::ct_lookups)},
        {"hits", total(lc, &lcore_counters::ct_hits)},
        {"creates", total(lc, &lcore_counters::ct_creates)},
        {"stateless", total(lc, &lcore_counters::ct_stateless)},
        {"expired", total(lc, &lcore_counters::ct_expired)},
        {"evicted", total(lc, &lcore_counters::ct_evicted)},
        {"revalidated", total(lc, &lcore_counters::ct_revalidated)},
        {"revoked", total(lc, &lcore_counters::ct_revoked)},
        {"occupancy", total(lc, &lcore_counters::ct_occupancy)},
        {"capacity", v.conntrack_capacity * lc.size()},
    };
    j["fragments"] = {
        {"tracked", total(lc, &lcore_counters::frag_tracked)},
        {"followed", total(lc, &lcore_counters::frag_followed)},
        {"table_full", total(lc, &lcore_counters::frag_table_full)},
    };
    j["ports"] = nlohmann::json::array();
    if (v.ports != nullptr) {
        for (const auto& p : v.ports->ports) {
            rte_eth_stats s{};
            rte_eth_stats_get(p.port, &s);
            uint64_t rx = 0;
            uint64_t tx = 0;
            for (const auto& c : lc) {
                rx += c.port_rx[p.port].get();
                tx += c.port_tx[p.port].get();
            }
            j["ports"].push_back({{"port", p.port}, {"name", p.name}, {"peer", p.peer}, {"queues", p.queues},
                                  {"rx", rx}, {"tx", tx},
                                  {"nic", {{"ipackets", s.ipackets}, {"opackets", s.opackets}, {"imissed", s.imissed},
                                           {"ierrors", s.ierrors}, {"oerrors", s.oerrors},
                                           {"rx_nombuf", s.rx_nombuf}}}});
        }
    }
    j["lcores"] = nlohmann::json::array();
    for (size_t i = 0; i < lc.size(); ++i) {
        uint64_t drops = 0;
        for (unsigned r = 0; r < pipeline::drop_reason_count; ++r) {
            drops += lc[i].drops[r].get();
        }
        j["lcores"].push_back({{"lcore", (*v.lcore_ids)[i]}, {"rx", lc[i].rx.get()}, {"tx", lc[i].tx.get()},
                               {"dropped", drops}, {"conntrack_occupancy", lc[i].ct_occupancy.get()},
                               {"generation", lc[i].generation.get()}});
    }
    if (v.tables != nullptr) {
        const auto& s = v.tables->stats;
        j["tables"] = {{"pods", s.pods}, {"policies", s.policies}, {"identities", s.identities},
                       {"ingress_groups", s.ingress_groups}, {"egress_groups", s.egress_groups}, {"rows", s.rows},
                       {"bytes", s.bytes_total}, {"compile_ms", s.compile_ms}, {"incremental", s.incremental}};
    }
    return j;
}

nlohmann::json admissions_json(const std::vector<admission_totals::entry>& totals) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& e : totals) {
        j[e.policy][to_string(e.side)] = e.flows;
    }
    return j;
}

std::string stats_line(const run_view& v) {
    const totals t = sum(*v.lcores);
    char buf[256];
    std::snprintf(buf, sizeof buf, "rx %lu tx %lu dropped %lu conntrack %lu", static_cast<unsigned long>(t.rx),
                  static_cast<unsigned long>(t.tx), static_cast<unsigned long>(t.dropped),
                  static_cast<unsigned long>(total(*v.lcores, &lcore_counters::ct_occupancy)));
    return buf;
}

std::string stats_summary(const run_view& v) {
    const nlohmann::json j = stats_json(v);
    std::string out;
    char buf[256];
    std::snprintf(buf, sizeof buf, "%.3f s: rx %lu, forwarded %lu, dropped %lu\n", v.elapsed_s,
                  j["rx"].get<unsigned long>(), j["tx"].get<unsigned long>(), j["dropped_total"].get<unsigned long>());
    out += buf;
    for (const auto& [reason, n] : j["dropped"].items()) {
        if (n.get<uint64_t>() != 0) {
            out += "  dropped " + reason + ": " + std::to_string(n.get<uint64_t>()) + "\n";
        }
    }
    for (const auto& [reason, n] : j["malformed"].items()) {
        if (n.get<uint64_t>() != 0) {
            out += "    malformed " + reason + ": " + std::to_string(n.get<uint64_t>()) + "\n";
        }
    }
    const auto& ct = j["conntrack"];
    out += "  conntrack: " + std::to_string(ct["creates"].get<uint64_t>()) + " flows created, " +
           std::to_string(ct["hits"].get<uint64_t>()) + " hits, " + std::to_string(ct["occupancy"].get<uint64_t>()) +
           " open; policy lookups " + std::to_string(j["policy_lookups"].get<uint64_t>()) + "\n";
    if (j["non_ip_forwarded"].get<uint64_t>() || j["nd_passed"].get<uint64_t>()) {
        out += "  non-IP forwarded: " + std::to_string(j["non_ip_forwarded"].get<uint64_t>()) +
               ", neighbour discovery passed: " + std::to_string(j["nd_passed"].get<uint64_t>()) + "\n";
    }
    for (const auto& p : j["ports"]) {
        out += "  port " + std::to_string(p["port"].get<int>()) + " (" + p["name"].get<std::string>() + "): rx " +
               std::to_string(p["rx"].get<uint64_t>()) + ", tx " + std::to_string(p["tx"].get<uint64_t>()) + "\n";
    }
    return out;
}

} // namespace podgate::app
