// bench_compile: how long parsing and compiling take as clusters grow, and how
// big the tables get. Per case (pods/policies/namespaces), in a forked child:
// generate a scale cluster (tests/support/synth), serialise it as kubectl YAML and
// JSON, time config::load_manifest_text on both, time classifier::compile
// (median of --runs), the peak RSS growth of one compile, the table stats, and
// the cost of recompiling after one pod is added and after one policy changes
// (in full, and through the incremental compiler, which patches the pod tables
// when only pods changed; the pod add is held against a 10 ms target).
//
//   bench_compile [--cases 1000:100:20,10000:1000:200,100000:10000:2000]
//                 [--runs 3] [--seed 1] [--no-parse] [--no-fork] [--json]
//
// Built, never registered as a test.

#include "tools/bench/cluster_shape.hpp"
#include "tools/bench/compile_measure.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#ifndef PODGATE_BUILDTYPE
#define PODGATE_BUILDTYPE "unknown"
#endif
#ifndef PODGATE_OPTIMIZATION
#define PODGATE_OPTIMIZATION "unknown"
#endif

namespace {

using nlohmann::json;
using podgate::bench::case_spec;

constexpr double pod_add_target_ms = 10.0;

struct options {
    std::vector<case_spec> cases;
    bool json_output = false;
    bool fork_cases = true;
};

// Returns the exit status when the program should stop (--help, bad usage).
std::optional<int> parse_args(int argc, char** argv, options& o) {
    std::vector<std::string> cases{"1000:100:20", "10000:1000:200", "100000:10000:2000"};
    int runs = 3;
    uint64_t seed = 1;
    bool no_parse = false;
    bool no_fork = false;
    CLI::App app{"bench_compile: parse and compile time and table size as clusters grow"};
    app.add_option("--cases", cases, "pods:policies:namespaces, comma-separated")
        ->delimiter(',')
        ->check(podgate::bench::shape_check)
        ->capture_default_str();
    app.add_option("--runs", runs, "compile repetitions (median)")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    app.add_option("--seed", seed, "cluster seed")->capture_default_str();
    app.add_flag("--no-parse", no_parse, "skip timing the YAML and JSON loaders");
    app.add_flag("--no-fork", no_fork, "run every case in this process");
    app.add_flag("--json", o.json_output, "print JSON instead of tables");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    o.fork_cases = !no_fork;
    for (const auto& text : cases) {
        const auto shape = podgate::bench::to_shape(text);
        case_spec c;
        c.pods = shape.pods;
        c.policies = shape.policies;
        c.namespaces = shape.namespaces;
        c.runs = runs;
        c.seed = seed;
        c.parse = !no_parse;
        o.cases.push_back(c);
    }
    return std::nullopt;
}

json build_info() {
    bool assertions = true;
#ifdef NDEBUG
    assertions = false;
#endif
    bool optimized = false;
#ifdef __OPTIMIZE__
    optimized = true;
#endif
    return {{"buildtype", PODGATE_BUILDTYPE},
            {"optimization", PODGATE_OPTIMIZATION},
            {"optimized", optimized},
            {"assertions", assertions},
            {"compiler", __VERSION__}};
}

// ---- table printing ----

double num(const json& j, const char* key, double fallback = -1) {
    return j.is_object() && j.contains(key) && j[key].is_number() ? j[key].get<double>() : fallback;
}

std::string fmt(double v, const char* f = "%.1f") {
    if (v < 0) {
        return "n/a";
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

// "wall/cpu" medians of a timed step in ms, "ERROR" or "-".
std::string step_ms(const json& j) {
    if (!j.is_object() || j.empty()) {
        return "-";
    }
    if (j.contains("error")) {
        return "ERROR";
    }
    return fmt(num(j, "median_ms")) + "/" + fmt(num(j, "median_cpu_ms"));
}

void print_header(const json& info) {
    std::printf("podgate bench_compile: build %s, optimization -O%s, assertions %s, compiler %s\n",
                info["buildtype"].get<std::string>().c_str(),
                info["optimization"].get<std::string>().c_str(),
                info["assertions"].get<bool>() ? "on" : "off",
                info["compiler"].get<std::string>().c_str());
    const std::string opt = info["optimization"].get<std::string>();
    if (!info["optimized"].get<bool>() || (opt != "2" && opt != "3" && opt != "unknown")) {
        std::printf("WARNING: not an -O2/-O3 build; these numbers do not represent the product. "
                    "Use: meson setup build-release -Dbuildtype=release\n");
    }
    std::printf("Times are medians in ms as wall/cpu; cpu is what counts when the machine is "
                "shared.\n");
}

void print_inputs(const std::vector<json>& results) {
    std::printf("\nInputs and parsing (load_manifest_text; 1 run above 10k pods)\n");
    std::printf("%-16s %8s %9s %9s %19s %19s %10s\n", "case", "gen ms", "YAML MiB", "JSON MiB",
                "parse YAML", "parse JSON", "parse MiB");
    for (const auto& r : results) {
        const json py = r.value("parse_yaml", json());
        const json pj = r.value("parse_json", json());
        std::string yaml_ms = step_ms(py);
        std::string json_ms = step_ms(pj);
        yaml_ms += py.is_object() && !py.value("complete", true) ? "!" : "";
        json_ms += pj.is_object() && !pj.value("complete", true) ? "!" : "";
        std::printf("%-16s %8s %9s %9s %19s %19s %10s\n", r.value("case", "?").c_str(),
                    fmt(num(r, "generate_ms")).c_str(),
                    fmt(num(r, "yaml_bytes") / 1048576.0).c_str(),
                    fmt(num(r, "json_bytes") / 1048576.0).c_str(), yaml_ms.c_str(), json_ms.c_str(),
                    fmt(num(py, "peak_rss_growth_mib")).c_str());
    }
}

void print_compile(const std::vector<json>& results) {
    std::printf(
        "\nCompile (classifier::compile) and tables; peak = RSS growth during one compile\n");
    std::printf("%-16s %19s %8s %10s %7s %7s %7s %9s %9s\n", "case", "compile", "peak MiB",
                "identities", "in grp", "eg grp", "rows", "segments", "table MiB");
    for (const auto& r : results) {
        const json c = r.value("compile", json());
        const json t = r.value("tables", json());
        std::printf("%-16s %19s %8s %10s %7s %7s %7s %9s %9s\n", r.value("case", "?").c_str(),
                    step_ms(c).c_str(), fmt(num(c, "peak_rss_growth_mib")).c_str(),
                    fmt(num(t, "identities"), "%.0f").c_str(),
                    fmt(num(t, "ingress_groups"), "%.0f").c_str(),
                    fmt(num(t, "egress_groups"), "%.0f").c_str(),
                    fmt(num(t, "rows"), "%.0f").c_str(), fmt(num(t, "segments"), "%.0f").c_str(),
                    fmt(num(t, "bytes_total") / 1048576.0, "%.2f").c_str());
    }
}

void print_incremental(const std::vector<json>& results) {
    std::printf(
        "\nIncremental changes (on cpu time). Full: classifier::compile of the changed cluster.\n"
        "Patched: incremental_compiler::update, split into diff of the clusters + apply.\n"
        "Pod add target %.0f ms.\n",
        pod_add_target_ms);
    std::printf("%-16s %15s %17s %15s %15s %8s %17s\n", "case", "full +1 pod", "patched +1 pod",
                "diff+apply", "patched -1 pod", "target", "1 policy changed");
    for (const auto& r : results) {
        const json inc = r.value("incremental", json());
        const json add = inc.value("pod_added", json());
        const json del = inc.value("pod_removed", json());
        const double ms = num(add, "median_cpu_ms");
        const char* verdict = ms < 0 ? "-" : ms <= pod_add_target_ms ? "met" : "MISSED";
        const std::string split = fmt(num(add, "median_diff_ms"), "%.1f") + "+" +
                                  fmt(num(add, "median_apply_ms"), "%.1f");
        std::printf("%-16s %15s %17s %15s %15s %8s %17s\n", r.value("case", "?").c_str(),
                    step_ms(r.value("recompile_pod_added", json())).c_str(), step_ms(add).c_str(),
                    split.c_str(), step_ms(del).c_str(), verdict,
                    step_ms(r.value("recompile_policy_changed", json())).c_str());
        if (inc.contains("error")) {
            std::printf("note: %s incremental: %s\n", r.value("case", "?").c_str(),
                        inc["error"].get<std::string>().c_str());
        } else {
            std::printf(
                "%-16s full compile keeping the state: %s; seal of the new snapshot (paid by the "
                "loader): %s\n",
                "", step_ms(inc.value("compile_keeping_state", json())).c_str(),
                step_ms(inc.value("seal", json())).c_str());
        }
    }
}

void print_notes(const std::vector<json>& results) {
    for (const auto& r : results) {
        const std::string name = r.value("case", "?");
        for (const char* step : {"parse_yaml", "parse_json"}) {
            const json p = r.value(step, json());
            if (p.is_object() && !p.value("complete", true)) {
                std::printf("note: %s %s did not load completely (%s pods, %s errors): %s\n",
                            name.c_str(), step, p.value("pods_loaded", json(0)).dump().c_str(),
                            p.value("errors", json(0)).dump().c_str(),
                            p.value("first_error", "").c_str());
            }
        }
        for (const char* step : {"compile", "recompile_pod_added", "recompile_policy_changed"}) {
            const json s = r.value(step, json());
            if (s.is_object() && s.contains("error")) {
                std::printf("note: %s %s failed: %s\n", name.c_str(), step,
                            s["error"].get<std::string>().c_str());
            }
        }
        const json c = r.value("compile", json());
        const double wall = num(c, "median_ms");
        const double cpu = num(c, "median_cpu_ms");
        if (wall > 50 && cpu >= 0 && cpu < 0.8 * wall) {
            std::printf("note: %s: compile got %.0f%% of a CPU; the machine is busy and wall times "
                        "are inflated\n",
                        name.c_str(), 100 * cpu / wall);
        }
        if (r.contains("error")) {
            std::printf("note: %s: %s\n", name.c_str(), r["error"].get<std::string>().c_str());
        }
    }
}

void print_tables(const json& info, const std::vector<json>& results) {
    print_header(info);
    print_inputs(results);
    print_compile(results);
    print_incremental(results);
    print_notes(results);
}

} // namespace

int main(int argc, char** argv) {
    options o;
    if (const auto rc = parse_args(argc, argv, o)) {
        return *rc;
    }
    const json info = build_info();
    std::vector<json> results;
    for (const auto& c : o.cases) {
        std::fprintf(stderr, "bench_compile: case %s ...\n", c.label().c_str());
        results.push_back(o.fork_cases ? podgate::bench::run_case_isolated(c)
                                       : podgate::bench::run_case(c));
    }
    if (o.json_output) {
        std::printf("%s\n", json{{"build", info}, {"cases", results}}.dump(2).c_str());
    } else {
        print_tables(info, results);
    }
    bool failed = false;
    for (const auto& r : results) {
        failed = failed || r.contains("error") || r.value("compile", json()).contains("error");
    }
    return failed ? 1 : 0;
}
