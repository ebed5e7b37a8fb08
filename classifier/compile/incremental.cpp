// Incremental recompile (incremental.hpp). The state is the last full
// compile's context (interners, rows, sides: everything but the pod tables),
// the pod tables as last emitted, and each endpoint pod's slots by name. An
// update diffs the clusters, places each added or changed pod against the
// kept interners (find, never intern: a miss means a full compile), patches a
// copy of the pod tables and emits. Nothing in the state changes until the
// new tables exist, so a failed update leaves it as it was.

#include "classifier/compile/incremental.hpp"

#include "classifier/compile/context.hpp"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <unordered_map>
#include <unordered_set>

namespace podgate::classifier {

namespace {

using namespace compile_detail;
using clock = std::chrono::steady_clock;

double ms_since(clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(clock::now() - t0).count();
}

// One pod table slot of an endpoint pod, whichever family.
struct pod_entry {
    ip_address addr;
    identity_id identity;
    group_id ingress;
    group_id egress;
};

struct pod_changes {
    std::vector<const config::pod*> added; // new pods and the new version of changed ones
    std::vector<std::string> removed;      // names of gone pods and of changed ones
    uint32_t changed = 0;
};

// One pod seen in both snapshots (or only one: the other is null), in the
// terms of the pod tables, which hold endpoint pods only.
void note_change(const config::pod* old_pod, const config::pod* new_pod, pod_changes& out) {
    const bool was = old_pod != nullptr && old_pod->is_endpoint();
    const bool is = new_pod != nullptr && new_pod->is_endpoint();
    if (was && is) {
        if (!old_pod->same_meaning(*new_pod)) {
            out.removed.push_back(old_pod->qualified_name());
            out.added.push_back(new_pod);
            ++out.changed;
        }
    } else if (was) {
        out.removed.push_back(old_pod->qualified_name());
    } else if (is) {
        out.added.push_back(new_pod);
    }
}

bool same_name(const config::pod& a, const config::pod& b) {
    return a.name == b.name && a.ns == b.ns;
}

// Which endpoint pods differ. Manifests keep their order from one reload to
// the next, so the common prefix and suffix are compared in place and only
// the middle goes through a map by name. On sealed snapshots (as the loader
// returns them) a pod that did not change is one comparison of packed bytes,
// and the walk streams through two arrays.
pod_changes diff_pods(const config::cluster& from, const config::cluster& to) {
    const auto& a = from.pods;
    const auto& b = to.pods;
    const bool packed = from.packed_pods.covers(a.size()) && to.packed_pods.covers(b.size());
    const auto unchanged = [&](size_t i, size_t j) {
        const bool same = packed && from.packed_pods.at(i) == to.packed_pods.at(j);
        assert(!same ||
               (same_name(a[i], b[j]) && a[i].same_meaning(b[j]))); // a pod changed after seal()
        return same;
    };
    pod_changes out;
    size_t head = 0;
    for (; head < a.size() && head < b.size(); ++head) {
        if (unchanged(head, head)) {
            continue;
        }
        if (!same_name(a[head], b[head])) {
            break;
        }
        note_change(&a[head], &b[head], out);
    }
    size_t tail = 0;
    for (; tail < a.size() - head && tail < b.size() - head; ++tail) {
        const size_t i = a.size() - 1 - tail;
        const size_t j = b.size() - 1 - tail;
        if (unchanged(i, j)) {
            continue;
        }
        if (!same_name(a[i], b[j])) {
            break;
        }
        note_change(&a[i], &b[j], out);
    }
    std::unordered_map<std::string, const config::pod*> middle;
    for (size_t i = head; i < a.size() - tail; ++i) {
        middle.emplace(a[i].qualified_name(), &a[i]);
    }
    for (size_t j = head; j < b.size() - tail; ++j) {
        auto it = middle.find(b[j].qualified_name());
        if (it == middle.end()) {
            note_change(nullptr, &b[j], out);
            continue;
        }
        note_change(it->second, &b[j], out);
        middle.erase(it);
    }
    for (const auto& [name, p] : middle) {
        note_change(p, nullptr, out);
    }
    return out;
}

// Empty when `a` and `b` differ at most in pods.
std::string what_else_changed(const config::cluster& a, const config::cluster& b) {
    const auto same = [](const auto& x, const auto& y) {
        return x.size() == y.size() &&
               std::equal(x.begin(), x.end(), y.begin(),
                          [](const auto& p, const auto& q) { return p.same_meaning(q); });
    };
    const auto& pa = a.packed_policies;
    const auto& pb = b.packed_policies;
    if (pa.covers(a.policies.size()) && pb.covers(b.policies.size())) {
        if (a.policies.size() != b.policies.size()) {
            return "the NetworkPolicies changed";
        }
        for (size_t i = 0; i < a.policies.size(); ++i) {
            if (pa.at(i) != pb.at(i)) {
                return "the NetworkPolicies changed";
            }
            assert(a.policies[i].same_meaning(b.policies[i])); // a policy changed after seal()
        }
    } else if (!same(a.policies, b.policies)) {
        return "the NetworkPolicies changed";
    }
    if (!same(a.namespaces, b.namespaces)) {
        return "the Namespaces changed";
    }
    return {};
}

} // namespace

struct incremental_compiler::state {
    std::shared_ptr<const config::cluster> base; // the full compile's input: ctx points into it
    compile_options options;
    context ctx;                                    // of *base and options
    std::shared_ptr<const config::cluster> current; // what the last tables were built for
    pod_tables pods;                                // as in the last tables
    // Where the next update patches its copy of `pods`: kept between updates
    // so that copying 4 MiB at 100k pods reuses memory already faulted in.
    pod_tables scratch;
    std::unordered_map<std::string, std::vector<pod_entry>> records; // "ns/name" -> its slots
    std::shared_ptr<const table_names> names; // of the full compile (policies do not change)
    tables policy_part; // the full compile's policy-only arrays, shared by every update
    table_stats stats;
    std::vector<std::vector<uint32_t>>
        policies_in_ns; // namespace index -> policies there, ascending
    std::vector<std::vector<uint32_t>>
        pod_peers_in_ns; // namespace index -> pod-level peers scoping it

    state(std::shared_ptr<const config::cluster> c, const compile_options& o)
        : base(std::move(c)), options(o), ctx(*base, options), current(base) {}

    // After the full compile: what placing a pod and patching need.
    void index(const tables& t) {
        names = t.names;
        stats = t.stats;
        share_policy_arrays(t, policy_part);
        for (const auto& a : ctx.addresses) {
            records[ctx.pods[a.pod]->qualified_name()].push_back(
                {a.addr, a.identity, ctx.pod_group[0][a.pod], ctx.pod_group[1][a.pod]});
        }
        policies_in_ns.assign(ctx.namespace_names.size(), {});
        for (uint32_t pi = 0; pi < base->policies.size(); ++pi) {
            if (auto n = namespace_index(base->policies[pi].ns)) {
                policies_in_ns[*n].push_back(pi);
            }
        }
        pod_peers_in_ns.assign(ctx.namespace_names.size(), {});
        for (uint32_t s = 0; s < ctx.selector_peers.size(); ++s) {
            if (!ctx.selector_peers[s].whole_namespaces) {
                for (uint32_t n : ctx.selector_peers[s].scope) {
                    pod_peers_in_ns[n].push_back(s);
                }
            }
        }
    }

    std::optional<uint32_t> namespace_index(const std::string& ns) const {
        const auto& all = ctx.namespace_names;
        auto it = std::lower_bound(all.begin(), all.end(), ns);
        return it != all.end() && *it == ns
                   ? std::optional<uint32_t>(static_cast<uint32_t>(it - all.begin()))
                   : std::nullopt;
    }

    // The slots of a pod that arrived after the full compile, from the same
    // signature and group keys the compile would give it; empty `why` on
    // success, else why it needs a full compile.
    std::vector<pod_entry> place(const config::pod& p, std::string& why) const {
        const auto ns = namespace_index(p.ns);
        if (!ns) {
            why = "pod " + p.qualified_name() + " is in a namespace no pod was in";
            return {};
        }
        std::vector<uint32_t> selecting[2];
        for (uint32_t pi : policies_in_ns[*ns]) {
            const auto& pol = base->policies[pi];
            for (int d = 0; d < 2; ++d) {
                if (pol.affects(static_cast<config::direction>(d)) &&
                    pol.pod_selector.matches(p.labels)) {
                    selecting[d].push_back(pi);
                }
            }
        }
        std::vector<uint32_t> peers;
        for (uint32_t s : pod_peers_in_ns[*ns]) {
            if (ctx.selector_peers[s].pod_selector->matches(p.labels)) {
                peers.push_back(s);
            }
        }
        const auto& parts = ctx.identity_parts;
        const uint32_t list = parts.selector_lists.find(peers);
        const uint32_t ns_list = parts.namespace_lists.find(ctx.namespace_peers[*ns]);
        const uint32_t port_map = parts.port_maps.find(egress_port_numbers(ctx, p));
        group_id groups[2] = {not_isolated, not_isolated};
        for (int d = 0; d < 2 && why.empty(); ++d) {
            if (selecting[d].empty()) {
                continue;
            }
            const auto& g = ctx.group_parts[d];
            const uint32_t policy_list = g.policy_lists.find(selecting[d]);
            const uint32_t key =
                policy_list == UINT32_MAX ? UINT32_MAX : g.keys.find(group_key(g, policy_list, p));
            if (key == UINT32_MAX) {
                why = "pod " + p.qualified_name() + " forms a new endpoint group";
            } else {
                groups[d] = g.group_of_key[key];
            }
        }
        std::vector<pod_entry> out;
        for (const ip_address& a : p.ips) {
            if (!why.empty()) {
                break;
            }
            const identity_id region_identity = a.family == ip_family::v4
                                                    ? detail::trie_v4(ctx.trie[0].data(), a.as_v4())
                                                    : detail::trie_v6(ctx.trie[1].data(), a.value);
            const uint32_t region = ctx.identity_keys.at(region_identity)[2];
            const uint32_t id =
                list == UINT32_MAX || ns_list == UINT32_MAX || port_map == UINT32_MAX
                    ? UINT32_MAX
                    : ctx.identity_keys.find({list, ns_list, region, port_map});
            if (id == UINT32_MAX) {
                why = "pod " + p.qualified_name() + " forms a new identity";
            } else {
                out.push_back({a, id, groups[0], groups[1]});
            }
        }
        return out;
    }
};

namespace {

bool insert_entry(pod_tables& t, const pod_entry& e) {
    return e.addr.family == ip_family::v4
               ? insert_pod_slot(t.v4, pod_slot_v4{e.addr.as_v4(), e.identity, e.ingress, e.egress})
               : insert_pod_slot(t.v6,
                                 pod_slot_v6{e.addr.value, e.identity, e.ingress, e.egress, 0});
}

void erase_entry(pod_tables& t, const pod_entry& e) {
    if (e.addr.family == ip_family::v4) {
        erase_pod_slot(t.v4, e.addr.as_v4());
    } else {
        erase_pod_slot(t.v6, e.addr.value);
    }
}

} // namespace

incremental_compiler::incremental_compiler() = default;
incremental_compiler::~incremental_compiler() = default;

compile_result incremental_compiler::compile(std::shared_ptr<const config::cluster> c,
                                             const compile_options& opt) {
    auto fresh = std::make_unique<state>(std::move(c), opt);
    auto r = guarded([&](tables& out) {
        status s = run_stages(fresh->ctx, fresh->pods, out);
        if (s) {
            fresh->index(out);
        }
        return s;
    });
    if (r) {
        _state = std::move(fresh);
    }
    return r;
}

compile_result incremental_compiler::update(std::shared_ptr<const config::cluster> next,
                                            const compile_options& opt) {
    _report = {};
    const auto t0 = clock::now();
    std::string why;
    if (!_state) {
        why = "no earlier compile";
    } else if (opt.non_pod_traffic != _state->options.non_pod_traffic ||
               opt.memory_budget != _state->options.memory_budget) {
        why = "the compile options changed";
    } else {
        why = what_else_changed(*_state->base, *next);
    }
    if (!why.empty()) {
        _report.full_reason = why;
        return compile(std::move(next), opt);
    }

    state& st = *_state;
    pod_changes changes;
    std::vector<std::vector<pod_entry>> placed;
    auto t1 = clock::now();
    try { // the control thread must see an error, never an exception
        changes = diff_pods(*st.current, *next);
        _report.pods_changed = changes.changed;
        _report.pods_added = static_cast<uint32_t>(changes.added.size()) - changes.changed;
        _report.pods_removed = static_cast<uint32_t>(changes.removed.size()) - changes.changed;
        _report.diff_ms = ms_since(t0);
        t1 = clock::now();
        for (const config::pod* p : changes.added) {
            placed.push_back(st.place(*p, why));
            if (!why.empty()) {
                break;
            }
        }
    } catch (const std::exception& e) {
        return fail(std::string("compile failed: ") + e.what());
    }
    if (!why.empty()) {
        _report.full_reason = why;
        return compile(std::move(next), opt);
    }

    auto r = guarded([&](tables& out) -> status {
        // Entries per family afterwards. The counts are kept, not recounted
        // (a pass over 4 MiB at 100k pods); a wrong one could fill a table.
        size_t n[2] = {st.pods.v4_addresses, st.pods.addresses - st.pods.v4_addresses};
        assert(n[0] == static_cast<size_t>(
                           std::count_if(st.pods.v4.begin(), st.pods.v4.end(),
                                         [](const auto& s) { return s.identity != empty_slot; })));
        std::unordered_set<std::string_view> gone;
        for (const auto& name : changes.removed) {
            auto it = st.records.find(name);
            if (it == st.records.end()) {
                return fail("incremental compile: pod " + name + " was never compiled");
            }
            gone.insert(it->first);
            for (const auto& e : it->second) {
                --n[family_index(e.addr.family)];
            }
        }
        for (const auto& entries : placed) {
            for (const auto& e : entries) {
                ++n[family_index(e.addr.family)];
            }
        }
        pod_tables& pods = st.scratch;
        if (pod_table_capacity_fits(st.pods.v4.size(), n[0]) &&
            pod_table_capacity_fits(st.pods.v6.size(), n[1])) {
            pods = st.pods; // patch a copy in place (same sizes: no allocation)
            for (const auto& name : changes.removed) {
                for (const auto& e : st.records.at(name)) {
                    erase_entry(pods, e);
                }
            }
        } else { // a new capacity: rebuild from every pod that stays
            pods.v4 = empty_pod_table<pod_slot_v4>(pod_table_capacity(n[0]));
            pods.v6 = empty_pod_table<pod_slot_v6>(pod_table_capacity(n[1]));
            for (const auto& [name, entries] : st.records) {
                if (!gone.count(name)) {
                    for (const auto& e : entries) {
                        insert_entry(pods, e);
                    }
                }
            }
        }
        pods.addresses = static_cast<uint32_t>(n[0] + n[1]);
        pods.v4_addresses = static_cast<uint32_t>(n[0]);
        for (size_t i = 0; i < placed.size(); ++i) {
            for (const auto& e : placed[i]) {
                if (!insert_entry(pods, e)) {
                    return fail("address " + to_string(e.addr) + " belongs to more than one pod (" +
                                changes.added[i]->qualified_name() + " and another)");
                }
            }
        }
        out.stats = st.stats;
        out.stats.stage_ms = {};
        if (status s = emit_tables(st.ctx, pods, out, &st.policy_part); !s) {
            return s;
        }
        out.stats.pods =
            static_cast<uint32_t>(st.records.size() - (changes.removed.size() - changes.changed) +
                                  (changes.added.size() - changes.changed));
        out.stats.incremental = true;
        out.names = st.names;
        out.non_pod_verdict = non_pod_verdict(opt);
        out.generation = opt.generation;
        std::swap(st.pods, st.scratch);
        return {};
    });
    if (!r) {
        return r;
    }
    // Commit: the tables exist, so the records follow them. Should that run
    // out of memory, the state no longer matches the pod tables: drop it, so
    // the next update compiles in full.
    try {
        for (const auto& name : changes.removed) {
            st.records.erase(name);
        }
        for (size_t i = 0; i < placed.size(); ++i) {
            st.records[changes.added[i]->qualified_name()] = std::move(placed[i]);
        }
        st.current = std::move(next);
    } catch (const std::exception&) {
        _state.reset();
    }
    _report.incremental = true;
    _report.apply_ms = ms_since(t1);
    return r;
}

} // namespace podgate::classifier
