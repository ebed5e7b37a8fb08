// Case 7: table swaps under traffic. worker::run polls a ring port on worker
// lcore 1 while this thread injects packets, drains what comes out and
// publishes tables alternating between two policy sets:
//   set A: db accepts api on TCP 3306 and frontend on TCP 5432
//   set B: db accepts api on TCP 3306 and frontend on TCP 6379
// A connection api -> db:3306 (allowed by both) carries on through every
// swap and must never lose a packet; after publish() returns, a new
// frontend flow to the new set's port passes and one to the old set's port
// is dropped; and the replaced tables are freed (the heap does not grow).
#include "pipeline/parse/mbuf_parse.hpp"
#include "tests/pipeline/clusters.hpp"
#include "tests/pipeline/data_plane.hpp"
#include "tests/pipeline/ring_port.hpp"

#include <rte_launch.h>
#include <rte_lcore.h>

#include <gtest/gtest.h>

#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#if defined(__SANITIZE_ADDRESS__)
extern "C" size_t __sanitizer_get_current_allocated_bytes();
#endif

namespace podgate::pipetest {
namespace {

using classifier::verdict_reason;
namespace tf = tcp_flags;

// Bytes allocated on the heap right now (through ASan's allocator when it
// replaces malloc).
size_t heap_in_use() {
#if defined(__SANITIZE_ADDRESS__)
    return __sanitizer_get_current_allocated_bytes();
#else
    const struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
#endif
}

constexpr uint16_t steady_sport = 47000;
constexpr uint16_t port_a = 5432;
constexpr uint16_t port_b = 6379;

// Everything one run needs: the port, the slot, the worker on lcore 1, and
// what came out so far.
class swap_rig {
  public:
    explicit swap_rig(const pipeline::worker_config& cfg)
        : _port("net_ring_pipetest" + std::to_string(instance++), mbuf_pool()) {
        _set_a = load(yaml({pods_yaml(), db_allows_api(3306), db_allows_frontend(port_a)}));
        _set_b = load(yaml({pods_yaml(), db_allows_api(3306), db_allows_frontend(port_b)}));
        if (!_port.ok()) {
            ADD_FAILURE() << _port.error();
            return;
        }
        std::string error;
        auto slot = pipeline::table_slot::create(1);
        if (!slot) {
            error = slot.error();
        } else {
            _slot = std::move(*slot);
            auto w = pipeline::worker::create(0, cfg, *_slot, _counters, SOCKET_ID_ANY);
            if (w) {
                _worker = std::move(*w);
            } else {
                error = w.error();
            }
        }
        if (!_worker) {
            ADD_FAILURE() << error;
            return;
        }
        EXPECT_TRUE(_slot->register_thread(0));
        _worker->assign({_port.port(), 0, _port.port(), 0});
        _slot->publish(compile_set(1));
    }

    ~swap_rig() { stop(); }

    bool start() {
        _worker_lcore = rte_get_next_lcore(-1, 1, 0);
        if (!_worker || _worker_lcore >= RTE_MAX_LCORE) {
            ADD_FAILURE() << "no worker lcore (EAL needs -l 0-1)";
            return false;
        }
        if (_worker->launch(_worker_lcore, _stop) != 0) {
            ADD_FAILURE() << "cannot launch the worker on lcore " << _worker_lcore;
            return false;
        }
        _running = true;
        return true;
    }

    void stop() {
        if (_running) {
            _stop.store(true);
            rte_eal_wait_lcore(_worker_lcore);
            _running = false;
        }
    }

    // Generation g runs set A when odd, set B when even.
    std::unique_ptr<const classifier::tables> compile_set(uint64_t g) {
        return compile(g % 2 ? _set_a : _set_b, g);
    }
    static uint16_t allowed_port(uint64_t g) { return g % 2 ? port_a : port_b; }
    static uint16_t other_port(uint64_t g) { return g % 2 ? port_b : port_a; }

    void publish(uint64_t g) { _slot->publish(compile_set(g)); }

    // Queues frames for the worker (waiting while the RX ring is full).
    void inject(const std::vector<frame>& frames) {
        rte_mbuf* pkts[pipeline::max_burst];
        for (size_t base = 0; base < frames.size(); base += pipeline::max_burst) {
            const auto n =
                static_cast<unsigned>(std::min<size_t>(pipeline::max_burst, frames.size() - base));
            ASSERT_TRUE(to_mbufs({frames.begin() + static_cast<ptrdiff_t>(base),
                                  frames.begin() + static_cast<ptrdiff_t>(base + n)},
                                 pkts));
            for (unsigned done = 0; done < n;) {
                done += _port.inject(pkts + done, n - done);
                if (done < n) {
                    drain();
                }
            }
            _injected += n;
        }
    }

    // Takes what the worker sent: counts the steady connection's packets and
    // remembers the source ports of the others.
    void drain() {
        rte_mbuf* out[64];
        for (unsigned n; (n = _port.drain(out, 64)) > 0;) {
            for (unsigned i = 0; i < n; ++i) {
                const auto p = pipeline::parse_mbuf(out[i]);
                if (p.has_ports && (p.sport == steady_sport || p.dport == steady_sport)) {
                    ++steady_out;
                } else if (p.has_ports) {
                    seen_sports.push_back(p.sport);
                }
            }
            _drained += n;
            rte_pktmbuf_free_bulk(out, n);
        }
    }

    // Waits until the worker has handled every injected packet and everything
    // it forwarded is drained.
    bool settle() {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (std::chrono::steady_clock::now() < deadline) {
            drain();
            const uint64_t rx = _counters.rx.get();
            const uint64_t tx = _counters.tx.get();
            if (rx == _injected && tx + total_drops() == _injected && _drained == tx) {
                return true;
            }
            std::this_thread::yield();
        }
        ADD_FAILURE() << "worker did not settle: injected " << _injected << ", rx "
                      << _counters.rx.get() << ", tx " << _counters.tx.get() << ", drops "
                      << total_drops() << ", drained " << _drained;
        return false;
    }

    bool wait_for_generation(uint64_t g) const {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (_counters.generation.get() != g) {
            if (std::chrono::steady_clock::now() >= deadline) {
                return false;
            }
            std::this_thread::yield();
        }
        return true;
    }

    uint64_t total_drops() const {
        uint64_t sum = 0;
        for (const auto& d : _counters.drops) {
            sum += d.get();
        }
        return sum;
    }
    uint64_t drops(verdict_reason r) const {
        return _counters.drops[static_cast<unsigned>(r)].get();
    }
    const pipeline::lcore_counters& counters() const { return _counters; }
    bool saw_sport(uint16_t sport) const {
        return std::find(seen_sports.begin(), seen_sports.end(), sport) != seen_sports.end();
    }

    uint64_t steady_out = 0;
    std::vector<uint16_t> seen_sports;

  private:
    static inline unsigned instance = 0;
    ring_port _port;
    config::cluster _set_a;
    config::cluster _set_b;
    pipeline::lcore_counters _counters;
    std::unique_ptr<pipeline::table_slot> _slot;
    std::unique_ptr<pipeline::worker> _worker;
    std::atomic<bool> _stop{false};
    unsigned _worker_lcore = RTE_MAX_LCORE;
    bool _running = false;
    uint64_t _injected = 0;
    uint64_t _drained = 0;
};

struct swap_params {
    const char* name;
    uint32_t idle_sleep_us; // 0: the worker never goes offline
    unsigned swaps;
    unsigned check_every;
};

class rcu_swap : public ::testing::TestWithParam<swap_params> {};

TEST_P(rcu_swap, swaps_under_traffic_lose_nothing_allowed_and_free_the_old_tables) {
    const swap_params prm = GetParam();
    auto cfg = small_config();
    cfg.idle_sleep_us = prm.idle_sleep_us;
    swap_rig rig(cfg);
    ASSERT_TRUE(rig.start());

    uint64_t steady_in = 0;
    auto steady = [&](uint8_t flags, bool from_api) {
        ++steady_in;
        return from_api ? tcp4(api_v4, db_v4, steady_sport, 3306, flags)
                        : tcp4(db_v4, api_v4, 3306, steady_sport, flags);
    };
    rig.inject({steady(tf::syn, true), steady(tf::syn_ack, false)});
    ASSERT_TRUE(rig.settle());
    ASSERT_EQ(rig.steady_out, 2u);

    // One set of tables on the heap, to size the leak check.
    const size_t before_one = heap_in_use();
    auto one = rig.compile_set(1);
    const size_t one_tables = heap_in_use() - before_one;
    one.reset();
    // Warm up (allocator caches), then measure across all the swaps.
    for (uint64_t g = 2; g < 6; ++g) {
        rig.publish(g);
    }
    const size_t heap_before = heap_in_use();

    unsigned checks = 0;
    uint16_t probe_sport = 48000;
    const auto started = std::chrono::steady_clock::now();
    for (unsigned i = 0; i < prm.swaps; ++i) {
        const uint64_t g = 6 + i;
        rig.inject({steady(tf::ack, true), steady(tf::ack, false), steady(tf::ack, true)});
        rig.publish(g);
        rig.drain();
        if (i % prm.check_every == 0) {
            // Published: a brand-new flow sees generation g and only g.
            const uint16_t pass_sport = probe_sport++;
            const uint16_t drop_sport = probe_sport++;
            rig.inject({tcp4(frontend_v4, db_v4, pass_sport, rig.allowed_port(g), tf::syn),
                        tcp4(frontend_v4, db_v4, drop_sport, rig.other_port(g), tf::syn)});
            ASSERT_TRUE(rig.settle());
            EXPECT_TRUE(rig.saw_sport(pass_sport))
                << "swap " << i << ": new flow to port " << rig.allowed_port(g)
                << " allowed by generation " << g << " was dropped";
            EXPECT_FALSE(rig.saw_sport(drop_sport))
                << "swap " << i << ": new flow to port " << rig.other_port(g)
                << " allowed only by generation " << g - 1 << " passed";
            ++checks;
        }
    }
    ASSERT_TRUE(rig.settle());
    // The worker reports the generation it last used once per loop; asleep
    // (offline) it has not looked yet, so wait for it.
    const uint64_t last = 6u + prm.swaps - 1;
    EXPECT_TRUE(rig.wait_for_generation(last)) << "the worker never used generation " << last;
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const size_t heap_after = heap_in_use();
    rig.stop();

    EXPECT_EQ(rig.steady_out, steady_in) << "packets of a connection both sets allow were dropped";
    EXPECT_EQ(rig.drops(verdict_reason::policy_ingress), checks)
        << "exactly the old-set probes are dropped";
    EXPECT_EQ(rig.total_drops(), checks);
    EXPECT_EQ(rig.counters().ct_revoked.get(), 0u);
    EXPECT_GT(rig.counters().ct_revalidated.get(), 0u)
        << "the steady connection was never re-checked";
    EXPECT_LE(rig.counters().ct_revalidated.get(), prm.swaps + 6u)
        << "re-checked more than once per generation";
    EXPECT_GE(checks, 5u);
    // Leaking every replaced set would add swaps x one_tables bytes.
    EXPECT_GT(one_tables, 0u);
    EXPECT_LT(heap_after, heap_before + 4 * one_tables)
        << "heap grew by " << (heap_after - heap_before) << " bytes over " << prm.swaps
        << " swaps of " << one_tables << "-byte tables: replaced tables are not freed";
    std::printf("[ info ] %u swaps, %u checks, %lu steady packets, %.2f s, %zu bytes per tables, "
                "heap %+ld bytes\n",
                prm.swaps, checks, static_cast<unsigned long>(steady_in), seconds, one_tables,
                static_cast<long>(heap_after) - static_cast<long>(heap_before));
}

INSTANTIATE_TEST_SUITE_P(modes, rcu_swap,
                         ::testing::Values(swap_params{"busy_poll", 0, 1200, 100},
                                           swap_params{"idle_sleep", 20, 300, 30}),
                         [](const auto& info) { return std::string(info.param.name); });

} // namespace
} // namespace podgate::pipetest
