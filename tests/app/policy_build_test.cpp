// app::build_policy: load + compile from --manifests files, as start-up and
// every reload do; errors come back as "file:line: ..." text and no tables.
#include "app/policy_build.hpp"
#include "tests/loader/loader_test.hpp" // temp_dir

#include <gtest/gtest.h>

namespace podgate::app {
namespace {

using config::test::temp_dir;

// The full path of `name` in `dir`.
std::string file(const temp_dir& dir, const std::string& name) {
    return (dir.path() / name).string();
}

constexpr const char* pod = R"(apiVersion: v1
kind: Pod
metadata:
  name: db
  namespace: shop
  labels:
    app: db
status:
  podIP: 10.0.0.1
  podIPs:
  - ip: 10.0.0.1
)";

constexpr const char* policy = R"(apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: db-ingress
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: db
  policyTypes: [Ingress]
  ingress:
  - from:
    - ipBlock:
        cidr: 10.1.0.0/16
)";

daemon_options options_for(const temp_dir& dir) {
    daemon_options opt;
    opt.manifests = {dir.path().string()};
    return opt;
}

TEST(policy_build, a_good_manifest_set_compiles) {
    temp_dir dir;
    dir.write("pod.yaml", pod);
    dir.write("policy.yaml", policy);
    classifier::incremental_compiler compiler;
    const auto b = build_policy(options_for(dir), 7, compiler);
    ASSERT_TRUE(b.errors.empty()) << b.errors.front();
    ASSERT_NE(b.tables, nullptr);
    ASSERT_NE(b.cluster, nullptr);
    EXPECT_EQ(b.tables->generation, 7u);
    EXPECT_EQ(b.tables->names->policies, std::vector<std::string>{"shop/db-ingress"});
    EXPECT_EQ(b.cluster->pods.size(), 1u);
    EXPECT_EQ(b.compile_kind.rfind("full", 0), 0u) << b.compile_kind;
}

TEST(policy_build, a_broken_manifest_gives_file_and_line_and_no_tables) {
    temp_dir dir;
    dir.write("pod.yaml", pod);
    std::string broken = policy;
    broken.replace(broken.find("10.1.0.0/16"), 11, "10.1.0.0/99"); // line 14
    dir.write("policy.yaml", broken);
    classifier::incremental_compiler compiler;
    const auto b = build_policy(options_for(dir), 1, compiler);
    EXPECT_EQ(b.tables, nullptr);
    EXPECT_EQ(b.cluster, nullptr);
    ASSERT_EQ(b.errors.size(), 1u);
    EXPECT_EQ(
        b.errors[0].rfind(file(dir, "policy.yaml") + ":14: NetworkPolicy shop/db-ingress:", 0), 0u)
        << b.errors[0];
}

} // namespace
} // namespace podgate::app
