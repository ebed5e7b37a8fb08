#pragma once
// bench_compile's measurement side: one case (pods, policies, namespaces) run
// end to end (generate, serialise, parse, compile, recompile after small
// changes), with timings, sizes, memory and table stats collected as JSON so a
// forked child can hand them to the parent.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace podgate::bench {

struct case_spec {
    uint32_t pods = 0;
    uint32_t policies = 0;
    uint32_t namespaces = 0;
    uint64_t seed = 1;
    int runs = 3;      // compile and recompile repetitions (median reported)
    bool parse = true; // time load_manifest_text on the YAML and JSON text

    std::string label() const;
};

// Runs one case in this process and returns its results (see compile_measure.cpp
// for the keys). Throws on nothing; failures are reported in "error".
nlohmann::json run_case(const case_spec& c);

// Runs one case in a forked child so every case starts from a fresh heap and
// its peak RSS is its own. Falls back to run_case in-process if fork fails.
nlohmann::json run_case_isolated(const case_spec& c);

// Memory of this process from /proc/self/status, in KiB (0 when unknown).
struct memory_sample {
    uint64_t rss_kib = 0;
    uint64_t hwm_kib = 0;
};
memory_sample sample_memory();
// Resets VmHWM to the current RSS (Linux >= 4.0, /proc/self/clear_refs "5").
bool reset_peak_memory();

} // namespace podgate::bench
