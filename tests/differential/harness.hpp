#pragma once
// Shared by the differential and round-trip tests: run a flow list through
// the reference evaluator and the compiled lookup, compare verdict by
// verdict, and on a mismatch say everything needed to replay it.

#include "classifier/compile/compiler.hpp"
#include "classifier/lookup/lookup.hpp"
#include "classifier/reference/evaluator.hpp"
#include "config/cluster.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace podgate::differential {

struct context {
    std::string what; // "adversarial seed 17", used in messages and the replay file name
    const config::cluster* cluster = nullptr;
    config::default_action non_pod = config::default_action::allow;
};

const char* to_string(config::default_action a);

std::vector<classifier::verdict> evaluate_all(const classifier::reference::evaluator& e,
                                              const std::vector<classifier::flow>& flows);
std::vector<classifier::verdict> lookup_all(const classifier::tables& t,
                                            const std::vector<classifier::flow>& flows);
// lookup_burst over the list cut into bursts of varying sizes (1, 3, 32, 33, 64, 255, ...).
std::vector<classifier::verdict> lookup_burst_all(const classifier::tables& t,
                                                  const std::vector<classifier::flow>& flows);

// Writes the cluster as YAML (loadable by podgate-policy) and returns the path.
// Directory: $PODGATE_DIFF_OUT, else the system temp directory.
std::string write_replay(const config::cluster& c, const std::string& what);

// Compares flow by flow. For the first few mismatches adds a gtest failure
// with the flow, both verdicts and the reference's explain(), and writes the
// cluster once for replay. Returns the number of mismatching flows.
size_t compare_verdicts(const context& ctx, const classifier::reference::evaluator& reference,
                        const std::vector<classifier::flow>& flows,
                        const std::vector<classifier::verdict>& expected,
                        const std::vector<classifier::verdict>& actual, const char* actual_name);

// Compiles `ctx.cluster` and checks lookup and lookup_burst against the
// reference on `flows`. Adds a failure (with replay file) if compile fails.
// Returns the reference verdicts (empty when compile failed).
std::vector<classifier::verdict> check_compiled(const context& ctx,
                                                const std::vector<classifier::flow>& flows);

// How often each verdict reason came out of the reference over a run: a
// differential test whose oracle answers one thing only tests nothing.
struct reason_tally {
    std::array<uint64_t, classifier::verdict_reason_count> count{};
    void add(const std::vector<classifier::verdict>& v);
    uint64_t total() const;
    std::string summary() const;
};

uint64_t env_u64(const char* name, uint64_t fallback);

} // namespace podgate::differential
