#pragma once
// The podgate daemon: loads and compiles the manifests (before DPDK touches a
// port), starts EAL, ports and one worker per worker lcore, then runs the
// control loop on the main lcore: signals, exit-on-idle, periodic counters.
// Everything that logs, allocates or blocks happens here, never on a worker.

#include "app/options.hpp"
#include "classifier/compile/compiler.hpp"
#include "config/manifest_loader.hpp"
#include "pipeline/table_slot.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <vector>

namespace podgate::app {

class daemon {
public:
    explicit daemon(daemon_options opt) : _opt(std::move(opt)) {}
    ~daemon();

    // Loads and compiles the manifests. Returns false after logging the
    // loader's file:line errors. Call before start().
    bool load_policy();
    // EAL arguments as given before `--`. Returns false after logging why.
    bool start(int eal_argc, char** eal_argv);
    // Runs until SIGINT/SIGTERM or exit-on-idle, then stops everything.
    int run();

private:
    void control_loop();
    void shutdown();
    void report(bool final);

    daemon_options _opt;
    std::unique_ptr<const classifier::tables> _initial;
    std::unique_ptr<pipeline::table_slot> _tables;
    std::vector<pipeline::lcore_counters> _counters;
    std::vector<unsigned> _lcore_ids;
    std::vector<std::unique_ptr<pipeline::worker>> _workers;
    pipeline::port_setup _ports;
    std::atomic<bool> _stop{false};
    bool _eal_up = false;
    bool _launched = false;
    std::chrono::steady_clock::time_point _started;
};

// Set by the signal handlers; read by the control loop.
void install_signal_handlers();

} // namespace podgate::app
