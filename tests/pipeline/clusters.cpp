#include "tests/pipeline/clusters.hpp"

#include "config/manifest_loader.hpp"

#include <gtest/gtest.h>

namespace podgate::pipetest {

namespace {

constexpr std::string_view pods_text = R"(apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {server: db}}
spec:
  containers:
  - name: mysql
    ports: [{name: mysql, containerPort: 3306, protocol: TCP}]
status:
  phase: Running
  podIP: 10.0.0.1
  podIPs: [{ip: 10.0.0.1}, {ip: "fd00::1"}]
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: shop, labels: {server: api}}
spec:
  containers: [{name: api}]
status:
  phase: Running
  podIP: 10.0.0.2
  podIPs: [{ip: 10.0.0.2}, {ip: "fd00::2"}]
---
apiVersion: v1
kind: Pod
metadata: {name: frontend, namespace: shop, labels: {server: frontend}}
spec:
  containers: [{name: nginx}]
status:
  phase: Running
  podIP: 10.0.0.3
  podIPs: [{ip: 10.0.0.3}, {ip: "fd00::3"}]
)";

std::string policy_header(std::string_view name, std::string_view server) {
    std::string s = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: ";
    s += name;
    s += ", namespace: shop}\nspec:\n  podSelector: {matchLabels: {server: ";
    s += server;
    s += "}}\n";
    return s;
}

std::string db_allows(std::string_view peer, uint16_t port, std::string_view name) {
    return policy_header(name, "db") +
           "  policyTypes: [Ingress]\n  ingress:\n  - from: [{podSelector: {matchLabels: "
           "{server: " +
           std::string(peer) + "}}}]\n    ports: [{protocol: TCP, port: " + std::to_string(port) +
           "}]\n";
}

} // namespace

std::string_view pods_yaml() {
    return pods_text;
}

std::string db_allows_api(uint16_t port, std::string_view name) {
    return db_allows("api", port, name);
}

std::string db_allows_frontend(uint16_t port, std::string_view name) {
    return db_allows("frontend", port, name);
}

std::string egress_deny_all(std::string_view server) {
    return policy_header(std::string(server) + "-egress-deny", server) +
           "  policyTypes: [Egress]\n";
}

std::string ingress_deny_all(std::string_view server) {
    return policy_header(std::string(server) + "-ingress-deny", server) +
           "  policyTypes: [Ingress]\n";
}

std::string yaml(std::initializer_list<std::string_view> docs) {
    std::string out;
    for (std::string_view d : docs) {
        if (!out.empty()) {
            out += "---\n";
        }
        out += d;
    }
    return out;
}

config::cluster load(std::string_view text) {
    auto r = config::load_manifest_text(text, "pipetest.yaml");
    for (const auto& e : r.errors) {
        ADD_FAILURE() << e.to_string();
    }
    EXPECT_EQ(r.objects.pods.size(), 3u)
        << "the loader returned no pods: is config::load_manifest_text finished?";
    return std::move(r.objects);
}

std::unique_ptr<const classifier::tables> compile(const config::cluster& c, uint64_t generation,
                                                  config::default_action non_pod) {
    classifier::compile_options opt;
    opt.generation = generation;
    opt.non_pod_traffic = non_pod;
    auto r = classifier::compile(c, opt);
    EXPECT_TRUE(r) << r.error();
    return std::move(r.value());
}

config::cluster seed_cluster() {
    return load(yaml({pods_yaml(), db_allows_api(3306), egress_deny_all("db")}));
}

} // namespace podgate::pipetest
