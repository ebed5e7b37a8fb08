// NetworkPolicy (networking.k8s.io/v1): the whole spec, validated as
// pkg/apis/networking/validation does, with the v1 defaults (protocol TCP,
// policyTypes). Unknown fields warn: in a policy a typo changes what it allows.

#include "config/decode.hpp"
#include "config/k8s_validation.hpp"

namespace podgate::config::detail {

namespace {

void unknown_field(walker& w, const field_path& p, std::string_view key, uint32_t line) {
    w.warning(p.child(key), line, "unknown field (ignored)");
}

std::optional<ip_block> decode_ip_block(walker& w, node_id n, const field_path& p) {
    if (!w.expect(n, node_kind::map, p)) {
        return std::nullopt;
    }
    node_id cidr_node = no_node;
    node_id except_node = no_node;
    w.for_each_field(n, p, [&](std::string_view key, node_id value, uint32_t line) {
        if (key == "cidr") {
            cidr_node = value;
        } else if (key == "except") {
            except_node = value;
        } else {
            unknown_field(w, p, key, line);
        }
    });
    const size_t errors_before = w.error_count();
    ip_block block;
    const auto cidr_path = p.child("cidr");
    const auto cidr_text = w.string(cidr_node, cidr_path);
    std::optional<ip_prefix> cidr;
    if (!cidr_text || cidr_text->empty()) {
        if (cidr_text || w.is_null(cidr_node)) {
            w.error(cidr_path, w.line(w.is_null(cidr_node) ? n : cidr_node), "required value");
        }
    } else if (cidr = parse_cidr(*cidr_text); !cidr) {
        w.error(cidr_path, w.line(cidr_node), "invalid CIDR " + quoted(*cidr_text));
    } else {
        block.cidr = *cidr;
    }
    const auto except_path = p.child("except");
    w.for_each_item(except_node, except_path, [&](size_t i, node_id item) {
        const auto item_path = except_path.index(i);
        const auto text = w.string(item, item_path);
        if (!text) {
            if (w.is_null(item)) {
                w.error(item_path, w.line(item), "invalid CIDR \"\"");
            }
            return;
        }
        const auto except = parse_cidr(*text);
        if (!except) {
            w.error(item_path, w.line(item), "invalid CIDR " + quoted(*text));
            return;
        }
        // Same family, strictly longer prefix, inside cidr.
        if (cidr && !(cidr->contains(*except) && except->length > cidr->length)) {
            w.error(item_path, w.line(item),
                    "invalid value " + quoted(*text) + ": must be a strict subset of cidr " +
                        quoted(*cidr_text));
            return;
        }
        block.except.push_back(*except);
    });
    if (w.error_count() != errors_before) {
        return std::nullopt;
    }
    return block;
}

std::optional<peer> decode_peer(walker& w, node_id n, const field_path& p) {
    node_id pods = no_node;
    node_id namespaces = no_node;
    node_id block = no_node;
    w.for_each_field(n, p, [&](std::string_view key, node_id value, uint32_t line) {
        if (key == "podSelector") {
            pods = value;
        } else if (key == "namespaceSelector") {
            namespaces = value;
        } else if (key == "ipBlock") {
            block = value;
        } else {
            unknown_field(w, p, key, line);
        }
    });
    const size_t errors_before = w.error_count();
    peer out;
    out.pod_selector = decode_selector(w, pods, p.child("podSelector"), true);
    out.namespace_selector = decode_selector(w, namespaces, p.child("namespaceSelector"), true);
    const bool has_block = !w.is_null(block);
    if (has_block) {
        out.block = decode_ip_block(w, block, p.child("ipBlock"));
    }
    const bool has_selector = !w.is_null(pods) || !w.is_null(namespaces);
    if (!has_block && !has_selector) {
        w.error(p, w.line(n), "must specify a peer (podSelector, namespaceSelector or ipBlock)");
    } else if (has_block && has_selector) {
        w.error(p, w.line(n), "may not specify both ipBlock and another peer");
    }
    if (w.error_count() != errors_before) {
        return std::nullopt;
    }
    return out;
}

std::optional<port_rule> decode_port(walker& w, node_id n, const field_path& p) {
    node_id proto_node = no_node;
    node_id port_node = no_node;
    node_id end_node = no_node;
    w.for_each_field(n, p, [&](std::string_view key, node_id value, uint32_t line) {
        if (key == "protocol") {
            proto_node = value;
        } else if (key == "port") {
            port_node = value;
        } else if (key == "endPort") {
            end_node = value;
        } else {
            unknown_field(w, p, key, line);
        }
    });
    const size_t errors_before = w.error_count();
    port_rule out;
    int64_t first_port = 0; // unclipped, for the endPort comparison
    const auto proto_path = p.child("protocol");
    if (auto text = w.string(proto_node, proto_path)) {
        if (auto proto = parse_protocol(*text)) {
            out.proto = *proto;
        } else {
            w.error(proto_path, w.line(proto_node),
                    "unsupported value " + quoted(*text) +
                        ": supported values: \"TCP\", \"UDP\", \"SCTP\"");
        }
    }
    // port is an IntOrString: a plain integer is a number, anything else a name.
    const auto port_path = p.child("port");
    if (!w.is_null(port_node)) {
        const doc_node& node = w.tree().at(port_node);
        const std::string_view text =
            node.kind == node_kind::scalar ? w.tree().text(port_node) : "";
        const bool numeric =
            node.kind == node_kind::scalar && !node.quoted && !text.empty() &&
            (text[0] == '-' || text[0] == '+' || (text[0] >= '0' && text[0] <= '9'));
        if (node.kind != node_kind::scalar) {
            w.error(port_path, node.line,
                    "expected an integer or a port name, got " + w.describe(port_node));
        } else if (numeric) {
            if (auto number = w.integer(port_node, port_path)) {
                if (auto why = check_port_number(*number)) {
                    w.error(port_path, node.line,
                            "invalid value " + std::to_string(*number) + ": " + *why);
                }
                first_port = *number;
                out.what = port_rule::kind::number;
                out.port = static_cast<uint16_t>(*number);
                out.end_port = out.port;
            }
        } else {
            if (auto why = check_port_name(text)) {
                w.error(port_path, node.line, "invalid port name " + quoted(text) + ": " + *why);
            }
            out.what = port_rule::kind::named;
            out.name = text;
        }
    }
    const auto end_path = p.child("endPort");
    if (auto end = w.integer(end_node, end_path)) {
        const uint32_t line = w.line(end_node);
        if (w.is_null(port_node)) {
            w.error(end_path, line, "may not be specified when port is not specified");
        } else if (out.what == port_rule::kind::named) {
            w.error(end_path, line, "may not be specified when port is non-numeric");
        } else if (out.what == port_rule::kind::number) {
            if (*end < first_port) {
                w.error(end_path, line,
                        "invalid value " + std::to_string(*end) +
                            ": must be greater than or equal to port (" +
                            std::to_string(first_port) + ")");
            }
            if (auto why = check_port_number(*end)) {
                w.error(end_path, line, "invalid value " + std::to_string(*end) + ": " + *why);
            }
            out.end_port = static_cast<uint16_t>(*end);
        }
    }
    if (w.error_count() != errors_before) {
        return std::nullopt;
    }
    return out;
}

// One ingress or egress rule; `peers_key` is "from" or "to".
rule decode_rule(walker& w, node_id n, const field_path& p, std::string_view peers_key) {
    rule out;
    w.for_each_field(n, p, [&](std::string_view key, node_id value, uint32_t line) {
        if (key == peers_key) {
            const auto peers_path = p.child(peers_key);
            w.for_each_item(value, peers_path, [&](size_t i, node_id item) {
                if (auto pr = decode_peer(w, item, peers_path.index(i))) {
                    out.peers.push_back(std::move(*pr));
                }
            });
        } else if (key == "ports") {
            const auto ports_path = p.child("ports");
            w.for_each_item(value, ports_path, [&](size_t i, node_id item) {
                if (auto port = decode_port(w, item, ports_path.index(i))) {
                    out.ports.push_back(std::move(*port));
                }
            });
        } else {
            unknown_field(w, p, key, line);
        }
    });
    return out;
}

void decode_policy_types(walker& w, node_id n, const field_path& p, network_policy& np,
                         bool& given) {
    if (!w.expect(n, node_kind::list, p)) {
        return;
    }
    if (w.tree().children(n).size() > 2) {
        w.error(p, w.line(n), "may not specify more than two policyTypes");
        return;
    }
    w.for_each_item(n, p, [&](size_t i, node_id item) {
        const auto item_path = p.index(i);
        const auto text = w.string(item, item_path);
        if (!text && !w.is_null(item)) {
            return; // reported as the wrong type
        }
        if (text == "Ingress") {
            np.affects_ingress = true;
        } else if (text == "Egress") {
            np.affects_egress = true;
        } else {
            w.error(item_path, w.line(item),
                    "unsupported value " + (text ? quoted(*text) : w.describe(item)) +
                        ": supported values: \"Ingress\", \"Egress\"");
        }
        given = true;
    });
}

} // namespace

network_policy decode_network_policy(walker& w, const object_nodes& o, object_meta meta) {
    network_policy np;
    np.ns = std::move(meta.ns);
    np.name = std::move(meta.name);
    np.where = {std::string(w.context().file), static_cast<int>(w.line(o.root))};
    const field_path root;
    const auto spec_path = root.child("spec");
    if (w.is_null(o.spec)) {
        w.warning(spec_path, w.line(o.root),
                  "missing: the policy isolates every pod in its namespace for ingress");
    }
    bool has_pod_selector = false;
    bool types_given = false;
    node_id ingress_node = no_node;
    node_id egress_node = no_node;
    w.for_each_field(o.spec, spec_path, [&](std::string_view key, node_id value, uint32_t line) {
        if (key == "podSelector") {
            has_pod_selector = true;
            np.pod_selector = decode_selector(w, value, spec_path.child("podSelector"), true)
                                  .value_or(label_selector{});
        } else if (key == "policyTypes") {
            decode_policy_types(w, value, spec_path.child("policyTypes"), np, types_given);
        } else if (key == "ingress" || key == "egress") {
            const bool ingress = key == "ingress";
            (ingress ? ingress_node : egress_node) = value;
            const auto rules_path = spec_path.child(ingress ? "ingress" : "egress");
            auto& rules = ingress ? np.ingress : np.egress;
            w.for_each_item(value, rules_path, [&](size_t i, node_id item) {
                rules.push_back(decode_rule(w, item, rules_path.index(i), ingress ? "from" : "to"));
            });
        } else {
            unknown_field(w, spec_path, key, line);
        }
    });
    if (!w.is_null(o.spec) && w.tree().at(o.spec).kind == node_kind::map && !has_pod_selector) {
        w.warning(spec_path.child("podSelector"), w.line(o.spec),
                  "missing: selects every pod in the namespace");
    }
    if (!types_given) {
        // v1 defaulting: Ingress always, Egress when there are egress rules.
        np.affects_ingress = true;
        np.affects_egress = !np.egress.empty();
    } else {
        if (!np.affects_ingress && !np.ingress.empty()) {
            w.warning(spec_path.child("ingress"), w.line(ingress_node),
                      "rules are ignored: policyTypes does not include Ingress");
        }
        if (!np.affects_egress && !np.egress.empty()) {
            w.warning(spec_path.child("egress"), w.line(egress_node),
                      "rules are ignored: policyTypes does not include Egress");
        }
    }
    return np;
}

} // namespace podgate::config::detail
