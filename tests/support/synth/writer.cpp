#include "tests/support/synth/writer.hpp"

#include "tests/support/synth/emitter.hpp"
#include "tests/support/synth/random.hpp"

namespace podgate::synth {

namespace {

using namespace config;

const char* operator_name(selector_op op) {
    switch (op) {
    case selector_op::in:
        return "In";
    case selector_op::not_in:
        return "NotIn";
    case selector_op::exists:
        return "Exists";
    case selector_op::does_not_exist:
        return "DoesNotExist";
    }
    return "?";
}

class cluster_writer {
  public:
    cluster_writer(emitter& e, const write_options& opt) : _e(e), _opt(opt), _style(0x5EED) {}

    void write(const cluster& c) {
        _e.begin_map();
        _e.field("apiVersion", "v1");
        _e.key("items");
        if (c.namespaces.empty() && c.pods.empty() && c.policies.empty()) {
            _e.empty_list();
        } else {
            _e.begin_list();
            for (const auto& n : c.namespaces) {
                write_namespace(n);
            }
            for (const auto& p : c.pods) {
                write_pod(p);
            }
            for (const auto& p : c.policies) {
                write_policy(p);
            }
            _e.end_list();
        }
        _e.field("kind", "List");
        _e.key("metadata");
        _e.begin_map();
        _e.field("resourceVersion", "");
        _e.end_map();
        _e.end_map();
    }

  private:
    // A deterministic coin for the style variations (never for meaning).
    bool vary() { return _opt.vary_style && (_style.next() & 1) != 0; }

    void labels(const label_map& l) {
        _e.begin_map();
        for (const auto& [k, v] : l) {
            _e.field(k, v);
        }
        _e.end_map();
    }

    void metadata(std::string_view name, std::string_view ns, const label_map* l) {
        _e.key("metadata");
        _e.begin_map();
        if (l != nullptr && !l->empty()) {
            _e.key("labels");
            labels(*l);
        }
        _e.field("name", name);
        if (!ns.empty()) {
            _e.field("namespace", ns);
        }
        _e.end_map();
    }

    void write_namespace(const namespace_object& n) {
        _e.begin_map();
        _e.field("apiVersion", "v1");
        _e.field("kind", "Namespace");
        metadata(n.name, "", &n.labels);
        _e.key("spec");
        _e.begin_map();
        _e.key("finalizers");
        _e.begin_list();
        _e.string("kubernetes");
        _e.end_list();
        _e.end_map();
        _e.key("status");
        _e.begin_map();
        _e.field("phase", "Active");
        _e.end_map();
        _e.end_map();
    }

    void container(const std::string& name, const pod& p, size_t first, size_t last) {
        _e.begin_map();
        const auto app = p.labels.find("app");
        _e.field("image", "registry.example/" +
                              (app != p.labels.end() && !app->second.empty() ? app->second : name) +
                              ":1");
        _e.field("name", name);
        if (first < last) {
            _e.key("ports");
            _e.begin_list();
            for (size_t i = first; i < last; ++i) {
                const container_port& cp = p.ports[i];
                _e.begin_map();
                _e.field("containerPort", cp.number);
                if (!cp.name.empty()) {
                    _e.field("name", cp.name);
                }
                if (cp.proto != protocol::tcp || !vary()) {
                    _e.field("protocol", to_string(cp.proto));
                }
                _e.end_map();
            }
            _e.end_list();
        }
        _e.end_map();
    }

    void write_pod(const pod& p) {
        _e.begin_map();
        _e.field("apiVersion", "v1");
        _e.field("kind", "Pod");
        metadata(p.name, p.ns, &p.labels);
        _e.key("spec");
        _e.begin_map();
        _e.key("containers");
        _e.begin_list();
        const size_t split = p.ports.size() >= 2 && vary() ? p.ports.size() / 2 : p.ports.size();
        container("main", p, 0, split);
        if (split < p.ports.size()) {
            container("sidecar", p, split, p.ports.size());
        }
        _e.end_list();
        if (p.host_network) {
            _e.key("hostNetwork");
            _e.boolean(true);
        }
        _e.end_map();
        _e.key("status");
        _e.begin_map();
        const bool failed = p.name.size() % 2 == 1;
        _e.field("phase", p.terminated    ? (failed ? "Failed" : "Succeeded")
                          : p.ips.empty() ? "Pending"
                                          : "Running");
        if (!p.ips.empty()) {
            _e.field("podIP", to_string(p.ips.front()));
            if (p.ips.size() > 1 || !vary()) {
                _e.key("podIPs");
                _e.begin_list();
                for (const auto& a : p.ips) {
                    _e.begin_map();
                    _e.field("ip", to_string(a));
                    _e.end_map();
                }
                _e.end_list();
            }
        }
        _e.end_map();
        _e.end_map();
    }

    void selector(const label_selector& s) {
        if (s.selects_all()) {
            _e.empty_map();
            return;
        }
        _e.begin_map();
        if (!s.match_expressions.empty()) {
            _e.key("matchExpressions");
            _e.begin_list();
            for (const auto& r : s.match_expressions) {
                _e.begin_map();
                _e.field("key", r.key);
                _e.field("operator", operator_name(r.op));
                if (!r.values.empty()) {
                    _e.key("values");
                    _e.begin_list();
                    for (const auto& v : r.values) {
                        _e.string(v);
                    }
                    _e.end_list();
                }
                _e.end_map();
            }
            _e.end_list();
        }
        if (!s.match_labels.empty()) {
            _e.key("matchLabels");
            labels(s.match_labels);
        }
        _e.end_map();
    }

    void write_peer(const peer& p) {
        _e.begin_map();
        if (p.block) {
            _e.key("ipBlock");
            _e.begin_map();
            _e.field("cidr", to_string(p.block->cidr));
            if (!p.block->except.empty()) {
                _e.key("except");
                _e.begin_list();
                for (const auto& x : p.block->except) {
                    _e.string(to_string(x));
                }
                _e.end_list();
            }
            _e.end_map();
        }
        if (p.namespace_selector) {
            _e.key("namespaceSelector");
            selector(*p.namespace_selector);
        }
        if (p.pod_selector) {
            _e.key("podSelector");
            selector(*p.pod_selector);
        }
        _e.end_map();
    }

    void write_port(const port_rule& r) {
        const bool omit_protocol = r.proto == protocol::tcp && vary();
        if (r.what == port_rule::kind::all_ports && omit_protocol) {
            _e.empty_map();
            return;
        }
        _e.begin_map();
        if (r.what == port_rule::kind::number) {
            if (r.end_port != r.port || vary()) {
                _e.field("endPort", r.end_port);
            }
            _e.field("port", r.port);
        } else if (r.what == port_rule::kind::named) {
            _e.field("port", r.name);
        }
        if (!omit_protocol) {
            _e.field("protocol", to_string(r.proto));
        }
        _e.end_map();
    }

    void write_rule(const rule& r, direction d) {
        const char* peers_key = d == direction::ingress ? "from" : "to";
        const bool empty_peers_key = r.peers.empty() && vary();
        const bool empty_ports_key = r.ports.empty() && vary();
        if (r.peers.empty() && r.ports.empty() && !empty_peers_key && !empty_ports_key) {
            _e.empty_map();
            return;
        }
        _e.begin_map();
        auto peers = [&] {
            if (!r.peers.empty()) {
                _e.key(peers_key);
                _e.begin_list();
                for (const auto& p : r.peers) {
                    write_peer(p);
                }
                _e.end_list();
            } else if (empty_peers_key) {
                _e.key(peers_key);
                _e.empty_list();
            }
        };
        if (d == direction::ingress) {
            peers();
        }
        if (!r.ports.empty()) {
            _e.key("ports");
            _e.begin_list();
            for (const auto& p : r.ports) {
                write_port(p);
            }
            _e.end_list();
        } else if (empty_ports_key) {
            _e.key("ports");
            _e.empty_list();
        }
        if (d == direction::egress) {
            peers();
        }
        _e.end_map();
    }

    void rules(const char* key, const std::vector<rule>& rs, direction d) {
        if (rs.empty()) {
            return;
        }
        _e.key(key);
        _e.begin_list();
        for (const auto& r : rs) {
            write_rule(r, d);
        }
        _e.end_list();
    }

    void write_policy(const network_policy& p) {
        _e.begin_map();
        _e.field("apiVersion", "networking.k8s.io/v1");
        _e.field("kind", "NetworkPolicy");
        metadata(p.name, p.ns, nullptr);
        _e.key("spec");
        _e.begin_map();
        rules("egress", p.egress, direction::egress);
        rules("ingress", p.ingress, direction::ingress);
        _e.key("podSelector");
        selector(p.pod_selector);
        // The API server's default: Ingress, plus Egress when there are egress rules.
        const bool is_default = p.affects_ingress && p.affects_egress == !p.egress.empty();
        if (!p.affects_ingress && !p.affects_egress) {
            _e.key("policyTypes"); // not valid for the API server; kept visible, not defaulted
            _e.empty_list();
        } else if (!(is_default && vary())) {
            _e.key("policyTypes");
            _e.begin_list();
            if (p.affects_ingress) {
                _e.string("Ingress");
            }
            if (p.affects_egress) {
                _e.string("Egress");
            }
            _e.end_list();
        }
        _e.end_map();
        _e.end_map();
    }

    emitter& _e;
    write_options _opt;
    random _style;
};

} // namespace

std::string to_yaml(const config::cluster& c, const write_options& opt) {
    std::string out;
    yaml_emitter e(out);
    cluster_writer(e, opt).write(c);
    return out;
}

std::string to_json(const config::cluster& c, const write_options& opt) {
    std::string out;
    json_emitter e(out);
    cluster_writer(e, opt).write(c);
    return out;
}

} // namespace podgate::synth
