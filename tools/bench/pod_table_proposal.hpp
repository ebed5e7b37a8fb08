#pragma once
// A measured proposal, not podgate's code: the IPv4 pod table of
// classifier/lookup with a different hash and a prefetch pass, everything
// else (trie, sides, rows, decide) podgate's own.
//
// podgate's hash_v4 keeps bits 32.. of addr * 0x9E3779B97F4A7C15 and masks
// the low bits of that: with pod addresses packed in per-node /24s, slots
// cluster and linear probing walks several slots (bench_classifier prints
// the mean and longest probe). Fibonacci hashing proper keeps the TOP bits
// of the product, which spreads consecutive addresses evenly. The prefetch
// pass issues every home slot of a burst before the first compare, so the
// misses overlap instead of queueing behind each other's branches.

#include "classifier/lookup/lookup.hpp"

#include <cstdint>
#include <vector>

namespace podgate::bench {

class pod_table_proposal {
public:
    // Copies the IPv4 pod slots of `t` (same 16-byte slots, same capacity).
    explicit pod_table_proposal(const classifier::tables& t);

    double probe_mean() const { return _probe_mean; }
    uint32_t probe_max() const { return _probe_max; }

    // IPv4 flows only; n <= 32.
    void lookup(const classifier::flow* flows, classifier::verdict* out, uint32_t n) const noexcept;

private:
    uint32_t slot_of(uint32_t addr) const noexcept {
        return static_cast<uint32_t>((addr * 0x9E3779B97F4A7C15ull) >> _shift);
    }
    classifier::endpoint_info resolve(uint32_t addr) const noexcept;

    const classifier::tables* _t;
    std::vector<classifier::pod_slot_v4> _slots;
    uint32_t _mask = 0;
    unsigned _shift = 64;
    double _probe_mean = 0;
    uint32_t _probe_max = 0;
};

} // namespace podgate::bench
