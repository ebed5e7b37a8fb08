#pragma once
// Loading Kubernetes manifests (Namespaces, Pods, NetworkPolicies) as
// `kubectl get -o yaml|json` prints them, with the API server's validation.
// Never throws on bad input: every problem becomes a diagnostic that names
// file, line, object and field.

#include "config/cluster.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace podgate::config {

struct diagnostic {
    std::string file;
    int line = 0;       // 1-based; 0 when unknown
    std::string object; // "NetworkPolicy team-a/db-policy"; empty when not known
    std::string field;  // "spec.ingress[0].from[1].ipBlock.cidr"; empty when not known
    std::string message;

    // "policies/db.yaml:14: NetworkPolicy team-a/db-policy: spec.ingress[0]...: invalid CIDR ..."
    std::string to_string() const;
};

struct [[nodiscard]] load_result {
    cluster objects;
    std::vector<diagnostic> errors;
    std::vector<diagnostic> warnings;
    bool ok() const { return errors.empty(); }
};

// Loads files and directories (recursively: *.yaml, *.yml, *.json). Multi-
// document YAML, `kind: List` / `*List` with items, and JSON are accepted;
// kinds other than Namespace, Pod and NetworkPolicy are skipped.
// Thread-safe (no shared state).
load_result load_manifests(const std::vector<std::string>& paths);

// Same, from text already in memory; `file_name` is used in diagnostics.
load_result load_manifest_text(std::string_view text, std::string_view file_name);

} // namespace podgate::config
