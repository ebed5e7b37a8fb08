#include "tools/bench/pod_table_proposal.hpp"

#include <rte_prefetch.h>

#include <algorithm>

namespace podgate::bench {

pod_table_proposal::pod_table_proposal(const classifier::tables& t) : _t(&t) {
    const uint32_t capacity = t.pods_v4_mask + 1;
    _mask = t.pods_v4_mask;
    unsigned bits = 1; // at least one bit: a shift by 64 is undefined
    while ((1u << bits) < capacity) {
        ++bits;
    }
    _shift = 64 - bits;
    _slots.assign(capacity, classifier::pod_slot_v4{0, classifier::empty_slot, 0, 0});
    uint64_t dist_sum = 0;
    uint32_t used = 0;
    for (uint32_t i = 0; i < capacity; ++i) {
        const auto& s = t.pods_v4[i];
        if (s.identity == classifier::empty_slot) {
            continue;
        }
        uint32_t j = slot_of(s.addr) & _mask;
        uint32_t d = 1;
        while (_slots[j].identity != classifier::empty_slot) {
            j = (j + 1) & _mask;
            ++d;
        }
        _slots[j] = s;
        dist_sum += d;
        _probe_max = std::max(_probe_max, d);
        ++used;
    }
    _probe_mean = used ? static_cast<double>(dist_sum) / used : 0;
}

classifier::endpoint_info pod_table_proposal::resolve(uint32_t addr) const noexcept {
    for (uint32_t i = slot_of(addr) & _mask;; i = (i + 1) & _mask) {
        const auto& s = _slots[i];
        if (s.identity == classifier::empty_slot) {
            break;
        }
        if (s.addr == addr) {
            return {s.identity, s.ingress, s.egress, true};
        }
    }
    return {classifier::detail::trie_v4(_t->trie_v4, addr), classifier::not_isolated, classifier::not_isolated,
            false};
}

void pod_table_proposal::lookup(const classifier::flow* flows, classifier::verdict* out, uint32_t n) const noexcept {
    for (uint32_t i = 0; i < n; ++i) {
        rte_prefetch0(&_slots[slot_of(flows[i].src.as_v4()) & _mask]);
        rte_prefetch0(&_slots[slot_of(flows[i].dst.as_v4()) & _mask]);
    }
    classifier::endpoint_info src[32];
    classifier::endpoint_info dst[32];
    for (uint32_t i = 0; i < n; ++i) {
        src[i] = resolve(flows[i].src.as_v4());
        dst[i] = resolve(flows[i].dst.as_v4());
    }
    for (uint32_t i = 0; i < n; ++i) {
        out[i] = classifier::decide(*_t, src[i], dst[i], flows[i].proto, flows[i].dport);
    }
}

} // namespace podgate::bench
