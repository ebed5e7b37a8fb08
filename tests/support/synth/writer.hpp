#pragma once
// Writing a config::cluster back out as the manifests `kubectl get
// ns,pods,networkpolicies -A -o yaml|json` would print for it: one `kind: List`
// with Namespaces, then Pods, then NetworkPolicies. Reading the text back with
// config::load_manifest_text must give a cluster with the same verdicts.

#include "config/cluster.hpp"

#include <string>

namespace podgate::synth {

struct write_options {
    // Exercise the loader's defaulting instead of printing what the API server
    // would: omit policyTypes when the default is the same, omit `protocol:
    // TCP`, write empty from/to/ports as `[]` or leave them out, write podIP
    // without podIPs, set endPort equal to port, split container ports over
    // two containers. Deterministic (alternates by object), never changes the
    // meaning.
    bool vary_style = false;
};

std::string to_yaml(const config::cluster& c, const write_options& opt = {});
std::string to_json(const config::cluster& c, const write_options& opt = {});

} // namespace podgate::synth
