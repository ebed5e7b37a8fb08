#pragma once
// The open-addressed pod tables as the compile builds and patches them:
// linear probing from detail::home_slot_*, load factor <= 1/2, no tombstones
// (an erase shifts the rest of its cluster back), so the lookup's probe loop
// stays the two-line one in classifier/lookup/lookup.hpp.

#include "classifier/lookup/lookup.hpp"

#include <algorithm>
#include <bit>
#include <vector>

namespace podgate::classifier::compile_detail {

// Both families' tables, in the layout emit_tables copies into the block.
struct pod_tables {
    std::vector<pod_slot_v4> v4;
    std::vector<pod_slot_v6> v6;
    uint32_t addresses = 0;    // occupied slots, both families
    uint32_t v4_addresses = 0; // of which in v4
};

// Slots for `entries` addresses: load factor in (1/4, 1/2] keeps probes short
// and guarantees an empty slot.
inline uint32_t pod_table_capacity(size_t entries) {
    return std::bit_ceil(static_cast<uint32_t>(std::max<size_t>(2, entries * 2)));
}

// A capacity a patched table may keep: still at most half full, and not so
// empty that a full compile would have chosen a quarter of it.
inline bool pod_table_capacity_fits(size_t capacity, size_t entries) {
    return entries * 2 <= capacity && capacity <= pod_table_capacity(entries) * 2;
}

inline uint32_t home_slot(uint32_t addr, uint32_t mask) {
    return detail::home_slot_v4(addr, mask);
}
inline uint32_t home_slot(u128 addr, uint32_t mask) {
    return detail::home_slot_v6(addr, mask);
}

template <typename Slot> std::vector<Slot> empty_pod_table(uint32_t capacity) {
    Slot empty{};
    empty.identity = empty_slot;
    return std::vector<Slot>(capacity, empty);
}

// Inserts `value`; false (and no change) when its address is already there.
template <typename Slot> bool insert_pod_slot(std::vector<Slot>& slots, const Slot& value) {
    const auto mask = static_cast<uint32_t>(slots.size() - 1);
    for (uint32_t i = home_slot(value.addr, mask);; i = (i + 1) & mask) {
        if (slots[i].identity == empty_slot) {
            slots[i] = value;
            return true;
        }
        if (slots[i].addr == value.addr) {
            return false;
        }
    }
}

template <typename Slot, typename Addr>
const Slot* find_pod_slot(const std::vector<Slot>& slots, Addr addr) {
    const auto mask = static_cast<uint32_t>(slots.size() - 1);
    for (uint32_t i = home_slot(addr, mask);; i = (i + 1) & mask) {
        if (slots[i].identity == empty_slot) {
            return nullptr;
        }
        if (slots[i].addr == addr) {
            return &slots[i];
        }
    }
}

// Removes `addr` (false when absent). Backward-shift deletion: every later
// slot of the cluster whose home does not lie cyclically in (hole, slot]
// moves into the hole, so no probe sequence is broken.
template <typename Slot, typename Addr> bool erase_pod_slot(std::vector<Slot>& slots, Addr addr) {
    const auto mask = static_cast<uint32_t>(slots.size() - 1);
    uint32_t hole = home_slot(addr, mask);
    for (;; hole = (hole + 1) & mask) {
        if (slots[hole].identity == empty_slot) {
            return false;
        }
        if (slots[hole].addr == addr) {
            break;
        }
    }
    for (uint32_t j = (hole + 1) & mask; slots[j].identity != empty_slot; j = (j + 1) & mask) {
        const uint32_t home = home_slot(slots[j].addr, mask);
        // Distances along the probe direction: j may move back to the hole
        // only if its home is not strictly after the hole on the way to j.
        if (((j - home) & mask) >= ((j - hole) & mask)) {
            slots[hole] = slots[j];
            hole = j;
        }
    }
    slots[hole].identity = empty_slot;
    return true;
}

} // namespace podgate::classifier::compile_detail
