// bench_flows: distinct IPv4 flows for the pipeline benchmark, in the flow
// format podgate-traffic reads, from the same synthetic cluster podgate-synth
// writes for the same parameters (tests/support/synth is deterministic), with an
// exact share of flows that podgate's compiled tables allow.
//
//   bench_flows --pods P --policies N --namespaces M [--seed S]
//               --count C --allow-fraction F --out FILE
//
// (podgate-traffic flows steers towards a share with a built-in estimate; at
// 100k pods and 10k policies that takes longer than the benchmark itself.)
// The verdicts are checked against the reference evaluator on the first 500
// flows; a disagreement is an error (exit 1). No SCTP: SCTP over IPv4 does not
// fit a 64-byte frame.

#include "classifier/compile/compiler.hpp"
#include "classifier/lookup/lookup.hpp"
#include "classifier/reference/evaluator.hpp"
#include "tools/bench/flow_sample.hpp"
#include "tests/support/synth/generate.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <set>
#include <string>
#include <tuple>

namespace {

struct options {
    podgate::synth::scale_params scale;
    uint32_t count = 0;
    double allow_fraction = -1;
    std::string out;
};

constexpr const char* usage = "usage: bench_flows --pods P --policies N --namespaces M [--seed S] --count C "
                              "--allow-fraction F --out FILE\n";

int parse(int argc, char** argv, options& o) {
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--help" || a == "-h") {
            std::fputs(usage, stdout);
            return 0;
        }
        if (i + 1 >= argc) {
            std::fprintf(stderr, "bench_flows: %s needs a value\n%s", a.c_str(), usage);
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
            } else if (a == "--count") {
                o.count = static_cast<uint32_t>(std::stoul(v));
            } else if (a == "--allow-fraction") {
                o.allow_fraction = std::stod(v);
            } else if (a == "--out") {
                o.out = v;
            } else {
                std::fprintf(stderr, "bench_flows: unknown option %s\n%s", a.c_str(), usage);
                return 2;
            }
        } catch (const std::exception&) {
            std::fprintf(stderr, "bench_flows: bad value for %s: %s\n", a.c_str(), v.c_str());
            return 2;
        }
    }
    if (o.count == 0 || o.out.empty() || o.allow_fraction < 0 || o.allow_fraction > 1 || o.scale.namespaces == 0) {
        std::fprintf(stderr, "bench_flows: --count, --allow-fraction 0..1 and --out are required\n%s", usage);
        return 2;
    }
    return -1;
}

const char* proto_name(uint8_t p) {
    switch (p) {
    case 6: return "tcp";
    case 17: return "udp";
    case 1: return "icmp";
    default: return nullptr;
    }
}

} // namespace

int main(int argc, char** argv) {
    options o;
    if (const int rc = parse(argc, argv, o); rc >= 0) {
        return rc;
    }
    using namespace podgate;
    const config::cluster c = synth::generate_scale(o.scale);
    auto compiled = classifier::compile(c);
    if (!compiled.result) {
        std::fprintf(stderr, "bench_flows: compile failed: %s\n", compiled.error.c_str());
        return 1;
    }
    const classifier::tables& t = *compiled.result;
    const auto want_allow = static_cast<uint32_t>(std::lround(o.allow_fraction * o.count));
    const uint32_t want_deny = o.count - want_allow;
    std::vector<classifier::flow> allowed;
    std::vector<classifier::flow> denied;
    std::set<std::tuple<uint32_t, uint32_t, uint8_t, uint16_t, uint16_t>> seen;
    for (uint64_t round = 0; allowed.size() < want_allow || denied.size() < want_deny; ++round) {
        if (round == 64) {
            std::fprintf(stderr, "bench_flows: found only %zu allowed and %zu denied distinct flows; this cluster "
                                 "cannot give the share asked for\n",
                         allowed.size(), denied.size());
            return 1;
        }
        for (auto f : bench::sample_flows(c, std::max<uint32_t>(o.count, 4096), o.scale.seed * 7919 + round)) {
            if (f.proto == 132) {
                continue;
            }
            if (f.proto == 1) {
                f.sport = static_cast<uint16_t>(1 + seen.size() % 65535); // distinct echo identifiers
            }
            if (!seen.emplace(f.src.as_v4(), f.dst.as_v4(), f.proto, f.sport, f.dport).second) {
                continue;
            }
            auto& bucket = classifier::lookup(t, f).allow ? allowed : denied;
            if (bucket.size() < (&bucket == &allowed ? want_allow : want_deny)) {
                bucket.push_back(f);
            }
        }
    }
    // Interleave so that any prefix of the file has about the same share.
    std::vector<classifier::flow> flows;
    for (uint32_t i = 0, a = 0, d = 0; i < o.count; ++i) {
        const bool take_allow = d >= want_deny || (a < want_allow && uint64_t{a} * o.count <= uint64_t{i} * want_allow);
        flows.push_back(take_allow ? allowed[a++] : denied[d++]);
    }
    const classifier::reference::evaluator ref(c);
    for (size_t i = 0; i < flows.size() && i < 500; ++i) {
        if (ref.evaluate(flows[i]).allow != classifier::lookup(t, flows[i]).allow) {
            std::fprintf(stderr, "bench_flows: compiled tables and reference evaluator disagree on flow %zu\n", i);
            return 1;
        }
    }
    std::ofstream out(o.out);
    out << "# bench_flows --pods " << o.scale.pods << " --policies " << o.scale.policies << " --namespaces "
        << o.scale.namespaces << " --seed " << o.scale.seed << " --count " << o.count << " --allow-fraction "
        << o.allow_fraction << "\n# " << want_allow << " allowed, " << want_deny << " denied by podgate's tables\n";
    for (const auto& f : flows) {
        const char* name = proto_name(f.proto);
        out << (name ? name : std::to_string(f.proto).c_str()) << ' ' << to_string(f.src) << ' ' << f.sport << ' '
            << to_string(f.dst) << ' ' << f.dport << '\n';
    }
    if (!out.flush()) {
        std::fprintf(stderr, "bench_flows: cannot write %s\n", o.out.c_str());
        return 1;
    }
    std::fprintf(stderr, "bench_flows: %u flows (%u allowed) -> %s\n", o.count, want_allow, o.out.c_str());
    return 0;
}
