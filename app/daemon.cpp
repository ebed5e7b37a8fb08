#include "app/daemon.hpp"

#include "app/stats.hpp"

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

volatile std::sig_atomic_t stop_requested = 0;

void on_stop_signal(int) { stop_requested = 1; }

struct launch_args {
    pipeline::worker* w;
    const std::atomic<bool>* stop;
};

int worker_main(void* arg) {
    auto* a = static_cast<launch_args*>(arg);
    a->w->run(*a->stop);
    return 0;
}

std::vector<launch_args> launch_slots;

} // namespace

void install_signal_handlers() {
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

daemon::~daemon() { shutdown(); }

bool daemon::load_policy() {
    const auto result = config::load_manifests(_opt.manifests);
    for (const auto& w : result.warnings) {
        spdlog::warn("{}", w.to_string());
    }
    for (const auto& e : result.errors) {
        spdlog::error("{}", e.to_string());
    }
    if (!result.ok()) {
        spdlog::error("{} error(s) in the manifests; not starting", result.errors.size());
        return false;
    }
    classifier::compile_options copt;
    copt.non_pod_traffic = _opt.non_pod_traffic;
    copt.memory_budget = _opt.table_memory_budget;
    copt.generation = 1;
    auto compiled = classifier::compile(result.objects, copt);
    if (!compiled.result) {
        spdlog::error("cannot compile the manifests: {}", compiled.error);
        return false;
    }
    const auto& s = compiled.result->stats;
    spdlog::info("policy generation 1: {} pods, {} policies -> {} identities, {} ingress / {} egress groups, "
                 "{} rows, {} bytes, compiled in {:.1f} ms",
                 s.pods, s.policies, s.identities, s.ingress_groups, s.egress_groups, s.rows, s.bytes_total,
                 s.compile_ms);
    _initial = std::move(compiled.result);
    return true;
}

bool daemon::start(int eal_argc, char** eal_argv) {
    if (rte_eal_init(eal_argc, eal_argv) < 0) {
        spdlog::error("cannot initialise DPDK (EAL): {}", rte_strerror(rte_errno));
        return false;
    }
    _eal_up = true;
    unsigned lcore = 0;
    RTE_LCORE_FOREACH_WORKER(lcore) { _lcore_ids.push_back(lcore); }
    if (_lcore_ids.empty()) {
        spdlog::error("no worker lcore: give DPDK at least two lcores (e.g. -l 0-1); the main lcore runs control");
        return false;
    }
    const unsigned nworkers = static_cast<unsigned>(_lcore_ids.size());
    std::string error;
    _tables = pipeline::table_slot::create(nworkers, error);
    if (!_tables) {
        spdlog::error("{}", error);
        return false;
    }
    _counters = std::vector<pipeline::lcore_counters>(nworkers);
    for (unsigned i = 0; i < nworkers; ++i) {
        auto w = pipeline::worker::create(i, _opt.worker, *_tables, _counters[i],
                                          static_cast<int>(rte_lcore_to_socket_id(_lcore_ids[i])), error);
        if (!w) {
            spdlog::error("worker on lcore {}: {}", _lcore_ids[i], error);
            return false;
        }
        _tables->register_thread(i);
        _workers.push_back(std::move(w));
    }
    if (std::string err = pipeline::start_ports(_opt.ports, nworkers, _ports); !err.empty()) {
        spdlog::error("{}", err);
        return false;
    }
    for (const auto& p : _ports.ports) {
        for (uint16_t q = 0; q < p.queues; ++q) {
            _workers[q]->assign({p.port, q, p.peer, q});
        }
        spdlog::info("port {} ({}) -> port {}, {} queue(s)", p.port, p.name, p.peer, p.queues);
    }
    _tables->publish(std::move(_initial));
    launch_slots.assign(nworkers, {});
    for (unsigned i = 0; i < nworkers; ++i) {
        launch_slots[i] = {_workers[i].get(), &_stop};
        rte_eal_remote_launch(worker_main, &launch_slots[i], _lcore_ids[i]);
    }
    _launched = true;
    _started = std::chrono::steady_clock::now();
    spdlog::info("{} worker(s) running", nworkers);
    return true;
}

int daemon::run() {
    control_loop();
    shutdown();
    return 0;
}

void daemon::report(bool final) {
    const run_view v{&_counters, &_lcore_ids, &_ports, _tables ? _tables->current() : nullptr,
                     _opt.worker.conntrack.capacity,
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - _started).count()};
    if (!final) {
        spdlog::info("{}", stats_line(v));
        return;
    }
    std::fputs(stats_summary(v).c_str(), stdout);
    std::fflush(stdout);
    if (!_opt.stats_json.empty()) {
        std::ofstream out(_opt.stats_json);
        out << stats_json(v).dump(2) << "\n";
        if (!out) {
            spdlog::error("cannot write {}", _opt.stats_json);
        }
    }
}

void daemon::control_loop() {
    using namespace std::chrono;
    uint64_t last_rx = 0;
    auto last_packet = steady_clock::now();
    auto last_report = last_packet;
    while (!stop_requested) {
        std::this_thread::sleep_for(milliseconds(10));
        const auto now = steady_clock::now();
        const uint64_t rx = sum(_counters).rx;
        if (rx != last_rx) {
            last_rx = rx;
            last_packet = now;
        } else if (_opt.exit_on_idle_ms != 0 && now - last_packet >= milliseconds(_opt.exit_on_idle_ms)) {
            spdlog::info("no packet for {} ms: stopping", _opt.exit_on_idle_ms);
            break;
        }
        if (_opt.stats_interval_s > 0 && now - last_report >= duration<double>(_opt.stats_interval_s)) {
            report(false);
            last_report = now;
        }
    }
}

void daemon::shutdown() {
    if (_launched) {
        _stop.store(true);
        rte_eal_mp_wait_lcore();
        _launched = false;
        report(true);
    }
    if (!_ports.ports.empty() || _ports.pool != nullptr) {
        pipeline::stop_ports(_ports); // flushes pcap output files
    }
    _workers.clear();
    _tables.reset();
    if (_eal_up) {
        rte_eal_cleanup();
        _eal_up = false;
    }
}

} // namespace podgate::app
