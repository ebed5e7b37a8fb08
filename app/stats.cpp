#include "app/stats.hpp"

#include "app/counter_render.hpp"
#include "classifier/compile/stats_json.hpp"

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

} // namespace

totals sum(const std::vector<lcore_counters>& lcores) {
    totals t;
    t.rx = total(lcores, &lcore_counters::rx);
    t.tx = total(lcores, &lcore_counters::tx);
    for (const auto& c : lcores) {
        for (const auto& d : c.drops) {
            t.dropped += d.get(); // forwarding reasons' slots stay zero
        }
    }
    return t;
}

nlohmann::json stats_json(const run_view& v) {
    const auto& lc = *v.lcores;
    nlohmann::json j;
    counters_json(lc, j); // every registry counter (pipeline/counter_registry.hpp)
    j["elapsed_s"] = v.elapsed_s;
    j["generation"] = v.tables ? v.tables->generation : 0;
    j["dropped_total"] = sum(lc).dropped;
    j["conntrack"]["capacity"] = v.conntrack_capacity * lc.size();
    j["ports"] = nlohmann::json::array();
    if (v.ports != nullptr) {
        for (const auto& p : v.ports->ports) {
            rte_eth_stats s{};
            rte_eth_stats_get(p.port, &s);
            nlohmann::json entry = {
                {"port", p.port}, {"name", p.name}, {"peer", p.peer}, {"queues", p.queues}};
            port_counters_json(lc, p.port, entry);
            entry["nic"] = {{"ipackets", s.ipackets}, {"opackets", s.opackets},
                            {"imissed", s.imissed},   {"ierrors", s.ierrors},
                            {"oerrors", s.oerrors},   {"rx_nombuf", s.rx_nombuf}};
            j["ports"].push_back(std::move(entry));
        }
    }
    j["lcores"] = nlohmann::json::array();
    for (size_t i = 0; i < lc.size(); ++i) {
        uint64_t drops = 0;
        for (unsigned r = 0; r < pipeline::verdict_reason_count; ++r) {
            drops += lc[i].drops[r].get();
        }
        nlohmann::json entry = {{"lcore", (*v.lcore_ids)[i]},
                                {"dropped", drops},
                                {"conntrack_occupancy", lc[i].ct_occupancy.get()},
                                {"generation", lc[i].generation.get()}};
        lcore_counters_json(lc[i], entry);
        j["lcores"].push_back(std::move(entry));
    }
    if (v.tables != nullptr) {
        j["tables"] = classifier::to_json(v.tables->stats);
    }
    return j;
}

nlohmann::json attribution_json(const std::vector<attribution_totals::entry>& totals) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& e : totals) {
        j[e.policy][to_string(e.side)]["allow"] = e.flows;
    }
    return j;
}

std::string stats_line(const run_view& v) {
    const totals t = sum(*v.lcores);
    char buf[256];
    std::snprintf(buf, sizeof buf, "rx %lu tx %lu dropped %lu conntrack %lu",
                  static_cast<unsigned long>(t.rx), static_cast<unsigned long>(t.tx),
                  static_cast<unsigned long>(t.dropped),
                  static_cast<unsigned long>(total(*v.lcores, &lcore_counters::ct_occupancy)));
    return buf;
}

std::string stats_summary(const run_view& v) {
    const nlohmann::json j = stats_json(v);
    std::string out;
    char buf[256];
    std::snprintf(buf, sizeof buf, "%.3f s: rx %lu, forwarded %lu, dropped %lu\n", v.elapsed_s,
                  j["rx"].get<unsigned long>(), j["tx"].get<unsigned long>(),
                  j["dropped_total"].get<unsigned long>());
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
           std::to_string(ct["hits"].get<uint64_t>()) + " hits, " +
           std::to_string(ct["occupancy"].get<uint64_t>()) + " open; policy lookups " +
           std::to_string(j["policy_lookups"].get<uint64_t>()) + "\n";
    if (j["non_ip_forwarded"].get<uint64_t>() || j["nd_passed"].get<uint64_t>()) {
        out += "  non-IP forwarded: " + std::to_string(j["non_ip_forwarded"].get<uint64_t>()) +
               ", neighbour discovery passed: " + std::to_string(j["nd_passed"].get<uint64_t>()) +
               "\n";
    }
    for (const auto& p : j["ports"]) {
        out += "  port " + std::to_string(p["port"].get<int>()) + " (" +
               p["name"].get<std::string>() + "): rx " + std::to_string(p["rx"].get<uint64_t>()) +
               ", tx " + std::to_string(p["tx"].get<uint64_t>()) + "\n";
    }
    return out;
}

} // namespace podgate::app
