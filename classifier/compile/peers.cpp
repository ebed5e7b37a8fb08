// Stage 1: which pods each policy selects, and which pods each distinct peer
// matches. Selectors are evaluated once per (selector, namespace) and only
// over the pods of the namespaces in scope, never once per (rule, pod).

#include "classifier/compile/context.hpp"

#include <algorithm>
#include <map>
#include <unordered_map>

namespace podgate::classifier::compile_detail {

namespace {

constexpr char field_sep = '\x1f';
constexpr char item_sep = '\x1e';

const config::label_selector& select_all() {
    static const config::label_selector all{};
    return all;
}

struct peer_scope {
    const context& ctx;
    std::unordered_map<std::string, std::vector<uint32_t>> pods_by_ns;
    std::map<std::string, config::label_map> ns_labels; // every namespace seen

    explicit peer_scope(const context& c) : ctx(c) {
        for (const auto& ns : c.cluster.namespaces) {
            ns_labels[ns.name] = ns.labels;
        }
        for (uint32_t i = 0; i < c.pods.size(); ++i) {
            const std::string& ns = c.pods[i]->ns;
            pods_by_ns[ns].push_back(i);
            if (!ns_labels.count(ns)) {
                ns_labels[ns] = config::label_map{{config::namespace_name_label, ns}};
            }
        }
    }

    void add_matching(const std::string& ns, const config::label_selector& pod_sel, std::vector<uint32_t>& out) const {
        auto it = pods_by_ns.find(ns);
        if (it == pods_by_ns.end()) {
            return;
        }
        for (uint32_t pod : it->second) {
            if (pod_sel.matches(ctx.pods[pod]->labels)) {
                out.push_back(pod);
            }
        }
    }

    std::vector<uint32_t> selector_peer_pods(const config::peer& p, const std::string& policy_ns) const {
        const auto& pod_sel = p.pod_selector ? *p.pod_selector : select_all();
        std::vector<uint32_t> out;
        if (!p.namespace_selector) {
            add_matching(policy_ns, pod_sel, out);
            return out;
        }
        for (const auto& [ns, labels] : ns_labels) {
            if (p.namespace_selector->matches(labels)) {
                add_matching(ns, pod_sel, out);
            }
        }
        std::sort(out.begin(), out.end());
        return out;
    }
};

std::string selector_peer_key(const config::peer& p, const std::string& policy_ns) {
    std::string key = p.namespace_selector ? "N" + canonical(*p.namespace_selector) : "=" + policy_ns;
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
            scope.add_matching(pol.ns, pol.pod_selector, it->second);
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
                        auto [bit, bfresh] =
                            block_peer_ids.try_emplace(block_key(*peer.block), static_cast<uint32_t>(ctx.block_peers.size()));
                        if (bfresh) {
                            ctx.block_peers.push_back({&*peer.block});
                        }
                        cr.block_peers.push_back(bit->second);
                        continue;
                    }
                    auto [sit, sfresh] = selector_peer_ids.try_emplace(selector_peer_key(peer, pol.ns),
                                                                       static_cast<uint32_t>(ctx.selector_peers.size()));
                    if (sfresh) {
                        ctx.selector_peers.push_back({scope.selector_peer_pods(peer, pol.ns)});
                    }
                    cr.selector_peers.push_back(sit->second);
                }
                ctx.policy_rules[d][pi].push_back(static_cast<uint32_t>(ctx.rules[d].size()));
                ctx.rules[d].push_back(std::move(cr));
            }
        }
    }

    ctx.pod_selector_peers.assign(npods, {});
    for (uint32_t s = 0; s < ctx.selector_peers.size(); ++s) {
        for (uint32_t pod : ctx.selector_peers[s].pods) {
            ctx.pod_selector_peers[pod].push_back(s);
        }
    }
}

} // namespace podgate::classifier::compile_detail
