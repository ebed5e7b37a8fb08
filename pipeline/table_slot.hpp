#pragma once
// The one pointer through which workers read the compiled tables, published
// with RCU (rte_rcu_qsbr). Workers load it once per poll-loop iteration and
// report a quiescent state at the end of each iteration; the control thread
// swaps in a new set with a release store, waits for every online worker to
// pass a quiescent state, then frees the old set. Workers never lock or wait.
//
// What is published is a generation: the read-only tables and, beside them,
// the per-worker attribution counts for those tables (pipeline/
// attribution_counts.hpp), swapped together in one pointer so a worker never
// counts one generation's policies into another's block.

#include "classifier/tables/tables.hpp"
#include "config/result.hpp"
#include "pipeline/attribution_counts.hpp"

#include <rte_rcu_qsbr.h>

#include <atomic>
#include <memory>
#include <string>

namespace podgate::pipeline {

class table_slot {
  public:
    // Room for `max_threads` worker threads (ids 0..max_threads-1).
    static result<std::unique_ptr<table_slot>> create(unsigned max_threads);
    ~table_slot();
    table_slot(const table_slot&) = delete;
    table_slot& operator=(const table_slot&) = delete;

    // What a worker reads once per loop iteration: the tables, and where to
    // count attribution for them (null: nothing is counted).
    struct live_set {
        const classifier::tables* tables;
        attribution_counts* counts;
    };

    // ---- workers ----
    live_set live() const noexcept {
        const generation_set* g = _current.load(std::memory_order_acquire);
        return g ? live_set{g->tables.get(), g->counts.get()} : live_set{nullptr, nullptr};
    }
    const classifier::tables* current() const noexcept { return live().tables; }
    void online(unsigned thread) noexcept { rte_rcu_qsbr_thread_online(_qsv, thread); }
    void offline(unsigned thread) noexcept { rte_rcu_qsbr_thread_offline(_qsv, thread); }
    void quiescent(unsigned thread) noexcept { rte_rcu_qsbr_quiescent(_qsv, thread); }

    // ---- control thread only ----
    [[nodiscard]] bool register_thread(unsigned thread) noexcept {
        return rte_rcu_qsbr_thread_register(_qsv, thread) == 0;
    }
    // Publishes `next` (null: nothing; workers must be stopped) with its
    // attribution counts (null: none); returns once no worker can still be
    // reading the previous tables or counting into the previous block, frees
    // those tables and hands back that block (null when it had none) so its
    // counts can be folded in. Throws std::bad_alloc before changing anything.
    std::unique_ptr<attribution_counts>
    publish(std::unique_ptr<const classifier::tables> next,
            std::unique_ptr<attribution_counts> counts = nullptr);
    // The live generation's counts, for readers that sum them (control side).
    const attribution_counts* live_counts() const noexcept { return live().counts; }

  private:
    table_slot() = default;
    struct generation_set {
        std::unique_ptr<const classifier::tables> tables;
        std::unique_ptr<attribution_counts> counts;
    };
    rte_rcu_qsbr* _qsv = nullptr;
    std::atomic<generation_set*> _current{nullptr};
};

} // namespace podgate::pipeline
