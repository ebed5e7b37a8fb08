#include "tools/bench/compile_measure.hpp"

#include "classifier/compile/compiler.hpp"
#include "classifier/compile/incremental.hpp"
#include "classifier/compile/stats_json.hpp"
#include "config/manifest_loader.hpp"
#include "tests/support/synth/generate.hpp"
#include "tests/support/synth/writer.hpp"

#include <malloc.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <string>
#include <unordered_set>
#include <vector>

namespace podgate::bench {

namespace {

using clock_type = std::chrono::steady_clock;

double ms_since(clock_type::time_point t0) {
    return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
}

// CPU time of the process: on a shared machine wall time says as much about
// the neighbours as about podgate, so both are reported.
double cpu_ms() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// Wall and CPU time of repeated runs of one step.
struct timings {
    std::vector<double> wall;
    std::vector<double> cpu;

    template <typename F> void measure(F&& f) {
        const double c0 = cpu_ms();
        const auto t0 = clock_type::now();
        f();
        wall.push_back(ms_since(t0));
        cpu.push_back(cpu_ms() - c0);
    }
    void store(nlohmann::json& out) const;
};

double median(std::vector<double> v) {
    if (v.empty()) {
        return 0;
    }
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

std::string count_label(uint32_t n) {
    if (n >= 1000 && n % 1000 == 0) {
        return std::to_string(n / 1000) + "k";
    }
    return std::to_string(n);
}

// Runs `step` once with the peak-RSS counter reset; returns the growth in MiB
// of the peak over the RSS before (negative when the counter cannot be reset).
double peak_growth_mib(const std::function<void()>& step) {
    malloc_trim(0); // give freed heap back first, or reused pages hide the growth
    const bool reset = reset_peak_memory();
    const memory_sample before = sample_memory();
    step();
    const memory_sample after = sample_memory();
    if (!reset || after.hwm_kib == 0) {
        return -1;
    }
    return static_cast<double>(after.hwm_kib - std::min(after.hwm_kib, before.rss_kib)) / 1024.0;
}

// Times `runs` compiles of `c`; the first one also measures peak memory.
// Returns {"median_ms", "runs_ms", "peak_rss_growth_mib"} or {"error"}.
nlohmann::json time_compiles(const config::cluster& c, int runs, nlohmann::json* stats_out) {
    nlohmann::json out;
    timings times;
    std::string error;
    for (int i = 0; i < runs && error.empty(); ++i) {
        auto step = [&] {
            classifier::compile_result r = fail("not compiled");
            times.measure([&] { r = classifier::compile(c); });
            if (!r) {
                error = r.error();
            } else if (stats_out != nullptr && i == 0) {
                *stats_out = classifier::to_json(r.value()->stats);
            }
        };
        if (i == 0) {
            out["peak_rss_growth_mib"] = peak_growth_mib(step);
        } else {
            step();
        }
    }
    if (!error.empty()) {
        return {{"error", error}};
    }
    times.store(out);
    return out;
}

// The incremental compiler on one pod coming and going: a full compile that
// keeps its state, then `runs` rounds of update(+1 pod) and update(back).
// Each step records wall/CPU time and the compiler's own split (diff of the
// clusters, then placing the pod and writing the tables).
nlohmann::json time_incremental(const config::cluster& c, const config::cluster& added, int runs) {
    // Sealed as the loader seals what it reads (copies start unsealed); the
    // loader pays that while parsing, so it is timed apart from the update.
    const auto base = std::make_shared<config::cluster>(c);
    const auto plus = std::make_shared<config::cluster>(added);
    nlohmann::json out;
    base->seal();
    timings seal;
    seal.measure([&] { plus->seal(); });
    seal.store(out["seal"]);
    classifier::incremental_compiler compiler;
    timings keep;
    classifier::compile_result r = fail("not compiled");
    keep.measure([&] { r = compiler.compile(base, {}); });
    if (!r) {
        return {{"error", r.error()}};
    }
    keep.store(out["compile_keeping_state"]);
    timings steps[2];
    std::vector<double> diff[2], apply[2];
    for (int i = 0; i < runs; ++i) {
        for (int s = 0; s < 2; ++s) {
            steps[s].measure([&] { r = compiler.update(s == 0 ? plus : base, {}); });
            const auto& report = compiler.last_report();
            if (!r || !report.incremental) {
                return {{"error", r ? "not incremental: " + report.full_reason : r.error()}};
            }
            diff[s].push_back(report.diff_ms);
            apply[s].push_back(report.apply_ms);
        }
    }
    const char* names[2] = {"pod_added", "pod_removed"};
    for (int s = 0; s < 2; ++s) {
        steps[s].store(out[names[s]]);
        out[names[s]]["median_diff_ms"] = median(diff[s]);
        out[names[s]]["median_apply_ms"] = median(apply[s]);
    }
    return out;
}

// One more pod, as a scale-up would add it: a replica of a Deployment pod
// from the middle of the list (a regular namespace, not kube-system), with
// the first free address of that pod's /24 (its node's pod range: the
// generator fills nodes only up to .250).
config::cluster with_pod_added(const config::cluster& c) {
    config::cluster copy = c;
    std::unordered_set<uint32_t> used;
    for (const auto& p : c.pods) {
        for (const auto& a : p.ips) {
            if (a.family == ip_family::v4) {
                used.insert(a.as_v4());
            }
        }
    }
    for (size_t k = 0; k < c.pods.size(); ++k) {
        const config::pod& p = c.pods[(c.pods.size() / 2 + k) % c.pods.size()];
        if (!p.is_endpoint() || p.labels.count("pod-template-hash") == 0 || p.ips.size() != 1 ||
            p.ips[0].family != ip_family::v4) {
            continue;
        }
        for (uint32_t low = 1; low < 255; ++low) {
            const uint32_t candidate = (p.ips[0].as_v4() & 0xffffff00u) | low;
            if (!used.count(candidate)) {
                config::pod added = p;
                added.name += "-added";
                added.ips = {ip_address::v4(candidate)};
                copy.pods.push_back(std::move(added));
                return copy;
            }
        }
    }
    return copy;
}

// One policy in the middle gains a port on its first rule (or a first rule).
config::cluster with_policy_changed(const config::cluster& c) {
    config::cluster copy = c;
    if (copy.policies.empty()) {
        return copy;
    }
    auto& np = copy.policies[copy.policies.size() / 2];
    auto& rules = np.affects_ingress || np.egress.empty() ? np.ingress : np.egress;
    if (rules.empty()) {
        rules.emplace_back();
    }
    rules.front().ports.push_back(
        {config::protocol::tcp, config::port_rule::kind::number, 12345, 12345, {}});
    return copy;
}

nlohmann::json parse_text(const std::string& text, const char* name, const config::cluster& expect,
                          int runs) {
    timings times;
    nlohmann::json out;
    for (int i = 0; i < runs; ++i) {
        auto step = [&] {
            config::load_result loaded;
            times.measure([&] { loaded = config::load_manifest_text(text, name); });
            if (i == 0) {
                out["errors"] = loaded.errors.size();
                out["first_error"] = loaded.errors.empty() ? "" : loaded.errors.front().to_string();
                out["pods_loaded"] = loaded.objects.pods.size();
                out["policies_loaded"] = loaded.objects.policies.size();
                out["complete"] = loaded.ok() && loaded.objects.pods.size() == expect.pods.size() &&
                                  loaded.objects.policies.size() == expect.policies.size();
            }
        };
        if (i == 0) {
            out["peak_rss_growth_mib"] = peak_growth_mib(step);
        } else {
            step();
        }
    }
    times.store(out);
    return out;
}

void timings::store(nlohmann::json& out) const {
    out["median_ms"] = median(wall);
    out["median_cpu_ms"] = median(cpu);
    out["runs_ms"] = wall;
    out["runs_cpu_ms"] = cpu;
}

} // namespace

std::string case_spec::label() const {
    return count_label(pods) + "/" + count_label(policies) + "/" + count_label(namespaces);
}

memory_sample sample_memory() {
    memory_sample m;
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line)) {
        unsigned long long v = 0;
        if (std::sscanf(line.c_str(), "VmRSS: %llu kB", &v) == 1) {
            m.rss_kib = v;
        } else if (std::sscanf(line.c_str(), "VmHWM: %llu kB", &v) == 1) {
            m.hwm_kib = v;
        }
    }
    return m;
}

bool reset_peak_memory() {
    std::ofstream f("/proc/self/clear_refs");
    f << "5";
    f.flush();
    return static_cast<bool>(f);
}

nlohmann::json run_case(const case_spec& cs) {
    nlohmann::json out = {{"case", cs.label()},      {"pods", cs.pods},
                          {"policies", cs.policies}, {"namespaces", cs.namespaces},
                          {"seed", cs.seed},         {"runs", cs.runs}};
    auto t0 = clock_type::now();
    const config::cluster c = synth::generate_scale(
        {.pods = cs.pods, .policies = cs.policies, .namespaces = cs.namespaces, .seed = cs.seed});
    out["generate_ms"] = ms_since(t0);
    {
        t0 = clock_type::now();
        const std::string yaml = synth::to_yaml(c);
        out["write_yaml_ms"] = ms_since(t0);
        t0 = clock_type::now();
        const std::string json = synth::to_json(c);
        out["write_json_ms"] = ms_since(t0);
        out["yaml_bytes"] = yaml.size();
        out["json_bytes"] = json.size();
        if (cs.parse) {
            // The big inputs take long enough that one run says enough.
            const int parse_runs = cs.pods > 10000 ? 1 : cs.runs;
            out["parse_yaml"] = parse_text(yaml, "bench.yaml", c, parse_runs);
            out["parse_json"] = parse_text(json, "bench.json", c, parse_runs);
        }
    }
    nlohmann::json stats;
    out["compile"] = time_compiles(c, cs.runs, &stats);
    out["tables"] = stats;
    {
        const config::cluster added = with_pod_added(c);
        out["recompile_pod_added"] = time_compiles(added, cs.runs, nullptr);
        out["incremental"] = time_incremental(c, added, cs.runs);
    }
    {
        const config::cluster changed = with_policy_changed(c);
        out["recompile_policy_changed"] = time_compiles(changed, cs.runs, nullptr);
    }
    out["final_vm_hwm_mib"] = static_cast<double>(sample_memory().hwm_kib) / 1024.0;
    return out;
}

nlohmann::json run_case_isolated(const case_spec& cs) {
    int fds[2];
    if (pipe(fds) != 0) {
        return run_case(cs);
    }
    std::fflush(nullptr);
    const pid_t child = fork();
    if (child < 0) {
        close(fds[0]);
        close(fds[1]);
        return run_case(cs);
    }
    if (child == 0) {
        close(fds[0]);
        const std::string text = run_case(cs).dump();
        size_t done = 0;
        while (done < text.size()) {
            const ssize_t n = write(fds[1], text.data() + done, text.size() - done);
            if (n <= 0) {
                _exit(1);
            }
            done += static_cast<size_t>(n);
        }
        _exit(0);
    }
    close(fds[1]);
    std::string text;
    char buf[65536];
    for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) {
        text.append(buf, static_cast<size_t>(n));
    }
    close(fds[0]);
    int status = 0;
    waitpid(child, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || text.empty()) {
        return {{"case", cs.label()},
                {"error", "case process died (" +
                              (WIFSIGNALED(status) ? std::string(strsignal(WTERMSIG(status)))
                                                   : std::string("exit")) +
                              ")"}};
    }
    return nlohmann::json::parse(text);
}

} // namespace podgate::bench
