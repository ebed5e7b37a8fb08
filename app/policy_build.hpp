#pragma once
// Load + compile, shared by start-up and every reload: the same loader and
// compiler as podgate-policy, with errors kept as text for logs, telemetry
// and metrics. Control thread only.

#include "app/options.hpp"
#include "classifier/compile/incremental.hpp"
#include "config/manifest_loader.hpp"

#include <memory>
#include <string>
#include <vector>

namespace podgate::app {

struct policy_build {
    std::unique_ptr<const classifier::tables> tables; // null on failure
    std::shared_ptr<const config::cluster> cluster;   // what the tables were built from
    std::vector<std::string> errors;                  // file:line: object: field: message
    std::vector<std::string> warnings;
    double load_ms = 0;
    double compile_ms = 0;
    double cpu_ms = 0;        // load + compile, CPU time of the control thread
    std::string compile_kind; // "full (why)" or "incremental (N pods added, ...)", for the log
};

// `compiler` keeps the last good compile, so a reload that changes only pods
// patches the pod tables instead of recompiling (incremental.hpp).
policy_build build_policy(const daemon_options& opt, uint64_t generation,
                          classifier::incremental_compiler& compiler);

} // namespace podgate::app
