#include "pipeline/table_slot.hpp"

#include <rte_errno.h>
#include <rte_malloc.h>

namespace podgate::pipeline {

result<std::unique_ptr<table_slot>> table_slot::create(unsigned max_threads) {
    auto slot = std::unique_ptr<table_slot>(new table_slot());
    const size_t size = rte_rcu_qsbr_get_memsize(max_threads);
    slot->_qsv = static_cast<rte_rcu_qsbr*>(rte_zmalloc("podgate_rcu", size, RTE_CACHE_LINE_SIZE));
    if (slot->_qsv == nullptr || rte_rcu_qsbr_init(slot->_qsv, max_threads) != 0) {
        return fail("cannot set up RCU for " + std::to_string(max_threads) +
                    " workers: " + rte_strerror(rte_errno));
    }
    return slot;
}

table_slot::~table_slot() {
    delete _current.exchange(nullptr);
    rte_free(_qsv);
}

std::unique_ptr<attribution_counts>
table_slot::publish(std::unique_ptr<const classifier::tables> next,
                    std::unique_ptr<attribution_counts> counts) {
    generation_set* g = next ? new generation_set{std::move(next), std::move(counts)} : nullptr;
    std::unique_ptr<generation_set> old(_current.exchange(g, std::memory_order_acq_rel));
    if (old == nullptr) {
        return nullptr;
    }
    // Blocks the control thread only; returns at once when no worker is
    // online. rte_rcu_qsbr_synchronize() is this start + check, but from
    // inside librte_rcu: the inline pair keeps the acquire in code that
    // ThreadSanitizer instruments, so it sees why the delete is safe.
    rte_rcu_qsbr_check(_qsv, rte_rcu_qsbr_start(_qsv), true);
    return std::move(old->counts);
}

} // namespace podgate::pipeline
