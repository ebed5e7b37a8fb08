#include "app/daemon.hpp"

#include "app/stats.hpp"
#include "app/telemetry.hpp"

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <fstream>
#include <thread>

namespace podgate::app {

namespace {

using clock_type = std::chrono::steady_clock;

volatile std::sig_atomic_t stop_requested = 0;
volatile std::sig_atomic_t hangup_received = 0;

void on_stop_signal(int) {
    stop_requested = 1;
}
void on_hangup(int) {
    hangup_received = 1;
}

double ms_between(clock_type::time_point a, clock_type::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
}

} // namespace

void install_signal_handlers() {
    struct sigaction sa {};
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_stop_signal;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    sa.sa_handler = on_hangup;
    sigaction(SIGHUP, &sa, nullptr);
}

appliance::~appliance() {
    shutdown();
}

bool appliance::load_policy() {
    _initial = build_policy(_opt, 1, _compiler);
    for (const auto& w : _initial.warnings) {
        spdlog::warn("{}", w);
    }
    for (const auto& e : _initial.errors) {
        spdlog::error("{}", e);
    }
    if (!_initial.tables) {
        spdlog::error("{} error(s) in the manifests; not starting", _initial.errors.size());
        return false;
    }
    const auto& s = _initial.tables->stats;
    spdlog::info("policy generation 1: {} pods, {} policies -> {} identities, {} ingress / {} "
                 "egress groups, "
                 "{} rows, {} bytes; loaded in {:.1f} ms, compiled in {:.1f} ms ({:.1f} ms of CPU)",
                 s.pods, s.policies, s.identities, s.ingress_groups, s.egress_groups, s.rows,
                 s.bytes_total, _initial.load_ms, s.compile_ms, _initial.cpu_ms);
    _cluster = _initial.cluster;
    _status.generation = 1;
    _status.last_trigger = "start";
    _status.last_result = "ok";
    _status.last_load_ms = _initial.load_ms;
    _status.last_compile_ms = _initial.compile_ms;
    _status.last_compile_kind = _initial.compile_kind;
    _status.table_stats = s;
    return true;
}

bool appliance::start(int eal_argc, char** eal_argv) {
    if (rte_eal_init(eal_argc, eal_argv) < 0) {
        spdlog::error("cannot initialise DPDK (EAL): {}", rte_strerror(rte_errno));
        return false;
    }
    _eal_up = true;
    unsigned lcore = 0;
    RTE_LCORE_FOREACH_WORKER(lcore) {
        _lcore_ids.push_back(lcore);
    }
    if (_lcore_ids.empty()) {
        spdlog::error("no worker lcore: give DPDK at least two lcores (e.g. -l 0-1); the main "
                      "lcore runs control");
        return false;
    }
    const unsigned nworkers = static_cast<unsigned>(_lcore_ids.size());
    // One more RCU reader than workers: the control interface's lookups.
    auto slot = pipeline::table_slot::create(nworkers + 1);
    if (!slot) {
        spdlog::error("{}", slot.error());
        return false;
    }
    _tables = std::move(*slot);
    _counters = std::vector<pipeline::lcore_counters>(nworkers);
    for (unsigned i = 0; i < nworkers; ++i) {
        auto w = pipeline::worker::create(i, _opt.worker, *_tables, _counters[i],
                                          static_cast<int>(rte_lcore_to_socket_id(_lcore_ids[i])));
        if (!w) {
            spdlog::error("worker on lcore {}: {}", _lcore_ids[i], w.error());
            return false;
        }
        if (!_tables->register_thread(i)) {
            spdlog::error("worker on lcore {}: cannot register with RCU", _lcore_ids[i]);
            return false;
        }
        _workers.push_back(std::move(*w));
    }
    if (!_tables->register_thread(nworkers)) {
        spdlog::error("control thread: cannot register with RCU");
        return false;
    }
    if (podgate::status s = _drops.start(_opt, nworkers, static_cast<int>(rte_socket_id())); !s) {
        spdlog::error("{}", s.error());
        return false;
    }
    for (unsigned i = 0; i < nworkers; ++i) {
        _workers[i]->report_drops_to(_drops.channel(i));
    }
    if (podgate::status s = pipeline::start_ports(_opt.ports, nworkers, _ports); !s) {
        spdlog::error("{}", s.error());
        return false;
    }
    for (const auto& p : _ports.ports) {
        for (uint16_t q = 0; q < p.queues; ++q) {
            _workers[q]->assign({p.port, q, p.peer, q});
        }
        spdlog::info("port {} ({}) -> port {}, {} queue(s)", p.port, p.name, p.peer, p.queues);
    }
    if (podgate::status s = _watch.start(_opt.manifests, std::chrono::milliseconds(200)); !s) {
        spdlog::warn("manifest changes will not be picked up automatically: {}", s.error());
    }
    go_live(std::move(_initial.tables));
    for (unsigned i = 0; i < nworkers; ++i) {
        _workers[i]->launch(_lcore_ids[i], _stop);
    }
    _launched = true;
    _started = clock_type::now();
    register_telemetry(*this);
    if (_opt.metrics_listen != "off") {
        if (podgate::status s = _metrics.start(_opt.metrics_listen, *this); !s) {
            spdlog::warn("no metrics endpoint: {}", s.error());
        } else {
            spdlog::info("metrics on http://{}/metrics (port {})", _opt.metrics_listen,
                         _metrics.port());
        }
    }
    spdlog::info("{} worker(s) running", nworkers);
    return true;
}

int appliance::run() {
    control_loop();
    shutdown();
    return 0;
}

double appliance::uptime_s() const {
    return std::chrono::duration<double>(clock_type::now() - _started).count();
}

reload_status appliance::status() const {
    std::lock_guard lock(_status_mutex);
    return _status;
}

std::shared_ptr<const config::cluster> appliance::cluster() const {
    std::lock_guard lock(_status_mutex);
    return _cluster;
}

reload_status appliance::request_reload(std::chrono::milliseconds timeout) {
    std::unique_lock lock(_status_mutex);
    const uint64_t done_before = _status.reloads_ok + _status.reloads_failed;
    _reload_requested.store(true);
    _status_changed.wait_for(
        lock, timeout, [&] { return _status.reloads_ok + _status.reloads_failed != done_before; });
    return _status;
}

void appliance::reload(const char* trigger, clock_type::time_point triggered) {
    const uint64_t generation = status().generation + 1;
    policy_build next = build_policy(_opt, generation, _compiler);
    if (!next.tables) {
        for (const auto& e : next.errors) {
            spdlog::error("reload ({}): {}", trigger, e);
        }
        spdlog::error("reload ({}) rejected: generation {} stays live", trigger, generation - 1);
        std::lock_guard lock(_status_mutex);
        ++_status.reloads_failed;
        _status.last_trigger = trigger;
        _status.last_result = "failed";
        _status.last_errors = std::move(next.errors);
        _status.last_load_ms = next.load_ms;
        _status.last_compile_kind = next.compile_kind;
        _status_changed.notify_all();
        return;
    }
    for (const auto& w : next.warnings) {
        spdlog::warn("reload ({}): {}", trigger, w);
    }
    const classifier::table_stats stats = next.tables->stats;
    go_live(std::move(next.tables)); // returns after the grace period; the old set is freed
    // Live on every worker: each has run an iteration with the new pointer.
    const auto deadline = clock_type::now() + std::chrono::seconds(2);
    for (const auto& c : _counters) {
        while (c.generation.get() < generation && clock_type::now() < deadline) {
            std::this_thread::yield();
        }
    }
    const double latency = ms_between(triggered, clock_type::now());
    spdlog::info("reload ({}): generation {} live on all workers {:.2f} ms after the trigger "
                 "(load {:.1f} ms, compile {:.1f} ms {}; {:.1f} ms of CPU)",
                 trigger, generation, latency, next.load_ms, next.compile_ms, next.compile_kind,
                 next.cpu_ms);
    // The old snapshot is freed after the lock is released: at 100k pods that
    // is millions of small blocks, which telemetry callbacks should not wait on.
    std::shared_ptr<const config::cluster> previous;
    std::lock_guard lock(_status_mutex);
    previous = std::exchange(_cluster, next.cluster);
    _status.generation = generation;
    ++_status.reloads_ok;
    _status.last_trigger = trigger;
    _status.last_result = "ok";
    _status.last_errors.clear();
    _status.last_load_ms = next.load_ms;
    _status.last_compile_ms = next.compile_ms;
    _status.last_compile_kind = next.compile_kind;
    _status.last_trigger_to_live_ms = latency;
    _status.table_stats = stats;
    _status.total_trigger_to_live_ms += latency;
    _status_changed.notify_all();
}

void appliance::go_live(std::unique_ptr<const classifier::tables> next) {
    auto counts = attribution_totals::counts_for(*next, static_cast<unsigned>(_workers.size()));
    if (!counts) {
        spdlog::warn("{}", counts.error());
    }
    auto retired = _tables->publish(std::move(next), counts ? std::move(*counts) : nullptr);
    _attribution.went_live(_tables->live_counts(), std::move(retired));
}

void appliance::report(bool final) {
    const run_view v{&_counters,
                     &_lcore_ids,
                     &_ports,
                     _tables ? _tables->current() : nullptr,
                     _opt.worker.conntrack.capacity,
                     uptime_s()};
    if (!final) {
        spdlog::info("{}", stats_line(v));
        return;
    }
    std::fputs(stats_summary(v).c_str(), stdout);
    std::fflush(stdout);
    if (!_opt.stats_json.empty()) {
        auto j = stats_json(v);
        const auto st = status();
        j["reloads"] = {
            {"ok", st.reloads_ok}, {"failed", st.reloads_failed}, {"generation", st.generation}};
        j["drop_log"] = {{"logged", _drops.logged()},
                         {"rate_limited", _drops.rate_limited()},
                         {"captured", _drops.captured()},
                         {"capture_lost", _drops.capture_lost()}};
        j["attributed_flows"] = attribution_json(_attribution.snapshot());
        std::ofstream out(_opt.stats_json);
        out << j.dump(2) << "\n";
        if (!out) {
            spdlog::error("cannot write {}", _opt.stats_json);
        }
    }
}

void appliance::control_loop() {
    using namespace std::chrono;
    uint64_t last_rx = 0;
    auto last_packet = clock_type::now();
    auto last_report = last_packet;
    while (!stop_requested) {
        std::this_thread::sleep_for(milliseconds(5));
        const auto now = clock_type::now();
        if (hangup_received) {
            hangup_received = 0;
            reload("SIGHUP", now);
        }
        if (_watch.changed(now)) {
            reload("inotify", now);
        }
        if (_reload_requested.exchange(false)) {
            reload("telemetry", now);
        }
        _drops.drain(_tables->current(), cluster()); // the control thread owns the table pointer
        const uint64_t rx = sum(_counters).rx;
        if (rx != last_rx) {
            last_rx = rx;
            last_packet = now;
        } else if (_opt.exit_on_idle_ms != 0 &&
                   now - last_packet >= milliseconds(_opt.exit_on_idle_ms)) {
            spdlog::info("no packet for {} ms: stopping", _opt.exit_on_idle_ms);
            break;
        }
        if (_opt.stats_interval_s > 0 &&
            now - last_report >= duration<double>(_opt.stats_interval_s)) {
            report(false);
            last_report = now;
        }
    }
}

void appliance::shutdown() {
    if (_launched) {
        _stop.store(true);
        rte_eal_mp_wait_lcore();
        _launched = false;
        _drops.drain(_tables->current(), cluster());
        report(true);
    }
    _metrics.stop();
    {
        std::unique_lock lock(_teardown); // no control-interface reader past this point
        _closing.store(true);
    }
    if (!_ports.ports.empty() || _ports.pool != nullptr) {
        pipeline::stop_ports(_ports); // flushes pcap output files
    }
    _workers.clear();
    if (_tables) {
        _attribution.went_live(
            nullptr, _tables->publish(nullptr)); // nothing may point into the tables past here
    }
    _tables.reset();
    _drops.stop(); // its rings and pools are DPDK memory
    if (_eal_up) {
        rte_eal_cleanup();
        _eal_up = false;
    }
}

} // namespace podgate::app
