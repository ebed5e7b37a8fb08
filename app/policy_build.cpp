#include "app/policy_build.hpp"

#include <chrono>

namespace podgate::app {

policy_build build_policy(const daemon_options& opt, uint64_t generation) {
    using clock = std::chrono::steady_clock;
    policy_build out;
    const auto t0 = clock::now();
    auto loaded = config::load_manifests(opt.manifests);
    out.load_ms = std::chrono::duration<double, std::milli>(clock::now() - t0).count();
    for (const auto& w : loaded.warnings) {
        out.warnings.push_back(w.to_string());
    }
    for (const auto& e : loaded.errors) {
        out.errors.push_back(e.to_string());
    }
    if (!loaded.ok()) {
        return out;
    }
    classifier::compile_options copt;
    copt.non_pod_traffic = opt.non_pod_traffic;
    copt.memory_budget = opt.table_memory_budget;
    copt.generation = generation;
    auto compiled = classifier::compile(loaded.objects, copt);
    if (!compiled.result) {
        out.errors.push_back(compiled.error);
        return out;
    }
    out.compile_ms = compiled.result->stats.compile_ms;
    out.tables = std::move(compiled.result);
    out.cluster = std::make_shared<const config::cluster>(std::move(loaded.objects));
    return out;
}

} // namespace podgate::app
