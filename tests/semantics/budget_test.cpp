// The compile's memory budget (compile_options::memory_budget, the daemon's
// --table-memory-budget): a table set larger than the budget is refused with
// an error naming both sizes, and nothing is returned. The budget counts the
// whole block, attribution arrays included, to the byte.

#include "tests/semantics/dual_check.hpp"

#include <gtest/gtest.h>

namespace podgate::test {
namespace {

// Two policies on every pod of a namespace: attribution arrays for each group.
config::cluster stacked_cluster() {
    std::string text;
    for (int i = 1; i <= 40; ++i) {
        text += "apiVersion: v1\nkind: Pod\nmetadata: {name: p" + std::to_string(i) +
                ", namespace: prod, labels: {app: a" + std::to_string(i % 4) +
                "}}\nspec: {containers: [{name: c}]}\n"
                "status: {phase: Running, podIPs: [{ip: 10.0.3." +
                std::to_string(i) + "}]}\n---\n";
    }
    for (int i = 0; i < 6; ++i) {
        text +=
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np" +
            std::to_string(i) + ", namespace: prod}\nspec:\n  podSelector: {matchLabels: {app: a" +
            std::to_string(i % 4) + "}}\n  ingress: [{ports: [{port: " + std::to_string(80 + i) +
            "}]}]\n" + (i < 5 ? "---\n" : "");
    }
    return load_yaml(text);
}

classifier::compile_result compile_with_budget(const config::cluster& c, size_t budget) {
    classifier::compile_options o;
    o.memory_budget = budget;
    return classifier::compile(c, o);
}

TEST(memory_budget, a_tiny_budget_is_refused_with_both_sizes) {
    const auto c = stacked_cluster();
    const auto r = compile_with_budget(c, 4096);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("over the memory budget of 4096 bytes"), std::string::npos)
        << r.error();
    const auto fits = classifier::compile(c);
    ASSERT_TRUE(fits) << fits.error();
    EXPECT_NE(r.error().find("need " + std::to_string(fits.value()->stats.bytes_total) + " bytes"),
              std::string::npos)
        << r.error();
}

TEST(memory_budget, the_budget_is_the_whole_block_to_the_byte) {
    const auto c = stacked_cluster();
    const auto full = classifier::compile(c);
    ASSERT_TRUE(full) << full.error();
    const auto& s = full.value()->stats;
    // The attribution arrays are part of the block the budget counts.
    EXPECT_GT(s.attribution_pairs, 0u);
    EXPECT_GE(s.bytes_attribution, s.attribution_pairs * sizeof(classifier::policy_rows));
    EXPECT_LT(s.bytes_attribution, s.bytes_total);
    // The pair arrays follow the rows, inside bytes_total.
    EXPECT_GE(s.bytes_total - (s.bytes_pod_tables + s.bytes_tries + s.bytes_side + s.bytes_rows),
              s.attribution_pairs * sizeof(classifier::policy_rows));
    const auto exact = compile_with_budget(c, s.bytes_total);
    ASSERT_TRUE(exact) << exact.error();
    EXPECT_EQ(exact.value()->stats.bytes_total, s.bytes_total);
    const auto short_by_one = compile_with_budget(c, s.bytes_total - 1);
    EXPECT_FALSE(short_by_one);
    EXPECT_NE(short_by_one.error().find("need " + std::to_string(s.bytes_total) +
                                        " bytes, over the memory budget of " +
                                        std::to_string(s.bytes_total - 1) + " bytes"),
              std::string::npos)
        << short_by_one.error();
}

} // namespace
} // namespace podgate::test
