// Stage 2: the address space as ipBlocks see it. Every cidr and except is a
// prefix, and any two prefixes are either nested or disjoint, so an address's
// set of matching ipBlocks is decided by the longest of these prefixes that
// contains it: block b matches x  <=>  lpm(x) inside b.cidr and not inside any
// of b's excepts. One signature per prefix, computed in a single preorder walk
// (sorted by base address, then length, a prefix precedes everything in it).

#include "classifier/compile/context.hpp"

#include <algorithm>
#include <map>

namespace podgate::classifier::compile_detail {

namespace {

struct prefix_changes {
    std::vector<uint32_t> adds;    // blocks whose cidr is this prefix
    std::vector<uint32_t> removes; // blocks with this prefix as an except
};

using prefix_key = std::pair<u128, uint8_t>;

} // namespace

void build_ip_regions(context& ctx) {
    ctx.region_signatures.intern({}); // id 0: inside no ipBlock prefix

    std::map<prefix_key, prefix_changes> by_family[2];
    for (uint32_t b = 0; b < ctx.block_peers.size(); ++b) {
        const config::ip_block& block = *ctx.block_peers[b].block;
        const unsigned f = family_index(block.cidr.base.family);
        by_family[f][{block.cidr.base.value, block.cidr.length}].adds.push_back(b);
        for (const auto& e : block.except) {
            by_family[f][{e.base.value, e.length}].removes.push_back(b);
        }
    }

    for (unsigned f = 0; f < 2; ++f) {
        const ip_family family = f == 0 ? ip_family::v4 : ip_family::v6;
        struct open_prefix {
            ip_prefix prefix;
            std::vector<uint32_t> blocks;
        };
        std::vector<open_prefix> stack;
        for (const auto& [key, changes] : by_family[f]) { // (base, length) order = preorder
            const ip_prefix q{{family, key.first}, key.second};
            while (!stack.empty() && !stack.back().prefix.contains(q)) {
                stack.pop_back();
            }
            std::vector<uint32_t> blocks =
                stack.empty() ? std::vector<uint32_t>{} : stack.back().blocks;
            blocks.insert(blocks.end(), changes.adds.begin(), changes.adds.end());
            std::sort(blocks.begin(), blocks.end());
            blocks.erase(std::unique(blocks.begin(), blocks.end()), blocks.end());
            std::vector<uint32_t> kept;
            std::set_difference(blocks.begin(), blocks.end(), changes.removes.begin(),
                                changes.removes.end(), std::back_inserter(kept));
            ctx.regions[f].push_back({q, ctx.region_signatures.intern(kept)});
            stack.push_back({q, std::move(kept)});
        }
        // The trie is built shortest prefix first so longer ones overwrite.
        std::stable_sort(ctx.regions[f].begin(), ctx.regions[f].end(),
                         [](const ip_region& a, const ip_region& b) {
                             return a.prefix.length < b.prefix.length;
                         });
    }
}

} // namespace podgate::classifier::compile_detail
