// The conformance runner: for every case under cases/, load cluster.yaml plus
// the case's policy.yaml (if it has one) through the product loader, apply the case's label
// changes, then probe every (from, to, port, protocol) of the 9x9 model with
// the reference evaluator AND the compiled tables, in each address family the
// case names. A mismatch prints the expected and the observed truth tables,
// the differing cells marked with '*', and the reference's explanation of the
// first one.

#include "classifier/compile/compiler.hpp"
#include "classifier/lookup/lookup.hpp"
#include "classifier/reference/evaluator.hpp"
#include "config/manifest_loader.hpp"
#include "tests/conformance/truth_table.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#ifndef PODGATE_CONFORMANCE_DIR
#error "PODGATE_CONFORMANCE_DIR must name tests/conformance in the source tree"
#endif

namespace podgate::conformance {
namespace {

namespace fs = std::filesystem;

const fs::path root = PODGATE_CONFORMANCE_DIR;

// What every case must cover: upstream's model serves these on every pod.
const std::vector<port_protocol> probed = {{80, 6},  {81, 6},   {80, 17},
                                           {81, 17}, {80, 132}, {81, 132}};

std::vector<std::string> case_names() {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(root / "cases")) {
        if (e.is_directory()) {
            out.push_back(e.path().filename().string());
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

const config::pod* find_pod(const config::cluster& c, const std::string& qualified) {
    for (const auto& p : c.pods) {
        if (p.qualified_name() == qualified) {
            return &p;
        }
    }
    return nullptr;
}

bool apply_label(config::cluster& c, const label_change& l) {
    if (l.on_namespace) {
        for (auto& n : c.namespaces) {
            if (n.name == l.target) {
                n.labels[l.key] = l.value;
                return true;
            }
        }
        return false;
    }
    for (auto& p : c.pods) {
        if (p.qualified_name() == l.target) {
            p.labels[l.key] = l.value;
            return true;
        }
    }
    return false;
}

const ip_address* address_of(const config::pod& p, ip_family family) {
    for (const auto& a : p.ips) {
        if (a.family == family) {
            return &a;
        }
    }
    return nullptr;
}

class conformance : public ::testing::TestWithParam<std::string> {};

TEST_P(conformance, matches_upstream_truth_table) {
    const fs::path dir = root / "cases" / GetParam();
    const auto parsed = parse_expectation(read_file(dir / "expected.txt"));
    ASSERT_TRUE(parsed) << (dir / "expected.txt").string() << ": " << parsed.error();
    const case_expectation& expected = *parsed;
    for (const auto& pp : probed) {
        EXPECT_EQ(expected.tables.count(pp), 1u)
            << "expected.txt has no table for " << to_string(pp);
    }
    EXPECT_EQ(expected.tables.size(), probed.size())
        << "expected.txt has tables for unprobed ports";

    std::vector<std::string> paths{(root / "cluster.yaml").string()};
    if (fs::exists(dir / "policy.yaml")) {
        paths.push_back((dir / "policy.yaml").string());
    }
    config::load_result loaded = config::load_manifests(paths);
    for (const auto& e : loaded.errors) {
        ADD_FAILURE() << "loader error: " << e.to_string();
    }
    ASSERT_TRUE(loaded.ok());
    config::cluster& c = loaded.objects;
    for (const auto& l : expected.labels) {
        ASSERT_TRUE(apply_label(c, l)) << "label target " << l.target << " not found";
    }

    const classifier::reference::evaluator reference(c);
    const classifier::compile_result compiled = classifier::compile(c);
    ASSERT_TRUE(compiled) << "compile failed: " << compiled.error();

    int probes = 0;
    for (const auto& family_name : expected.families) {
        ASSERT_TRUE(family_name == "ipv4" || family_name == "ipv6") << family_name;
        const ip_family family = family_name == "ipv4" ? ip_family::v4 : ip_family::v6;
        for (const auto& [pp, want] : expected.tables) {
            const size_t n = want.pods.size();
            truth_table ref_table{want.pods,
                                  std::vector<std::vector<bool>>(n, std::vector<bool>(n))};
            truth_table fast_table = ref_table;
            std::vector<std::vector<bool>> ref_marks(n, std::vector<bool>(n));
            std::vector<std::vector<bool>> fast_marks = ref_marks;
            int ref_diffs = 0;
            int fast_diffs = 0;
            std::string first_explain;
            for (size_t f = 0; f < n; ++f) {
                for (size_t t = 0; t < n; ++t) {
                    const config::pod* src = find_pod(c, want.pods[f]);
                    const config::pod* dst = find_pod(c, want.pods[t]);
                    ASSERT_TRUE(src && dst) << "no pod " << want.pods[f] << " or " << want.pods[t];
                    const ip_address* sa = address_of(*src, family);
                    const ip_address* da = address_of(*dst, family);
                    ASSERT_TRUE(sa && da) << "no " << family_name << " address on " << want.pods[f]
                                          << " or " << want.pods[t];
                    const classifier::flow fl{*sa, *da, pp.proto, 40000, pp.port};
                    ref_table.cells[f][t] = reference.evaluate(fl).allow;
                    fast_table.cells[f][t] = classifier::lookup(*compiled.value(), fl).allow;
                    ++probes;
                    ref_marks[f][t] = ref_table.cells[f][t] != want.cells[f][t];
                    fast_marks[f][t] = fast_table.cells[f][t] != want.cells[f][t];
                    ref_diffs += ref_marks[f][t];
                    fast_diffs += fast_marks[f][t];
                    if ((ref_marks[f][t] || fast_marks[f][t]) && first_explain.empty()) {
                        first_explain =
                            want.pods[f] + " -> " + want.pods[t] + ":\n" + reference.explain(fl);
                    }
                }
            }
            if (ref_diffs + fast_diffs == 0) {
                continue;
            }
            std::string report = GetParam() + ", " + family_name + ", " + to_string(pp) + ": ";
            report += std::to_string(ref_diffs) + " cell(s) differ in the reference evaluator, " +
                      std::to_string(fast_diffs) + " in the compiled tables ('*' marks them)\n";
            report += "expected:\n" + want.pretty() + "\n";
            if (ref_diffs > 0) {
                report += "reference evaluator:\n" + ref_table.pretty(&ref_marks) + "\n";
            }
            if (fast_diffs > 0) {
                report += "compiled tables:\n" + fast_table.pretty(&fast_marks) + "\n";
            }
            report += "reference explanation of the first differing cell, " + first_explain;
            ADD_FAILURE() << report;
        }
    }
    EXPECT_EQ(probes, static_cast<int>(expected.families.size() * probed.size() * 81));
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
    std::string out = info.param;
    std::replace(out.begin(), out.end(), '-', '_');
    return out;
}

INSTANTIATE_TEST_SUITE_P(upstream, conformance, ::testing::ValuesIn(case_names()), test_name);

TEST(conformance_data, has_at_least_thirty_cases) {
    EXPECT_GE(case_names().size(), 30u);
}

TEST(conformance_data, truth_table_parser_rejects_bad_tables) {
    const auto bad_cell = parse_expectation("families: ipv4\nports: 80/TCP\n-\tx/a\nx/a\t?\n");
    ASSERT_FALSE(bad_cell);
    EXPECT_NE(bad_cell.error().find("line 4"), std::string::npos) << bad_cell.error();
    EXPECT_FALSE(parse_expectation("families: ipv4\nports: 80/TCP 80/TCP\n-\tx/a\nx/a\t.\n"));
    const auto ok =
        parse_expectation("families: ipv4\nports: 81/UDP\n-\tx/a\tx/b\nx/a\tX\t.\nx/b\t.\t.\n");
    ASSERT_TRUE(ok) << ok.error();
    ASSERT_EQ(ok->tables.size(), 1u);
    const truth_table& t = ok->tables.at({81, 17});
    EXPECT_FALSE(t.cells[0][0]);
    EXPECT_TRUE(t.cells[0][1]);
    EXPECT_EQ(t.pretty(), "-\tx/a\tx/b\nx/a\tX\t.\nx/b\t.\t.");
}

} // namespace
} // namespace podgate::conformance
