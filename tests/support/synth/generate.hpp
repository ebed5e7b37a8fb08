#pragma once
// Deterministic synthetic clusters. The same parameters and seed give the
// same cluster on every platform (see random.hpp), so a seed is a complete
// reproducer.
//
// generate_scale: a large cluster that looks like production (bounded apps
// per namespace, per-node /24s, StatefulSets, policies built from a handful of
// templates that reuse selectors), for compile/parse benchmarks.
//
// generate_adversarial: a tiny cluster built to break equivalence classes
// (colliding labels, every selector operator, edge prefixes and port ranges,
// named ports that differ per pod and per protocol, hostNetwork, terminated
// and pending pods, both families), for the differential test.

#include "config/cluster.hpp"

#include <cstdint>

namespace podgate::synth {

struct scale_params {
    uint32_t pods = 1000;
    uint32_t policies = 100;
    uint32_t namespaces = 20; // >= 1
    uint64_t seed = 1;
    double dual_stack = 0.2;    // fraction of pods that also get an IPv6 address
    double host_network = 0.01; // fraction of hostNetwork pods (node addresses)
    double terminated = 0.01;   // fraction of Succeeded/Failed pods
};

// Exactly p.pods pods, p.policies policies and p.namespaces namespaces.
config::cluster generate_scale(const scale_params& p);

struct adversarial_params {
    uint64_t seed = 1;
    uint32_t min_namespaces = 2, max_namespaces = 6;
    uint32_t min_pods = 5, max_pods = 40;
    uint32_t min_policies = 1, max_policies = 12;
};

config::cluster generate_adversarial(const adversarial_params& p);

} // namespace podgate::synth
