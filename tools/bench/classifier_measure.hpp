#pragma once
// bench_classifier's measurement side: one cluster, three classifiers
// (podgate's tables, rte_lpm + rte_hash, rte_acl over the 5-tuple expansion),
// the same flows through each. Runs after rte_eal_init, in a process of its
// own (the parent forks one per case so heaps and peak RSS start fresh).

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>

namespace podgate::bench {

struct classifier_case {
    uint32_t pods = 1000;
    uint32_t policies = 100;
    uint32_t namespaces = 20;
    uint64_t seed = 1;
    uint32_t flows = 1u << 18; // IPv4 flows classified per pass
    uint32_t burst = 32;       // flows per lookup call (<= 32)
    int runs = 5;              // timed passes; the median is reported
    int compile_runs = 3;
    uint32_t check = 1000;               // flows also checked against the reference evaluator
    uint64_t acl_max_rules = 4000000;    // larger expansions are counted, not built
    size_t acl_budget = size_t{4} << 30; // rte_acl_config.max_size
};

// Everything for one case; "error" set on failure.
nlohmann::json measure_case(const classifier_case& c);

// One step of the rte_acl size sweep: `rules` rules spread evenly over the
// case's expansion, built under the budget (build time, memory, or the error).
nlohmann::json measure_acl_step(const classifier_case& c, uint64_t rules);

// Peak and current RSS of this process (KiB, /proc/self/status).
uint64_t peak_rss_kib();
uint64_t rss_kib();
bool reset_peak_rss();

} // namespace podgate::bench
