#include "tests/pipeline/data_plane.hpp"

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

namespace podgate::pipetest {

namespace {

rte_mempool* g_pool = nullptr;

} // namespace

rte_mempool* mbuf_pool() {
    return g_pool;
}
void set_mbuf_pool(rte_mempool* pool) {
    g_pool = pool;
}

pipeline::worker_config small_config() {
    pipeline::worker_config cfg;
    cfg.conntrack.capacity = 1024;
    cfg.fragments.capacity = 256;
    return cfg;
}

bool to_mbufs(const std::vector<frame>& frames, rte_mbuf** pkts) {
    const auto n = static_cast<unsigned>(frames.size());
    if (rte_pktmbuf_alloc_bulk(g_pool, pkts, n) != 0) {
        ADD_FAILURE() << "mbuf pool exhausted";
        return false;
    }
    for (unsigned i = 0; i < n; ++i) {
        const frame& f = frames[i];
        std::memcpy(rte_pktmbuf_append(pkts[i], static_cast<uint16_t>(f.size())), f.data(),
                    f.size());
    }
    return true;
}

uint64_t hz() {
    return rte_get_tsc_hz();
}
uint64_t t0() {
    return 1000 * hz();
}

data_plane::data_plane(const pipeline::worker_config& cfg) : _cfg(cfg) {
    auto slot = pipeline::table_slot::create(1);
    if (!slot) {
        ADD_FAILURE() << slot.error();
        return;
    }
    _slot = std::move(*slot);
    auto w = pipeline::worker::create(0, cfg, *_slot, _counters, SOCKET_ID_ANY);
    if (!w) {
        ADD_FAILURE() << w.error();
        return;
    }
    _worker = std::move(*w);
}

std::vector<bool> data_plane::send(const std::vector<frame>& frames, uint64_t now, uint16_t burst) {
    std::vector<bool> out(frames.size(), false);
    if (!_worker || _slot->current() == nullptr) {
        ADD_FAILURE() << "no worker or no tables published";
        return out;
    }
    const unsigned in_use_before = rte_mempool_in_use_count(g_pool);
    for (size_t base = 0; base < frames.size(); base += burst) {
        const auto n = static_cast<uint16_t>(std::min<size_t>(burst, frames.size() - base));
        rte_mbuf* pkts[pipeline::max_burst];
        rte_mbuf* fwd[pipeline::max_burst];
        if (!to_mbufs({frames.begin() + static_cast<ptrdiff_t>(base),
                       frames.begin() + static_cast<ptrdiff_t>(base + n)},
                      pkts)) {
            return out;
        }
        const uint16_t nfwd = _worker->process_burst(*_slot->current(), pkts, n, 0, fwd, now);
        // Forwarded packets are a subsequence of the burst, in arrival order.
        uint16_t next = 0;
        for (uint16_t j = 0; j < nfwd; ++j) {
            while (next < n && pkts[next] != fwd[j]) {
                ++next;
            }
            if (next == n) {
                ADD_FAILURE() << "forwarded packet " << j
                              << " is not in arrival order (or not from this burst)";
                break;
            }
            out[base + next] = true;
            ++next;
        }
        rte_pktmbuf_free_bulk(fwd, nfwd);
    }
    EXPECT_EQ(rte_mempool_in_use_count(g_pool), in_use_before) << "dropped mbufs were not freed";
    return out;
}

void data_plane::expire_all(uint64_t now) {
    _worker->expire_all(now);
}

uint64_t data_plane::total_drops() const {
    uint64_t sum = 0;
    for (const auto& d : _counters.drops) {
        sum += d.get();
    }
    return sum;
}

} // namespace podgate::pipetest
