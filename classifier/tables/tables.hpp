#pragma once
// The compiled policy tables: one immutable block of flat arrays, built by
// classifier/compile off the data path and read by classifier/lookup on every
// worker. Nothing here allocates or changes after the build; the control
// thread frees a whole set after an RCU grace period.
//
// Lookup chain for a flow src -> dst (proto, dport):
//   1. endpoint(addr): open-addressed pod table, one probe in the common case:
//        pod address -> {identity, ingress group, egress group}
//      non-pod address -> multi-bit trie -> identity (groups 0 = not isolated)
//   2. egress side (src group != 0): row = side(src.egress, proto, dport);
//        deny unless bit[dst.identity] is set in row
//   3. ingress side (dst group != 0): row = side(dst.ingress, proto, dport);
//        deny unless bit[src.identity] is set in row
// No step depends on how many policies or pods exist.
//
// Attribution (which policy allowed a new flow; cold, see
// classifier/lookup/attribution.hpp): per group, the selecting policies in
// cluster order, each with a side table of its own rules alone:
//   attribution[attribution_first[g] .. attribution_first[g + 1]) =
//     {policy, rows}, where `rows` is a group id whose side entries hold only
//     that policy's rows (for a one-policy group, the group itself)
// Their side entries, segments and rows sit after the hot ones in the same
// arrays, so the lookup's working set does not change.

#include "classifier/tables/flow.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace podgate::classifier {

// An identity is an equivalence class of addresses that every policy peer
// treats alike (same set of matching peers, same named-port numbers).
using identity_id = uint32_t;
// An endpoint group is a set of pods every selecting policy treats alike on one
// side (same selecting policies, same resolution of the port names they use).
// 0 = not isolated on that side.
using group_id = uint32_t;
using row_id = uint32_t;

inline constexpr group_id not_isolated = 0;
inline constexpr uint32_t empty_slot = UINT32_MAX;

// Pod table slot. `identity == empty_slot` marks a free slot. 16 bytes for
// IPv4 (4 per cache line), 32 for IPv6.
struct pod_slot_v4 {
    uint32_t addr;
    identity_id identity;
    group_id ingress;
    group_id egress;
};
struct alignas(16) pod_slot_v6 {
    u128 addr;
    identity_id identity;
    group_id ingress;
    group_id egress;
    uint32_t reserved;
};

// Multi-bit trie entry (both families): bit 31 set = the low 31 bits index a
// child node of 256 entries; clear = the low 31 bits are an identity.
// IPv4 strides 16-8-8, IPv6 16-8-...-8 (at most 15 levels; prefixes in
// ipBlocks are short, so real lookups stop after one or two).
inline constexpr uint32_t trie_child_flag = 0x80000000u;
inline constexpr unsigned trie_root_bits = 16;
inline constexpr unsigned trie_node_bits = 8;

// Side table: per (group, protocol slot) a run of port segments. Protocol
// slots: 0 TCP, 1 UDP, 2 SCTP, 3 every other protocol (one segment).
// Segment i covers [seg_start[i], seg_start[i+1]) and answers seg_row[i].
inline constexpr unsigned proto_slots = 4;
struct side_entry {
    uint32_t first_segment;
    uint32_t segment_count; // >= 1
};

constexpr unsigned proto_slot(uint8_t proto) noexcept {
    return proto == 6 ? 0 : proto == 17 ? 1 : proto == 132 ? 2 : 3;
}

// One selecting policy of a group, for attribution: `rows` indexes `sides`
// like a group id, and its entries answer for `policy`'s rules alone.
struct policy_rows {
    uint32_t policy; // index into table_names::policies
    group_id rows;
};

struct table_stats {
    uint32_t pods = 0;          // endpoint pods
    uint32_t pod_addresses = 0; // IPv4 + IPv6 entries
    uint32_t policies = 0;
    uint32_t peers = 0; // distinct peers over all rules
    uint32_t identities = 0;
    uint32_t ingress_groups = 0; // excluding "not isolated"
    uint32_t egress_groups = 0;
    uint32_t segments = 0;      // port segments over all side entries
    uint32_t rows = 0;          // distinct (interned) rows
    uint32_t trie_nodes_v4 = 0; // 256-entry nodes below the root
    uint32_t trie_nodes_v6 = 0;
    uint32_t attribution_pairs = 0; // (group, selecting policy) pairs
    uint32_t attribution_tables =
        0; // per-policy side tables built for them (others reuse a group's)
    size_t bytes_pod_tables = 0;
    size_t bytes_tries = 0;
    size_t bytes_side = 0;
    size_t bytes_rows = 0;
    size_t bytes_total = 0;
    // Of bytes_total, what exists only for attribution: the pair arrays and
    // the per-policy side entries, segments and rows no group uses (these are
    // also inside bytes_side and bytes_rows).
    size_t bytes_attribution = 0;
    double compile_ms = 0;
    bool incremental =
        false; // pods patched into a full compile's tables (classifier/compile/incremental.hpp)
    struct {
        double peers = 0, regions = 0, identities = 0, sides = 0, attribution = 0, emit = 0;
    } stage_ms; // where compile time goes
};

// What explain, counters and logs need beside the hot arrays (never read by
// the lookup itself).
struct table_names {
    std::vector<std::string> policies;                 // "ns/name", in cluster order
    std::vector<std::vector<uint32_t>> group_policies; // group -> selecting policy indices
    // Per policy: bit 0 set when it isolates some pod for ingress, bit 1 for
    // egress (the sides on which it can be credited with allowed flows).
    std::vector<uint8_t> policy_sides;
};

class tables {
  public:
    // ---- hot arrays (read by classifier/lookup) ----
    const pod_slot_v4* pods_v4 = nullptr;
    uint32_t pods_v4_mask = 0; // capacity - 1 (power of two)
    const pod_slot_v6* pods_v6 = nullptr;
    uint32_t pods_v6_mask = 0;
    const uint32_t* trie_v4 = nullptr; // root (65536) then nodes of 256
    const uint32_t* trie_v6 = nullptr;
    const side_entry* sides = nullptr; // [group * proto_slots + slot]
    const uint16_t* seg_start = nullptr;
    const row_id* seg_row = nullptr;
    const uint64_t* rows = nullptr; // [row * row_words + identity / 64]
    uint32_t row_words = 1;
    verdict non_pod_verdict{};
    uint64_t generation = 0;

    // ---- cold arrays in the same block (classifier/lookup/attribution.hpp) ----
    const uint32_t* attribution_first = nullptr; // [group count + 1]
    const policy_rows* attribution = nullptr;

    // ---- cold data ----
    table_stats stats;
    // Shared by the table sets an incremental compile derives from one full
    // compile: copying ~20k small vectors and strings per reload cost 30-80
    // ms inside the daemon's fragmented heap. Never null.
    std::shared_ptr<const table_names> names = std::make_shared<const table_names>();

    tables() = default;
    tables(const tables&) = delete;
    tables& operator=(const tables&) = delete;

    // The blocks that own every hot array: the pod tables in one, the arrays
    // that depend on policies alone (tries, sides, segments, rows,
    // attribution) in another, which an incremental compile shares with the
    // full compile it patches. Each is a mapping of its own, 2 MiB aligned and
    // in transparent huge pages where the kernel gives them
    // (classifier/compile/emit.cpp says why).
    struct block_deleter {
        size_t mapped_bytes; // no initializer: it would make the deleter incomplete here
                             // (unique_ptr value-initialises it)
        void operator()(std::byte* p) const noexcept;
    };
    std::unique_ptr<std::byte, block_deleter> pod_block;
    std::shared_ptr<const std::byte> policy_block;
};

} // namespace podgate::classifier
