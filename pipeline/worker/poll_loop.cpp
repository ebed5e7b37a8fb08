// The worker's poll loop and its one-time setup.

#include "pipeline/worker/worker.hpp"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_pause.h>

namespace podgate::pipeline {

namespace {

// Each table's used positions are swept once per second: expiry is at most
// a second late (timeouts are 10 s and up), and a million used entries cost
// ~15M instructions a second, whatever the packet rate.
constexpr uint64_t expiry_sweep_seconds = 1;
constexpr uint32_t idle_polls_before_sleep = 1024;
static_assert(sizeof(lcore_counters::ct_states) / sizeof(counter) == ct_state_count);

} // namespace

result<std::unique_ptr<worker>> worker::create(unsigned thread_id, const worker_config& cfg,
                                               table_slot& tables, lcore_counters& counters,
                                               int socket) {
    auto w = std::unique_ptr<worker>(new worker());
    w->_thread = thread_id;
    w->_cfg = cfg;
    if (w->_cfg.burst == 0 || w->_cfg.burst > max_burst) {
        w->_cfg.burst = max_burst;
    }
    w->_tables = &tables;
    w->_counters = &counters;
    auto ct = conntrack::create(cfg.conntrack, socket);
    if (!ct) {
        return fail(ct.error());
    }
    w->_ct = std::move(*ct);
    auto frags = fragment_table::create(cfg.fragments, socket);
    if (!frags) {
        return fail(frags.error());
    }
    w->_frags = std::move(*frags);
    const uint64_t sweep_tsc = expiry_sweep_seconds * rte_get_tsc_hz();
    w->_ct_pace.start(rte_rdtsc(), sweep_tsc);
    w->_frag_pace.start(rte_rdtsc(), sweep_tsc);
    return w;
}

void worker::publish_occupancy() noexcept {
    _counters->ct_occupancy.set(_ct->size());
    for (unsigned s = 0; s < ct_state_count; ++s) {
        _counters->ct_states[s].set(_ct->in_state(static_cast<ct_state>(s)));
    }
}

void worker::expire(uint64_t now) noexcept {
    if (const uint32_t due = _ct_pace.due(now, _ct->sweep_range()); due != 0) {
        if (const uint32_t expired = _ct->expire_step(now, due); expired != 0) {
            _counters->ct_expired.add(expired);
            publish_occupancy();
        }
    }
    if (const uint32_t due = _frag_pace.due(now, _frags->sweep_range()); due != 0) {
        _frags->expire_step(now, due);
    }
}

void worker::expire_all(uint64_t now) noexcept {
    _counters->ct_expired.add(_ct->expire_step(now, _ct->slots()));
    _frags->expire_step(now, _frags->slots());
    publish_occupancy();
}

void worker::run(const std::atomic<bool>& stop) noexcept {
    rte_mbuf* pkts[max_burst];
    rte_mbuf* out[max_burst];
    uint32_t idle = 0;
    _tables->online(_thread);
    while (!stop.load(std::memory_order_relaxed)) {
        const table_slot::live_set live = _tables->live(); // once per iteration
        const classifier::tables* t = live.tables;
        _attribution = live.counts;
        const uint64_t now = rte_rdtsc();
        uint32_t received = 0;
        for (const queue_assignment& q : _queues) {
            const uint16_t n = rte_eth_rx_burst(q.rx_port, q.rx_queue, pkts, _cfg.burst);
            if (n == 0) {
                continue;
            }
            received += n;
            _rx_queue = q.rx_queue;
            const uint16_t nout = process_burst(*t, pkts, n, q.rx_port, out, now);
            const uint16_t sent = nout ? rte_eth_tx_burst(q.tx_port, q.tx_queue, out, nout) : 0;
            if (sent < nout) [[unlikely]] {
                rte_pktmbuf_free_bulk(out + sent, nout - sent);
                _counters->drops[static_cast<unsigned>(verdict_reason::tx_full)].add(nout - sent);
            }
            _counters->tx.add(sent);
            _counters->port_tx[q.tx_port].add(sent);
        }
        _counters->generation.set(t->generation);
        _tables->quiescent(_thread); // t is not used past this point
        expire(now);
        if (received == 0) {
            _counters->idle_polls.add(1);
            if (_cfg.idle_sleep_us != 0 && ++idle >= idle_polls_before_sleep) {
                _tables->offline(_thread); // never hold up a grace period while asleep
                rte_delay_us_sleep(_cfg.idle_sleep_us);
                _tables->online(_thread);
            }
        } else {
            idle = 0;
        }
    }
    _tables->offline(_thread);
}

int worker::launch(unsigned lcore, const std::atomic<bool>& stop) noexcept {
    _stop = &stop;
    return rte_eal_remote_launch(
        [](void* arg) {
            auto* w = static_cast<worker*>(arg);
            w->run(*w->_stop);
            return 0;
        },
        this, lcore);
}

} // namespace podgate::pipeline
