#pragma once
// The one pointer through which workers read the compiled tables, published
// with RCU (rte_rcu_qsbr). Workers load it once per poll-loop iteration and
// report a quiescent state at the end of each iteration; the control thread
// swaps in a new set with a release store, waits for every online worker to
// pass a quiescent state, then frees the old set (after reading its counts).
// Workers never lock or wait.

#include "classifier/tables/tables.hpp"

#include <rte_rcu_qsbr.h>

#include <atomic>
#include <memory>
#include <string>

namespace podgate::pipeline {

class table_slot {
public:
    // Room for `max_threads` worker threads (ids 0..max_threads-1).
    static std::unique_ptr<table_slot> create(unsigned max_threads, std::string& error);
    ~table_slot();
    table_slot(const table_slot&) = delete;
    table_slot& operator=(const table_slot&) = delete;

    // ---- workers ----
    const classifier::tables* current() const noexcept { return _current.load(std::memory_order_acquire); }
    void online(unsigned thread) noexcept { rte_rcu_qsbr_thread_online(_qsv, thread); }
    void offline(unsigned thread) noexcept { rte_rcu_qsbr_thread_offline(_qsv, thread); }
    void quiescent(unsigned thread) noexcept { rte_rcu_qsbr_quiescent(_qsv, thread); }

    // ---- control thread only ----
    bool register_thread(unsigned thread) noexcept { return rte_rcu_qsbr_thread_register(_qsv, thread) == 0; }
    // Publishes `next`; returns once no worker can still be reading (or
    // counting in) the previous set, and hands that set back (null on the
    // first publish) so the caller can read its admission counts before it
    // is freed. Dropping the result frees it at once.
    std::unique_ptr<const classifier::tables> publish(std::unique_ptr<const classifier::tables> next) noexcept;

private:
    table_slot() = default;
    rte_rcu_qsbr* _qsv = nullptr;
    std::atomic<const classifier::tables*> _current{nullptr};
};

} // namespace podgate::pipeline
