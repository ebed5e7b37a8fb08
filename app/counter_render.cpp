#include "app/counter_render.hpp"

#include "app/control_metrics.hpp"

namespace podgate::app {

namespace {

using pipeline::counter_desc;
using pipeline::counter_registry;
using pipeline::counter_scope;

// j at "a.b" (objects created on the way).
nlohmann::json& at_path(nlohmann::json& j, const char* path) {
    std::string p = "/" + std::string(path);
    for (char& c : p) {
        c = c == '.' ? '/' : c;
    }
    return j[nlohmann::json::json_pointer(p)];
}

std::string labels_of(const counter_desc& d, const char* value) {
    if (d.series_label != nullptr) {
        return prometheus_label(d.series_label, d.series_value);
    }
    return value != nullptr ? prometheus_label(d.labels.label, value) : std::string();
}

const char* to_string(counter_scope s) {
    switch (s) {
    case counter_scope::total:
        return "total";
    case counter_scope::lcore:
        return "lcore";
    case counter_scope::port:
        return "port";
    }
    return "?";
}

} // namespace

void counters_json(std::span<const pipeline::lcore_counters> lcores, nlohmann::json& j) {
    for (const counter_desc& d : counter_registry) {
        if (d.json == nullptr || d.scope == counter_scope::port) {
            continue;
        }
        pipeline::each_label(d, [&](unsigned i, const char* value) {
            const uint64_t n = pipeline::sum_cell(lcores, d, i);
            if (value != nullptr) {
                at_path(j, d.json)[value] = n;
            } else {
                at_path(j, d.json) = n;
            }
        });
    }
}

void port_counters_json(std::span<const pipeline::lcore_counters> lcores, uint16_t port,
                        nlohmann::json& entry) {
    for (const counter_desc& d : counter_registry) {
        if (d.scope == counter_scope::port && port < pipeline::max_ports) {
            entry[d.json] = pipeline::sum_cell(lcores, d, port);
        }
    }
}

void lcore_counters_json(const pipeline::lcore_counters& lcore, nlohmann::json& entry) {
    for (const counter_desc& d : counter_registry) {
        if (d.scope == counter_scope::lcore) {
            entry[d.json] = d.cells(lcore)[0].get();
        }
    }
}

void counter_metrics(prometheus_writer& w, std::span<const pipeline::lcore_counters> lcores,
                     std::span<const unsigned> lcore_ids, const std::vector<port_label>& ports) {
    for (const counter_desc& d : counter_registry) {
        const char* type = to_string(d.type);
        switch (d.scope) {
        case counter_scope::total:
            pipeline::each_label(d, [&](unsigned i, const char* value) {
                w.sample(d.metric, type, d.help, labels_of(d, value),
                         pipeline::sum_cell(lcores, d, i));
            });
            break;
        case counter_scope::lcore:
            for (size_t k = 0; k < lcores.size() && k < lcore_ids.size(); ++k) {
                w.sample(d.metric, type, d.help,
                         prometheus_label("lcore", std::to_string(lcore_ids[k])),
                         d.cells(lcores[k])[0].get());
            }
            break;
        case counter_scope::port:
            for (const auto& p : ports) {
                if (p.port < pipeline::max_ports) {
                    w.sample(d.metric, type, d.help,
                             prometheus_label("port", std::to_string(p.port)) + "," +
                                 prometheus_label("name", p.name),
                             pipeline::sum_cell(lcores, d, p.port));
                }
            }
            break;
        }
    }
}

nlohmann::json list_counters() {
    nlohmann::json counters = nlohmann::json::array();
    for (const counter_desc& d : counter_registry) {
        // Rows that are series of one family (a fixed label each) merge into it.
        if (counters.empty() || counters.back()["metric"] != d.metric) {
            nlohmann::json f = {{"metric", d.metric},
                                {"type", to_string(d.type)},
                                {"unit", d.unit},
                                {"help", d.help},
                                {"scope", to_string(d.scope)},
                                {"json", nlohmann::json::array()},
                                {"labels", nlohmann::json::object()}};
            if (d.scope == counter_scope::lcore) {
                f["labels"]["lcore"] = nlohmann::json::array();
                f["json"].push_back(std::string("lcores[].") + d.json);
            } else if (d.scope == counter_scope::port) {
                f["labels"]["port"] = nlohmann::json::array();
                f["labels"]["name"] = nlohmann::json::array();
            }
            counters.push_back(std::move(f));
        }
        nlohmann::json& f = counters.back();
        if (d.series_label != nullptr) {
            f["labels"][d.series_label].push_back(d.series_value);
        }
        pipeline::each_label(d, [&](unsigned, const char* value) {
            if (value != nullptr) {
                f["labels"][d.labels.label].push_back(value);
            }
            if (d.json == nullptr) {
                return;
            }
            const std::string path =
                d.scope == counter_scope::port ? std::string("ports[].") + d.json : d.json;
            f["json"].push_back(value != nullptr ? path + "." + value : path);
        });
    }
    nlohmann::json control = nlohmann::json::array();
    for (const control_metric& c : control_metrics) {
        nlohmann::json labels = nlohmann::json::array();
        for (std::string rest = c.labels; !rest.empty();) {
            const auto comma = rest.find(',');
            labels.push_back(rest.substr(0, comma));
            rest = comma == std::string::npos ? "" : rest.substr(comma + 1);
        }
        control.push_back({{"metric", c.metric},
                           {"type", to_string(c.type)},
                           {"unit", c.unit},
                           {"help", c.help},
                           {"labels", labels},
                           {"source", c.source}});
    }
    nlohmann::json reasons = nlohmann::json::array();
    nlohmann::json drop_reasons = nlohmann::json::array();
    for (unsigned r = 0; r < classifier::verdict_reason_count; ++r) {
        const auto& info = classifier::reasons[r];
        const bool drop = info.fate == classifier::reason_fate::drop;
        reasons.push_back(
            {{"name", info.name},
             {"origin",
              info.origin == classifier::reason_origin::verdict ? "verdict" : "data_plane"},
             {"fate", drop ? "drop" : "forward"},
             {"help", info.help}});
        if (drop) {
            drop_reasons.push_back(info.name);
        }
    }
    nlohmann::json malformed = nlohmann::json::array();
    for (unsigned r = 1; r < pipeline::malformed_reason_count; ++r) {
        malformed.push_back(to_string(static_cast<pipeline::malformed_reason>(r)));
    }
    nlohmann::json states = nlohmann::json::array();
    for (unsigned s = 0; s < pipeline::ct_state_count; ++s) {
        states.push_back(to_string(static_cast<pipeline::ct_state>(s)));
    }
    return {{"counters", counters},
            {"control", control},
            {"reasons", reasons},
            {"drop_reasons", drop_reasons},
            {"malformed_reasons", malformed},
            {"conntrack_states", states}};
}

} // namespace podgate::app
