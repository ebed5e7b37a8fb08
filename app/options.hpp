#pragma once
// The daemon's options. Every option is also a key of the YAML config file
// (`--config FILE`), under the same name: defaults < config file < command
// line. Errors name the option or the file:line and key.

#include "config/cluster.hpp"
#include "config/result.hpp"
#include "pipeline/ports/ports.hpp"
#include "pipeline/worker/worker.hpp"

#include <string>
#include <vector>

namespace podgate::app {

struct daemon_options {
    std::vector<std::string> manifests;
    config::default_action non_pod_traffic = config::default_action::allow;
    pipeline::worker_config worker;
    pipeline::port_options ports;
    uint32_t exit_on_idle_ms = 0; // 0: run until a signal
    std::string stats_json;
    double stats_interval_s = 10; // 0: only at exit
    std::string log_level = "info";
    size_t table_memory_budget = size_t{1} << 30;
    std::string metrics_listen = "127.0.0.1:9469"; // "off" disables
    std::string drop_log;                          // file, "-" for stderr, empty: off
    bool drop_log_json = false;
    uint32_t drop_log_rate = 100;    // records per second
    std::string drop_capture;        // pcapng file, empty: off
    uint32_t drop_capture_mib = 64;  // rotate after this much
    uint32_t drop_capture_files = 2; // keep FILE, FILE.1, ... FILE.<n-1>
};

// Parses the arguments after EAL's `--`; `help` is set when --help was asked
// for.
status parse_options(int argc, char** argv, daemon_options& out, bool& help);

// The --help text (also the list of config keys).
std::string usage();

} // namespace podgate::app
