#include "config/cluster.hpp"

#include <algorithm>

namespace podgate::config {

bool operator==(const label_requirement& a, const label_requirement& b) {
    return a.key == b.key && a.op == b.op && a.values == b.values;
}

bool network_policy::same_meaning(const network_policy& o) const {
    return ns == o.ns && name == o.name && pod_selector == o.pod_selector &&
           affects_ingress == o.affects_ingress && affects_egress == o.affects_egress &&
           ingress == o.ingress && egress == o.egress;
}

bool pod::same_meaning(const pod& o) const {
    return ns == o.ns && name == o.name && host_network == o.host_network &&
           terminated == o.terminated && ips == o.ips && labels == o.labels && ports == o.ports;
}

namespace {

// Length-prefixed, so no two different field lists pack to the same bytes.
void pack_string(std::string& out, std::string_view s) {
    const auto n = static_cast<uint32_t>(s.size());
    out.append(reinterpret_cast<const char*>(&n), sizeof n);
    out.append(s);
}

template <typename T> void pack_value(std::string& out, const T& v) {
    out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

void pack_labels(std::string& out, const label_map& labels) {
    pack_value(out, static_cast<uint32_t>(labels.size()));
    for (const auto& [key, value] : labels) {
        pack_string(out, key);
        pack_string(out, value);
    }
}

void pack_selector(std::string& out, const label_selector& s) {
    pack_labels(out, s.match_labels);
    pack_value(out, static_cast<uint32_t>(s.match_expressions.size()));
    for (const auto& req : s.match_expressions) {
        pack_string(out, req.key);
        pack_value(out, req.op);
        pack_value(out, static_cast<uint32_t>(req.values.size()));
        for (const auto& v : req.values) {
            pack_string(out, v);
        }
    }
}

void pack_optional_selector(std::string& out, const std::optional<label_selector>& s) {
    pack_value(out, static_cast<uint8_t>(s.has_value()));
    if (s) {
        pack_selector(out, *s);
    }
}

void pack_prefix(std::string& out, const ip_prefix& p) {
    pack_value(out, p.base.family);
    pack_value(out, p.base.value);
    pack_value(out, p.length);
}

void pack_object(std::string& out, const pod& p) {
    pack_string(out, p.ns);
    pack_string(out, p.name);
    pack_value(out, static_cast<uint8_t>(p.host_network | p.terminated << 1));
    pack_value(out, static_cast<uint32_t>(p.ips.size()));
    for (const auto& a : p.ips) {
        pack_value(out, a.family);
        pack_value(out, a.value);
    }
    pack_labels(out, p.labels);
    pack_value(out, static_cast<uint32_t>(p.ports.size()));
    for (const auto& cp : p.ports) {
        pack_string(out, cp.name);
        pack_value(out, cp.number);
        pack_value(out, cp.proto);
    }
}

void pack_object(std::string& out, const network_policy& np) {
    pack_string(out, np.ns);
    pack_string(out, np.name);
    pack_selector(out, np.pod_selector);
    pack_value(out, static_cast<uint8_t>(np.affects_ingress | np.affects_egress << 1));
    for (const auto* rules : {&np.ingress, &np.egress}) {
        pack_value(out, static_cast<uint32_t>(rules->size()));
        for (const auto& r : *rules) {
            pack_value(out, static_cast<uint32_t>(r.ports.size()));
            for (const auto& pr : r.ports) {
                pack_value(out, pr.proto);
                pack_value(out, pr.what);
                pack_value(out, pr.port);
                pack_value(out, pr.end_port);
                pack_string(out, pr.name);
            }
            pack_value(out, static_cast<uint32_t>(r.peers.size()));
            for (const auto& peer : r.peers) {
                pack_optional_selector(out, peer.pod_selector);
                pack_optional_selector(out, peer.namespace_selector);
                pack_value(out, static_cast<uint8_t>(peer.block.has_value()));
                if (peer.block) {
                    pack_prefix(out, peer.block->cidr);
                    pack_value(out, static_cast<uint32_t>(peer.block->except.size()));
                    for (const auto& e : peer.block->except) {
                        pack_prefix(out, e);
                    }
                }
            }
        }
    }
}

} // namespace

template <typename T> void packed_list::pack(const std::vector<T>& items) {
    std::string bytes;
    std::vector<size_t> end{0};
    end.reserve(items.size() + 1);
    for (const auto& item : items) {
        pack_object(bytes, item);
        end.push_back(bytes.size());
    }
    _bytes = std::move(bytes);
    _end = std::move(end);
}

void cluster::seal() {
    packed_pods.pack(pods);
    packed_policies.pack(policies);
}

bool label_selector::matches(const label_map& labels) const {
    for (const auto& [key, value] : match_labels) {
        auto it = labels.find(key);
        if (it == labels.end() || it->second != value) {
            return false;
        }
    }
    for (const auto& req : match_expressions) {
        auto it = labels.find(req.key);
        const bool present = it != labels.end();
        const auto in_values = [&] {
            return present &&
                   std::find(req.values.begin(), req.values.end(), it->second) != req.values.end();
        };
        bool ok = false;
        switch (req.op) {
        case selector_op::in:
            ok = in_values();
            break;
        case selector_op::not_in:
            ok = !in_values();
            break; // true when the key is absent
        case selector_op::exists:
            ok = present;
            break;
        case selector_op::does_not_exist:
            ok = !present;
            break;
        }
        if (!ok) {
            return false;
        }
    }
    return true;
}

bool ip_block::contains(const ip_address& a) const {
    if (!cidr.contains(a)) {
        return false;
    }
    return std::none_of(except.begin(), except.end(),
                        [&](const ip_prefix& e) { return e.contains(a); });
}

std::optional<uint16_t> pod::resolve_port(std::string_view port_name, protocol p) const {
    for (const auto& cp : ports) {
        if (cp.proto == p && cp.name == port_name) {
            return cp.number;
        }
    }
    return std::nullopt;
}

label_map cluster::namespace_labels(std::string_view ns) const {
    for (const auto& n : namespaces) {
        if (n.name == ns) {
            return n.labels;
        }
    }
    return label_map{{namespace_name_label, std::string(ns)}};
}

const char* to_string(protocol p) {
    switch (p) {
    case protocol::tcp:
        return "TCP";
    case protocol::udp:
        return "UDP";
    case protocol::sctp:
        return "SCTP";
    }
    return "?";
}

const char* to_string(direction d) {
    return d == direction::ingress ? "ingress" : "egress";
}

} // namespace podgate::config
