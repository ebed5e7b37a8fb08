#pragma once
// Per-lcore counters. Each worker writes only its own cache-aligned block
// with plain (relaxed) stores; the control thread reads all blocks and sums
// them. No atomics read-modify-write on the hot path.

#include "pipeline/parse/parsed_packet.hpp"

#include <atomic>
#include <cstdint>

namespace podgate::pipeline {

inline constexpr unsigned max_ports = 16;

enum class drop_reason : uint8_t {
    policy_ingress = 0, // dst isolated for ingress, no rule allows
    policy_egress,      // src isolated for egress, no rule allows
    non_pod_denied,     // neither end a pod and non-pod traffic is denied
    malformed,          // see the malformed[] breakdown
    fragment_orphan,    // non-first fragment with no known first fragment
    fragment_denied,    // non-first fragment of a denied datagram
    conntrack_full,     // new allowed flow, no room and nothing evictable
    tx_full,            // the TX queue did not take the packet
    non_ip_denied,      // non-IP frame and non-IP traffic is denied
    count
};
inline constexpr unsigned drop_reason_count = static_cast<unsigned>(drop_reason::count);

inline const char* to_string(drop_reason r) noexcept {
    switch (r) {
    case drop_reason::policy_ingress: return "policy-ingress";
    case drop_reason::policy_egress: return "policy-egress";
    case drop_reason::non_pod_denied: return "non-pod-denied";
    case drop_reason::malformed: return "malformed";
    case drop_reason::fragment_orphan: return "fragment-orphan";
    case drop_reason::fragment_denied: return "fragment-denied";
    case drop_reason::conntrack_full: return "conntrack-full";
    case drop_reason::tx_full: return "tx-full";
    case drop_reason::non_ip_denied: return "non-ip-denied";
    case drop_reason::count: break;
    }
    return "?";
}

// A counter written by one thread and read by another: relaxed load + store
// compiles to a plain add, and the reader never sees a torn value.
struct counter {
    std::atomic<uint64_t> v{0};
    void add(uint64_t n) noexcept { v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
    void set(uint64_t n) noexcept { v.store(n, std::memory_order_relaxed); }
    uint64_t get() const noexcept { return v.load(std::memory_order_relaxed); }
};

struct alignas(64) lcore_counters {
    counter rx;
    counter tx;
    counter drops[drop_reason_count];
    counter malformed[malformed_reason_count];
    counter non_ip_forwarded;
    counter nd_passed;
    counter new_flows_allowed;  // policy lookups that allowed
    counter policy_lookups;
    counter ct_lookups;
    counter ct_hits;
    counter ct_creates;
    counter ct_stateless;       // allowed first packets that may not open a flow (SYN-ACK, RST, ...)
    counter ct_expired;
    counter ct_evicted;
    counter ct_revalidated;     // entries re-checked after a table change
    counter ct_revoked;         // of those, no longer allowed and removed
    counter ct_occupancy;       // gauge
    counter ct_states[6];       // gauge per ct_state
    counter frag_tracked;       // first fragments whose verdict was kept
    counter frag_followed;      // later fragments that followed a known verdict
    counter frag_table_full;    // first fragments whose verdict could not be kept
    counter generation;         // table generation this lcore last used (gauge)
    counter port_rx[max_ports];
    counter port_tx[max_ports];
    counter idle_polls;
    counter drop_log_skipped;   // drop records not handed over (ring full)
    counter capture_skipped;    // dropped packets not captured (ring or pool full)
};

} // namespace podgate::pipeline
