#include "app/policy_build.hpp"

#include <sys/resource.h>

#include <chrono>

namespace podgate::app {

namespace {

// CPU time of the calling thread: wall time alone says little on a shared machine.
double thread_cpu_ms() {
    rusage u{};
    getrusage(RUSAGE_THREAD, &u);
    return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

} // namespace

policy_build build_policy(const daemon_options& opt, uint64_t generation) {
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
    auto compiled = classifier::compile(loaded.objects, copt);
    if (!compiled.result) {
        out.errors.push_back(compiled.error);
        return out;
    }
    out.compile_ms = compiled.result->stats.compile_ms;
    out.cpu_ms = thread_cpu_ms() - cpu0;
    out.tables = std::move(compiled.result);
    out.cluster = std::make_shared<const config::cluster>(std::move(loaded.objects));
    return out;
}

} // namespace podgate::app
