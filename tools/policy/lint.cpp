#include "tools/policy/lint.hpp"

#include <algorithm>
#include <map>
#include <unordered_map>

namespace podgate::tools {

namespace {

using config::direction;

struct cluster_index {
    std::unordered_map<std::string, std::vector<const config::pod*>> pods_by_ns;
    std::map<std::string, config::label_map> ns_labels;

    explicit cluster_index(const config::cluster& c) {
        for (const auto& ns : c.namespaces) {
            ns_labels[ns.name] = ns.labels;
        }
        for (const auto& p : c.pods) {
            if (!p.is_endpoint()) {
                continue;
            }
            pods_by_ns[p.ns].push_back(&p);
            ns_labels.try_emplace(p.ns, config::label_map{{config::namespace_name_label, p.ns}});
        }
    }

    template <typename Fn> void for_each_pod(const std::string& ns, Fn&& fn) const {
        if (auto it = pods_by_ns.find(ns); it != pods_by_ns.end()) {
            for (const auto* p : it->second) {
                fn(*p);
            }
        }
    }

    // Pods a selector peer matches (ipBlock peers are not asked).
    std::vector<const config::pod*> peer_pods(const config::peer& peer,
                                              const std::string& policy_ns) const {
        std::vector<const config::pod*> out;
        const auto collect = [&](const std::string& ns) {
            for_each_pod(ns, [&](const config::pod& p) {
                if (!peer.pod_selector || peer.pod_selector->matches(p.labels)) {
                    out.push_back(&p);
                }
            });
        };
        if (!peer.namespace_selector) {
            collect(policy_ns);
        } else {
            for (const auto& [ns, labels] : ns_labels) {
                if (peer.namespace_selector->matches(labels)) {
                    collect(ns);
                }
            }
        }
        return out;
    }
};

config::diagnostic warning(const config::network_policy& p, std::string field,
                           std::string message) {
    return {p.where.file, p.where.line, "NetworkPolicy " + p.qualified_name(), std::move(field),
            std::move(message)};
}

} // namespace

std::vector<config::diagnostic> lint(const config::cluster& c) {
    const cluster_index index(c);
    std::vector<config::diagnostic> out;
    for (const auto& pol : c.policies) {
        std::vector<const config::pod*> selected;
        index.for_each_pod(pol.ns, [&](const config::pod& p) {
            if (pol.pod_selector.matches(p.labels)) {
                selected.push_back(&p);
            }
        });
        if (selected.empty()) {
            out.push_back(warning(pol, "spec.podSelector", "selects no pod"));
        }
        for (int d = 0; d < 2; ++d) {
            const auto dir = static_cast<direction>(d);
            const char* list = dir == direction::ingress ? "ingress" : "egress";
            const char* peers_key = dir == direction::ingress ? "from" : "to";
            const auto& rules = pol.rules(dir);
            for (size_t ri = 0; ri < rules.size(); ++ri) {
                const std::string rule_path =
                    "spec." + std::string(list) + "[" + std::to_string(ri) + "]";
                std::vector<const config::pod*> peer_union;
                for (size_t pi = 0; pi < rules[ri].peers.size(); ++pi) {
                    const auto& peer = rules[ri].peers[pi];
                    if (peer.block) {
                        continue;
                    }
                    auto pods = index.peer_pods(peer, pol.ns);
                    if (pods.empty()) {
                        out.push_back(warning(
                            pol, rule_path + "." + peers_key + "[" + std::to_string(pi) + "]",
                            "peer matches no pod"));
                    }
                    peer_union.insert(peer_union.end(), pods.begin(), pods.end());
                }
                // Named ports resolve on the selected pods (ingress) or the peer pods (egress).
                const bool egress_any_peer = dir == direction::egress && rules[ri].peers.empty();
                const bool has_block =
                    std::any_of(rules[ri].peers.begin(), rules[ri].peers.end(),
                                [](const config::peer& p) { return p.block.has_value(); });
                const auto& targets = dir == direction::ingress ? selected : peer_union;
                for (size_t k = 0; k < rules[ri].ports.size(); ++k) {
                    const auto& port = rules[ri].ports[k];
                    if (port.what != config::port_rule::kind::named ||
                        (dir == direction::egress && has_block)) {
                        continue;
                    }
                    bool resolves = false;
                    const auto check = [&](const config::pod& p) {
                        resolves = resolves || p.resolve_port(port.name, port.proto).has_value();
                    };
                    if (egress_any_peer) {
                        for (const auto& p : c.pods) {
                            if (p.is_endpoint()) {
                                check(p);
                            }
                        }
                    } else {
                        for (const auto* p : targets) {
                            check(*p);
                        }
                    }
                    if (!resolves) {
                        out.push_back(warning(
                            pol, rule_path + ".ports[" + std::to_string(k) + "].port",
                            "named port \"" + port.name + "\"/" + config::to_string(port.proto) +
                                " resolves on no " +
                                (dir == direction::ingress ? "selected" : "peer") + " pod"));
                    }
                }
            }
        }
    }
    return out;
}

} // namespace podgate::tools
