// podgate-synth: write a synthetic cluster as `kubectl get ns,pods,
// networkpolicies -A -o yaml|json` would print it.
//
//   podgate-synth --pods 100000 --policies 10000 --namespaces 2000 --seed 1
//                 --format yaml --out cluster.yaml
//   podgate-synth --adversarial --seed 42 --out replay.yaml   (a differential-test cluster)

#include "tools/synth/generate.hpp"
#include "tools/synth/writer.hpp"

#ifdef PODGATE_HAVE_CLI11
#include <CLI/CLI.hpp>
#endif

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>

namespace {

struct cli_options {
    podgate::synth::scale_params scale;
    bool adversarial = false;
    bool vary_style = false;
    std::string format = "yaml";
    std::string out = "-";
};

#ifdef PODGATE_HAVE_CLI11
int parse(int argc, char** argv, cli_options& o) {
    CLI::App app{"Write a synthetic Kubernetes cluster (Namespaces, Pods, NetworkPolicies)"};
    app.add_option("--pods", o.scale.pods, "number of pods")->capture_default_str();
    app.add_option("--policies", o.scale.policies, "number of NetworkPolicies")
        ->capture_default_str();
    app.add_option("--namespaces", o.scale.namespaces, "number of namespaces (>= 1)")
        ->capture_default_str()
        ->check(CLI::Range(1u, 1000000u));
    app.add_option("--seed", o.scale.seed, "generator seed")->capture_default_str();
    app.add_option("--format", o.format, "yaml or json")->check(CLI::IsMember({"yaml", "json"}));
    app.add_option("--out", o.out, "output file, - for stdout")->capture_default_str();
    app.add_flag("--adversarial", o.adversarial,
                 "small adversarial cluster (differential test) instead");
    app.add_flag("--vary-style", o.vary_style,
                 "exercise loader defaults (omit policyTypes, protocol, ...)");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    return -1;
}
#else
constexpr const char* usage =
    "usage: podgate-synth [--pods N] [--policies P] [--namespaces M] [--seed S]\n"
    "                     [--format yaml|json] [--out FILE|-] [--adversarial] [--vary-style]\n";

// Fallback without CLI11: `--name value` pairs and two flags.
int parse(int argc, char** argv, cli_options& o) {
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--help" || a == "-h") {
            std::fputs(usage, stdout);
            return 0;
        }
        if (a == "--adversarial" || a == "--vary-style") {
            (a == "--adversarial" ? o.adversarial : o.vary_style) = true;
            continue;
        }
        if (i + 1 >= argc) {
            std::fprintf(stderr, "podgate-synth: %s needs a value\n%s", a.c_str(), usage);
            return 2;
        }
        const std::string v = argv[++i];
        try {
            if (a == "--pods") {
                o.scale.pods = static_cast<uint32_t>(std::stoul(v));
            } else if (a == "--policies") {
                o.scale.policies = static_cast<uint32_t>(std::stoul(v));
            } else if (a == "--namespaces") {
                o.scale.namespaces = static_cast<uint32_t>(std::stoul(v));
            } else if (a == "--seed") {
                o.scale.seed = std::stoull(v);
            } else if (a == "--format") {
                o.format = v;
            } else if (a == "--out") {
                o.out = v;
            } else {
                std::fprintf(stderr, "podgate-synth: unknown option %s\n%s", a.c_str(), usage);
                return 2;
            }
        } catch (const std::exception&) {
            std::fprintf(stderr, "podgate-synth: bad value for %s: %s\n", a.c_str(), v.c_str());
            return 2;
        }
    }
    if ((o.format != "yaml" && o.format != "json") || o.scale.namespaces == 0) {
        std::fprintf(stderr, "podgate-synth: --format must be yaml or json, --namespaces >= 1\n%s",
                     usage);
        return 2;
    }
    return -1;
}
#endif

} // namespace

int main(int argc, char** argv) {
    cli_options o;
    if (const int rc = parse(argc, argv, o); rc >= 0) {
        return rc;
    }
    const auto t0 = std::chrono::steady_clock::now();
    const podgate::config::cluster c =
        o.adversarial ? podgate::synth::generate_adversarial({.seed = o.scale.seed})
                      : podgate::synth::generate_scale(o.scale);
    const podgate::synth::write_options wo{o.vary_style};
    const std::string text =
        o.format == "json" ? podgate::synth::to_json(c, wo) : podgate::synth::to_yaml(c, wo);
    if (o.out == "-") {
        std::fwrite(text.data(), 1, text.size(), stdout);
    } else {
        std::ofstream f(o.out, std::ios::binary);
        f.write(text.data(), static_cast<std::streamsize>(text.size()));
        if (!f.flush()) {
            std::fprintf(stderr, "podgate-synth: cannot write %s: %s\n", o.out.c_str(),
                         std::strerror(errno));
            return 1;
        }
    }
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::fprintf(
        stderr,
        "podgate-synth: %zu namespaces, %zu pods, %zu policies, %zu bytes of %s in %.0f ms\n",
        c.namespaces.size(), c.pods.size(), c.policies.size(), text.size(), o.format.c_str(), ms);
    return 0;
}
