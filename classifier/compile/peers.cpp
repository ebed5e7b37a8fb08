// Stage 1: which pods each policy selects, and which pods each distinct peer
// matches. Selectors are evaluated once per (selector, namespace) and only
// over the pods of the namespaces in scope, never once per (rule, pod).

#include "classifier/compile/context.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <string_view>
#include <unordered_map>

namespace podgate::classifier::compile_detail {

namespace {

constexpr char field_sep = '\x1f';
constexpr char item_sep = '\x1e';

const config::label_selector& select_all() {
    static const config::label_selector all{};
    return all;
}

// Indexes for evaluating selectors without scanning every pod: pods by
// namespace, and an inverted index from each label key and key=value to the
// pods carrying it. The positive requirements of a selector (matchLabels,
// In, Exists) intersect posting lists; only NotIn / DoesNotExist are checked
// pod by pod, and only a selector with no positive requirement scans.
struct peer_scope {
    using posting = std::vector<uint32_t>; // ascending pod indices
    const context& ctx;
    std::vector<std::string> ns_names;                  // sorted
    std::vector<const config::label_map*> ns_labels;    // parallel to ns_names
    std::unordered_map<std::string, uint32_t> ns_index; // name -> index
    std::vector<posting> pods_by_ns;
    std::vector<uint32_t> pod_ns; // pod -> namespace index
    // Views into the cluster's label strings, which outlive the compile.
    std::unordered_map<std::string_view, std::unordered_map<std::string_view, posting>>
        pods_by_label;
    std::unordered_map<std::string_view, posting> pods_by_key;
    mutable std::unordered_map<std::string, std::vector<uint32_t>> ns_selector_cache;
    std::deque<config::label_map>
        implied; // labels of namespaces without an object (stable addresses)

    explicit peer_scope(const context& c) : ctx(c) {
        std::map<std::string_view, const config::label_map*> labels; // every namespace seen, sorted
        for (const auto& ns : c.cluster.namespaces) {
            labels[ns.name] = &ns.labels;
        }
        for (const auto* p : c.pods) {
            if (!labels.count(p->ns)) {
                // A namespace with no Namespace object has only the implied label.
                labels[p->ns] =
                    &implied.emplace_back(config::label_map{{config::namespace_name_label, p->ns}});
            }
        }
        for (const auto& [name, l] : labels) {
            ns_index.emplace(std::string(name), static_cast<uint32_t>(ns_names.size()));
            ns_names.emplace_back(name);
            ns_labels.push_back(l);
        }
        pods_by_ns.resize(ns_names.size());
        pod_ns.resize(c.pods.size());
        for (uint32_t i = 0; i < c.pods.size(); ++i) {
            const uint32_t ns = ns_index.at(c.pods[i]->ns);
            pod_ns[i] = ns;
            pods_by_ns[ns].push_back(i);
            for (const auto& [k, v] : c.pods[i]->labels) {
                pods_by_label[k][v].push_back(i);
                pods_by_key[k].push_back(i);
            }
        }
    }

    // The namespaces (indices, ascending) a namespace selector matches.
    const std::vector<uint32_t>& namespaces_matching(const config::label_selector& sel) const {
        auto [it, fresh] = ns_selector_cache.try_emplace(canonical(sel));
        if (fresh) {
            for (uint32_t n = 0; n < ns_names.size(); ++n) {
                if (sel.matches(*ns_labels[n])) {
                    it->second.push_back(n);
                }
            }
        }
        return it->second;
    }

    const posting& label_posting(const std::string& k, const std::string& v) const {
        static const posting none;
        auto it = pods_by_label.find(k);
        if (it == pods_by_label.end()) {
            return none;
        }
        auto jt = it->second.find(v);
        return jt == it->second.end() ? none : jt->second;
    }

    // Pods meeting every positive requirement, or nullopt when there is none.
    std::optional<posting> positive_candidates(const config::label_selector& sel) const {
        std::optional<posting> acc;
        const auto meet = [&](posting p) {
            if (!acc) {
                acc = std::move(p);
                return;
            }
            posting both;
            std::set_intersection(acc->begin(), acc->end(), p.begin(), p.end(),
                                  std::back_inserter(both));
            acc = std::move(both);
        };
        for (const auto& [k, v] : sel.match_labels) {
            meet(label_posting(k, v));
        }
        for (const auto& req : sel.match_expressions) {
            if (req.op == config::selector_op::in) {
                posting any;
                for (const auto& v : req.values) {
                    const auto& p = label_posting(req.key, v);
                    posting merged;
                    std::set_union(any.begin(), any.end(), p.begin(), p.end(),
                                   std::back_inserter(merged));
                    any = std::move(merged);
                }
                meet(std::move(any));
            } else if (req.op == config::selector_op::exists) {
                auto it = pods_by_key.find(req.key);
                meet(it == pods_by_key.end() ? posting{} : it->second);
            }
        }
        return acc;
    }

    static bool has_negative(const config::label_selector& sel) {
        return std::any_of(sel.match_expressions.begin(), sel.match_expressions.end(),
                           [](const auto& r) {
                               return r.op == config::selector_op::not_in ||
                                      r.op == config::selector_op::does_not_exist;
                           });
    }

    // An upper bound on the pods the positive requirements allow (the
    // smallest matchLabels posting), to choose between index and scan.
    size_t candidate_bound(const config::label_selector& sel) const {
        size_t bound = SIZE_MAX;
        for (const auto& [k, v] : sel.match_labels) {
            bound = std::min(bound, label_posting(k, v).size());
        }
        return bound;
    }

    // Pods matching `pod_sel` in `namespaces` (ascending indices).
    std::vector<uint32_t> pods_matching(const config::label_selector& pod_sel,
                                        const std::vector<uint32_t>& namespaces) const {
        std::vector<uint32_t> out;
        size_t scope_pods = 0;
        for (uint32_t n : namespaces) {
            scope_pods += pods_by_ns[n].size();
        }
        if (scope_pods == 0) {
            return out;
        }
        if (candidate_bound(pod_sel) < scope_pods ||
            (namespaces.size() > 1 && !pod_sel.selects_all())) {
            if (auto candidates = positive_candidates(pod_sel)) {
                const bool negative = has_negative(pod_sel);
                std::vector<bool> in_scope(ns_names.size(), false);
                for (uint32_t n : namespaces) {
                    in_scope[n] = true;
                }
                for (uint32_t pod : *candidates) {
                    if (in_scope[pod_ns[pod]] &&
                        (!negative || pod_sel.matches(ctx.pods[pod]->labels))) {
                        out.push_back(pod);
                    }
                }
                return out;
            }
        }
        const bool all = pod_sel.selects_all();
        for (uint32_t n : namespaces) {
            for (uint32_t pod : pods_by_ns[n]) {
                if (all || pod_sel.matches(ctx.pods[pod]->labels)) {
                    out.push_back(pod);
                }
            }
        }
        if (namespaces.size() > 1) {
            std::sort(out.begin(), out.end());
        }
        return out;
    }

    std::vector<uint32_t> pods_in(const std::string& ns,
                                  const config::label_selector& pod_sel) const {
        auto it = ns_index.find(ns);
        return it == ns_index.end() ? std::vector<uint32_t>{}
                                    : pods_matching(pod_sel, {it->second});
    }

    selector_peer make_peer(const config::peer& p, const std::string& policy_ns) const {
        const auto& pod_sel = p.pod_selector ? *p.pod_selector : select_all();
        std::vector<uint32_t> namespaces;
        if (p.namespace_selector) {
            namespaces = namespaces_matching(*p.namespace_selector);
        } else if (auto it = ns_index.find(policy_ns); it != ns_index.end()) {
            namespaces = {it->second};
        }
        if (pod_sel.selects_all()) {
            return {true, {}, namespaces, &pod_sel, namespaces};
        }
        auto pods = pods_matching(pod_sel, namespaces);
        return {false, std::move(pods), {}, &pod_sel, std::move(namespaces)};
    }
};

std::string selector_peer_key(const config::peer& p, const std::string& policy_ns) {
    std::string key =
        p.namespace_selector ? "N" + canonical(*p.namespace_selector) : "=" + policy_ns;
    key += field_sep;
    key += canonical(p.pod_selector ? *p.pod_selector : select_all());
    return key;
}

std::string block_key(const config::ip_block& b) {
    std::vector<std::string> excepts;
    for (const auto& e : b.except) {
        excepts.push_back(to_string(e));
    }
    std::sort(excepts.begin(), excepts.end());
    std::string key = to_string(b.cidr);
    for (const auto& e : excepts) {
        key += item_sep + e;
    }
    return key;
}

} // namespace

std::string canonical(const config::label_selector& s) {
    std::string out;
    for (const auto& [k, v] : s.match_labels) { // std::map: sorted
        out += k + field_sep + v + item_sep;
    }
    std::vector<std::string> exprs;
    for (const auto& req : s.match_expressions) {
        std::vector<std::string> values = req.values;
        std::sort(values.begin(), values.end());
        values.erase(std::unique(values.begin(), values.end()), values.end());
        std::string e = req.key + field_sep + static_cast<char>('0' + static_cast<int>(req.op));
        for (const auto& v : values) {
            e += field_sep + v;
        }
        exprs.push_back(std::move(e));
    }
    std::sort(exprs.begin(), exprs.end());
    exprs.erase(std::unique(exprs.begin(), exprs.end()), exprs.end());
    out += '|';
    for (const auto& e : exprs) {
        out += e + item_sep;
    }
    return out;
}

void collect_peers(context& ctx) {
    for (const auto& p : ctx.cluster.pods) {
        if (p.is_endpoint()) {
            ctx.pods.push_back(&p);
        }
    }
    const peer_scope scope(ctx);
    const size_t npods = ctx.pods.size();
    for (auto& v : ctx.pod_policies) {
        v.assign(npods, {});
    }

    // Which pods each policy selects: cached per (namespace, selector).
    std::unordered_map<std::string, std::vector<uint32_t>> selected_cache;
    std::unordered_map<std::string, uint32_t> selector_peer_ids;
    std::unordered_map<std::string, uint32_t> block_peer_ids;
    const auto& policies = ctx.cluster.policies;
    for (auto& pr : ctx.policy_rules) {
        pr.assign(policies.size(), {});
    }

    for (uint32_t pi = 0; pi < policies.size(); ++pi) {
        const auto& pol = policies[pi];
        const std::string sel_key = pol.ns + field_sep + canonical(pol.pod_selector);
        auto [it, fresh] = selected_cache.try_emplace(sel_key);
        if (fresh) {
            it->second = scope.pods_in(pol.ns, pol.pod_selector);
        }
        for (int d = 0; d < 2; ++d) {
            const auto dir = static_cast<config::direction>(d);
            if (!pol.affects(dir)) {
                continue; // rules of a direction not in policyTypes are ignored
            }
            for (uint32_t pod : it->second) {
                ctx.pod_policies[d][pod].push_back(pi);
            }
            for (const auto& r : pol.rules(dir)) {
                compiled_rule cr{pi, r.peers.empty(), {}, {}, &r.ports};
                for (const auto& peer : r.peers) {
                    if (peer.block) {
                        auto [bit, bfresh] = block_peer_ids.try_emplace(
                            block_key(*peer.block), static_cast<uint32_t>(ctx.block_peers.size()));
                        if (bfresh) {
                            ctx.block_peers.push_back({&*peer.block});
                        }
                        cr.block_peers.push_back(bit->second);
                        continue;
                    }
                    auto [sit, sfresh] = selector_peer_ids.try_emplace(
                        selector_peer_key(peer, pol.ns),
                        static_cast<uint32_t>(ctx.selector_peers.size()));
                    if (sfresh) {
                        ctx.selector_peers.push_back(scope.make_peer(peer, pol.ns));
                    }
                    cr.selector_peers.push_back(sit->second);
                }
                ctx.policy_rules[d][pi].push_back(static_cast<uint32_t>(ctx.rules[d].size()));
                ctx.rules[d].push_back(std::move(cr));
            }
        }
    }

    ctx.pod_selector_peers.assign(npods, {});
    ctx.namespace_peers.assign(scope.ns_names.size(), {});
    ctx.pod_namespace = scope.pod_ns;
    ctx.namespace_names = scope.ns_names;
    for (uint32_t s = 0; s < ctx.selector_peers.size(); ++s) {
        for (uint32_t pod : ctx.selector_peers[s].pods) {
            ctx.pod_selector_peers[pod].push_back(s);
        }
        for (uint32_t ns : ctx.selector_peers[s].namespaces) {
            ctx.namespace_peers[ns].push_back(s);
        }
    }
}

} // namespace podgate::classifier::compile_detail
