// Stage: lay everything out in one cache-line-aligned block, the only memory
// the lookup reads. Sizes are known before allocating, so the memory budget
// is checked first and nothing half-built is ever returned.

#include "classifier/compile/context.hpp"
#include "classifier/lookup/lookup.hpp"

#include <algorithm>
#include <cstring>
#include <new>

#include <sys/mman.h>

namespace podgate::classifier {

void tables::block_deleter::operator()(std::byte* p) const noexcept {
    munmap(p, mapped_bytes);
}

} // namespace podgate::classifier

namespace podgate::classifier::compile_detail {

namespace {

constexpr size_t align64(size_t n) {
    return (n + 63) & ~size_t{63};
}

constexpr size_t huge_page = size_t{2} << 20;

// A table block, zeroed, from its own mapping rather than the heap: the
// 12 MiB of tables at 100k pods were 3,000 faults in 4 KiB pages, half the
// time of an incremental compile on this VM; and the lookup's scattered
// reads into the pod table and rows should miss the TLB less in 2 MiB pages. The mapping is cut to
// 2 MiB alignment so the kernel can back it with huge pages (THP "madvise" or "always"; otherwise
// it stays in small pages and only the fault count is lost). Throws std::bad_alloc like the heap
// would.
std::unique_ptr<std::byte, tables::block_deleter> map_block(size_t bytes) {
    const size_t want = bytes >= huge_page ? (bytes + huge_page - 1) & ~(huge_page - 1) : bytes;
    const size_t slack = want >= huge_page ? huge_page : 0;
    void* raw =
        mmap(nullptr, want + slack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) {
        throw std::bad_alloc();
    }
    auto* at = static_cast<std::byte*>(raw);
    if (slack != 0) {
        const size_t head = (huge_page - reinterpret_cast<uintptr_t>(at) % huge_page) % huge_page;
        if (head != 0) {
            munmap(at, head);
        }
        if (slack - head != 0) {
            munmap(at + head + want, slack - head);
        }
        at += head;
        madvise(at, want, MADV_HUGEPAGE);
    }
    return {at, tables::block_deleter{want}};
}

struct layout {
    size_t offset = 0;
    size_t take(size_t bytes) {
        const size_t at = offset;
        offset += align64(bytes);
        return at;
    }
};

} // namespace

status build_pod_tables(const context& ctx, pod_tables& out) {
    size_t n4 = 0;
    for (const auto& a : ctx.addresses) {
        n4 += a.addr.family == ip_family::v4;
    }
    out.v4 = empty_pod_table<pod_slot_v4>(pod_table_capacity(n4));
    out.v6 = empty_pod_table<pod_slot_v6>(pod_table_capacity(ctx.addresses.size() - n4));
    out.addresses = static_cast<uint32_t>(ctx.addresses.size());
    out.v4_addresses = static_cast<uint32_t>(n4);
    for (const auto& a : ctx.addresses) {
        const group_id in = ctx.pod_group[0][a.pod];
        const group_id eg = ctx.pod_group[1][a.pod];
        const bool fresh =
            a.addr.family == ip_family::v4
                ? insert_pod_slot(out.v4, pod_slot_v4{a.addr.as_v4(), a.identity, in, eg})
                : insert_pod_slot(out.v6, pod_slot_v6{a.addr.value, a.identity, in, eg, 0});
        if (!fresh) {
            return fail("address " + to_string(a.addr) + " belongs to more than one pod (" +
                        ctx.pods[a.pod]->qualified_name() + " and another)");
        }
    }
    return {};
}

namespace {

// The policy-only arrays (tables.hpp): laid out, budget-checked by the
// caller with the pod block, then copied into their own block.
struct policy_layout {
    layout l;
    size_t at_trie4, at_trie6, at_sides, at_start, at_row, at_rows, at_attr_first, at_attr,
        row_bytes;

    explicit policy_layout(const context& ctx)
        : at_trie4(l.take(ctx.trie[0].size() * sizeof(uint32_t))),
          at_trie6(l.take(ctx.trie[1].size() * sizeof(uint32_t))),
          at_sides(l.take(ctx.sides.size() * sizeof(side_entry))),
          at_start(l.take(ctx.seg_start.size() * sizeof(uint16_t))),
          at_row(l.take(ctx.seg_row.size() * sizeof(row_id))), at_rows(0), at_attr_first(0),
          at_attr(0), row_bytes(size_t{ctx.rows.size()} * ctx.row_words * sizeof(uint64_t)) {
        at_rows = l.take(row_bytes);
        at_attr_first = l.take(ctx.attribution_first.size() * sizeof(uint32_t));
        at_attr = l.take(ctx.attribution.size() * sizeof(policy_rows));
    }
};

void emit_policy_arrays(const context& ctx, const policy_layout& pl, tables& out) {
    auto owned = map_block(std::max<size_t>(pl.l.offset, 1));
    std::byte* base = owned.get(); // zero, as a fresh mapping is
    std::memcpy(base + pl.at_trie4, ctx.trie[0].data(), ctx.trie[0].size() * sizeof(uint32_t));
    std::memcpy(base + pl.at_trie6, ctx.trie[1].data(), ctx.trie[1].size() * sizeof(uint32_t));
    std::memcpy(base + pl.at_sides, ctx.sides.data(), ctx.sides.size() * sizeof(side_entry));
    std::memcpy(base + pl.at_start, ctx.seg_start.data(), ctx.seg_start.size() * sizeof(uint16_t));
    std::memcpy(base + pl.at_row, ctx.seg_row.data(), ctx.seg_row.size() * sizeof(row_id));
    auto* rows = reinterpret_cast<uint64_t*>(base + pl.at_rows);
    for (uint32_t r = 0; r < ctx.rows.size(); ++r) {
        std::memcpy(rows + size_t{r} * ctx.row_words, ctx.rows.at(r).data(),
                    ctx.row_words * sizeof(uint64_t));
    }
    // std::copy, not memcpy: an empty vector's data() may be null (no policies).
    std::copy(ctx.attribution_first.begin(), ctx.attribution_first.end(),
              reinterpret_cast<uint32_t*>(base + pl.at_attr_first));
    std::copy(ctx.attribution.begin(), ctx.attribution.end(),
              reinterpret_cast<policy_rows*>(base + pl.at_attr));

    out.trie_v4 = reinterpret_cast<const uint32_t*>(base + pl.at_trie4);
    out.trie_v6 = reinterpret_cast<const uint32_t*>(base + pl.at_trie6);
    out.sides = reinterpret_cast<const side_entry*>(base + pl.at_sides);
    out.seg_start = reinterpret_cast<const uint16_t*>(base + pl.at_start);
    out.seg_row = reinterpret_cast<const row_id*>(base + pl.at_row);
    out.rows = rows;
    out.row_words = ctx.row_words;
    out.attribution_first = reinterpret_cast<const uint32_t*>(base + pl.at_attr_first);
    out.attribution = reinterpret_cast<const policy_rows*>(base + pl.at_attr);
    out.policy_block = std::shared_ptr<const std::byte>(std::move(owned));

    table_stats& s = out.stats;
    s.bytes_tries = pl.at_sides - pl.at_trie4;
    s.bytes_side = pl.at_rows - pl.at_sides;
    s.bytes_rows = align64(pl.row_bytes);
    s.bytes_attribution =
        (pl.l.offset - pl.at_attr_first) +
        (ctx.sides.size() - ctx.group_sides) * sizeof(side_entry) +
        (ctx.seg_start.size() - ctx.group_segments) * (sizeof(uint16_t) + sizeof(row_id)) +
        size_t{ctx.rows.size() - ctx.group_rows} * ctx.row_words * sizeof(uint64_t);
}

} // namespace

void share_policy_arrays(const tables& from, tables& to) {
    to.trie_v4 = from.trie_v4;
    to.trie_v6 = from.trie_v6;
    to.sides = from.sides;
    to.seg_start = from.seg_start;
    to.seg_row = from.seg_row;
    to.rows = from.rows;
    to.row_words = from.row_words;
    to.attribution_first = from.attribution_first;
    to.attribution = from.attribution;
    to.policy_block = from.policy_block;
    to.stats.bytes_tries = from.stats.bytes_tries;
    to.stats.bytes_side = from.stats.bytes_side;
    to.stats.bytes_rows = from.stats.bytes_rows;
    to.stats.bytes_attribution = from.stats.bytes_attribution;
}

status emit_tables(const context& ctx, const pod_tables& pods, tables& out,
                   const tables* policy_from) {
    const auto cap4 = static_cast<uint32_t>(pods.v4.size());
    const auto cap6 = static_cast<uint32_t>(pods.v6.size());
    layout l;
    const size_t at_pods4 = l.take(cap4 * sizeof(pod_slot_v4));
    const size_t at_pods6 = l.take(cap6 * sizeof(pod_slot_v6));
    const policy_layout pl(ctx); // the same for a full compile and one that shares its arrays
    const size_t total = l.offset + pl.l.offset;
    if (total > ctx.options.memory_budget) {
        return fail("compiled tables need " + std::to_string(total) +
                    " bytes, over the memory budget of " +
                    std::to_string(ctx.options.memory_budget) + " bytes");
    }

    if (policy_from != nullptr) {
        share_policy_arrays(*policy_from, out);
    } else {
        emit_policy_arrays(ctx, pl, out);
    }
    out.pod_block = map_block(std::max<size_t>(l.offset, 1));
    std::byte* base = out.pod_block.get();
    auto* pods4 = reinterpret_cast<pod_slot_v4*>(base + at_pods4);
    auto* pods6 = reinterpret_cast<pod_slot_v6*>(base + at_pods6);
    std::copy(pods.v4.begin(), pods.v4.end(), pods4);
    std::copy(pods.v6.begin(), pods.v6.end(), pods6);
    out.pods_v4 = pods4;
    out.pods_v4_mask = cap4 - 1;
    out.pods_v6 = pods6;
    out.pods_v6_mask = cap6 - 1;

    table_stats& s = out.stats;
    s.pod_addresses = pods.addresses;
    s.bytes_pod_tables = l.offset;
    s.bytes_total = total;
    return {};
}

} // namespace podgate::classifier::compile_detail
