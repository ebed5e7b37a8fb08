// podgate-policy: the offline policy tool. Loads manifests exactly as the
// daemon does, compiles them to the same tables, and answers from them.
//   check   PATH...                      validate, compile, print statistics
//   verdict [--flows FILE] PATH...       one verdict line per flow (compiled tables)
//   explain PATH... --flow "tcp ..."     why, for a person (reference evaluator)
//   flows   PATH... --count N [--allow-fraction F]
//                                        a flow list drawn from the manifests, with an
//                                        exact allowed share (compiled tables; flowgen.hpp)

#include "classifier/compile/compiler.hpp"
#include "classifier/compile/stats_json.hpp"
#include "classifier/lookup/lookup.hpp"
#include "classifier/reference/evaluator.hpp"
#include "classifier/text/flow_text.hpp"
#include "config/manifest_loader.hpp"
#include "tools/policy/flowgen.hpp"
#include "tools/policy/lint.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>

namespace {

using namespace podgate;
using clock_type = std::chrono::steady_clock;

struct common_options {
    std::vector<std::string> paths;
    std::string non_pod = "allow";
    config::default_action non_pod_action() const {
        return non_pod == "deny" ? config::default_action::deny : config::default_action::allow;
    }
};

double ms_since(clock_type::time_point t0) {
    return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
}

// Loads and compiles; prints errors and returns nullopt on failure.
struct loaded {
    config::load_result load;
    std::unique_ptr<const classifier::tables> tables;
    double load_ms = 0;
};
std::optional<loaded> load_and_compile(const common_options& opt, bool quiet_warnings) {
    loaded out;
    const auto t0 = clock_type::now();
    out.load = config::load_manifests(opt.paths);
    out.load_ms = ms_since(t0);
    for (const auto& e : out.load.errors) {
        std::cerr << "error: " << e.to_string() << "\n";
    }
    if (!quiet_warnings) {
        for (const auto& w : out.load.warnings) {
            std::cerr << "warning: " << w.to_string() << "\n";
        }
    }
    if (!out.load.ok()) {
        std::cerr << out.load.errors.size() << " error(s); nothing compiled\n";
        return std::nullopt;
    }
    auto compiled = classifier::compile(out.load.objects, {opt.non_pod_action()});
    if (!compiled) {
        std::cerr << "error: " << compiled.error() << "\n";
        return std::nullopt;
    }
    out.tables = std::move(compiled.value());
    return out;
}

int run_check(const common_options& opt, bool json) {
    auto l = load_and_compile(opt, false);
    if (!l) {
        return 1;
    }
    const auto warnings = tools::lint(l->load.objects);
    for (const auto& w : warnings) {
        std::cerr << "warning: " << w.to_string() << "\n";
    }
    const auto& c = l->load.objects;
    const auto& s = l->tables->stats;
    if (json) {
        const nlohmann::json j = {{"namespaces", c.namespaces.size()},
                                  {"pods", c.pods.size()},
                                  {"load_ms", l->load_ms},
                                  {"warnings", warnings.size() + l->load.warnings.size()},
                                  {"tables", classifier::to_json(s)}};
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    std::printf(
        "loaded %zu namespaces, %zu pods (%u endpoints, %u addresses), %u policies in %.1f ms\n",
        c.namespaces.size(), c.pods.size(), s.pods, s.pod_addresses, s.policies, l->load_ms);
    std::printf(
        "compiled in %.1f ms: %u peers, %u identities, %u ingress groups, %u egress groups, "
        "%u port segments, %u rows, trie nodes v4 %u / v6 %u\n",
        s.compile_ms, s.peers, s.identities, s.ingress_groups, s.egress_groups, s.segments, s.rows,
        s.trie_nodes_v4, s.trie_nodes_v6);
    std::printf("table memory: %zu bytes (pod tables %zu, tries %zu, sides %zu, rows %zu)\n",
                s.bytes_total, s.bytes_pod_tables, s.bytes_tries, s.bytes_side, s.bytes_rows);
    std::printf("%zu warning(s)\n", warnings.size() + l->load.warnings.size());
    return 0;
}

// "deny policy-ingress (dst isolated by ns/a, ns/b)"
std::string describe(const classifier::tables& t, const classifier::flow& f,
                     const classifier::verdict& v) {
    std::string line = v.allow ? "allow " : "deny ";
    line += to_string(v.reason);
    if (v.reason == classifier::verdict_reason::policy_egress ||
        v.reason == classifier::verdict_reason::policy_ingress) {
        const bool egress = v.reason == classifier::verdict_reason::policy_egress;
        const auto ep = classifier::resolve(t, egress ? f.src : f.dst);
        const auto& policies = t.names->group_policies.at(egress ? ep.egress : ep.ingress);
        line += egress ? " (src isolated for egress by " : " (dst isolated for ingress by ";
        for (size_t i = 0; i < policies.size() && i < 3; ++i) {
            line += (i ? ", " : "") + t.names->policies[policies[i]];
        }
        if (policies.size() > 3) {
            line += ", +" + std::to_string(policies.size() - 3) + " more";
        }
        line += ")";
    }
    return line;
}

int run_verdict(const common_options& opt, const std::string& flows_file, bool reference) {
    auto l = load_and_compile(opt, true);
    if (!l) {
        return 1;
    }
    // --reference answers from the reference evaluator instead: an oracle
    // independent of the compiled tables, for tests.
    std::optional<classifier::reference::evaluator> ref;
    if (reference) {
        ref.emplace(l->load.objects, classifier::reference::options{opt.non_pod_action()});
    }
    std::ifstream file;
    if (!flows_file.empty() && flows_file != "-") {
        file.open(flows_file);
        if (!file) {
            std::cerr << "error: cannot read flows file " << flows_file << "\n";
            return 1;
        }
    }
    std::istream& in = file.is_open() ? file : std::cin;
    const std::string name = file.is_open() ? flows_file : "<stdin>";
    std::string line;
    std::string out;
    for (size_t number = 1; std::getline(in, line); ++number) {
        if (classifier::is_blank_or_comment(line)) {
            continue;
        }
        auto f = classifier::parse_flow(line);
        if (!f) {
            std::fwrite(out.data(), 1, out.size(), stdout);
            std::fflush(stdout);
            std::cerr << "error: " << name << ":" << number << ": " << f.error() << "\n";
            return 1;
        }
        if (ref) {
            const auto v = ref->evaluate(*f);
            out += v.allow ? "allow " : "deny ";
            out += to_string(v.reason);
        } else {
            out += describe(*l->tables, *f, classifier::lookup(*l->tables, *f));
        }
        out += '\n';
        if (out.size() > (1 << 16)) {
            std::fwrite(out.data(), 1, out.size(), stdout);
            out.clear();
        }
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
}

int run_explain(const common_options& opt, const std::string& flow_text) {
    auto f = classifier::parse_flow(flow_text);
    if (!f) {
        std::cerr << "error: --flow: " << f.error() << "\n";
        return 2;
    }
    auto l = load_and_compile(opt, false);
    if (!l) {
        return 1;
    }
    const classifier::reference::evaluator ref(l->load.objects, {opt.non_pod_action()});
    std::cout << ref.explain(*f) << "\n";
    const auto compiled = classifier::lookup(*l->tables, *f);
    const auto expected = ref.evaluate(*f);
    std::cout << "compiled tables: " << describe(*l->tables, *f, compiled) << "\n";
    if (!(compiled == expected)) {
        std::cerr
            << "internal error: compiled tables and reference evaluator disagree on this flow\n";
        return 3;
    }
    return 0;
}

struct flows_options {
    uint32_t count = 0;
    std::optional<double> allow_fraction;
    tools::flowgen_params gen;
    std::string out = "-";
};

bool has_v6_pods(const config::cluster& c) {
    for (const auto& p : c.pods) {
        for (const auto& a : p.ips) {
            if (p.is_endpoint() && a.family == ip_family::v6) {
                return true;
            }
        }
    }
    return false;
}

int run_flows(const common_options& opt, const flows_options& fo) {
    auto l = load_and_compile(opt, true);
    if (!l) {
        return 1;
    }
    if (fo.gen.ipv6_fraction > 0 && !has_v6_pods(l->load.objects)) {
        std::cerr
            << "warning: no IPv6 pod addresses: IPv6 flows are between external addresses only\n";
    }
    const auto list =
        tools::generate_flows(l->load.objects, *l->tables, fo.gen, fo.count, fo.allow_fraction);
    if (!list.error.empty()) {
        std::cerr << "error: " << list.error << "\n";
        return 1;
    }
    std::ofstream file;
    if (fo.out != "-") {
        file.open(fo.out);
    }
    std::ostream& out = fo.out != "-" ? file : std::cout;
    out << "# podgate-policy flows --count " << fo.count << " --seed " << fo.gen.seed
        << " --ipv6-fraction " << fo.gen.ipv6_fraction << " --external-fraction "
        << fo.gen.external_fraction;
    if (fo.allow_fraction) {
        out << " --allow-fraction " << *fo.allow_fraction;
    }
    out << "\n# " << list.allowed << " allowed, " << fo.count - list.allowed
        << " denied by the compiled tables (--non-pod-traffic " << opt.non_pod << ")\n";
    for (const auto& f : list.flows) {
        out << classifier::to_string(f) << '\n';
    }
    if (!out.flush()) {
        std::cerr << "error: cannot write " << fo.out << "\n";
        return 1;
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"podgate-policy: validate, compile and query Kubernetes NetworkPolicy offline"};
    app.require_subcommand(1);
    common_options opt;
    bool json = false;
    std::string flows_file;
    std::string flow_text;
    bool reference = false;

    const auto add_common = [&](CLI::App* sub) {
        sub->add_option("paths", opt.paths, "manifest files or directories (*.yaml, *.yml, *.json)")
            ->required();
        sub->add_option("--non-pod-traffic", opt.non_pod, "verdict when neither end is a pod")
            ->check(CLI::IsMember({"allow", "deny"}));
    };
    auto* check = app.add_subcommand("check", "load, validate and compile; print statistics");
    add_common(check);
    check->add_flag("--json", json, "statistics as JSON");
    auto* verdict =
        app.add_subcommand("verdict", "print allow/deny for each flow (PROTO SRC SPORT DST DPORT)");
    add_common(verdict);
    verdict->add_option("--flows", flows_file, "flows file (default: standard input)");
    verdict->add_flag("--reference", reference,
                      "answer from the reference evaluator, not the compiled tables");
    auto* explain = app.add_subcommand("explain", "explain the verdict for one flow");
    add_common(explain);
    explain->add_option("--flow", flow_text, "\"PROTO SRC_IP SRC_PORT DST_IP DST_PORT\"")
        ->required();
    flows_options fo;
    auto* flows = app.add_subcommand(
        "flows", "write distinct flows drawn from the manifests (benchmarks, traffic)");
    add_common(flows);
    flows->add_option("--count", fo.count, "number of flows")
        ->required()
        ->check(CLI::PositiveNumber);
    double allow_fraction = 0;
    auto* allow_option = flows
                             ->add_option("--allow-fraction", allow_fraction,
                                          "exact share the compiled tables allow")
                             ->check(CLI::Range(0.0, 1.0));
    flows->add_option("--ipv6-fraction", fo.gen.ipv6_fraction, "share of IPv6 flows")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    flows
        ->add_option("--external-fraction", fo.gen.external_fraction,
                     "per end: an address outside the cluster")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    flows->add_option("--seed", fo.gen.seed, "generator seed")->capture_default_str();
    flows->add_option("--out", fo.out, "output file, - for standard output")->capture_default_str();

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    if (*check) {
        return run_check(opt, json);
    }
    if (*verdict) {
        return run_verdict(opt, flows_file, reference);
    }
    if (*flows) {
        if (*allow_option) {
            fo.allow_fraction = allow_fraction;
        }
        return run_flows(opt, fo);
    }
    return run_explain(opt, flow_text);
}
