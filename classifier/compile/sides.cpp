// Stage: endpoint groups and their rows. A group is a set of pods that every
// selecting policy treats alike on one side: same selecting policies and, for
// ingress, the same numbers for the port names those policies use (named
// ports resolve against the selected pod). For each (group, protocol) the port
// range is cut into segments at every rule boundary; each segment's row is the
// set of peer identities allowed there, interned so equal rows are stored once.
// Egress named ports resolve against the peer: a named-port entry allows
// identity i only at the number i's pod gives that name.
//
// Attribution then builds the same kind of side table for each (group,
// selecting policy) from that policy's rules alone, resolved at a pod of the
// group. Its rows depend only on the policy and, for ingress, on the numbers
// the group gives the port names that policy uses; so one table serves every
// group with the same (policy, numbers), and a one-policy group's own table
// is its policy's.

#include "classifier/compile/context.hpp"

#include <algorithm>
#include <map>

namespace podgate::classifier::compile_detail {

namespace {

using config::direction;
using config::port_rule;

constexpr config::protocol slot_protocols[3] = {config::protocol::tcp, config::protocol::udp,
                                                config::protocol::sctp};

struct contribution {
    uint32_t lo;
    uint32_t hi; // inclusive
    identity_set peers;
};

struct group_builder {
    context& ctx;
    direction dir;
    // (egress port-name index, number) -> identities whose pod maps that name to it
    std::map<std::pair<size_t, uint16_t>, identity_set> named_targets;

    group_builder(context& c, direction d) : ctx(c), dir(d) {
        if (dir != direction::egress) {
            return;
        }
        for (identity_id id = 0; id < ctx.identity_count; ++id) {
            const auto& numbers = ctx.identity_port_numbers[id];
            for (size_t n = 0; n < numbers.size(); ++n) {
                if (numbers[n] != 0) {
                    auto [it, fresh] =
                        named_targets.try_emplace({n, numbers[n]}, identity_set(ctx.row_words));
                    it->second.set(id);
                }
            }
        }
    }

    identity_set rule_peers(const compiled_rule& r) const {
        identity_set s(ctx.row_words);
        if (r.any_peer) {
            s.set_all(ctx.identity_count);
            return s;
        }
        for (uint32_t p : r.selector_peers) {
            s |= ctx.peer_identities[p];
        }
        for (uint32_t b : r.block_peers) {
            s |= ctx.peer_identities[ctx.selector_peers.size() + b];
        }
        return s;
    }

    size_t egress_name_index(const port_rule& p) const {
        const port_name key{p.name, p.proto};
        auto it = std::lower_bound(ctx.egress_port_names.begin(), ctx.egress_port_names.end(), key);
        return static_cast<size_t>(it - ctx.egress_port_names.begin());
    }

    // Everything the group's rules allow for one protocol slot.
    std::vector<contribution> contributions(const std::vector<uint32_t>& policies,
                                            const config::pod& representative,
                                            unsigned slot) const {
        std::vector<contribution> out;
        for (uint32_t pol : policies) {
            for (uint32_t ri : ctx.policy_rules[static_cast<int>(dir)][pol]) {
                const compiled_rule& r = ctx.rules[static_cast<int>(dir)][ri];
                if (r.ports->empty()) {
                    out.push_back({0, 65535, rule_peers(r)}); // every port of every protocol
                    continue;
                }
                if (slot >= 3) {
                    continue; // rules with ports never allow other protocols
                }
                identity_set peers;
                bool peers_ready = false;
                for (const port_rule& p : *r.ports) {
                    if (p.proto != slot_protocols[slot]) {
                        continue;
                    }
                    if (!peers_ready) {
                        peers = rule_peers(r);
                        peers_ready = true;
                    }
                    add_port(out, p, peers, representative);
                }
            }
        }
        return out;
    }

    void add_port(std::vector<contribution>& out, const port_rule& p, const identity_set& peers,
                  const config::pod& representative) const {
        switch (p.what) {
        case port_rule::kind::all_ports:
            out.push_back({0, 65535, peers});
            return;
        case port_rule::kind::number:
            out.push_back({p.port, p.end_port, peers});
            return;
        case port_rule::kind::named:
            break;
        }
        if (dir == direction::ingress) {
            if (auto n = representative.resolve_port(p.name, p.proto)) {
                out.push_back({*n, *n, peers});
            }
            return;
        }
        const size_t name = egress_name_index(p);
        for (auto it = named_targets.lower_bound({name, 0});
             it != named_targets.end() && it->first.first == name; ++it) {
            identity_set s = peers;
            s &= it->second;
            if (!s.none()) {
                out.push_back({it->first.second, it->first.second, std::move(s)});
            }
        }
    }

    // Cuts 0..65535 at every contribution boundary and appends the segments.
    side_entry segment(const std::vector<contribution>& parts) {
        std::vector<uint32_t> cuts{0};
        for (const auto& c : parts) {
            cuts.push_back(c.lo);
            if (c.hi < 65535) {
                cuts.push_back(c.hi + 1);
            }
        }
        std::sort(cuts.begin(), cuts.end());
        cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());

        side_entry e{static_cast<uint32_t>(ctx.seg_start.size()), 0};
        for (uint32_t start : cuts) {
            identity_set row(ctx.row_words);
            for (const auto& c : parts) {
                if (c.lo <= start && start <= c.hi) {
                    row |= c.peers;
                }
            }
            const row_id r = ctx.rows.intern(row.words());
            if (e.segment_count > 0 && ctx.seg_row.back() == r) {
                continue; // same answer as the segment before: extend it
            }
            ctx.seg_start.push_back(static_cast<uint16_t>(start));
            ctx.seg_row.push_back(r);
            ++e.segment_count;
        }
        return e;
    }
};

// Port names a policy list's ingress rules use, in a fixed order.
std::vector<port_name> ingress_names(const context& ctx, const std::vector<uint32_t>& policies) {
    std::vector<port_name> names;
    for (uint32_t pol : policies) {
        for (uint32_t ri : ctx.policy_rules[0][pol]) {
            for (const auto& p : *ctx.rules[0][ri].ports) {
                if (p.what == port_rule::kind::named) {
                    names.push_back({p.name, p.proto});
                }
            }
        }
    }
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    return names;
}

// The numbers `pod` gives to port names (0: it has no such port).
std::vector<uint32_t> numbers_at(const config::pod& pod, const std::vector<port_name>& names) {
    std::vector<uint32_t> numbers;
    for (const auto& n : names) {
        numbers.push_back(pod.resolve_port(n.name, n.proto).value_or(0));
    }
    return numbers;
}

} // namespace

std::vector<uint32_t> group_key(const group_interners& parts, uint32_t policy_list,
                                const config::pod& pod) {
    std::vector<uint32_t> key{policy_list};
    const auto numbers = numbers_at(pod, parts.names_of_list[policy_list]);
    key.insert(key.end(), numbers.begin(), numbers.end());
    return key;
}

void build_sides(context& ctx) {
    ctx.rows.intern(std::vector<uint64_t>(ctx.row_words, 0)); // row 0: allows nothing
    ctx.group_policies.assign(1, {});                         // group 0: not isolated
    ctx.group_pod.assign(1, 0);
    ctx.sides.assign(proto_slots, side_entry{0, 0});
    ctx.seg_start.push_back(0); // group 0's entries point here; never read
    ctx.seg_row.push_back(0);
    for (auto& s : ctx.sides) {
        s = {0, 1};
    }

    for (int d = 0; d < 2; ++d) {
        const auto dir = static_cast<direction>(d);
        group_builder builder(ctx, dir);
        auto& [policy_lists, names_of_list, group_keys, group_of_key] = ctx.group_parts[d];
        ctx.pod_group[d].assign(ctx.pods.size(), not_isolated);

        for (uint32_t pod = 0; pod < ctx.pods.size(); ++pod) {
            const auto& policies = ctx.pod_policies[d][pod];
            if (policies.empty()) {
                continue;
            }
            const uint32_t list = policy_lists.intern(policies);
            if (list == names_of_list.size()) {
                names_of_list.push_back(dir == direction::ingress ? ingress_names(ctx, policies)
                                                                  : std::vector<port_name>{});
            }
            const uint32_t k =
                group_keys.intern(group_key(ctx.group_parts[d], list, *ctx.pods[pod]));
            if (k == group_of_key.size()) {
                const auto g = static_cast<group_id>(ctx.group_policies.size());
                group_of_key.push_back(g);
                ctx.group_policies.push_back(policies);
                ctx.group_pod.push_back(pod);
                for (unsigned slot = 0; slot < proto_slots; ++slot) {
                    ctx.sides.push_back(
                        builder.segment(builder.contributions(policies, *ctx.pods[pod], slot)));
                }
            }
            ctx.pod_group[d][pod] = group_of_key[k];
        }
        (dir == direction::ingress ? ctx.ingress_groups : ctx.egress_groups) = group_keys.size();
    }
}

void build_attribution(context& ctx) {
    ctx.group_sides = ctx.sides.size();
    ctx.group_segments = ctx.seg_start.size();
    ctx.group_rows = ctx.rows.size();
    const auto groups = static_cast<uint32_t>(ctx.group_policies.size());
    const auto dir_of = [&](group_id g) { return g <= ctx.ingress_groups ? 0 : 1; };

    // A table's key: (direction, policy, numbers for the policy's ingress port names).
    std::vector<std::vector<port_name>> names(ctx.cluster.policies.size());
    for (uint32_t p = 0; p < names.size(); ++p) {
        names[p] = ingress_names(ctx, {p});
    }
    const auto key_of = [&](group_id g, uint32_t policy) {
        std::vector<uint32_t> key{static_cast<uint32_t>(dir_of(g)), policy};
        if (dir_of(g) == 0) {
            const auto numbers = numbers_at(*ctx.pods[ctx.group_pod[g]], names[policy]);
            key.insert(key.end(), numbers.begin(), numbers.end());
        }
        return key;
    };
    vector_interner<uint32_t> keys;
    std::vector<group_id> table_of_key;
    for (group_id g = 1; g < groups; ++g) {
        const auto& policies = ctx.group_policies[g];
        if (policies.size() == 1 && keys.intern(key_of(g, policies[0])) == table_of_key.size()) {
            table_of_key.push_back(g); // the group's own table is its one policy's
        }
    }

    group_builder builders[2] = {{ctx, direction::ingress}, {ctx, direction::egress}};
    ctx.attribution_first.assign(groups + 1, 0);
    for (group_id g = 1; g < groups; ++g) {
        ctx.attribution_first[g] = static_cast<uint32_t>(ctx.attribution.size());
        // group_policies lists policies in cluster order: the order of attribution.
        for (uint32_t p : ctx.group_policies[g]) {
            const uint32_t k = keys.intern(key_of(g, p));
            if (k == table_of_key.size()) {
                table_of_key.push_back(static_cast<group_id>(ctx.sides.size() / proto_slots));
                group_builder& b = builders[dir_of(g)];
                for (unsigned slot = 0; slot < proto_slots; ++slot) {
                    ctx.sides.push_back(
                        b.segment(b.contributions({p}, *ctx.pods[ctx.group_pod[g]], slot)));
                }
                ++ctx.attribution_tables;
            }
            ctx.attribution.push_back({p, table_of_key[k]});
        }
    }
    ctx.attribution_first[groups] = static_cast<uint32_t>(ctx.attribution.size());
}

} // namespace podgate::classifier::compile_detail
