#pragma once
// Compiling a loaded cluster into immutable lookup tables. Runs on the control
// thread or in the offline CLI, never on a worker lcore: it allocates, may take
// hundreds of milliseconds at scale, and reports failure as an error message
// (never a half-built table). Thread-safe: it only reads the cluster.

#include "classifier/tables/tables.hpp"
#include "config/cluster.hpp"
#include "config/result.hpp"

#include <memory>
#include <string>

namespace podgate::classifier {

struct compile_options {
    config::default_action non_pod_traffic = config::default_action::allow;
    size_t memory_budget = size_t{1} << 30; // bytes of hot arrays; larger sets are rejected
    uint64_t generation = 0;
};

// The tables (never null), or why they could not be built.
using compile_result = result<std::unique_ptr<const tables>>;

compile_result compile(const config::cluster& c, const compile_options& opt = {});

} // namespace podgate::classifier
