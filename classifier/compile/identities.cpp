// Stage: identities. An address's signature is (the pod-level selector peers
// its pod matches, the whole-namespace peers its pod's namespace matches, the
// ipBlock region it lies in, the numbers its pod gives to every port name an
// egress rule uses). Addresses with equal signatures are
// indistinguishable to every rule and share one identity; non-pod addresses
// have no selector peers and no port numbers. Identity 0 is "matches nothing".

#include "classifier/compile/context.hpp"
#include "classifier/lookup/lookup.hpp"

#include <algorithm>
#include <set>

namespace podgate::classifier::compile_detail {

namespace {

std::vector<port_name> collect_egress_port_names(const context& ctx) {
    std::set<port_name> names;
    for (const auto& r : ctx.rules[static_cast<int>(config::direction::egress)]) {
        for (const auto& p : *r.ports) {
            if (p.what == config::port_rule::kind::named) {
                names.insert({p.name, p.proto});
            }
        }
    }
    return {names.begin(), names.end()};
}

} // namespace

std::vector<uint32_t> egress_port_numbers(const context& ctx, const config::pod& p) {
    std::vector<uint32_t> numbers(ctx.egress_port_names.size(), 0);
    for (size_t i = 0; i < numbers.size(); ++i) {
        numbers[i] = p.resolve_port(ctx.egress_port_names[i].name, ctx.egress_port_names[i].proto)
                         .value_or(0);
    }
    return numbers;
}

namespace {

uint32_t region_of(const context& ctx, const ip_address& a) {
    // The tries still hold region-signature ids at this point.
    return a.family == ip_family::v4 ? detail::trie_v4(ctx.trie[0].data(), a.as_v4())
                                     : detail::trie_v6(ctx.trie[1].data(), a.value);
}

} // namespace

void assign_identities(context& ctx) {
    ctx.egress_port_names = collect_egress_port_names(ctx);
    const size_t nnames = ctx.egress_port_names.size();

    auto& [selector_lists, namespace_lists, port_maps] = ctx.identity_parts;
    selector_lists.intern({});
    port_maps.intern(std::vector<uint32_t>(nnames, 0));
    namespace_lists.intern({});
    ctx.identity_keys.intern({0, 0, 0, 0});

    for (uint32_t pod = 0; pod < ctx.pods.size(); ++pod) {
        const config::pod& p = *ctx.pods[pod];
        const uint32_t map_id = port_maps.intern(egress_port_numbers(ctx, p));
        const uint32_t list_id = selector_lists.intern(ctx.pod_selector_peers[pod]);
        const uint32_t ns_list_id =
            namespace_lists.intern(ctx.namespace_peers[ctx.pod_namespace[pod]]);
        for (const ip_address& a : p.ips) {
            const identity_id id =
                ctx.identity_keys.intern({list_id, ns_list_id, region_of(ctx, a), map_id});
            ctx.addresses.push_back({a, pod, id});
        }
    }
    ctx.region_identity.resize(ctx.region_signatures.size());
    for (uint32_t sig = 0; sig < ctx.region_signatures.size(); ++sig) {
        ctx.region_identity[sig] = ctx.identity_keys.intern({0, 0, sig, 0});
    }

    ctx.identity_count = ctx.identity_keys.size();
    ctx.row_words = std::max<uint32_t>(1, (ctx.identity_count + 63) / 64);

    // Which identities each peer matches (selector peers first, then blocks).
    const size_t nsel = ctx.selector_peers.size();
    ctx.peer_identities.assign(nsel + ctx.block_peers.size(), identity_set(ctx.row_words));
    ctx.identity_port_numbers.resize(ctx.identity_count);
    for (identity_id id = 0; id < ctx.identity_count; ++id) {
        const auto& key = ctx.identity_keys.at(id);
        for (uint32_t s : selector_lists.at(key[0])) {
            ctx.peer_identities[s].set(id);
        }
        for (uint32_t s : namespace_lists.at(key[1])) {
            ctx.peer_identities[s].set(id);
        }
        for (uint32_t b : ctx.region_signatures.at(key[2])) {
            ctx.peer_identities[nsel + b].set(id);
        }
        const auto& numbers = port_maps.at(key[3]);
        ctx.identity_port_numbers[id].assign(numbers.begin(), numbers.end());
    }

    // Trie leaves: region signature -> identity.
    for (auto& t : ctx.trie) {
        for (uint32_t& e : t) {
            if (!(e & trie_child_flag)) {
                e = ctx.region_identity[e];
            }
        }
    }
}

} // namespace podgate::classifier::compile_detail
