#include "app/policy_build.hpp"

#include <sys/resource.h>

#include <spdlog/fmt/fmt.h>

#include <chrono>

namespace podgate::app {

namespace {

// CPU time of the calling thread: wall time alone says little on a shared machine.
double thread_cpu_ms() {
    rusage u{};
    getrusage(RUSAGE_THREAD, &u);
    return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 +
           (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

std::string describe(const classifier::update_report& r) {
    if (!r.incremental) {
        return "full (" + r.full_reason + ")";
    }
    return fmt::format(
        "incremental (pods: {} added, {} removed, {} changed; diff {:.1f} ms, apply {:.1f} ms)",
        r.pods_added, r.pods_removed, r.pods_changed, r.diff_ms, r.apply_ms);
}

} // namespace

policy_build build_policy(const daemon_options& opt, uint64_t generation,
                          classifier::incremental_compiler& compiler) {
    using clock = std::chrono::steady_clock;
    policy_build out;
    const double cpu0 = thread_cpu_ms();
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
    auto cluster = std::make_shared<const config::cluster>(std::move(loaded.objects));
    const auto t1 = clock::now();
    auto compiled = compiler.update(cluster, copt);
    out.compile_ms = std::chrono::duration<double, std::milli>(clock::now() - t1).count();
    out.compile_kind = describe(compiler.last_report());
    if (!compiled) {
        out.errors.push_back(compiled.error());
        return out;
    }
    out.cpu_ms = thread_cpu_ms() - cpu0;
    out.tables = std::move(compiled.value());
    out.cluster = std::move(cluster);
    return out;
}

} // namespace podgate::app
