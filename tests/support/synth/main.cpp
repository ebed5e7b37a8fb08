// podgate-synth: write a synthetic cluster as `kubectl get ns,pods,
// networkpolicies -A -o yaml|json` would print it.
//
//   podgate-synth --pods 100000 --policies 10000 --namespaces 2000 --seed 1
//                 --format yaml --out cluster.yaml
//   podgate-synth --adversarial --seed 42 --out replay.yaml   (a differential-test cluster)

#include "tests/support/synth/generate.hpp"
#include "tests/support/synth/writer.hpp"

#include <CLI/CLI.hpp>

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
