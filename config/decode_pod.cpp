// Pods and Namespaces: only the fields NetworkPolicy semantics read (labels,
// addresses, container ports, hostNetwork, phase); the rest of a pod
// (managedFields, status.conditions, ...) is never visited.

#include "config/decode.hpp"
#include "config/k8s_validation.hpp"

#include <unordered_set>

namespace podgate::config::detail {

namespace {

void decode_container_ports(walker& w, node_id list, const field_path& p, pod& out) {
    std::unordered_set<std::string_view> names; // unique per container, as the API checks
    w.for_each_item(list, p, [&](size_t i, node_id item) {
        const auto port_path = p.index(i);
        node_id name_node = no_node;
        node_id number_node = no_node;
        node_id proto_node = no_node;
        w.for_each_field(item, port_path, [&](std::string_view key, node_id value, uint32_t) {
            if (key == "name") {
                name_node = value;
            } else if (key == "containerPort") {
                number_node = value;
            } else if (key == "protocol") {
                proto_node = value;
            }
        });
        const size_t errors_before = w.error_count();
        container_port cp;
        const auto name_path = port_path.child("name");
        if (auto name = w.string(name_node, name_path); name && !name->empty()) {
            if (auto why = check_port_name(*name)) {
                w.error(name_path, w.line(name_node),
                        "invalid port name " + quoted(*name) + ": " + *why);
            } else if (!names.insert(*name).second) {
                w.error(name_path, w.line(name_node), "duplicate port name " + quoted(*name));
            }
            cp.name = *name;
        }
        const auto number_path = port_path.child("containerPort");
        if (auto number = w.integer(number_node, number_path)) {
            if (auto why = check_port_number(*number)) {
                w.error(number_path, w.line(number_node),
                        "invalid value " + std::to_string(*number) + ": " + *why);
            } else {
                cp.number = static_cast<uint16_t>(*number);
            }
        } else if (w.is_null(number_node)) {
            w.error(number_path, w.line(item), "required value");
        }
        const auto proto_path = port_path.child("protocol");
        if (auto text = w.string(proto_node, proto_path)) {
            if (auto proto = parse_protocol(*text)) {
                cp.proto = *proto;
            } else {
                w.error(proto_path, w.line(proto_node),
                        "unsupported value " + quoted(*text) +
                            ": supported values: \"TCP\", \"UDP\", \"SCTP\"");
            }
        }
        if (w.error_count() == errors_before) {
            out.ports.push_back(std::move(cp));
        }
    });
}

void decode_pod_spec(walker& w, node_id spec, pod& out) {
    const field_path root;
    const auto spec_path = root.child("spec");
    w.for_each_field(spec, spec_path, [&](std::string_view key, node_id value, uint32_t) {
        if (key == "hostNetwork") {
            out.host_network = w.boolean(value, spec_path.child("hostNetwork")).value_or(false);
        } else if (key == "containers") {
            const auto containers = spec_path.child("containers");
            w.for_each_item(value, containers, [&](size_t i, node_id container) {
                const auto container_path = containers.index(i);
                w.for_each_field(container, container_path,
                                 [&](std::string_view ckey, node_id cvalue, uint32_t) {
                                     if (ckey == "ports") {
                                         decode_container_ports(w, cvalue,
                                                                container_path.child("ports"), out);
                                     }
                                 });
            });
        }
    });
}

void add_ip(walker& w, std::string_view text, const field_path& p, uint32_t line, int index,
            decoded_pod& out) {
    auto ip = parse_ip(text);
    if (!ip) {
        w.error(p, line, "invalid IP address " + quoted(text));
        return;
    }
    for (const auto& have : out.value.ips) {
        if (have == *ip) {
            w.error(p, line, "duplicate IP address " + quoted(text));
            return;
        }
        if (have.family == ip->family) {
            w.error(p, line, "may specify no more than one IP for each IP family");
            return;
        }
    }
    out.value.ips.push_back(*ip);
    out.ip_origins.push_back({line, index});
}

void decode_pod_status(walker& w, node_id status, decoded_pod& out) {
    const field_path root;
    const auto status_path = root.child("status");
    node_id pod_ip = no_node;
    node_id pod_ips = no_node;
    w.for_each_field(status, status_path, [&](std::string_view key, node_id value, uint32_t) {
        if (key == "phase") {
            const auto phase = w.string(value, status_path.child("phase"));
            out.value.terminated = phase == "Succeeded" || phase == "Failed";
        } else if (key == "podIP") {
            pod_ip = value;
        } else if (key == "podIPs") {
            pod_ips = value;
        }
    });
    const auto ips_path = status_path.child("podIPs");
    w.for_each_item(pod_ips, ips_path, [&](size_t i, node_id item) {
        const auto item_path = ips_path.index(i);
        w.for_each_field(item, item_path, [&](std::string_view key, node_id value, uint32_t) {
            if (key == "ip") {
                const auto ip_path = item_path.child("ip");
                if (auto text = w.string(value, ip_path)) {
                    add_ip(w, *text, ip_path, w.line(value), static_cast<int>(i), out);
                }
            }
        });
    });
    // podIP is podIPs[0] by the API's definition; alone, it is the only IP.
    const auto ip_path = status_path.child("podIP");
    const auto single = w.string(pod_ip, ip_path);
    if (!single || single->empty()) {
        return;
    }
    if (out.value.ips.empty()) {
        add_ip(w, *single, ip_path, w.line(pod_ip), -1, out);
    } else if (parse_ip(*single) != out.value.ips.front()) {
        w.warning(ip_path, w.line(pod_ip),
                  quoted(*single) + " differs from status.podIPs[0].ip; using status.podIPs");
    }
}

} // namespace

namespace_object decode_namespace(walker& w, const object_nodes& o, object_meta meta) {
    namespace_object ns;
    ns.name = std::move(meta.name);
    ns.labels = std::move(meta.labels);
    ns.where = {std::string(w.context().file), static_cast<int>(w.line(o.root))};
    // The API server sets this label on every namespace, overwriting any value.
    auto [it, inserted] = ns.labels.try_emplace(namespace_name_label, ns.name);
    if (!inserted && it->second != ns.name) {
        w.warning(field_path().child("metadata").child("labels"), meta.labels_line,
                  std::string(namespace_name_label) + " is " + quoted(it->second) +
                      "; the API server sets it to the namespace name " + quoted(ns.name));
        it->second = ns.name;
    }
    return ns;
}

decoded_pod decode_pod(walker& w, const object_nodes& o, object_meta meta) {
    decoded_pod out;
    out.value.ns = std::move(meta.ns);
    out.value.name = std::move(meta.name);
    out.value.labels = std::move(meta.labels);
    out.value.where = {std::string(w.context().file), static_cast<int>(w.line(o.root))};
    decode_pod_spec(w, o.spec, out.value);
    decode_pod_status(w, o.status, out);
    return out;
}

} // namespace podgate::config::detail
