#pragma once
// The podgate daemon: loads and compiles the manifests (before DPDK touches a
// port), starts EAL, ports and one worker per worker lcore, then runs the
// control loop on the main lcore: signals, exit-on-idle, periodic counters.
// Everything that logs, allocates or blocks happens here, never on a worker.

#include "app/attribution_totals.hpp"
#include "app/drop_report.hpp"
#include "app/manifest_watch.hpp"
#include "app/metrics_http.hpp"
#include "app/options.hpp"
#include "app/policy_build.hpp"
#include "pipeline/ports/ports.hpp"
#include "pipeline/table_slot.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <vector>

namespace podgate::app {

// What the last reload did; read by telemetry and metrics (under the mutex).
struct reload_status {
    uint64_t generation = 0;
    uint64_t reloads_ok = 0;
    uint64_t reloads_failed = 0;
    std::string last_trigger; // "start", "inotify", "SIGHUP", "telemetry"
    std::string last_result;  // "ok" or "failed"
    std::vector<std::string> last_errors;
    double last_load_ms = 0;
    double last_compile_ms = 0;
    std::string last_compile_kind;      // "full (why)" or "incremental (...)"
    double last_trigger_to_live_ms = 0; // trigger until every worker runs the new generation
    double total_trigger_to_live_ms = 0;
    std::optional<classifier::table_stats> table_stats; // of the live generation
};

class appliance {
  public:
    explicit appliance(daemon_options opt) : _opt(std::move(opt)) {}
    ~appliance();
    appliance(const appliance&) = delete;
    appliance& operator=(const appliance&) = delete;

    // Loads and compiles the manifests. Returns false after logging the
    // loader's file:line errors (the caller only needs to stop, hence no
    // status). Call before start().
    [[nodiscard]] bool load_policy();
    // EAL arguments as given before `--`. Returns false after logging why.
    [[nodiscard]] bool start(int eal_argc, char** eal_argv);
    // Runs until SIGINT/SIGTERM or exit-on-idle, then stops everything.
    int run();

    // ---- for the control interface (any thread) ----
    reload_status status() const;
    // Asks the control thread to reload and waits for the outcome (<= timeout).
    reload_status request_reload(std::chrono::milliseconds timeout);
    // The live tables, for a reader registered as RCU thread `reader_thread()`.
    pipeline::table_slot& tables() { return *_tables; }
    unsigned reader_thread() const { return static_cast<unsigned>(_workers.size()); }
    std::shared_ptr<const config::cluster> cluster() const;
    const std::vector<pipeline::lcore_counters>& counters() const { return _counters; }
    const std::vector<unsigned>& lcore_ids() const { return _lcore_ids; }
    const pipeline::port_setup& ports() const { return _ports; }
    const daemon_options& options() const { return _opt; }
    double uptime_s() const;
    // Held (shared) by control-interface readers of ports and counters;
    // shutdown takes it exclusively before releasing them.
    std::shared_lock<std::shared_mutex> reading() const { return std::shared_lock(_teardown); }
    bool closing() const { return _closing.load(); }
    uint16_t metrics_port() const { return _metrics.port(); }
    const drop_reporter& drops() const { return _drops; }
    const attribution_totals& attribution() const { return _attribution; }

  private:
    void control_loop();
    void shutdown();
    void report(bool final);
    // Loads, compiles and publishes a new generation; the running one stays
    // when anything fails.
    void reload(const char* trigger, std::chrono::steady_clock::time_point triggered);
    // Publishes `next` with fresh attribution counts and folds the retired
    // generation's counts into _attribution.
    void go_live(std::unique_ptr<const classifier::tables> next);

    daemon_options _opt;
    policy_build _initial;
    classifier::incremental_compiler _compiler; // control thread only; keeps the last good compile
    manifest_watch _watch;
    metrics_server _metrics;
    drop_reporter _drops;
    attribution_totals _attribution;
    mutable std::mutex _status_mutex;
    mutable std::shared_mutex _teardown;
    std::atomic<bool> _closing{false};
    std::condition_variable _status_changed;
    reload_status _status;
    std::shared_ptr<const config::cluster> _cluster;
    std::atomic<bool> _reload_requested{false};
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

// SIGINT/SIGTERM stop, SIGHUP reloads; the flags are read by the control loop.
void install_signal_handlers();

} // namespace podgate::app
