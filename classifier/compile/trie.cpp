// Stage: region prefixes -> multi-bit trie (16-bit root, 8-bit nodes), by
// controlled prefix expansion. Prefixes come shortest first, so a longer
// prefix simply overwrites the entries of the shorter ones it lies in, and a
// child node is created (filled with its parent entry's value) only where a
// prefix is longer than the level it reaches.
// Leaves hold region-signature ids here; assign_identities() rewrites them to
// identities once those exist.

#include "classifier/compile/context.hpp"

namespace podgate::classifier::compile_detail {

namespace {

constexpr uint32_t root_size = 1u << trie_root_bits;
constexpr uint32_t node_size = 1u << trie_node_bits;

void fill(std::vector<uint32_t>& t, uint32_t first, uint32_t count, uint32_t value) {
    for (uint32_t i = 0; i < count; ++i) {
        t[first + i] = value;
    }
}

void insert(std::vector<uint32_t>& t, uint32_t& nodes, const ip_prefix& p, uint32_t value) {
    const unsigned bits = address_bits(p.base.family);
    const u128 addr = p.base.value;
    const unsigned len = p.length;
    const auto root_index = static_cast<uint32_t>(addr >> (bits - trie_root_bits));
    if (len <= trie_root_bits) {
        fill(t, root_index, 1u << (trie_root_bits - len), value);
        return;
    }
    size_t entry = root_index;
    for (unsigned consumed = trie_root_bits;; consumed += trie_node_bits) {
        if (!(t[entry] & trie_child_flag)) {
            const uint32_t inherited = t[entry];
            const uint32_t node = nodes++;
            t.resize(t.size() + node_size, inherited);
            t[entry] = trie_child_flag | node;
        }
        const size_t node_base = root_size + size_t{t[entry] & ~trie_child_flag} * node_size;
        const auto byte =
            static_cast<uint32_t>((addr >> (bits - consumed - trie_node_bits)) & 0xff);
        if (len <= consumed + trie_node_bits) {
            fill(t, static_cast<uint32_t>(node_base + byte),
                 1u << (consumed + trie_node_bits - len), value);
            return;
        }
        entry = node_base + byte;
    }
}

} // namespace

void build_tries(context& ctx) {
    for (unsigned f = 0; f < 2; ++f) {
        ctx.trie[f].assign(root_size, 0); // signature 0: inside no ipBlock prefix
        for (const ip_region& r : ctx.regions[f]) {
            insert(ctx.trie[f], ctx.trie_nodes[f], r.prefix, r.signature);
        }
    }
}

} // namespace podgate::classifier::compile_detail
