#include "app/drop_report.hpp"

#include "classifier/lookup/lookup.hpp"
#include "classifier/text/flow_text.hpp"
#include "pipeline/counters.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <rte_cycles.h>
#include <rte_pcapng.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <chrono>
#include <cstdio>

namespace podgate::app {

namespace {

constexpr unsigned drain_burst = 64;

uint64_t now_ns() {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::steady_clock::now().time_since_epoch())
                                     .count());
}

} // namespace

void drop_reporter::stop() {
    if (_pcapng != nullptr) {
        rte_pcapng_close(_pcapng); // closes the fd too
        _pcapng = nullptr;
    }
    _channels.clear();
}

status drop_reporter::start(const daemon_options& opt, unsigned workers, int socket) {
    _opt = opt;
    if (opt.drop_log.empty() && opt.drop_capture.empty()) {
        return {};
    }
    for (unsigned w = 0; w < workers; ++w) {
        auto ch = std::make_unique<pipeline::drop_channel>();
        if (status s = ch->create(w, 4096, !opt.drop_capture.empty(), 1024, socket); !s) {
            return s;
        }
        _channels.push_back(std::move(ch));
    }
    if (!opt.drop_log.empty()) {
        try {
            if (opt.drop_log == "-") {
                _log = std::make_shared<spdlog::logger>(
                    "drops", std::make_shared<spdlog::sinks::stderr_sink_mt>());
            } else {
                _log = std::make_shared<spdlog::logger>(
                    "drops", std::make_shared<spdlog::sinks::basic_file_sink_mt>(opt.drop_log));
            }
        } catch (const spdlog::spdlog_ex& e) {
            return fail("drop-log " + opt.drop_log + ": " + e.what());
        }
        _log->set_pattern(opt.drop_log_json ? "%v" : "%Y-%m-%dT%H:%M:%S.%e drop %v");
        _log->flush_on(spdlog::level::info);
        _limiter.reset(opt.drop_log_rate, now_ns());
    }
    if (!opt.drop_capture.empty()) {
        open_capture();
        if (_pcapng == nullptr) {
            return fail("drop-capture " + opt.drop_capture + ": cannot open for writing");
        }
    }
    return {};
}

void drop_reporter::open_capture() {
    _capture_fd = open(_opt.drop_capture.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (_capture_fd < 0) {
        return;
    }
    _pcapng =
        rte_pcapng_fdopen(_capture_fd, nullptr, nullptr, "podgate", "packets dropped by podgate");
    _capture_bytes = 0;
}

void drop_reporter::write_captures(pipeline::drop_channel& ch) {
    rte_mbuf* pkts[drain_burst];
    unsigned n = 0;
    while ((n = rte_ring_sc_dequeue_burst(ch.captures, reinterpret_cast<void**>(pkts), drain_burst,
                                          nullptr)) > 0) {
        if (_pcapng == nullptr) {
            rte_pktmbuf_free_bulk(pkts, n);
            _capture_lost += n;
            continue;
        }
        const ssize_t written = rte_pcapng_write_packets(_pcapng, pkts, static_cast<uint16_t>(n));
        // DPDK 22.11's rte_pcapng_write_packets only writev()s, whatever its
        // header says: the copies are ours to free.
        rte_pktmbuf_free_bulk(pkts, n);
        if (written > 0) {
            _capture_bytes += static_cast<uint64_t>(written);
            _captured += n;
        } else {
            _capture_lost += n;
        }
        if (_capture_bytes >= uint64_t{_opt.drop_capture_mib} << 20) {
            // Rotate: FILE -> FILE.1 -> ... -> FILE.<files-1>, the oldest goes.
            rte_pcapng_close(_pcapng);
            _pcapng = nullptr;
            const auto& base = _opt.drop_capture;
            for (uint32_t i = _opt.drop_capture_files - 1; i >= 1; --i) {
                const std::string from = i == 1 ? base : base + "." + std::to_string(i - 1);
                std::rename(from.c_str(), (base + "." + std::to_string(i)).c_str());
            }
            open_capture();
        }
    }
}

std::string drop_reporter::describe(const pipeline::drop_record& r, const classifier::tables* t) {
    const auto family = r.family == 6 ? ip_family::v6 : ip_family::v4;
    const classifier::flow f{{family, r.src}, {family, r.dst}, r.proto, r.sport, r.dport};
    const auto reason = static_cast<classifier::verdict_reason>(r.reason);
    const auto name = [&](const ip_address& a) { return _pod_names.at(a); };
    // The policies selecting the pod on the side that denied.
    std::vector<std::string> policies;
    if (t != nullptr && (reason == classifier::verdict_reason::policy_ingress ||
                         reason == classifier::verdict_reason::policy_egress)) {
        const bool egress = reason == classifier::verdict_reason::policy_egress;
        const auto ep = classifier::resolve(*t, egress ? f.src : f.dst);
        const auto g = egress ? ep.egress : ep.ingress;
        if (g < t->names->group_policies.size()) {
            for (uint32_t p : t->names->group_policies[g]) {
                policies.push_back(t->names->policies[p]);
            }
        }
    }
    const char* side = reason == classifier::verdict_reason::policy_ingress  ? "ingress"
                       : reason == classifier::verdict_reason::policy_egress ? "egress"
                                                                             : "-";
    if (_opt.drop_log_json) {
        return nlohmann::json{{"time_ns", now_ns()},
                              {"reason", to_string(reason)},
                              {"side", side},
                              {"proto", classifier::protocol_name(r.proto)},
                              {"src", to_string(f.src)},
                              {"sport", r.sport},
                              {"dst", to_string(f.dst)},
                              {"dport", r.dport},
                              {"src_pod", name(f.src)},
                              {"dst_pod", name(f.dst)},
                              {"policies", policies},
                              {"generation", r.generation},
                              {"port", r.port}}
            .dump();
    }
    std::string line = std::string(to_string(reason)) + " " + classifier::to_string(f) +
                       " src=" + name(f.src) + " dst=" + name(f.dst) + " side=" + side;
    if (!policies.empty()) {
        line += " policies=";
        for (size_t i = 0; i < policies.size(); ++i) {
            line += (i ? "," : "") + policies[i];
        }
    }
    return line + " generation=" + std::to_string(r.generation);
}

void drop_reporter::drain(const classifier::tables* t,
                          const std::shared_ptr<const config::cluster>& c) {
    if (_channels.empty()) {
        return;
    }
    _pod_names.index(c);
    if (_log) {
        _limiter.refill(now_ns());
    }
    for (auto& ch : _channels) {
        pipeline::drop_record recs[drain_burst];
        unsigned n = 0;
        while ((n = rte_ring_sc_dequeue_burst_elem(ch->records, recs, sizeof(pipeline::drop_record),
                                                   drain_burst, nullptr)) > 0) {
            for (unsigned i = 0; i < n; ++i) {
                if (!_log) {
                    continue;
                }
                if (!_limiter.take()) {
                    continue;
                }
                _log->info("{}", describe(recs[i], t));
                ++_logged;
            }
        }
        if (ch->captures != nullptr) {
            write_captures(*ch);
        }
    }
}

} // namespace podgate::app
