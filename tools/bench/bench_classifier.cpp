// bench_classifier: ns per lookup, build time and memory of podgate's compiled
// tables against rte_acl (the policy set expanded to 5-tuple rules, see
// acl_expand.hpp) and against rte_lpm + rte_hash (dpdk_tables.hpp), on the same
// synthetic clusters (tests/support/synth) and the same IPv4 flows, in bursts.
//
//   bench_classifier [--cases P:N:M,...] [--flows N] [--runs R] [--burst B]
//                    [--seed S] [--check N] [--acl-max-rules N] [--acl-budget-mb MB]
//                    [--acl-sweep P:N:M] [--timeout S] [--rss-limit-mb MB]
//                    [--eal "ARGS"] [--json FILE]
//
// P pods, N policies, M namespaces. Every case (and every sweep step) runs in
// a forked child with its own EAL (--no-huge by default), so heaps and peak
// RSS start fresh and an rte_acl build that runs away can be killed. Each
// classifier's answers are compared with podgate's (and podgate's with the
// reference evaluator on --check flows): mismatches are printed and make
// the exit status 1.
//
// Built, never registered as a test.

#include "tools/bench/classifier_measure.hpp"
#include "tools/bench/cluster_shape.hpp"

#include <rte_eal.h>
#include <rte_errno.h>

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using nlohmann::json;
namespace bench = podgate::bench;
using podgate::bench::classifier_case;

struct options {
    std::vector<classifier_case> cases;
    classifier_case base;
    std::string eal = "--no-huge -m 8192 --no-pci --no-telemetry -l 0 --log-level=*:error";
    std::string json_file;
    bool sweep = false;
    classifier_case sweep_case;
    int timeout_s = 900;
    uint64_t rss_limit_mib = 8192;
};

int parse(int argc, char** argv, options& o) {
    std::vector<std::string> cases{"1000:1:20", "1000:100:20", "10000:1000:200",
                                   "100000:10000:2000"};
    std::string sweep;
    size_t acl_budget_mb = o.base.acl_budget >> 20;
    CLI::App app{"bench_classifier: podgate's tables against rte_acl and rte_lpm + rte_hash"};
    app.add_option("--cases", cases, "pods:policies:namespaces, comma-separated")
        ->delimiter(',')
        ->check(bench::shape_check)
        ->capture_default_str();
    app.add_option("--flows", o.base.flows, "IPv4 flows classified per pass")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    app.add_option("--runs", o.base.runs, "timed passes (median)")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    app.add_option("--burst", o.base.burst, "flows per lookup call")
        ->check(CLI::Range(1, 32))
        ->capture_default_str();
    app.add_option("--seed", o.base.seed, "cluster and flow seed")->capture_default_str();
    app.add_option("--check", o.base.check, "flows also checked against the reference")
        ->capture_default_str();
    app.add_option("--acl-max-rules", o.base.acl_max_rules,
                   "larger expansions are counted, not built")
        ->capture_default_str();
    app.add_option("--acl-budget-mb", acl_budget_mb, "rte_acl_config.max_size")
        ->capture_default_str();
    app.add_option("--acl-sweep", sweep, "rte_acl on growing samples of one case's expansion")
        ->check(bench::shape_check);
    app.add_option("--timeout", o.timeout_s, "seconds per case")->capture_default_str();
    app.add_option("--rss-limit-mb", o.rss_limit_mib, "kill a case past this RSS (0: no limit)")
        ->capture_default_str();
    app.add_option("--eal", o.eal, "EAL arguments")->capture_default_str();
    app.add_option("--json", o.json_file, "write every figure as JSON");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    o.base.acl_budget = acl_budget_mb << 20;
    const auto with_shape = [&](const std::string& text) {
        classifier_case c = o.base;
        const bench::cluster_shape s = bench::to_shape(text);
        c.pods = s.pods;
        c.policies = s.policies;
        c.namespaces = s.namespaces;
        return c;
    };
    for (const auto& item : cases) {
        o.cases.push_back(with_shape(item));
    }
    o.sweep = !sweep.empty();
    o.sweep_case = with_shape(sweep.empty() ? "0:0:1" : sweep);
    return -1;
}

void init_eal(const std::string& eal_args) {
    std::vector<std::string> words{"bench_classifier"};
    std::stringstream ss(eal_args);
    for (std::string w; ss >> w;) {
        words.push_back(w);
    }
    words.push_back("--file-prefix=bench_cls_" + std::to_string(getpid()));
    std::vector<char*> argv;
    for (auto& w : words) {
        argv.push_back(w.data());
    }
    if (rte_eal_init(static_cast<int>(argv.size()), argv.data()) < 0) {
        throw std::runtime_error(std::string("rte_eal_init: ") + rte_strerror(rte_errno));
    }
}

uint64_t child_rss_mib(pid_t pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(f, line)) {
        if (line.rfind("VmRSS:", 0) == 0) {
            return std::stoull(line.substr(6)) / 1024;
        }
    }
    return 0;
}

// Runs `work` in a child with its own EAL; its JSON comes back through a pipe.
// The child is killed after `timeout_s` or when its RSS passes `rss_limit_mib`
// (0: no limit): rte_acl's build arena grows far past its run-time size, and
// this machine is shared.
json in_child(const std::string& eal, int timeout_s, uint64_t rss_limit_mib,
              const std::function<json()>& work) {
    int fd[2];
    if (pipe(fd) != 0) {
        return {{"error", "pipe failed"}};
    }
    std::fflush(nullptr);
    const pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        json r;
        try {
            init_eal(eal);
            r = work();
            rte_eal_cleanup();
        } catch (const std::exception& e) {
            r = {{"error", e.what()}};
        }
        const std::string text = r.dump();
        size_t off = 0;
        while (off < text.size()) {
            const ssize_t w = write(fd[1], text.data() + off, text.size() - off);
            if (w <= 0) {
                break;
            }
            off += static_cast<size_t>(w);
        }
        _exit(0);
    }
    close(fd[1]);
    std::string text;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    bool timed_out = false;
    bool over_rss = false;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            timed_out = true;
            kill(pid, SIGKILL);
            break;
        }
        if (rss_limit_mib > 0 && child_rss_mib(pid) > rss_limit_mib) {
            over_rss = true;
            kill(pid, SIGKILL);
            break;
        }
        pollfd p{fd[0], POLLIN, 0};
        if (poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 200))) <= 0) {
            continue;
        }
        char buf[65536];
        const ssize_t r = read(fd[0], buf, sizeof buf);
        if (r <= 0) {
            break;
        }
        text.append(buf, static_cast<size_t>(r));
    }
    close(fd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    std::error_code ignored; // EAL leaves its runtime directory behind
    std::filesystem::remove_all("/var/run/dpdk/bench_cls_" + std::to_string(pid), ignored);
    if (over_rss) {
        return {{"error", "killed: RSS above " + std::to_string(rss_limit_mib) + " MiB"}};
    }
    if (timed_out) {
        return {{"error", "killed after " + std::to_string(timeout_s) + " s"}};
    }
    if (text.empty()) {
        return {{"error", WIFSIGNALED(status)
                              ? "child died of signal " + std::to_string(WTERMSIG(status))
                              : "child exited with status " + std::to_string(WEXITSTATUS(status))}};
    }
    return json::parse(text);
}

std::string mib(const json& v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.1f", v.is_number() ? v.get<double>() / (1 << 20) : 0.0);
    return b;
}

std::string num(const json& v, const char* fmt) {
    if (!v.is_number()) {
        return "-";
    }
    char b[32];
    std::snprintf(b, sizeof b, fmt, v.get<double>());
    return b;
}

void print_case(const json& r) {
    std::printf("\n== %s pods, %s policies, %s namespaces: %s IPv4 flows (%.0f%% allowed), burst "
                "%s, median of %s\n",
                r.value("pods", json()).dump().c_str(), r.value("policies", json()).dump().c_str(),
                r.value("namespaces", json()).dump().c_str(),
                r.value("flows", json()).dump().c_str(), 100 * r.value("allowed_fraction", 0.0),
                r.value("burst", json()).dump().c_str(), r.value("runs", json()).dump().c_str());
    if (r.contains("error") && !r.contains("podgate")) {
        std::printf("   error: %s\n", r["error"].get<std::string>().c_str());
        return;
    }
    const json& p = r["podgate"];
    const json& l = r["lpm_hash"];
    const json& a = r["acl"];
    std::printf("   %-18s %12s %12s %12s  %s\n", "classifier", "ns/lookup", "build ms", "MiB",
                "notes");
    std::printf(
        "   %-18s %12s %12s %12s  %s identities, %s rows; pod slots %s, probes mean %.2f max %s; "
        "reference mismatches %s/%s\n",
        "podgate", num(p.value("ns_per_lookup", json()), "%.1f").c_str(),
        num(p.value("build_ms", json()), "%.1f").c_str(), mib(p.value("bytes", json())).c_str(),
        p.value("identities", json()).dump().c_str(), p.value("rows", json()).dump().c_str(),
        p.value("pod_slots_v4", json()).dump().c_str(), p.value("pod_probe_mean", 0.0),
        p.value("pod_probe_max", json()).dump().c_str(),
        p.value("mismatches_vs_reference", json()).dump().c_str(),
        p.value("checked", json()).dump().c_str());
    if (l.contains("error")) {
        std::printf("   %-18s error: %s\n", "rte_lpm+rte_hash",
                    l["error"].get<std::string>().c_str());
    } else {
        std::printf("   %-18s %12s %12s %12s  +%s MiB of podgate rows; %s routes; mismatches %s\n",
                    "rte_lpm+rte_hash", num(l.value("ns_per_lookup", json()), "%.1f").c_str(),
                    num(l.value("build_ms", json()), "%.1f").c_str(),
                    mib(l.value("dpdk_bytes", json())).c_str(),
                    mib(l.value("shared_bytes", json())).c_str(),
                    l.value("routes", json()).dump().c_str(),
                    l.value("mismatches_vs_podgate", json()).dump().c_str());
    }
    const double acl_build = a.value("add_ms", 0.0) + a.value("build_ms", 0.0);
    if (a.contains("error")) {
        std::printf("   %-18s %12s %12s %12s  %s rules (expanded in %.0f ms): %s\n", "rte_acl", "-",
                    a.contains("build_ms") ? num(json(acl_build), "%.1f").c_str() : "-", "-",
                    a.value("rules", json()).dump().c_str(), a.value("expand_ms", 0.0),
                    a["error"].get<std::string>().c_str());
    } else {
        std::printf(
            "   %-18s %12s %12s %12s  %s rules (expand %.0f ms, rules %s MiB, build peak RSS +%.0f "
            "MiB), %s; "
            "mismatches %s\n",
            "rte_acl", num(a.value("ns_per_lookup", json()), "%.1f").c_str(),
            num(json(acl_build), "%.1f").c_str(), mib(a.value("runtime_bytes", json())).c_str(),
            a.value("rules", json()).dump().c_str(), a.value("expand_ms", 0.0),
            mib(a.value("rule_bytes", json())).c_str(),
            a.value("build_peak_rss_growth_kib", 0.0) / 1024, a.value("algorithm", "?").c_str(),
            a.value("mismatches_vs_podgate", json()).dump().c_str());
    }
}

bool has_mismatch(const json& r) {
    for (const char* k : {"podgate", "lpm_hash", "acl"}) {
        if (!r.contains(k)) {
            continue;
        }
        for (const char* m : {"mismatches_vs_reference", "mismatches_vs_podgate"}) {
            if (r[k].value(m, 0) != 0) {
                return true;
            }
        }
    }
    return false;
}

} // namespace

int main(int argc, char** argv) {
    options o;
    if (const int rc = parse(argc, argv, o); rc >= 0) {
        return rc;
    }
    json all{{"eal", o.eal}, {"cases", json::array()}, {"acl_sweep", json::array()}};
    int status = 0;
    if (!o.sweep) {
        for (const auto& c : o.cases) {
            json r = in_child(o.eal, o.timeout_s, o.rss_limit_mib,
                              [&] { return podgate::bench::measure_case(c); });
            print_case(r);
            std::fflush(stdout);
            status |= has_mismatch(r) || r.contains("error");
            all["cases"].push_back(r);
        }
    } else {
        // rte_acl on growing samples of one expansion until a build fails.
        std::printf("rte_acl size sweep: %u pods, %u policies, %u namespaces, budget %zu MiB\n",
                    o.sweep_case.pods, o.sweep_case.policies, o.sweep_case.namespaces,
                    o.sweep_case.acl_budget >> 20);
        std::printf("   %12s %12s %12s %12s %14s %14s  %s\n", "rules", "add ms", "build ms",
                    "tries MiB", "RSS before", "build +RSS MiB", "result");
        for (uint64_t rules = 10000;; rules *= 2) {
            json r = in_child(o.eal, o.timeout_s, o.rss_limit_mib, [&] {
                return podgate::bench::measure_acl_step(o.sweep_case, rules);
            });
            all["acl_sweep"].push_back(r);
            const bool ok = r.value("ok", false);
            std::printf("   %12s %12s %12s %12s %14.0f %14.0f  %s\n",
                        r.value("rules", json(rules)).dump().c_str(),
                        num(r.value("add_ms", json()), "%.0f").c_str(),
                        num(r.value("build_ms", json()), "%.0f").c_str(),
                        mib(r.value("runtime_bytes", json())).c_str(),
                        r.value("rss_before_build_kib", 0.0) / 1024,
                        r.value("build_peak_rss_growth_kib", 0.0) / 1024,
                        ok ? "ok" : r.value("error", std::string("?")).c_str());
            std::fflush(stdout);
            if (!ok || rules >= r.value("expansion_rules", uint64_t{0})) {
                break;
            }
        }
    }
    if (!o.json_file.empty()) {
        std::ofstream(o.json_file) << all.dump(2) << "\n";
    }
    return status;
}
