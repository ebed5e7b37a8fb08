#pragma once
// One worker driven directly, without ports: frames go into mbufs from a
// pool, through worker::process_burst with an explicit `now`, and the test
// learns which came out. Tables are published through a real table_slot (no
// worker thread is registered, so publish() returns at once).

#include "pipeline/counters.hpp"
#include "pipeline/table_slot.hpp"
#include "pipeline/worker/worker.hpp"
#include "tests/pipeline/frames.hpp"

#include <rte_mempool.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace podgate::pipetest {

// The process-wide mbuf pool (created by the test main after EAL init).
rte_mempool* mbuf_pool();
void set_mbuf_pool(rte_mempool* pool);

// Small tables so that every test can own its worker.
pipeline::worker_config small_config();

// Copies `frames` into fresh mbufs of mbuf_pool(); false (and a gtest
// failure) when the pool is exhausted.
bool to_mbufs(const std::vector<frame>& frames, rte_mbuf** pkts);

// TSC ticks per second, and a start time far from 0.
uint64_t hz();
uint64_t t0();

class data_plane {
  public:
    explicit data_plane(const pipeline::worker_config& cfg = small_config());
    data_plane(const data_plane&) = delete;
    data_plane& operator=(const data_plane&) = delete;

    void publish(std::unique_ptr<const classifier::tables> t) { _slot->publish(std::move(t)); }

    // Sends `frames` as consecutive bursts of at most `burst` packets, all at
    // time `now`; returns per frame whether it was forwarded. Also checks
    // that forwarded packets come back in arrival order and that every
    // dropped mbuf went back to the pool.
    std::vector<bool> send(const std::vector<frame>& frames, uint64_t now,
                           uint16_t burst = pipeline::max_burst);
    // One frame; true when forwarded.
    bool send1(const frame& f, uint64_t now) { return send({f}, now)[0]; }

    // Runs expiry at `now` until every slot of the tables was looked at once.
    void expire_all(uint64_t now);

    const pipeline::lcore_counters& counters() const { return _counters; }
    uint64_t drops(classifier::verdict_reason r) const {
        return _counters.drops[static_cast<unsigned>(r)].get();
    }
    uint64_t total_drops() const;
    uint64_t malformed(pipeline::malformed_reason r) const {
        return _counters.malformed[static_cast<unsigned>(r)].get();
    }
    uint32_t ct_size() const { return _worker->connections().size(); }
    pipeline::worker& worker() { return *_worker; }

  private:
    pipeline::worker_config _cfg;
    pipeline::lcore_counters _counters;
    std::unique_ptr<pipeline::table_slot> _slot;
    std::unique_ptr<pipeline::worker> _worker;
};

} // namespace podgate::pipetest
