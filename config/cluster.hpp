#pragma once
// The Kubernetes objects podgate reads, after loading and validation: exactly
// the fields NetworkPolicy semantics depend on, with every default applied
// (protocol TCP, policyTypes, the implied kubernetes.io/metadata.name label).
// Plain values: the compiler and the reference evaluator both read them.

#include "config/ip.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace podgate::config {

using label_map = std::map<std::string, std::string, std::less<>>;

// Where an object (or field) came from, for error messages and explain.
struct source_location {
    std::string file;
    int line = 0; // 1-based; 0 when unknown
};

enum class selector_op : uint8_t { in, not_in, exists, does_not_exist };

struct label_requirement {
    std::string key;
    selector_op op = selector_op::in;
    std::vector<std::string> values;
};

// metav1.LabelSelector: matchLabels AND every matchExpression. Empty selects all.
struct label_selector {
    label_map match_labels;
    std::vector<label_requirement> match_expressions;

    bool matches(const label_map& labels) const;
    bool selects_all() const { return match_labels.empty() && match_expressions.empty(); }
    friend bool operator==(const label_selector&, const label_selector&) = default;
};
bool operator==(const label_requirement& a, const label_requirement& b);

// IANA protocol numbers, the values NetworkPolicyPort.protocol can take.
enum class protocol : uint8_t { tcp = 6, udp = 17, sctp = 132 };

inline constexpr uint8_t ipproto_icmp = 1;
inline constexpr uint8_t ipproto_icmpv6 = 58;

struct ip_block {
    ip_prefix cidr;
    std::vector<ip_prefix> except; // each strictly inside cidr

    bool contains(const ip_address& a) const;
    friend bool operator==(const ip_block&, const ip_block&) = default;
};

// NetworkPolicyPeer. Exactly one of: ip_block, or at least one selector.
struct peer {
    std::optional<label_selector> pod_selector;
    std::optional<label_selector> namespace_selector;
    std::optional<ip_block> block;
    friend bool operator==(const peer&, const peer&) = default;
};

// NetworkPolicyPort.
struct port_rule {
    enum class kind : uint8_t { all_ports, number, named };
    protocol proto = protocol::tcp;
    kind what = kind::all_ports;
    uint16_t port = 0;     // kind::number: first port
    uint16_t end_port = 0; // kind::number: last port (== port without endPort)
    std::string name;      // kind::named
    friend bool operator==(const port_rule&, const port_rule&) = default;
};

// One ingress (from) or egress (to) rule. Empty `ports` = every port of every
// protocol; empty `peers` = every peer (Kubernetes does not distinguish empty
// from absent for either list).
struct rule {
    std::vector<port_rule> ports;
    std::vector<peer> peers;
    friend bool operator==(const rule&, const rule&) = default;
};

enum class direction : uint8_t { ingress = 0, egress = 1 };

struct network_policy {
    std::string ns;
    std::string name;
    label_selector pod_selector;
    bool affects_ingress = false; // policyTypes, defaults applied
    bool affects_egress = false;
    std::vector<rule> ingress;
    std::vector<rule> egress;
    source_location where;

    const std::vector<rule>& rules(direction d) const {
        return d == direction::ingress ? ingress : egress;
    }
    bool affects(direction d) const {
        return d == direction::ingress ? affects_ingress : affects_egress;
    }
    std::string qualified_name() const { return ns + "/" + name; }
    // Equal in every field that decides a verdict (not where it was read).
    bool same_meaning(const network_policy& o) const;
};

struct container_port {
    std::string name; // may be empty
    uint16_t number = 0;
    protocol proto = protocol::tcp;
    friend bool operator==(const container_port&, const container_port&) = default;
};

struct pod {
    std::string ns = "default";
    std::string name;
    label_map labels;
    std::vector<ip_address> ips;       // status.podIPs (or podIP)
    std::vector<container_port> ports; // every container's ports
    bool host_network = false;
    bool terminated = false; // phase Succeeded or Failed
    source_location where;

    // A pod NetworkPolicy applies to and whose addresses count as pod addresses.
    bool is_endpoint() const { return !host_network && !terminated && !ips.empty(); }
    // The number a named port resolves to on this pod, if any.
    std::optional<uint16_t> resolve_port(std::string_view port_name, protocol p) const;
    std::string qualified_name() const { return ns + "/" + name; }
    bool same_meaning(const pod& o) const;
};

struct namespace_object {
    std::string name;
    label_map labels; // includes kubernetes.io/metadata.name
    source_location where;

    bool same_meaning(const namespace_object& o) const {
        return name == o.name && labels == o.labels;
    }
};

// Objects (pods, policies) packed back to back by cluster::seal(): each one's
// namespace, name and every field its same_meaning compares, in one byte
// string. Diffing two 100k-pod snapshots then streams through two byte arrays
// instead of chasing a map node per label. A copy starts unsealed: copies are
// made to be changed, and bytes carried over would hide the change. Moves
// keep it (the loader moves).
class packed_list {
  public:
    packed_list() = default;
    packed_list(const packed_list&) noexcept {}
    packed_list& operator=(const packed_list&) noexcept {
        _bytes.clear();
        _end.clear();
        return *this;
    }
    packed_list(packed_list&&) noexcept = default;
    packed_list& operator=(packed_list&&) noexcept = default;
    ~packed_list() = default;

    template <typename T> void pack(const std::vector<T>& items);
    // True when pack() saw exactly `n` objects (and so, unless one was changed
    // in place since, what they hold).
    bool covers(size_t n) const { return _end.size() == n + 1; }
    std::string_view at(size_t i) const {
        return std::string_view(_bytes).substr(_end[i], _end[i + 1] - _end[i]);
    }

  private:
    std::string _bytes;
    std::vector<size_t> _end; // object i is [_end[i], _end[i + 1])
};

enum class default_action : uint8_t { allow, deny };

// Everything loaded from a set of manifests. Pods whose namespace has no
// Namespace object get one with only the implied label (see namespace_labels).
struct cluster {
    std::vector<namespace_object> namespaces;
    std::vector<pod> pods;
    std::vector<network_policy> policies;

    packed_list packed_pods;     // of `pods`, once sealed
    packed_list packed_policies; // of `policies`, once sealed

    // Labels of namespace `ns`; the implied label alone when it was not loaded.
    label_map namespace_labels(std::string_view ns) const;
    // Packs pods and policies (see packed_list). The loader seals what it
    // returns; code that builds or changes objects seals again afterwards, or
    // leaves the cluster unsealed, which compares field by field.
    void seal();
};

inline constexpr const char* namespace_name_label = "kubernetes.io/metadata.name";

const char* to_string(protocol p);
const char* to_string(direction d);

} // namespace podgate::config
