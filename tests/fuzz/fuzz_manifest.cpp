// libFuzzer target for the manifest loader: any bytes, as YAML or JSON.
// Beyond "no crash, no sanitizer report", every object the loader accepts
// must hold the invariants the compiler relies on; a violation traps.
//
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I. \
//     tests/fuzz/fuzz_manifest.cpp config/*.cpp $(pkg-config --cflags --libs yaml-cpp spdlog) -o
//     fuzz_manifest
//   ./fuzz_manifest -max_len=8192 tests/fuzz/manifest_corpus

#include "config/manifest_loader.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

using namespace podgate::config;

void check(bool ok) {
    if (!ok) {
        __builtin_trap();
    }
}

void check_policy(const network_policy& np) {
    check(!np.name.empty() && !np.ns.empty());
    check(np.affects_ingress || np.affects_egress);
    for (const auto* rules : {&np.ingress, &np.egress}) {
        for (const auto& r : *rules) {
            for (const auto& port : r.ports) {
                if (port.what == port_rule::kind::number) {
                    check(port.port >= 1 && port.port <= port.end_port);
                } else if (port.what == port_rule::kind::named) {
                    check(!port.name.empty() && port.name.size() <= 15);
                }
            }
            for (const auto& p : r.peers) {
                check(p.block.has_value() !=
                      (p.pod_selector.has_value() || p.namespace_selector.has_value()));
                if (p.block) {
                    for (const auto& e : p.block->except) {
                        check(p.block->cidr.contains(e) && e.length > p.block->cidr.length);
                    }
                }
            }
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const load_result r = load_manifest_text(text, "fuzz.yaml");
    for (const auto& d : r.errors) {
        check(!d.to_string().empty() && !d.message.empty() && d.line >= 0);
    }
    for (const auto& d : r.warnings) {
        check(!d.to_string().empty());
    }
    for (const auto& np : r.objects.policies) {
        check_policy(np);
    }
    for (const auto& p : r.objects.pods) {
        check(!p.name.empty() && !p.ns.empty() && p.ips.size() <= 2);
        for (const auto& cp : p.ports) {
            check(cp.number >= 1);
        }
    }
    for (const auto& n : r.objects.namespaces) {
        check(n.labels.count(namespace_name_label) == 1 &&
              n.labels.at(namespace_name_label) == n.name);
    }
    return 0;
}
