// metadata, labels and label selectors: the parts every kind shares.

#include "config/decode.hpp"
#include "config/k8s_validation.hpp"

namespace podgate::config::detail {

namespace {

std::optional<selector_op> parse_operator(std::string_view s) {
    if (s == "In") {
        return selector_op::in;
    }
    if (s == "NotIn") {
        return selector_op::not_in;
    }
    if (s == "Exists") {
        return selector_op::exists;
    }
    if (s == "DoesNotExist") {
        return selector_op::does_not_exist;
    }
    return std::nullopt;
}

std::optional<label_requirement> decode_requirement(walker& w, node_id n, const field_path& p,
                                                    bool strict) {
    node_id key_node = no_node;
    node_id op_node = no_node;
    node_id values_node = no_node;
    w.for_each_field(n, p, [&](std::string_view key, node_id value, uint32_t key_line) {
        if (key == "key") {
            key_node = value;
        } else if (key == "operator") {
            op_node = value;
        } else if (key == "values") {
            values_node = value;
        } else if (strict) {
            w.warning(p.child(key), key_line, "unknown field (ignored)");
        }
    });
    const size_t errors_before = w.error_count();
    label_requirement req;
    const auto key_path = p.child("key");
    if (auto key = w.string(key_node, key_path)) {
        req.key = *key;
        if (auto why = check_label_key(req.key)) {
            w.error(key_path, w.line(key_node),
                    "invalid label key " + quoted(req.key) + ": " + *why);
        }
    } else if (w.is_null(key_node)) {
        w.error(key_path, w.line(n), "required value");
    }
    const auto op_path = p.child("operator");
    std::optional<selector_op> op;
    if (auto text = w.string(op_node, op_path)) {
        op = parse_operator(*text);
        if (!op) {
            w.error(op_path, w.line(op_node),
                    "unsupported value " + quoted(*text) +
                        ": supported values: \"In\", \"NotIn\", \"Exists\", \"DoesNotExist\"");
        }
    } else if (w.is_null(op_node)) {
        w.error(op_path, w.line(n), "required value");
    }
    const auto values_path = p.child("values");
    w.for_each_item(values_node, values_path, [&](size_t i, node_id item) {
        const auto item_path = values_path.index(i);
        auto v = w.string(item, item_path);
        const std::string value(v.value_or(""));
        if (auto why = check_label_value(value)) {
            w.error(item_path, w.line(item), "invalid label value " + quoted(value) + ": " + *why);
        }
        req.values.push_back(value);
    });
    if (op) {
        req.op = *op;
        const bool wants_values = *op == selector_op::in || *op == selector_op::not_in;
        const bool values_ok =
            w.is_null(values_node) || w.tree().at(values_node).kind == node_kind::list;
        if (!values_ok) {
            // Already reported as the wrong type.
        } else if (wants_values && req.values.empty()) {
            w.error(values_path, w.line(w.is_null(values_node) ? n : values_node),
                    "must be specified when operator is In or NotIn");
        } else if (!wants_values && !req.values.empty()) {
            w.error(values_path, w.line(values_node),
                    "may not be specified when operator is Exists or DoesNotExist");
        }
    }
    if (w.error_count() != errors_before) {
        return std::nullopt;
    }
    return req;
}

} // namespace

label_map decode_labels(walker& w, node_id map, const field_path& p) {
    label_map labels;
    w.for_each_field(map, p, [&](std::string_view key, node_id value, uint32_t key_line) {
        if (auto why = check_label_key(key)) {
            w.error(p, key_line, "invalid label key " + quoted(key) + ": " + *why);
        }
        // null is "" as Go decodes it into a string.
        const std::string_view text = w.string(value, p.child(key)).value_or("");
        if (auto why = check_label_value(text)) {
            w.error(p.child(key), w.line(value),
                    "invalid label value " + quoted(text) + ": " + *why);
        }
        labels.emplace(std::string(key), std::string(text));
    });
    return labels;
}

std::optional<label_selector> decode_selector(walker& w, node_id n, const field_path& p,
                                              bool strict) {
    if (w.is_null(n)) {
        return std::nullopt;
    }
    label_selector sel;
    w.for_each_field(n, p, [&](std::string_view key, node_id value, uint32_t key_line) {
        if (key == "matchLabels") {
            sel.match_labels = decode_labels(w, value, p.child("matchLabels"));
        } else if (key == "matchExpressions") {
            const auto exprs = p.child("matchExpressions");
            w.for_each_item(value, exprs, [&](size_t i, node_id item) {
                if (auto req = decode_requirement(w, item, exprs.index(i), strict)) {
                    sel.match_expressions.push_back(std::move(*req));
                }
            });
        } else if (strict) {
            w.warning(p.child(key), key_line, "unknown field (ignored)");
        }
    });
    return sel;
}

object_meta decode_metadata(walker& w, std::string_view kind, const object_nodes& o,
                            bool namespaced) {
    const field_path root;
    const auto meta_path = root.child("metadata");
    // Name the object before anything can be reported about it (even a
    // duplicate key inside metadata).
    const auto scalar_text = [&](node_id n) {
        return !w.is_null(n) && w.tree().at(n).kind == node_kind::scalar ? w.tree().text(n)
                                                                         : std::string_view{};
    };
    const std::string_view peeked_name = scalar_text(w.peek(o.metadata, "name"));
    std::string_view peeked_ns = scalar_text(w.peek(o.metadata, "namespace"));
    if (peeked_ns.empty()) {
        peeked_ns = "default";
    }
    std::string label(kind);
    if (!peeked_name.empty()) {
        label += ' ';
        if (namespaced) {
            label += peeked_ns;
            label += '/';
        }
        label += peeked_name;
    }
    w.set_object(std::move(label));
    node_id name_node = no_node;
    node_id ns_node = no_node;
    node_id labels_node = no_node;
    w.for_each_field(o.metadata, meta_path, [&](std::string_view key, node_id value, uint32_t) {
        if (key == "name") {
            name_node = value;
        } else if (key == "namespace") {
            ns_node = value;
        } else if (key == "labels") {
            labels_node = value;
        }
    });
    object_meta meta;
    const auto ns_path = meta_path.child("namespace");
    if (namespaced) {
        meta.ns = w.string(ns_node, ns_path).value_or("");
        if (meta.ns.empty()) {
            meta.ns = "default";
        }
    }
    const auto name_path = meta_path.child("name");
    const auto name = w.string(name_node, name_path);
    meta.name = name.value_or("");
    const bool metadata_ok =
        w.is_null(o.metadata) || w.tree().at(o.metadata).kind == node_kind::map;
    if (meta.name.empty() && metadata_ok && (name || w.is_null(name_node))) {
        const node_id at = !w.is_null(name_node)    ? name_node
                           : !w.is_null(o.metadata) ? o.metadata
                                                    : o.root;
        w.error(name_path, w.line(at), "required value");
    } else if (!meta.name.empty()) {
        if (auto why = namespaced ? check_dns_subdomain(meta.name) : check_dns_label(meta.name)) {
            w.error(name_path, w.line(name_node),
                    "invalid name " + quoted(meta.name) + ": " + *why);
        }
    }
    if (namespaced) {
        if (auto why = check_dns_label(meta.ns)) {
            w.error(ns_path, w.line(ns_node), "invalid namespace " + quoted(meta.ns) + ": " + *why);
        }
    }
    meta.labels = decode_labels(w, labels_node, meta_path.child("labels"));
    meta.labels_line = w.line(labels_node);
    return meta;
}

} // namespace podgate::config::detail
