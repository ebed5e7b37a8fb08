#pragma once
// The clusters the pipeline tests run against, as YAML the way `kubectl get
// -o yaml` prints it, loaded through config::load_manifest_text (the product
// path) and compiled with classifier::compile.
//
// Namespace shop: db (server=db) 10.0.0.1 / fd00::1, api (server=api)
// 10.0.0.2 / fd00::2, frontend (server=frontend) 10.0.0.3 / fd00::3.

#include "classifier/compile/compiler.hpp"
#include "config/cluster.hpp"

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

namespace podgate::pipetest {

inline constexpr uint32_t db_v4 = 0x0a000001;
inline constexpr uint32_t api_v4 = 0x0a000002;
inline constexpr uint32_t frontend_v4 = 0x0a000003;
inline constexpr uint32_t outside_a_v4 = 0xc0a80001; // 192.168.0.1: no pod
inline constexpr uint32_t outside_b_v4 = 0xc0a80002;
inline constexpr u128 pod_v6(uint32_t host) {
    return u128{0xfd00000000000000ull} << 64 | host;
}
inline const u128 db_v6 = pod_v6(1);
inline const u128 api_v6 = pod_v6(2);
inline const u128 frontend_v6 = pod_v6(3);

// The three pods and their namespace, no policy.
std::string_view pods_yaml();

// Policies, one YAML document each.
// db accepts server=api on TCP `port` only.
std::string db_allows_api(uint16_t port, std::string_view name = "db-allow-api");
// db accepts server=frontend on TCP `port` only.
std::string db_allows_frontend(uint16_t port, std::string_view name = "db-allow-frontend");
// The pod with label server=`server` isolated for egress with no rule: every
// new flow it starts is denied.
std::string egress_deny_all(std::string_view server);
// The same for ingress: every new flow to it is denied.
std::string ingress_deny_all(std::string_view server);
// Joins documents into one multi-document YAML text.
std::string yaml(std::initializer_list<std::string_view> docs);

// Loads `text` (the test fails through gtest if it does not load or holds no
// pod) and returns the cluster.
config::cluster load(std::string_view text);

// Compiles; gtest-fails and returns null on a compile error.
std::unique_ptr<const classifier::tables>
compile(const config::cluster& c, uint64_t generation,
        config::default_action non_pod = config::default_action::allow);

// The seed: db accepts only api on TCP 3306, and db may start nothing.
config::cluster seed_cluster();

} // namespace podgate::pipetest
