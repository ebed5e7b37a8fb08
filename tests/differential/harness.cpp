#include "tests/differential/harness.hpp"

#include "classifier/text/flow_text.hpp"
#include "tests/differential/flow_source.hpp"
#include "tests/support/synth/writer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

namespace podgate::differential {

using classifier::flow;
using classifier::verdict;

const char* to_string(config::default_action a) {
    return a == config::default_action::allow ? "allow" : "deny";
}

std::vector<verdict> evaluate_all(const classifier::reference::evaluator& e,
                                  const std::vector<flow>& flows) {
    std::vector<verdict> out;
    out.reserve(flows.size());
    for (const auto& f : flows) {
        out.push_back(e.evaluate(f));
    }
    return out;
}

std::vector<verdict> lookup_all(const classifier::tables& t, const std::vector<flow>& flows) {
    std::vector<verdict> out;
    out.reserve(flows.size());
    for (const auto& f : flows) {
        out.push_back(classifier::lookup(t, f));
    }
    return out;
}

std::vector<verdict> lookup_burst_all(const classifier::tables& t, const std::vector<flow>& flows) {
    static constexpr uint32_t sizes[] = {1, 3, 32, 33, 64, 255, 7, 31};
    std::vector<verdict> out(flows.size(), verdict{true, classifier::verdict_reason::allowed});
    size_t i = 0;
    for (size_t k = 0; i < flows.size(); ++k) {
        const uint32_t n =
            static_cast<uint32_t>(std::min<size_t>(sizes[k % std::size(sizes)], flows.size() - i));
        classifier::lookup_burst(t, flows.data() + i, out.data() + i, n);
        i += n;
    }
    return out;
}

std::string write_replay(const config::cluster& c, const std::string& what) {
    namespace fs = std::filesystem;
    const char* dir = std::getenv("PODGATE_DIFF_OUT");
    std::string name = "podgate-differential-" + what + ".yaml";
    std::replace_if(
        name.begin(), name.end(), [](char ch) { return ch == ' ' || ch == '/' || ch == ':'; }, '-');
    const fs::path path =
        fs::path(dir != nullptr && *dir != '\0' ? dir : fs::temp_directory_path().string()) / name;
    std::ofstream out(path, std::ios::binary);
    out << "# " << what << "\n" << synth::to_yaml(c);
    return path.string();
}

static std::string show(const verdict& v) {
    return std::string(v.allow ? "allow" : "deny") + " (" + classifier::to_string(v.reason) + ")";
}

size_t compare_verdicts(const context& ctx, const classifier::reference::evaluator& reference,
                        const std::vector<flow>& flows, const std::vector<verdict>& expected,
                        const std::vector<verdict>& actual, const char* actual_name) {
    constexpr size_t max_reported = 3;
    size_t mismatches = 0;
    std::string replay;
    for (size_t i = 0; i < flows.size(); ++i) {
        if (expected[i] == actual[i]) {
            continue;
        }
        if (++mismatches > max_reported) {
            continue;
        }
        if (replay.empty()) {
            replay = write_replay(*ctx.cluster, ctx.what);
        }
        ADD_FAILURE() << ctx.what << ", non_pod_traffic " << to_string(ctx.non_pod) << ": flow #"
                      << i << " " << describe(flows[i]) << "\n  reference: " << show(expected[i])
                      << "\n  " << actual_name << ": " << show(actual[i])
                      << "\n  cluster written to " << replay << " (replay: podgate-policy explain "
                      << replay << " --non-pod-traffic " << to_string(ctx.non_pod) << " --flow \""
                      << classifier::to_string(flows[i]) << "\")\n  reference explain:\n"
                      << reference.explain(flows[i]);
    }
    if (mismatches > max_reported) {
        ADD_FAILURE() << ctx.what << ", non_pod_traffic " << to_string(ctx.non_pod) << ": "
                      << mismatches << " of " << flows.size() << " flows differ for " << actual_name
                      << " (first " << max_reported << " shown)";
    }
    return mismatches;
}

std::vector<verdict> check_compiled(const context& ctx, const std::vector<flow>& flows) {
    classifier::compile_options opt;
    opt.non_pod_traffic = ctx.non_pod;
    const auto compiled = classifier::compile(*ctx.cluster, opt);
    if (!compiled) {
        ADD_FAILURE() << ctx.what << ": compile failed: " << compiled.error()
                      << "\n  cluster written to " << write_replay(*ctx.cluster, ctx.what);
        return {};
    }
    const classifier::reference::evaluator reference(*ctx.cluster, {ctx.non_pod});
    auto expected = evaluate_all(reference, flows);
    compare_verdicts(ctx, reference, flows, expected, lookup_all(*compiled.value(), flows),
                     "lookup");
    compare_verdicts(ctx, reference, flows, expected, lookup_burst_all(*compiled.value(), flows),
                     "lookup_burst");
    return expected;
}

void reason_tally::add(const std::vector<verdict>& v) {
    for (const auto& x : v) {
        ++count[static_cast<size_t>(x.reason)];
    }
}

uint64_t reason_tally::total() const {
    uint64_t t = 0;
    for (auto c : count) {
        t += c;
    }
    return t;
}

std::string reason_tally::summary() const {
    std::ostringstream s;
    const char* sep = "";
    for (size_t r = 0; r < count.size(); ++r) {
        if (classifier::from_classifier(static_cast<classifier::verdict_reason>(r))) {
            s << std::exchange(sep, ", ")
              << classifier::to_string(static_cast<classifier::verdict_reason>(r)) << " "
              << count[r];
        }
    }
    return s.str();
}

uint64_t env_u64(const char* name, uint64_t fallback) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') {
        return fallback;
    }
    return std::strtoull(v, nullptr, 0);
}

} // namespace podgate::differential
