#pragma once
// Decoders from a doc_tree to the objects of config/cluster.hpp, one per
// Kubernetes kind, with the API server's validation and defaults. Each
// reports through its walker and returns its object; the caller drops the
// object when the walker counted errors.

#include "config/cluster.hpp"
#include "config/field_walker.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace podgate::config::detail {

// "text", for messages. Built by appending: GCC 12 at -O3 warns (falsely,
// -Wrestrict) on "\"" + std::string(s) + "\"".
inline std::string quoted(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 2);
    out += '"';
    out.append(s);
    out += '"';
    return out;
}

// The top-level fields of one object (no_node when absent).
struct object_nodes {
    node_id root = no_node;
    node_id metadata = no_node;
    node_id spec = no_node;
    node_id status = no_node;
};

struct object_meta {
    std::string name; // empty when missing (reported)
    std::string ns;   // namespaced kinds: "default" when missing
    label_map labels;
    uint32_t labels_line = 0;
};

// metadata.name/namespace/labels, validated. Names the walker's object
// ("Pod team-a/web") as soon as the name is known.
object_meta decode_metadata(walker& w, std::string_view kind, const object_nodes& o,
                            bool namespaced);

// A map of label key -> value, keys and values validated.
label_map decode_labels(walker& w, node_id map, const field_path& p);

// metav1.LabelSelector. nullopt only when the field is absent or null; a
// wrong type is reported and gives an empty selector, so one mistake is
// not also reported as a missing field. `strict` warns about unknown fields.
std::optional<label_selector> decode_selector(walker& w, node_id n, const field_path& p,
                                              bool strict);

// Where each of a pod's IPs was read, for the duplicate-IP error.
struct ip_origin {
    uint32_t line = 0;
    int index = -1; // status.podIPs[index].ip; -1 for status.podIP
};

struct decoded_pod {
    pod value;
    std::vector<ip_origin> ip_origins; // parallel to value.ips
};

namespace_object decode_namespace(walker& w, const object_nodes& o, object_meta meta);
decoded_pod decode_pod(walker& w, const object_nodes& o, object_meta meta);
network_policy decode_network_policy(walker& w, const object_nodes& o, object_meta meta);

} // namespace podgate::config::detail
