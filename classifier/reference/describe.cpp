#include "classifier/reference/describe.hpp"

namespace podgate::classifier::reference {

namespace {

const char* op_word(config::selector_op op) {
    switch (op) {
    case config::selector_op::in:
        return "in";
    case config::selector_op::not_in:
        return "notin";
    case config::selector_op::exists:
        return "exists";
    case config::selector_op::does_not_exist:
        return "!";
    }
    return "?";
}

std::string join_values(const std::vector<std::string>& values) {
    std::string out;
    for (const auto& v : values) {
        if (!out.empty()) {
            out += ",";
        }
        out += v;
    }
    return out;
}

bool has_ports(uint8_t proto) {
    return proto == 6 || proto == 17 || proto == 132;
}

std::string endpoint(const ip_address& a, uint16_t port, bool with_port) {
    if (!with_port) {
        return to_string(a);
    }
    if (a.family == ip_family::v6) {
        return "[" + to_string(a) + "]:" + std::to_string(port);
    }
    return to_string(a) + ":" + std::to_string(port);
}

} // namespace

std::string describe(const config::label_selector& s) {
    if (s.selects_all()) {
        return "{}";
    }
    std::string out;
    const auto add = [&](const std::string& part) {
        out += out.empty() ? "{" : ", ";
        out += part;
    };
    for (const auto& [key, value] : s.match_labels) {
        add(key + "=" + value);
    }
    for (const auto& req : s.match_expressions) {
        switch (req.op) {
        case config::selector_op::exists:
            add(req.key);
            break;
        case config::selector_op::does_not_exist:
            add("!" + req.key);
            break;
        default:
            add(req.key + " " + op_word(req.op) + " (" + join_values(req.values) + ")");
            break;
        }
    }
    return out + "}";
}

std::string describe(const config::peer& p) {
    if (p.block) {
        std::string out = "ipBlock " + to_string(p.block->cidr);
        for (size_t i = 0; i < p.block->except.size(); ++i) {
            out += (i == 0 ? " except " : ",") + to_string(p.block->except[i]);
        }
        return out;
    }
    std::string out;
    if (p.pod_selector) {
        out = "podSelector " + describe(*p.pod_selector);
    }
    if (p.namespace_selector) {
        out += (out.empty() ? "" : " + ") + std::string("namespaceSelector ") +
               describe(*p.namespace_selector);
    }
    return out;
}

std::string describe(const config::port_rule& p) {
    std::string out = config::to_string(p.proto);
    switch (p.what) {
    case config::port_rule::kind::all_ports:
        return out + " (all ports)";
    case config::port_rule::kind::named:
        return out + " " + p.name;
    case config::port_rule::kind::number:
        out += " " + std::to_string(p.port);
        if (p.end_port != p.port) {
            out += "-" + std::to_string(p.end_port);
        }
        return out;
    }
    return out;
}

std::string protocol_name(uint8_t proto) {
    switch (proto) {
    case 6:
        return "TCP";
    case 17:
        return "UDP";
    case 132:
        return "SCTP";
    case config::ipproto_icmp:
        return "ICMP";
    case config::ipproto_icmpv6:
        return "ICMPv6";
    default:
        return "proto " + std::to_string(proto);
    }
}

std::string describe(const flow& f) {
    const bool ports = has_ports(f.proto);
    return protocol_name(f.proto) + " " + endpoint(f.src, f.sport, ports) + " -> " +
           endpoint(f.dst, f.dport, ports);
}

} // namespace podgate::classifier::reference
