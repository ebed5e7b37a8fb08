#include "config/cluster.hpp"

#include <algorithm>

namespace podgate::config {

bool operator==(const label_requirement& a, const label_requirement& b) {
    return a.key == b.key && a.op == b.op && a.values == b.values;
}

bool network_policy::same_meaning(const network_policy& o) const {
    return ns == o.ns && name == o.name && pod_selector == o.pod_selector && affects_ingress == o.affects_ingress &&
           affects_egress == o.affects_egress && ingress == o.ingress && egress == o.egress;
}

bool pod::same_meaning(const pod& o) const {
    return ns == o.ns && name == o.name && host_network == o.host_network && terminated == o.terminated &&
           ips == o.ips && labels == o.labels && ports == o.ports;
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
            return present && std::find(req.values.begin(), req.values.end(), it->second) != req.values.end();
        };
        bool ok = false;
        switch (req.op) {
        case selector_op::in: ok = in_values(); break;
        case selector_op::not_in: ok = !in_values(); break; // true when the key is absent
        case selector_op::exists: ok = present; break;
        case selector_op::does_not_exist: ok = !present; break;
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
    return std::none_of(except.begin(), except.end(), [&](const ip_prefix& e) { return e.contains(a); });
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
    case protocol::tcp: return "TCP";
    case protocol::udp: return "UDP";
    case protocol::sctp: return "SCTP";
    }
    return "?";
}

const char* to_string(direction d) { return d == direction::ingress ? "ingress" : "egress"; }

} // namespace podgate::config
