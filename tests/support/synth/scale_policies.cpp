// The scale generator's policies: per namespace a default deny, DNS egress,
// one ingress policy per app shaped by what the app is, monitoring, egress to
// the app's data stores and the internet, NodePort ranges, then as many extra
// cross-team allows as the quota asks for. Selectors are built from app names,
// tiers and teams, so they repeat across namespaces as in a real cluster.

#include "tests/support/synth/scale_model.hpp"

#include <algorithm>
#include <stdexcept>
#include <string_view>

namespace podgate::synth::scale {

namespace {

using namespace config;

ip_prefix cidr(std::string_view text) {
    auto p = parse_cidr(text);
    if (!p) {
        throw std::logic_error("bad built-in CIDR");
    }
    return *p;
}

ip_block block(std::string_view c, std::initializer_list<std::string_view> except = {}) {
    ip_block b{cidr(c), {}};
    for (auto e : except) {
        b.except.push_back(cidr(e));
    }
    return b;
}

// The few CIDRs a real cluster's policies share.
struct shared_blocks {
    ip_block internet_v4 =
        block("0.0.0.0/0", {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.169.254/32"});
    ip_block internet_v6 = block("::/0", {"fd00::/8"});
    ip_block corp = block("192.168.0.0/16", {"192.168.100.0/24"});
    ip_block nodes = block("172.20.0.0/16");
    ip_block partner = block("203.0.113.0/24", {"203.0.113.128/25"});
    ip_block partner_v6 = block("2001:db8::/32", {"2001:db8:ff::/48"});
    ip_block cluster_pods = block("10.64.0.0/10", {"10.64.0.0/24"});
};

const shared_blocks& blocks() {
    static const shared_blocks b;
    return b;
}

label_selector labels(label_map m) {
    return {std::move(m), {}};
}

label_requirement expr(std::string key, selector_op op, std::vector<std::string> values = {}) {
    return {std::move(key), op, std::move(values)};
}

peer from_pods(label_selector s) {
    return {std::move(s), std::nullopt, std::nullopt};
}
peer from_namespaces(label_selector ns) {
    return {std::nullopt, std::move(ns), std::nullopt};
}
peer from_both(label_selector ns, label_selector pods) {
    return {std::move(pods), std::move(ns), std::nullopt};
}
peer from_block(ip_block b) {
    return {std::nullopt, std::nullopt, std::move(b)};
}

label_selector namespace_named(const std::string& name) {
    return labels({{namespace_name_label, name}});
}

port_rule number(uint16_t p, protocol proto = protocol::tcp) {
    return {proto, port_rule::kind::number, p, p, {}};
}
port_rule range(uint16_t first, uint16_t last, protocol proto = protocol::tcp) {
    return {proto, port_rule::kind::number, first, last, {}};
}
port_rule named(std::string name, protocol proto = protocol::tcp) {
    return {proto, port_rule::kind::named, 0, 0, std::move(name)};
}

network_policy base(const ns_plan& ns, std::string name, label_selector pods, bool ingress,
                    bool egress) {
    network_policy np;
    np.ns = ns.name;
    np.name = std::move(name);
    np.pod_selector = std::move(pods);
    np.affects_ingress = ingress;
    np.affects_egress = egress;
    return np;
}

bool has_port(const app& a, std::string_view name) {
    return std::any_of(a.ports.begin(), a.ports.end(),
                       [&](const container_port& p) { return p.name == name; });
}

std::string kind_of(const app& a) {
    return a.kind->name;
}

class policy_maker {
  public:
    policy_maker(const ns_plan& ns, random& r) : _ns(ns), _r(r) {}

    std::vector<network_policy> candidates() {
        std::vector<network_policy> head;
        std::vector<network_policy> rest;
        switch (_ns.role) {
        case ns_role::kube_system:
            head.push_back(dns_server());
            break;
        case ns_role::ingress:
            head.push_back(ingress_controller());
            break;
        case ns_role::monitoring:
            head.push_back(prometheus_egress());
            break;
        case ns_role::regular:
            head.push_back(default_deny());
            if (_ns.enforces_egress) {
                head.push_back(allow_dns());
            }
            for (const auto& a : _ns.apps) {
                if (auto np = app_ingress(a); !np.ingress.empty()) {
                    rest.push_back(std::move(np));
                }
                if (_ns.enforces_egress) {
                    rest.push_back(app_egress(a));
                }
            }
            rest.push_back(allow_monitoring());
            rest.push_back(node_ports());
            _r.shuffle(rest);
            break;
        }
        head.insert(head.end(), std::make_move_iterator(rest.begin()),
                    std::make_move_iterator(rest.end()));
        return head;
    }

    // Cross-team allows: as many as the quota still needs.
    network_policy extra(uint32_t k) {
        const std::string target = _ns.apps.empty() ? std::string("web") : _r.pick(_ns.apps).name;
        const std::string& team = _r.pick(teams);
        label_selector pods = labels({{"app", target}});
        if (_r.chance(0.3)) {
            pods.match_expressions.push_back(expr("version", selector_op::in, {"v1", "v2"}));
        }
        auto np = base(_ns, "allow-" + target + "-from-" + team + "-" + std::to_string(k),
                       std::move(pods), true, false);
        label_selector ns_sel = labels({{"team", team}});
        ns_sel.match_expressions.push_back(expr("env", selector_op::not_in, {"dev"}));
        rule r;
        r.peers.push_back(_r.chance(0.5)
                              ? from_namespaces(std::move(ns_sel))
                              : from_both(std::move(ns_sel), labels({{"tier", "frontend"}})));
        switch (_r.below(4)) {
        case 0:
            r.ports = {range(8000, 8099)};
            break;
        case 1:
            r.ports = {range(5000, 5100, protocol::udp)};
            break;
        case 2:
            r.ports = {named("http"), named("grpc")};
            break;
        default:
            r.ports = {number(static_cast<uint16_t>(8080 + _r.below(4)))};
            break;
        }
        np.ingress.push_back(std::move(r));
        return np;
    }

  private:
    network_policy default_deny() {
        const bool both = _ns.enforces_egress;
        return base(_ns, both ? "default-deny-all" : "default-deny-ingress", {}, true, both);
    }

    network_policy allow_dns() {
        auto np = base(_ns, "allow-dns", {}, false, true);
        rule r;
        r.peers.push_back(
            from_both(namespace_named("kube-system"), labels({{"k8s-app", "kube-dns"}})));
        r.ports = {number(53, protocol::udp), number(53, protocol::tcp)};
        np.egress.push_back(std::move(r));
        return np;
    }

    // A client namespace of the same environment, possibly another team's.
    label_selector partner_namespaces() {
        label_selector s;
        s.match_expressions.push_back(expr("team", selector_op::in, {_ns.team, _r.pick(teams)}));
        s.match_expressions.push_back(expr("env", selector_op::in, {_ns.env}));
        return s;
    }

    network_policy app_ingress(const app& a) {
        auto np = base(_ns, "allow-" + a.name + "-ingress", labels({{"app", a.name}}), true, false);
        rule r;
        const std::string kind = kind_of(a);
        if (kind == "web") {
            r.peers.push_back(from_both(namespace_named("ingress-nginx"),
                                        labels({{"app.kubernetes.io/name", "ingress-nginx"}})));
            r.ports = {named("http")};
            rule lb;
            lb.peers = {from_block(blocks().internet_v4), from_block(blocks().internet_v6)};
            lb.ports = {number(443), number(80)};
            np.ingress.push_back(std::move(lb));
        } else if (kind == "api" || kind == "grpc-gateway") {
            label_selector clients;
            clients.match_expressions.push_back(
                expr("app", selector_op::in, {"web", "worker", "grpc-gateway"}));
            r.peers.push_back(from_pods(std::move(clients)));
            r.peers.push_back(from_both(partner_namespaces(), labels({{"tier", "frontend"}})));
            if (kind == "grpc-gateway") {
                r.peers.push_back(from_block(blocks().corp));
            }
            for (const auto& p : a.ports) {
                if (p.name != "metrics") {
                    r.ports.push_back(named(p.name));
                }
            }
        } else if (kind == "kafka") {
            label_selector ns_sel;
            ns_sel.match_expressions.push_back(expr("env", selector_op::in, {_ns.env}));
            ns_sel.match_expressions.push_back(expr("team", selector_op::exists));
            r.peers.push_back(from_namespaces(std::move(ns_sel)));
            r.ports = {range(9092, 9094)};
        } else if (a.kind->stateful) { // cache, mysql, postgres
            label_selector clients;
            clients.match_expressions.push_back(expr("tier", selector_op::in, {"backend"}));
            r.peers.push_back(from_pods(std::move(clients)));
            r.peers.push_back(from_pods(labels({{"app", "api"}})));
            const container_port& data_port = a.ports.front();
            r.ports = {_r.chance(0.5) ? named(data_port.name) : number(data_port.number)};
        } else {
            return np; // workers take no traffic but scrapes
        }
        np.ingress.push_back(std::move(r));
        return np;
    }

    network_policy app_egress(const app& a) {
        auto np = base(_ns, "allow-" + a.name + "-egress", labels({{"app", a.name}}), false, true);
        for (const auto& dep : _ns.apps) {
            if (dep.kind->stateful && dep.name != a.name && !a.kind->stateful) {
                rule r;
                r.peers.push_back(from_pods(labels({{"app", dep.name}})));
                r.ports = {named(dep.ports.front().name)};
                np.egress.push_back(std::move(r));
            }
        }
        rule out;
        out.peers = {from_block(blocks().internet_v4), from_block(blocks().partner),
                     from_block(blocks().partner_v6)};
        out.ports = {number(443)};
        if (kind_of(a) == "api") {
            out.ports.push_back(range(8443, 8449));
        }
        np.egress.push_back(std::move(out));
        if (has_port(a, "grpc")) {
            rule mesh;
            mesh.peers.push_back(
                from_both(partner_namespaces(), labels({{"app", "grpc-gateway"}})));
            mesh.ports = {named("grpc")};
            np.egress.push_back(std::move(mesh));
        }
        return np;
    }

    network_policy allow_monitoring() {
        auto np = base(_ns, "allow-monitoring", {}, true, false);
        rule r;
        r.peers.push_back(
            from_both(namespace_named("monitoring"), labels({{"app", "prometheus"}})));
        r.ports = {named("metrics")}; // a different number on almost every app
        np.ingress.push_back(std::move(r));
        return np;
    }

    network_policy node_ports() {
        auto np = base(_ns, "allow-nodeports", labels({{"tier", "frontend"}}), true, false);
        rule r;
        r.peers = {from_block(blocks().nodes), from_block(blocks().cluster_pods)};
        r.ports = {range(30000, 32767), range(30000, 32767, protocol::udp)};
        np.ingress.push_back(std::move(r));
        return np;
    }

    network_policy dns_server() {
        auto np =
            base(_ns, "allow-dns-from-cluster", labels({{"k8s-app", "kube-dns"}}), true, false);
        rule r;
        r.peers.push_back(from_namespaces({}));
        r.ports = {named("dns", protocol::udp), named("dns-tcp"), number(9153)};
        np.ingress.push_back(std::move(r));
        return np;
    }

    network_policy ingress_controller() {
        auto np = base(_ns, "allow-ingress-from-anywhere",
                       labels({{"app.kubernetes.io/name", "ingress-nginx"}}), true, false);
        rule r;
        r.peers = {from_block(block("0.0.0.0/0")), from_block(block("::/0"))};
        r.ports = {number(80), number(443)};
        np.ingress.push_back(std::move(r));
        return np;
    }

    network_policy prometheus_egress() {
        auto np =
            base(_ns, "allow-prometheus-scrape", labels({{"app", "prometheus"}}), false, true);
        rule scrape;
        scrape.peers.push_back(from_namespaces({}));
        scrape.ports = {named("metrics"), range(9090, 9199)};
        np.egress.push_back(std::move(scrape));
        rule nodes;
        nodes.peers.push_back(from_block(blocks().nodes));
        nodes.ports = {number(10249), number(9100)};
        np.egress.push_back(std::move(nodes));
        return np;
    }

    const ns_plan& _ns;
    random& _r;
};

} // namespace

void make_policies(const ns_plan& plan, random& r, std::vector<network_policy>& out) {
    policy_maker maker(plan, r);
    auto list = maker.candidates();
    for (uint32_t i = 0; i < plan.policy_quota; ++i) {
        out.push_back(i < list.size() ? std::move(list[i]) : maker.extra(i));
    }
}

} // namespace podgate::synth::scale
