#pragma once
// The verdict lookup over compiled tables (see classifier/tables/tables.hpp
// for the chain). Header-only, noexcept, no allocation, no logging: this is
// what worker lcores run for the first packet of every flow.

#include "classifier/tables/tables.hpp"

namespace podgate::classifier {

struct endpoint_info {
    identity_id identity;
    group_id ingress; // not_isolated for non-pods and unisolated pods
    group_id egress;
    bool is_pod;
};

namespace detail {

// Home slot of an address in a pod table of mask + 1 (a power of two) slots:
// Fibonacci hashing, keeping the TOP bits of the product. The middle bits
// (what `(x >> 32) & mask` kept before) leave addresses packed in per-node
// /24s clustered: at 100k pods the mean probe was 3.3 slots at load 0.37,
// and the lookup 143 ns instead of 74 (bench_classifier, docs/performance.md).
inline uint32_t fibonacci_slot(uint64_t x, uint32_t mask) noexcept {
    const unsigned bits = static_cast<unsigned>(__builtin_popcount(mask));
    return static_cast<uint32_t>(((x * 0x9E3779B97F4A7C15ull) >> (63 - bits)) >>
                                 1); // bits == 0: slot 0
}
inline uint32_t home_slot_v4(uint32_t a, uint32_t mask) noexcept {
    return fibonacci_slot(a, mask);
}
inline uint32_t home_slot_v6(u128 a, uint32_t mask) noexcept {
    return fibonacci_slot(
        static_cast<uint64_t>(a) ^ (static_cast<uint64_t>(a >> 64) * 0xC2B2AE3D27D4EB4Full), mask);
}

inline identity_id trie_v4(const uint32_t* trie, uint32_t addr) noexcept {
    uint32_t e = trie[addr >> 16];
    if (e & trie_child_flag) [[unlikely]] {
        e = trie[(1u << trie_root_bits) + ((e & ~trie_child_flag) << 8) + ((addr >> 8) & 0xff)];
        if (e & trie_child_flag) {
            e = trie[(1u << trie_root_bits) + ((e & ~trie_child_flag) << 8) + (addr & 0xff)];
        }
    }
    return e;
}

inline identity_id trie_v6(const uint32_t* trie, u128 addr) noexcept {
    uint32_t e = trie[static_cast<uint32_t>(addr >> 112)];
    for (int shift = 104; (e & trie_child_flag) && shift >= 0; shift -= 8) {
        e = trie[(1u << trie_root_bits) + ((e & ~trie_child_flag) << 8) +
                 static_cast<uint32_t>((addr >> shift) & 0xff)];
    }
    return e;
}

} // namespace detail

// Pod table probe, then the trie for non-pod addresses.
inline endpoint_info resolve(const tables& t, const ip_address& a) noexcept {
    if (a.family == ip_family::v4) {
        const uint32_t addr = a.as_v4();
        for (uint32_t i = detail::home_slot_v4(addr, t.pods_v4_mask);;
             i = (i + 1) & t.pods_v4_mask) {
            const pod_slot_v4& s = t.pods_v4[i];
            if (s.identity == empty_slot) {
                break;
            }
            if (s.addr == addr) {
                return {s.identity, s.ingress, s.egress, true};
            }
        }
        return {detail::trie_v4(t.trie_v4, addr), not_isolated, not_isolated, false};
    }
    for (uint32_t i = detail::home_slot_v6(a.value, t.pods_v6_mask);;
         i = (i + 1) & t.pods_v6_mask) {
        const pod_slot_v6& s = t.pods_v6[i];
        if (s.identity == empty_slot) {
            break;
        }
        if (s.addr == a.value) {
            return {s.identity, s.ingress, s.egress, true};
        }
    }
    return {detail::trie_v6(t.trie_v6, a.value), not_isolated, not_isolated, false};
}

// The row for (group, protocol, destination port): a branch-free binary
// search over the group's port segments (segment 0 always starts at 0).
inline row_id side_row(const tables& t, group_id g, uint8_t proto, uint16_t dport) noexcept {
    const side_entry& s = t.sides[g * proto_slots + proto_slot(proto)];
    const uint16_t* start = t.seg_start + s.first_segment;
    uint32_t lo = 0;
    for (uint32_t n = s.segment_count; n > 1;) {
        const uint32_t half = n / 2;
        lo = start[lo + half] <= dport ? lo + half : lo;
        n -= half;
    }
    return t.seg_row[s.first_segment + lo];
}

inline bool row_has(const tables& t, row_id r, identity_id id) noexcept {
    return (t.rows[static_cast<size_t>(r) * t.row_words + (id >> 6)] >> (id & 63)) & 1;
}

// The decision once both ends are resolved.
inline verdict decide(const tables& t, const endpoint_info& src, const endpoint_info& dst,
                      uint8_t proto, uint16_t dport) noexcept {
    if (!src.is_pod && !dst.is_pod) {
        return t.non_pod_verdict;
    }
    if (src.egress != not_isolated &&
        !row_has(t, side_row(t, src.egress, proto, dport), dst.identity)) {
        return {false, verdict_reason::policy_egress};
    }
    if (dst.ingress != not_isolated &&
        !row_has(t, side_row(t, dst.ingress, proto, dport), src.identity)) {
        return {false, verdict_reason::policy_ingress};
    }
    return {true, verdict_reason::allowed};
}

inline verdict lookup(const tables& t, const flow& f) noexcept {
    return decide(t, resolve(t, f.src), resolve(t, f.dst), f.proto, f.dport);
}

// The pod-table line an address will probe first.
inline void prefetch_endpoint(const tables& t, const ip_address& a) noexcept {
    const void* line =
        a.family == ip_family::v4
            ? static_cast<const void*>(&t.pods_v4[detail::home_slot_v4(a.as_v4(), t.pods_v4_mask)])
            : static_cast<const void*>(&t.pods_v6[detail::home_slot_v6(a.value, t.pods_v6_mask)]);
    __builtin_prefetch(line);
}

// Burst form: prefetch every home slot, resolve every address (independent
// loads the CPU can overlap), then decide. `n` up to any size; no allocation.
inline void lookup_burst(const tables& t, const flow* flows, verdict* out, uint32_t n) noexcept {
    constexpr uint32_t chunk = 32;
    endpoint_info src[chunk];
    endpoint_info dst[chunk];
    for (uint32_t base = 0; base < n; base += chunk) {
        const uint32_t m = n - base < chunk ? n - base : chunk;
        for (uint32_t i = 0; i < m; ++i) {
            prefetch_endpoint(t, flows[base + i].src);
            prefetch_endpoint(t, flows[base + i].dst);
        }
        for (uint32_t i = 0; i < m; ++i) {
            src[i] = resolve(t, flows[base + i].src);
            dst[i] = resolve(t, flows[base + i].dst);
        }
        for (uint32_t i = 0; i < m; ++i) {
            out[base + i] = decide(t, src[i], dst[i], flows[base + i].proto, flows[base + i].dport);
        }
    }
}

} // namespace podgate::classifier
