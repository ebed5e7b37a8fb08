#pragma once
// Internal to the scale generator: the shape of the cluster (which apps run in
// which namespace, with which ports) decided before any object is written, so
// the policy templates can refer to real apps, ports and teams.

#include "config/cluster.hpp"
#include "tests/support/synth/random.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace podgate::synth::scale {

struct port_spec {
    const char* name;
    std::vector<uint16_t> numbers; // one is picked per app instance
    config::protocol proto = config::protocol::tcp;
};

struct archetype {
    const char* name;
    const char* tier;
    bool stateful; // StatefulSet pods: unique pod-name label
    int weight;    // how often it appears, and its share of a namespace's pods
    std::vector<port_spec> ports;
};

struct app {
    std::string name;
    const archetype* kind;
    std::vector<config::container_port> ports; // numbers fixed for this instance
    uint32_t replicas = 0;
};

enum class ns_role : uint8_t { regular, kube_system, monitoring, ingress };

struct ns_plan {
    std::string name;
    std::string team;
    std::string env;
    std::string tier;
    ns_role role = ns_role::regular;
    bool enforces_egress = false; // default-deny egress + explicit egress allows
    std::vector<app> apps;
    uint32_t policy_quota = 0;
};

extern const std::vector<std::string> teams;
extern const std::vector<std::string> envs;

// Splits `total` over `weights` in proportion (largest remainder); exact sum.
std::vector<uint32_t> apportion(uint32_t total, const std::vector<double>& weights);

// Appends exactly `plan.policy_quota` policies for one namespace.
void make_policies(const ns_plan& plan, random& r, std::vector<config::network_policy>& out);

} // namespace podgate::synth::scale
