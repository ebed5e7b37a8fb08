// podgate [EAL options] -- [options]
// A bump-in-the-wire DPDK filter enforcing Kubernetes NetworkPolicy.

#include "app/counter_render.hpp"
#include "app/daemon.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
    // Before anything else, with or without `--`: tests and operators read
    // the counter names from here instead of keeping copies.
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--list-counters") == 0) {
            std::puts(podgate::app::list_counters().dump(2).c_str());
            return 0;
        }
    }
    // Our options follow `--`; EAL sees only what precedes it, and only after
    // the manifests loaded and compiled, so bad input never touches a port.
    int split = argc;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--") == 0) {
            split = i;
            break;
        }
    }
    podgate::app::daemon_options opt;
    bool help = false;
    const podgate::status parsed =
        podgate::app::parse_options(argc - split, argv + split, opt, help);
    if (help) {
        std::fputs(podgate::app::usage().c_str(), stdout);
        return 0;
    }
    if (!parsed) {
        std::fprintf(stderr, "podgate: %s\n", parsed.error().c_str());
        return 2;
    }
    spdlog::set_level(spdlog::level::from_str(opt.log_level));
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");

    podgate::app::appliance d(std::move(opt));
    if (!d.load_policy()) {
        return 1;
    }
    podgate::app::install_signal_handlers();
    if (!d.start(split, argv)) {
        return 1;
    }
    return d.run();
}
