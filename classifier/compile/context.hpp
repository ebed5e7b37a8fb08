#pragma once
// State shared by the compile stages (one .cpp per stage):
//   peers.cpp      selectors -> which pods each peer and each policy selects
//   ip_regions.cpp ipBlock cidr/except prefixes -> region signatures (laminar LPM)
//   identities.cpp (selector peers, region, named-port numbers) -> identity ids
//   sides.cpp      endpoint groups, port segments, interned rows; then the
//                  per-policy side tables behind attribution
//   trie.cpp       region prefixes -> multi-bit trie
//   emit.cpp       everything -> one flat immutable block
// Ordinary containers throughout; only emit.cpp produces the data-plane layout.

#include "classifier/compile/bitset.hpp"
#include "classifier/compile/compiler.hpp"
#include "classifier/compile/pod_slots.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace podgate::classifier::compile_detail {

// A named port as used in rules: (name, protocol).
struct port_name {
    std::string name;
    config::protocol proto;
    friend bool operator==(const port_name&, const port_name&) = default;
    friend auto operator<=>(const port_name&, const port_name&) = default;
};

// A selector peer whose pod selector selects every pod matches whole
// namespaces: it is kept per namespace, not per pod, so a namespaceSelector
// over thousands of pods costs one entry per namespace.
struct selector_peer {
    bool whole_namespaces = false;
    std::vector<uint32_t> pods;       // pod-level: endpoint pod indices, ascending
    std::vector<uint32_t> namespaces; // whole_namespaces: namespace indices, ascending
    // What it is, for judging a pod that arrives later (incremental.cpp):
    // the pod selector (into the cluster, or a static select-all) and the
    // namespaces in scope.
    const config::label_selector* pod_selector = nullptr;
    std::vector<uint32_t> scope;
};

struct block_peer {
    const config::ip_block* block;
};

// A rule after peer interning: which peers (or any), and its ports as given.
struct compiled_rule {
    uint32_t policy;
    bool any_peer;
    std::vector<uint32_t> selector_peers;
    std::vector<uint32_t> block_peers;
    const std::vector<config::port_rule>* ports;
};

// One address of an endpoint pod.
struct pod_address {
    ip_address addr;
    uint32_t pod; // index into context::pods
    identity_id identity = 0;
};

// Interners that decide identities and groups, kept after the compile so a
// pod that arrives later can be placed without a recompile (incremental.cpp).
struct identity_interners {
    vector_interner<uint32_t> selector_lists;  // pod-level selector peers a pod matches
    vector_interner<uint32_t> namespace_lists; // whole-namespace peers of a pod's namespace
    vector_interner<uint32_t> port_maps;       // numbers per egress_port_names
};
struct group_interners {
    vector_interner<uint32_t> policy_lists;            // selecting policies of a pod, ascending
    std::vector<std::vector<port_name>> names_of_list; // per policy list: its ingress port names
    vector_interner<uint32_t> keys;                    // [policy list, numbers of those names]
    std::vector<group_id> group_of_key;
};

struct ip_region {
    ip_prefix prefix;
    uint32_t signature; // interned sorted list of block peers containing it
};

struct context {
    context(const config::cluster& c, const compile_options& o) : cluster(c), options(o) {}

    const config::cluster& cluster;
    const compile_options& options;

    // peers.cpp
    std::vector<const config::pod*> pods; // endpoint pods only
    std::vector<std::vector<uint32_t>>
        pod_selector_peers;                   // per pod: matched pod-level peers, ascending
    std::vector<uint32_t> pod_namespace;      // per pod: namespace index
    std::vector<std::string> namespace_names; // namespace index -> name, sorted
    std::vector<std::vector<uint32_t>>
        namespace_peers; // per namespace: whole-namespace peers, ascending
    std::vector<selector_peer> selector_peers;
    std::vector<block_peer> block_peers;
    std::vector<compiled_rule> rules[2]; // by direction
    std::vector<std::vector<uint32_t>>
        pod_policies[2]; // per pod: selecting policies affecting the direction
    std::vector<std::vector<uint32_t>> policy_rules[2]; // per policy: indices into rules[dir]

    // ip_regions.cpp (per family: 0 = v4, 1 = v6); regions sorted by length
    std::vector<ip_region> regions[2];
    vector_interner<uint32_t> region_signatures; // id 0 = empty set

    // identities.cpp
    std::vector<port_name> egress_port_names; // every (name, proto) an egress rule uses
    identity_interners identity_parts;
    vector_interner<uint32_t>
        identity_keys; // [pod-peer list, namespace-peer list, region sig, port map]
    std::vector<identity_id> region_identity; // region signature -> identity
    std::vector<pod_address> addresses;
    std::vector<identity_set> peer_identities; // selector peers then block peers
    std::vector<std::vector<uint16_t>>
        identity_port_numbers; // identity -> number per egress_port_names (0 = none)
    uint32_t identity_count = 0;
    uint32_t row_words = 1;

    // sides.cpp
    std::vector<group_id> pod_group[2];                // per pod, per direction (0 = not isolated)
    std::vector<std::vector<uint32_t>> group_policies; // group -> policies (group 0 unused)
    std::vector<uint32_t> group_pod;                   // group -> a pod of it (group 0 unused)
    group_interners group_parts[2];                    // by direction
    std::vector<side_entry> sides;                     // [group * proto_slots + slot]
    std::vector<uint16_t> seg_start;
    std::vector<row_id> seg_row;
    vector_interner<uint64_t> rows; // row 0 = empty
    uint32_t ingress_groups = 0;    // groups 1..ingress_groups; the egress groups follow
    uint32_t egress_groups = 0;

    // sides.cpp, build_attribution (appends to sides, seg_*, rows above)
    std::vector<uint32_t> attribution_first; // group -> first pair; one more entry than groups
    std::vector<policy_rows> attribution;
    uint32_t attribution_tables = 0;
    size_t group_sides = 0; // sides, segments and rows before attribution added its own
    size_t group_segments = 0;
    uint32_t group_rows = 0;

    // trie.cpp
    std::vector<uint32_t> trie[2];
    uint32_t trie_nodes[2] = {0, 0};
};

void collect_peers(context& ctx);
void build_ip_regions(context& ctx);
void assign_identities(context& ctx);
void build_sides(context& ctx);
void build_attribution(context& ctx);
void build_tries(context& ctx);
// Both fill `out`.
status build_pod_tables(const context& ctx, pod_tables& out);
// With `policy_from`, the policy-only arrays are not built again but shared
// with those tables, which must come from `ctx` (an incremental compile).
status emit_tables(const context& ctx, const pod_tables& pods, tables& out,
                   const tables* policy_from = nullptr);
// Points `to` at the policy-only arrays of `from`, sharing their block.
void share_policy_arrays(const tables& from, tables& to);

// The verdict for flows between two non-pod addresses.
verdict non_pod_verdict(const compile_options& opt);
// Every stage in order, then names and statistics (compiler.cpp).
status run_stages(context& ctx, pod_tables& pods, tables& out);
// Runs `build` on fresh tables: errors and exceptions become a compile_result
// error, and compile_ms is set on success.
compile_result guarded(const std::function<status(tables&)>& build);

// The numbers `p` gives to every egress port name (0: none), an identity part.
std::vector<uint32_t> egress_port_numbers(const context& ctx, const config::pod& p);
// A group's key: the pod's selecting-policy list and its numbers for that
// list's ingress port names.
std::vector<uint32_t> group_key(const group_interners& parts, uint32_t policy_list,
                                const config::pod& pod);

// Canonical text of a selector: equal selectors (in any field order) give equal text.
std::string canonical(const config::label_selector& s);

inline unsigned family_index(ip_family f) {
    return f == ip_family::v4 ? 0 : 1;
}

} // namespace podgate::classifier::compile_detail
