// The counter registry (pipeline/counter_registry.hpp, app/control_metrics.hpp)
// and what is generated from it: every row must reach the stats JSON (when it
// has a path) and /metrics with the value of its own field, names must be
// unique and valid Prometheus names, and --list-counters must list them all.

#include "app/control_metrics.hpp"
#include "app/counter_render.hpp"

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace podgate {
namespace {

using pipeline::counter_desc;
using pipeline::counter_registry;
using pipeline::counter_scope;

// Two workers, every registered cell given a value unique to (row, index,
// worker), so a row reading another row's field shows.
struct filled {
    std::vector<pipeline::lcore_counters> lcores = std::vector<pipeline::lcore_counters>(2);
    std::vector<unsigned> ids{3, 5};
    std::vector<app::port_label> ports{{0, "net_a"}, {1, "net_b"}};

    filled() {
        uint64_t v = 1;
        for (const counter_desc& d : counter_registry) {
            const unsigned end =
                d.scope == counter_scope::port ? pipeline::max_ports : d.labels.end;
            for (auto& c : lcores) {
                for (unsigned i = 0; i < end; ++i) {
                    auto* cell = const_cast<pipeline::counter*>(d.cells(c)) + i;
                    if (cell->get() == 0) {
                        cell->set(v++ * 7);
                    }
                }
            }
        }
    }
};

// name{labels} -> value, from the text format; HELP/TYPE lines by family.
struct parsed_metrics {
    std::map<std::string, std::string> samples;
    std::map<std::string, std::string> types;
    std::set<std::string> helped;
};

parsed_metrics parse(const std::string& text) {
    parsed_metrics out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("# TYPE ", 0) == 0) {
            const auto sp = line.find(' ', 7);
            EXPECT_TRUE(out.types.emplace(line.substr(7, sp - 7), line.substr(sp + 1)).second)
                << "family typed twice (its samples are not contiguous): " << line;
        } else if (line.rfind("# HELP ", 0) == 0) {
            out.helped.insert(line.substr(7, line.find(' ', 7) - 7));
        } else if (!line.empty()) {
            const auto sp = line.rfind(' ');
            EXPECT_TRUE(out.samples.emplace(line.substr(0, sp), line.substr(sp + 1)).second)
                << "twice: " << line;
        }
    }
    return out;
}

std::string series(const counter_desc& d, const std::string& labels) {
    return labels.empty() ? std::string(d.metric) : std::string(d.metric) + "{" + labels + "}";
}

TEST(counter_registry, every_row_reaches_the_metrics_with_its_own_values) {
    const filled f;
    app::prometheus_writer w;
    app::counter_metrics(w, f.lcores, f.ids, f.ports);
    const parsed_metrics m = parse(w.str());
    size_t expected = 0;
    for (const counter_desc& d : counter_registry) {
        EXPECT_EQ(m.types.at(d.metric), to_string(d.type)) << d.metric;
        EXPECT_TRUE(m.helped.count(d.metric)) << d.metric;
        switch (d.scope) {
        case counter_scope::total:
            pipeline::each_label(d, [&](unsigned i, const char* value) {
                const std::string labels =
                    d.series_label ? app::prometheus_label(d.series_label, d.series_value)
                    : value        ? app::prometheus_label(d.labels.label, value)
                                   : "";
                const uint64_t want = d.cells(f.lcores[0])[i].get() + d.cells(f.lcores[1])[i].get();
                EXPECT_EQ(m.samples.at(series(d, labels)), std::to_string(want))
                    << series(d, labels);
                ++expected;
            });
            break;
        case counter_scope::lcore:
            for (size_t k = 0; k < f.lcores.size(); ++k) {
                const std::string s =
                    series(d, app::prometheus_label("lcore", std::to_string(f.ids[k])));
                EXPECT_EQ(m.samples.at(s), std::to_string(d.cells(f.lcores[k])[0].get())) << s;
                ++expected;
            }
            break;
        case counter_scope::port:
            for (const auto& p : f.ports) {
                const std::string s =
                    series(d, app::prometheus_label("port", std::to_string(p.port)) + "," +
                                  app::prometheus_label("name", p.name));
                const uint64_t want =
                    d.cells(f.lcores[0])[p.port].get() + d.cells(f.lcores[1])[p.port].get();
                EXPECT_EQ(m.samples.at(s), std::to_string(want)) << s;
                ++expected;
            }
            break;
        }
    }
    EXPECT_EQ(m.samples.size(), expected) << "samples no row declares";
}

TEST(counter_registry, every_row_with_a_path_reaches_the_json) {
    const filled f;
    nlohmann::json j;
    app::counters_json(f.lcores, j);
    nlohmann::json port;
    app::port_counters_json(f.lcores, 1, port);
    nlohmann::json lcore;
    app::lcore_counters_json(f.lcores[1], lcore);
    for (const counter_desc& d : counter_registry) {
        if (d.json == nullptr) {
            continue;
        }
        std::string ptr = "/" + std::string(d.json);
        for (char& c : ptr) {
            c = c == '.' ? '/' : c;
        }
        if (d.scope == counter_scope::port) {
            EXPECT_EQ(port.at(d.json).get<uint64_t>(),
                      d.cells(f.lcores[0])[1].get() + d.cells(f.lcores[1])[1].get())
                << d.json;
            continue;
        }
        if (d.scope == counter_scope::lcore) {
            EXPECT_EQ(lcore.at(d.json).get<uint64_t>(), d.cells(f.lcores[1])[0].get()) << d.json;
        }
        pipeline::each_label(d, [&](unsigned i, const char* value) {
            const auto at = nlohmann::json::json_pointer(value ? ptr + "/" + value : ptr);
            ASSERT_TRUE(j.contains(at)) << at.to_string();
            EXPECT_EQ(j.at(at).get<uint64_t>(),
                      d.cells(f.lcores[0])[i].get() + d.cells(f.lcores[1])[i].get())
                << at.to_string();
        });
    }
}

TEST(counter_registry, drop_reasons_are_every_drop_of_the_vocabulary) {
    const filled f;
    nlohmann::json j;
    app::counters_json(f.lcores, j);
    std::set<std::string> want;
    for (unsigned r = 0; r < classifier::verdict_reason_count; ++r) {
        if (classifier::is_drop(static_cast<classifier::verdict_reason>(r))) {
            want.insert(classifier::reasons[r].name);
        }
    }
    std::set<std::string> got;
    for (const auto& [k, v] : j.at("dropped").items()) {
        got.insert(k);
    }
    EXPECT_EQ(got, want);
    EXPECT_TRUE(want.count("policy-ingress") && want.count("malformed") && !want.count("allowed"));
}

TEST(counter_registry, names_are_unique_and_valid) {
    const std::regex prometheus_name("[a-zA-Z_:][a-zA-Z0-9_:]*");
    const std::regex label_name("[a-zA-Z_][a-zA-Z0-9_]*");
    std::map<std::string, const counter_desc*> first_of;
    std::set<std::string> json_paths;
    const char* previous = "";
    for (const counter_desc& d : counter_registry) {
        const std::string name = d.metric;
        EXPECT_TRUE(std::regex_match(name, prometheus_name)) << name;
        EXPECT_EQ(name.rfind("podgate_", 0), 0u) << name;
        const bool total_suffix =
            name.size() > 6 && name.compare(name.size() - 6, 6, "_total") == 0;
        EXPECT_EQ(total_suffix, d.type == pipeline::metric_type::counter)
            << name << ": counters end in _total";
        if (const auto [it, fresh] = first_of.emplace(name, &d); !fresh) {
            EXPECT_EQ(name, previous) << "rows of one family must be adjacent";
            EXPECT_TRUE(d.series_label != nullptr && it->second->series_label != nullptr)
                << name << ": only fixed-label series share a family";
            EXPECT_EQ(d.type, it->second->type) << name;
            EXPECT_STREQ(d.help, it->second->help) << name;
        }
        previous = d.metric;
        for (const char* l : {d.labels.label, d.series_label}) {
            if (l != nullptr) {
                EXPECT_TRUE(std::regex_match(l, label_name)) << name << " label " << l;
            }
        }
        if (d.json != nullptr && d.scope == counter_scope::total) {
            EXPECT_TRUE(json_paths.insert(d.json).second) << "JSON path twice: " << d.json;
        }
        EXPECT_NE(std::string(d.help), "") << name;
    }
    for (const app::control_metric& c : app::control_metrics) {
        EXPECT_TRUE(std::regex_match(c.metric, prometheus_name)) << c.metric;
        EXPECT_FALSE(first_of.count(c.metric)) << c.metric << " declared in both registries";
        EXPECT_TRUE(first_of.emplace(c.metric, nullptr).second) << c.metric << " declared twice";
    }
}

TEST(counter_registry, list_names_every_family_and_label_value) {
    const nlohmann::json l = app::list_counters();
    std::set<std::string> listed;
    for (const auto& f : l.at("counters")) {
        listed.insert(f.at("metric").get<std::string>());
        EXPECT_TRUE(f.at("type") == "counter" || f.at("type") == "gauge");
    }
    for (const auto& f : l.at("control")) {
        listed.insert(f.at("metric").get<std::string>());
    }
    for (const counter_desc& d : counter_registry) {
        EXPECT_TRUE(listed.count(d.metric)) << d.metric;
    }
    for (const app::control_metric& c : app::control_metrics) {
        EXPECT_TRUE(listed.count(c.metric)) << c.metric;
    }
    const auto drops = l.at("drop_reasons").get<std::vector<std::string>>();
    EXPECT_EQ(drops.front(), "policy-ingress");
    for (const auto& f : l.at("counters")) {
        if (f.at("metric") == "podgate_dropped_packets_total") {
            EXPECT_EQ(f.at("labels").at("reason").get<std::vector<std::string>>(), drops);
        }
        if (f.at("metric") == "podgate_conntrack_events_total") {
            EXPECT_EQ(f.at("labels").at("event").size(), 8u);
        }
    }
    EXPECT_EQ(l.at("malformed_reasons").size(), pipeline::malformed_reason_count - 1);
    EXPECT_EQ(l.at("reasons").size(), classifier::verdict_reason_count);
}

} // namespace
} // namespace podgate
