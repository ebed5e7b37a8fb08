#include "tools/bench/classifier_measure.hpp"

#include "classifier/compile/compiler.hpp"
#include "classifier/lookup/lookup.hpp"
#include "classifier/reference/evaluator.hpp"
#include "tests/support/synth/generate.hpp"
#include "tools/bench/acl_expand.hpp"
#include "tools/bench/dpdk_tables.hpp"
#include "tools/policy/flowgen.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

namespace podgate::bench {

namespace {

using clock_type = std::chrono::steady_clock;
using nlohmann::json;

double ms_since(clock_type::time_point t0) {
    return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

double thread_cpu_ns() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

// Median over `runs` passes of `pass` (after one untimed warm-up pass), in ns
// per flow: {"ns_per_lookup": thread CPU time, "wall_ns_per_lookup": wall
// clock}. CPU time leaves out the time this thread was descheduled, which on
// a shared 2-vCPU machine is most of the noise.
json ns_per_flow(int runs, uint32_t flows, const std::function<void()>& pass) {
    pass();
    std::vector<double> cpu;
    std::vector<double> wall;
    for (int r = 0; r < runs; ++r) {
        const double c0 = thread_cpu_ns();
        const auto t0 = clock_type::now();
        pass();
        wall.push_back(std::chrono::duration<double, std::nano>(clock_type::now() - t0).count() /
                       flows);
        cpu.push_back((thread_cpu_ns() - c0) / flows);
    }
    return {{"ns_per_lookup", median(cpu)}, {"wall_ns_per_lookup", median(wall)}};
}

config::cluster make_cluster(const classifier_case& c) {
    synth::scale_params p;
    p.pods = c.pods;
    p.policies = c.policies;
    p.namespaces = c.namespaces;
    p.seed = c.seed;
    return synth::generate_scale(p);
}

json measure_podgate(const classifier_case& c, const config::cluster& cl,
                     std::unique_ptr<const classifier::tables>& out) {
    std::vector<double> ms;
    for (int r = 0; r < c.compile_runs; ++r) {
        const auto t0 = clock_type::now();
        auto res = classifier::compile(cl);
        ms.push_back(ms_since(t0));
        if (!res) {
            return {{"error", res.error()}};
        }
        out = std::move(res.value());
    }
    // How far pod addresses sit from their home slot (linear probing): the
    // lookup's first loads.
    uint64_t dist_sum = 0;
    uint32_t dist_max = 0;
    uint32_t used = 0;
    for (uint32_t i = 0; i <= out->pods_v4_mask; ++i) {
        const auto& slot = out->pods_v4[i];
        if (slot.identity != classifier::empty_slot) {
            const uint32_t d =
                (i - classifier::detail::home_slot_v4(slot.addr, out->pods_v4_mask)) &
                out->pods_v4_mask;
            dist_sum += d;
            dist_max = std::max(dist_max, d);
            ++used;
        }
    }
    const auto& s = out->stats;
    return {{"build_ms", median(ms)},
            {"pod_slots_v4", out->pods_v4_mask + 1},
            {"pod_probe_mean", used ? 1.0 + static_cast<double>(dist_sum) / used : 0.0},
            {"pod_probe_max", dist_max + 1},
            {"bytes", s.bytes_total},
            {"identities", s.identities},
            {"ingress_groups", s.ingress_groups},
            {"egress_groups", s.egress_groups},
            {"rows", s.rows}};
}

} // namespace

namespace {

uint64_t status_kib(const char* field) {
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line)) {
        if (line.rfind(field, 0) == 0) {
            return std::stoull(line.substr(std::strlen(field)));
        }
    }
    return 0;
}

} // namespace

uint64_t peak_rss_kib() {
    return status_kib("VmHWM:");
}
uint64_t rss_kib() {
    return status_kib("VmRSS:");
}

bool reset_peak_rss() {
    std::ofstream f("/proc/self/clear_refs");
    f << "5";
    return static_cast<bool>(f.flush());
}

json measure_case(const classifier_case& c) {
    json out{{"pods", c.pods}, {"policies", c.policies}, {"namespaces", c.namespaces},
             {"seed", c.seed}, {"flows", c.flows},       {"burst", c.burst},
             {"runs", c.runs}};
    const auto t0 = clock_type::now();
    const config::cluster cl = make_cluster(c);
    out["generate_ms"] = ms_since(t0);

    std::unique_ptr<const classifier::tables> t;
    out["podgate"] = measure_podgate(c, cl, t);
    if (!t) {
        out["error"] = "podgate compile failed";
        return out;
    }
    // IPv4 only: rte_acl gets one context for one family.
    tools::flow_generator gen(cl, {.seed = c.seed + 1});
    std::vector<classifier::flow> flows(c.flows);
    std::generate(flows.begin(), flows.end(), [&gen] { return gen.next(); });
    const uint32_t n = static_cast<uint32_t>(flows.size());
    const uint32_t burst = std::clamp<uint32_t>(c.burst, 1, 32);

    // podgate
    std::vector<classifier::verdict> verdicts(n);
    out["podgate"].update(ns_per_flow(c.runs, n, [&] {
        for (uint32_t b = 0; b < n; b += burst) {
            classifier::lookup_burst(*t, flows.data() + b, verdicts.data() + b,
                                     std::min(burst, n - b));
        }
    }));
    uint32_t allowed = 0;
    for (const auto& v : verdicts) {
        allowed += v.allow;
    }
    out["allowed_fraction"] = static_cast<double>(allowed) / n;

    // The reference evaluator on a prefix of the flows: the oracle for all three.
    {
        const classifier::reference::evaluator ref(cl);
        uint32_t wrong = 0;
        const uint32_t m = std::min(c.check, n);
        for (uint32_t i = 0; i < m; ++i) {
            wrong += ref.evaluate(flows[i]).allow != verdicts[i].allow;
        }
        out["podgate"]["checked"] = m;
        out["podgate"]["mismatches_vs_reference"] = wrong;
    }

    // rte_lpm + rte_hash
    {
        lpm_hash_classifier lh;
        const auto rep = lh.build(*t);
        json j{{"build_ms", rep.build_ms},
               {"dpdk_bytes", rep.dpdk_bytes},
               {"shared_bytes", rep.podgate_bytes},
               {"routes", rep.routes}};
        if (rep.ok) {
            std::vector<classifier::verdict> v2(n);
            j.update(ns_per_flow(c.runs, n, [&] {
                for (uint32_t b = 0; b < n; b += burst) {
                    lh.lookup(flows.data() + b, v2.data() + b, std::min(burst, n - b));
                }
            }));
            uint32_t wrong = 0;
            for (uint32_t i = 0; i < n; ++i) {
                wrong += v2[i].allow != verdicts[i].allow;
            }
            j["mismatches_vs_podgate"] = wrong;
        } else {
            j["error"] = rep.error;
        }
        out["lpm_hash"] = j;
    }

    // rte_acl
    {
        const auto te = clock_type::now();
        const acl_expansion e = expand_v4(cl);
        json j{{"expand_ms", ms_since(te)},
               {"rules", e.rule_count},
               {"terms", e.terms.size()},
               {"endpoint_v4", e.endpoint_v4}};
        if (e.rule_count > c.acl_max_rules) {
            j["error"] = "not built: " + std::to_string(e.rule_count) +
                         " rules > --acl-max-rules " + std::to_string(c.acl_max_rules);
        } else {
            reset_peak_rss();
            const uint64_t rss0 = peak_rss_kib();
            acl_classifier acl;
            const auto rep = acl.build(e, 0, c.acl_budget);
            j["add_ms"] = rep.add_ms;
            j["build_ms"] = rep.build_ms;
            j["rule_bytes"] = rep.rule_bytes;
            j["runtime_bytes"] = rep.runtime_bytes;
            j["build_peak_rss_growth_kib"] = peak_rss_kib() - rss0;
            if (rep.ok) {
                j["algorithm"] = acl.algorithm();
                std::vector<acl_input> in(n);
                std::vector<const uint8_t*> ptr(n);
                for (uint32_t i = 0; i < n; ++i) {
                    in[i] = to_acl_input(flows[i]);
                    ptr[i] = reinterpret_cast<const uint8_t*>(&in[i]);
                }
                std::vector<uint8_t> allow(n);
                j.update(ns_per_flow(c.runs, n, [&] {
                    for (uint32_t b = 0; b < n; b += burst) {
                        acl.classify(ptr.data() + b, allow.data() + b, std::min(burst, n - b));
                    }
                }));
                uint32_t wrong = 0;
                for (uint32_t i = 0; i < n; ++i) {
                    wrong += (allow[i] != 0) != verdicts[i].allow;
                }
                j["mismatches_vs_podgate"] = wrong;
            } else {
                j["error"] = rep.error;
            }
        }
        out["acl"] = j;
    }
    return out;
}

json measure_acl_step(const classifier_case& c, uint64_t rules) {
    json out{{"pods", c.pods},
             {"policies", c.policies},
             {"namespaces", c.namespaces},
             {"requested_rules", rules}};
    const config::cluster cl = make_cluster(c);
    const acl_expansion e = expand_v4(cl);
    out["expansion_rules"] = e.rule_count;
    out["rss_before_build_kib"] = rss_kib(); // the cluster and its expansion
    reset_peak_rss();
    const uint64_t rss0 = peak_rss_kib();
    acl_classifier acl;
    const auto rep = acl.build(e, rules, c.acl_budget);
    out["rules"] = rep.rules;
    out["add_ms"] = rep.add_ms;
    out["build_ms"] = rep.build_ms;
    out["rule_bytes"] = rep.rule_bytes;
    out["runtime_bytes"] = rep.runtime_bytes;
    out["build_peak_rss_growth_kib"] = peak_rss_kib() - rss0;
    out["ok"] = rep.ok;
    if (!rep.ok) {
        out["error"] = rep.error;
    }
    return out;
}

} // namespace podgate::bench
