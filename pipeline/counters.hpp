#pragma once
// Per-lcore counters. Each worker writes only its own cache-aligned block
// with plain (relaxed) stores; the control thread reads all blocks and sums
// them. No atomics read-modify-write on the hot path.

#include "classifier/tables/reason.hpp"
#include "pipeline/parse/parsed_packet.hpp"

#include <atomic>
#include <cstdint>

namespace podgate::pipeline {

inline constexpr unsigned max_ports = 16;

// Drops are counted by the one reason vocabulary (classifier/tables/reason.hpp),
// indexed by its value; the slots of forwarding reasons stay zero.
using classifier::verdict_reason;
using classifier::verdict_reason_count;

// A counter written by one thread and read by another: relaxed load + store
// compiles to a plain add, and the reader never sees a torn value.
struct counter {
    std::atomic<uint64_t> v{0};
    void add(uint64_t n) noexcept {
        v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
    void set(uint64_t n) noexcept { v.store(n, std::memory_order_relaxed); }
    uint64_t get() const noexcept { return v.load(std::memory_order_relaxed); }
};

struct alignas(64) lcore_counters {
    counter rx;
    counter tx;
    counter drops[verdict_reason_count];
    counter malformed[malformed_reason_count];
    counter non_ip_forwarded;
    counter nd_passed;
    counter new_flows_allowed; // policy lookups that allowed
    counter policy_lookups;
    counter ct_lookups;
    counter ct_hits;
    counter ct_creates;
    counter ct_stateless; // allowed first packets that may not open a flow (SYN-ACK, RST, ...)
    counter ct_expired;
    counter ct_evicted;
    counter ct_revalidated;  // entries re-checked after a table change
    counter ct_revoked;      // of those, no longer allowed and removed
    counter ct_occupancy;    // gauge
    counter ct_states[6];    // gauge per ct_state
    counter frag_tracked;    // first fragments whose verdict was kept
    counter frag_followed;   // later fragments that followed a known verdict
    counter frag_table_full; // first fragments whose verdict could not be kept
    counter generation;      // table generation this lcore last used (gauge)
    counter port_rx[max_ports];
    counter port_tx[max_ports];
    counter idle_polls;
    counter drop_log_skipped; // drop records not handed over (ring full)
    counter capture_skipped;  // dropped packets not captured (ring or pool full)
};

} // namespace podgate::pipeline
