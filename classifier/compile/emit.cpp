// Stage: lay everything out in one cache-line-aligned block, the only memory
// the lookup reads. Sizes are known before allocating, so the memory budget
// is checked first and nothing half-built is ever returned.

#include "classifier/compile/context.hpp"
#include "classifier/lookup/lookup.hpp"

#include <algorithm>
#include <cstring>
#include <new>

namespace podgate::classifier {

void tables::block_deleter::operator()(std::byte* p) const noexcept {
    ::operator delete[](p, std::align_val_t{64});
}

} // namespace podgate::classifier

namespace podgate::classifier::compile_detail {

namespace {

constexpr size_t align64(size_t n) { return (n + 63) & ~size_t{63}; }

struct layout {
    size_t offset = 0;
    size_t take(size_t bytes) {
        const size_t at = offset;
        offset += align64(bytes);
        return at;
    }
};

} // namespace

std::string build_pod_tables(const context& ctx, pod_tables& out) {
    size_t n4 = 0;
    for (const auto& a : ctx.addresses) {
        n4 += a.addr.family == ip_family::v4;
    }
    out.v4 = empty_pod_table<pod_slot_v4>(pod_table_capacity(n4));
    out.v6 = empty_pod_table<pod_slot_v6>(pod_table_capacity(ctx.addresses.size() - n4));
    out.addresses = static_cast<uint32_t>(ctx.addresses.size());
    for (const auto& a : ctx.addresses) {
        const group_id in = ctx.pod_group[0][a.pod];
        const group_id eg = ctx.pod_group[1][a.pod];
        const bool fresh = a.addr.family == ip_family::v4
                               ? insert_pod_slot(out.v4, pod_slot_v4{a.addr.as_v4(), a.identity, in, eg})
                               : insert_pod_slot(out.v6, pod_slot_v6{a.addr.value, a.identity, in, eg, 0});
        if (!fresh) {
            return "address " + to_string(a.addr) + " belongs to more than one pod (" +
                   ctx.pods[a.pod]->qualified_name() + " and another)";
        }
    }
    return {};
}

std::string emit_tables(const context& ctx, const pod_tables& pods, tables& out) {
    const auto cap4 = static_cast<uint32_t>(pods.v4.size());
    const auto cap6 = static_cast<uint32_t>(pods.v6.size());

    layout l;
    const size_t at_pods4 = l.take(cap4 * sizeof(pod_slot_v4));
    const size_t at_pods6 = l.take(cap6 * sizeof(pod_slot_v6));
    const size_t at_trie4 = l.take(ctx.trie[0].size() * sizeof(uint32_t));
    const size_t at_trie6 = l.take(ctx.trie[1].size() * sizeof(uint32_t));
    const size_t at_sides = l.take(ctx.sides.size() * sizeof(side_entry));
    const size_t at_start = l.take(ctx.seg_start.size() * sizeof(uint16_t));
    const size_t at_row = l.take(ctx.seg_row.size() * sizeof(row_id));
    const size_t row_bytes = size_t{ctx.rows.size()} * ctx.row_words * sizeof(uint64_t);
    const size_t at_rows = l.take(row_bytes);
    const size_t at_attr_first = l.take(ctx.attribution_first.size() * sizeof(uint32_t));
    const size_t at_attr = l.take(ctx.attribution.size() * sizeof(policy_rows));

    if (l.offset > ctx.options.memory_budget) {
        return "compiled tables need " + std::to_string(l.offset) + " bytes, over the memory budget of " +
               std::to_string(ctx.options.memory_budget) + " bytes";
    }

    std::byte* base = static_cast<std::byte*>(::operator new[](l.offset, std::align_val_t{64}));
    out.block.reset(base);
    std::memset(base, 0, l.offset);

    auto* pods4 = reinterpret_cast<pod_slot_v4*>(base + at_pods4);
    auto* pods6 = reinterpret_cast<pod_slot_v6*>(base + at_pods6);
    std::copy(pods.v4.begin(), pods.v4.end(), pods4);
    std::copy(pods.v6.begin(), pods.v6.end(), pods6);
    std::memcpy(base + at_trie4, ctx.trie[0].data(), ctx.trie[0].size() * sizeof(uint32_t));
    std::memcpy(base + at_trie6, ctx.trie[1].data(), ctx.trie[1].size() * sizeof(uint32_t));
    std::memcpy(base + at_sides, ctx.sides.data(), ctx.sides.size() * sizeof(side_entry));
    std::memcpy(base + at_start, ctx.seg_start.data(), ctx.seg_start.size() * sizeof(uint16_t));
    std::memcpy(base + at_row, ctx.seg_row.data(), ctx.seg_row.size() * sizeof(row_id));
    auto* rows = reinterpret_cast<uint64_t*>(base + at_rows);
    for (uint32_t r = 0; r < ctx.rows.size(); ++r) {
        std::memcpy(rows + size_t{r} * ctx.row_words, ctx.rows.at(r).data(), ctx.row_words * sizeof(uint64_t));
    }
    // std::copy, not memcpy: an empty vector's data() may be null (no policies).
    std::copy(ctx.attribution_first.begin(), ctx.attribution_first.end(),
              reinterpret_cast<uint32_t*>(base + at_attr_first));
    std::copy(ctx.attribution.begin(), ctx.attribution.end(), reinterpret_cast<policy_rows*>(base + at_attr));

    out.pods_v4 = pods4;
    out.pods_v4_mask = cap4 - 1;
    out.pods_v6 = pods6;
    out.pods_v6_mask = cap6 - 1;
    out.trie_v4 = reinterpret_cast<const uint32_t*>(base + at_trie4);
    out.trie_v6 = reinterpret_cast<const uint32_t*>(base + at_trie6);
    out.sides = reinterpret_cast<const side_entry*>(base + at_sides);
    out.seg_start = reinterpret_cast<const uint16_t*>(base + at_start);
    out.seg_row = reinterpret_cast<const row_id*>(base + at_row);
    out.rows = rows;
    out.row_words = ctx.row_words;
    out.attribution_first = reinterpret_cast<const uint32_t*>(base + at_attr_first);
    out.attribution = reinterpret_cast<const policy_rows*>(base + at_attr);

    table_stats& s = out.stats;
    s.pod_addresses = pods.addresses;
    s.bytes_pod_tables = at_trie4 - at_pods4;
    s.bytes_tries = at_sides - at_trie4;
    s.bytes_side = at_rows - at_sides;
    s.bytes_rows = align64(row_bytes);
    s.bytes_total = l.offset;
    s.bytes_attribution = (l.offset - at_attr_first) + (ctx.sides.size() - ctx.group_sides) * sizeof(side_entry) +
                          (ctx.seg_start.size() - ctx.group_segments) * (sizeof(uint16_t) + sizeof(row_id)) +
                          size_t{ctx.rows.size() - ctx.group_rows} * ctx.row_words * sizeof(uint64_t);
    return {};
}

} // namespace podgate::classifier::compile_detail
