#include "app/telemetry.hpp"

#include "app/control_json.hpp"
#include "app/pod_names.hpp"
#include "app/stats.hpp"
#include "classifier/lookup/lookup.hpp"
#include "classifier/text/flow_text.hpp"

#include <rte_telemetry.h>

#include <cctype>
#include <mutex>

namespace podgate::app {

namespace {

appliance* the_appliance = nullptr;
std::mutex verdict_mutex; // one RCU reader slot for every telemetry client
pod_names verdict_pods;   // under verdict_mutex

constexpr size_t max_entries = RTE_TEL_MAX_DICT_ENTRIES;

void flatten(const nlohmann::json& j, const std::string& prefix, rte_tel_data* d, size_t& count) {
    if (count >= max_entries) {
        return;
    }
    if (j.is_object() || j.is_array()) {
        size_t i = 0;
        for (auto it = j.begin(); it != j.end(); ++it, ++i) {
            const std::string key = j.is_object() ? it.key() : std::to_string(i);
            flatten(*it, prefix.empty() ? key : prefix + "_" + key, d, count);
        }
        return;
    }
    // Telemetry names allow only [A-Za-z0-9_/].
    std::string name = prefix.substr(0, RTE_TEL_MAX_STRING_LEN - 1);
    for (char& c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '/') {
            c = '_';
        }
    }
    if (j.is_number_unsigned()) {
        rte_tel_data_add_dict_u64(d, name.c_str(), j.get<uint64_t>());
    } else if (j.is_number_integer()) {
        rte_tel_data_add_dict_int(d, name.c_str(), j.get<int>());
    } else if (j.is_boolean()) {
        rte_tel_data_add_dict_int(d, name.c_str(), j.get<bool>() ? 1 : 0);
    } else if (j.is_number_float()) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.3f", j.get<double>());
        rte_tel_data_add_dict_string(d, name.c_str(), buf);
    } else if (j.is_string()) {
        // DPDK telemetry strings hold at most 127 characters; logs and
        // metrics carry the full text.
        const std::string v = j.get<std::string>().substr(0, RTE_TEL_MAX_STRING_LEN - 1);
        rte_tel_data_add_dict_string(d, name.c_str(), v.c_str());
    } else {
        return;
    }
    ++count;
}

// One dict of every part in turn: when DPDK's entry limit cuts the reply,
// it cuts the last parts.
template <typename... Parts> int reply(rte_tel_data* d, const Parts&... parts) {
    rte_tel_data_start_dict(d);
    size_t count = 0;
    (flatten(parts, "", d, count), ...);
    return 0;
}

int reply(const nlohmann::json& j, rte_tel_data* d) {
    return reply(d, j);
}

// Runs every `make` unless the appliance is shutting down (ports and tables
// may already be gone); the shared lock keeps shutdown waiting meanwhile.
template <typename... Make> int guarded(rte_tel_data* d, Make... make) {
    const auto lock = the_appliance->reading();
    if (the_appliance->closing()) {
        return -1;
    }
    return reply(d, make()...);
}

// The attribution totals come after the counters: with many policies they
// are what the entry limit cuts (/metrics carries them all).
int cmd_stats(const char*, const char*, rte_tel_data* d) {
    return guarded(
        d, [] { return stats_document(*the_appliance); },
        [] {
            return nlohmann::json{
                {"attributed_flows", attribution_json(the_appliance->attribution().snapshot())}};
        });
}
int cmd_policy(const char*, const char*, rte_tel_data* d) {
    return guarded(d, [] { return policy_document(*the_appliance); });
}
int cmd_conntrack(const char*, const char*, rte_tel_data* d) {
    return guarded(d, [] { return conntrack_document(*the_appliance); });
}
int cmd_reload(const char*, const char*, rte_tel_data* d) {
    the_appliance->request_reload(
        std::chrono::seconds(10)); // not under the lock: shutdown may wait for it
    return guarded(d, [] { return policy_document(*the_appliance); });
}

int cmd_verdict(const char*, const char* params, rte_tel_data* d) {
    const auto f = classifier::parse_flow(params ? params : "");
    if (!f) {
        return reply({{"error", f.error()},
                      {"usage", "/podgate/verdict,PROTO SRC_IP SRC_PORT DST_IP DST_PORT"}},
                     d);
    }
    std::lock_guard lock(verdict_mutex);
    const auto reading = the_appliance->reading();
    if (the_appliance->closing()) {
        return -1;
    }
    verdict_pods.index(the_appliance->cluster());
    auto& slot = the_appliance->tables();
    const unsigned reader = the_appliance->reader_thread();
    slot.online(reader);
    const classifier::tables* t = slot.current();
    const auto src = classifier::resolve(*t, f->src);
    const auto dst = classifier::resolve(*t, f->dst);
    const auto v = classifier::decide(*t, src, dst, f->proto, f->dport);
    const auto policies = [&](classifier::group_id g) {
        std::vector<std::string> names;
        for (uint32_t p : t->names->group_policies.at(g)) {
            names.push_back(t->names->policies.at(p));
        }
        return names;
    };
    nlohmann::json doc = {{"flow", classifier::to_string(*f)},
                          {"verdict", v.allow ? "allow" : "deny"},
                          {"reason", to_string(v.reason)},
                          {"generation", t->generation},
                          {"src",
                           {{"pod", verdict_pods.at(f->src)},
                            {"identity", src.identity},
                            {"egress_isolated_by", policies(src.egress)}}},
                          {"dst",
                           {{"pod", verdict_pods.at(f->dst)},
                            {"identity", dst.identity},
                            {"ingress_isolated_by", policies(dst.ingress)}}}};
    slot.offline(reader); // t is not used past this point
    return reply(doc, d);
}

} // namespace

void register_telemetry(appliance& a) {
    the_appliance = &a;
    rte_telemetry_register_cmd("/podgate/stats", cmd_stats, "podgate counters. No parameters");
    rte_telemetry_register_cmd(
        "/podgate/policy", cmd_policy,
        "Live policy generation, compile statistics, last reload. No parameters");
    rte_telemetry_register_cmd("/podgate/reload", cmd_reload,
                               "Reload the manifests now. No parameters");
    rte_telemetry_register_cmd("/podgate/conntrack", cmd_conntrack,
                               "Connection tracking occupancy and states");
    rte_telemetry_register_cmd(
        "/podgate/verdict", cmd_verdict,
        "Verdict of the live tables. Parameters: PROTO SRC_IP SRC_PORT DST_IP DST_PORT");
}

} // namespace podgate::app
