// The daemon's options: every option is also a config key; errors name the
// option, or the file:line and key.
#include "app/options.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace {

using podgate::app::daemon_options;
using podgate::app::parse_options;

std::string parse(std::vector<std::string> args, daemon_options& out) {
    args.insert(args.begin(), "--");
    std::vector<char*> argv;
    for (auto& a : args) {
        argv.push_back(a.data());
    }
    bool help = false;
    const podgate::status s = parse_options(static_cast<int>(argv.size()), argv.data(), out, help);
    return s ? "" : s.error();
}

std::string write_config(const std::string& text) {
    char name[] = "/tmp/podgate-options-XXXXXX";
    const int fd = mkstemp(name);
    close(fd);
    std::ofstream(name) << text;
    return name;
}

TEST(Options, CommandLineValues) {
    daemon_options o;
    ASSERT_EQ(parse({"--manifests", "a", "--manifests=b", "--non-pod-traffic", "deny",
                     "--conntrack-capacity", "4096", "--conntrack-timeout", "udp=5", "--port-pairs",
                     "0:1,2:2", "--exit-on-idle", "250"},
                    o),
              "");
    EXPECT_EQ(o.manifests, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(o.non_pod_traffic, podgate::config::default_action::deny);
    EXPECT_EQ(o.worker.conntrack.capacity, 4096u);
    EXPECT_EQ(o.worker.conntrack.timeouts.udp, 5u);
    ASSERT_EQ(o.ports.pairs.size(), 2u);
    EXPECT_EQ(o.ports.pairs[1], (std::pair<uint16_t, uint16_t>{2, 2}));
    EXPECT_EQ(o.exit_on_idle_ms, 250u);
}

TEST(Options, ErrorsNameTheOption) {
    daemon_options o;
    EXPECT_EQ(parse({"--manifests", "a", "--bogus", "1"}, o),
              "unknown option --bogus (see --help)");
    daemon_options o2;
    EXPECT_EQ(parse({"--manifests", "a", "--non-pod-traffic", "maybe"}, o2),
              "--non-pod-traffic: invalid value \"maybe\": expected allow|deny");
    daemon_options o3;
    EXPECT_EQ(
        parse({"--manifests", "a", "--conntrack-capacity", "12x"}, o3),
        "--conntrack-capacity: invalid value \"12x\": expected a whole number from 8 to 268435456");
    daemon_options o4;
    EXPECT_EQ(parse({"--non-pod-traffic", "deny"}, o4),
              "no manifests: give --manifests PATH (or manifests: in the config file)");
    daemon_options o5;
    EXPECT_EQ(parse({"--manifests"}, o5), "option --manifests needs a value");
}

TEST(Options, ConfigFileKeysAreTheOptionNames) {
    const auto path = write_config("manifests:\n  - x/\n  - y.yaml\nnon-pod-traffic: deny\n"
                                   "conntrack-timeout:\n  tcp-established: 100\n  udp: 7\n"
                                   "port-pairs:\n  - [0, 1]\nstats-json: /tmp/s.json\n");
    daemon_options o;
    ASSERT_EQ(parse({"--config", path}, o), "");
    EXPECT_EQ(o.manifests, (std::vector<std::string>{"x/", "y.yaml"}));
    EXPECT_EQ(o.worker.conntrack.timeouts.tcp_established, 100u);
    EXPECT_EQ(o.worker.conntrack.timeouts.udp, 7u);
    EXPECT_EQ(o.stats_json, "/tmp/s.json");
    // The command line wins, and its list replaces the file's.
    daemon_options o2;
    ASSERT_EQ(parse({"--config", path, "--manifests", "z", "--non-pod-traffic", "allow"}, o2), "");
    EXPECT_EQ(o2.manifests, (std::vector<std::string>{"z"}));
    EXPECT_EQ(o2.non_pod_traffic, podgate::config::default_action::allow);
    std::remove(path.c_str());
}

TEST(Options, ConfigFileErrorsNameFileLineAndKey) {
    const auto path = write_config("manifests: [a]\nconntrack-capacity: lots\n");
    daemon_options o;
    EXPECT_EQ(parse({"--config", path}, o),
              path + ":2: conntrack-capacity: invalid value \"lots\": expected a whole number from "
                     "8 to 268435456");
    const auto path2 = write_config("manifests: [a]\n\nconntrak-capacity: 5\n");
    daemon_options o2;
    EXPECT_EQ(parse({"--config", path2}, o2),
              path2 + ":3: unknown key \"conntrak-capacity\" (see podgate --help for the keys)");
    const auto path3 = write_config("manifests: [a\n");
    daemon_options o3;
    EXPECT_NE(parse({"--config", path3}, o3).find(path3 + ":"), std::string::npos);
    daemon_options o4;
    EXPECT_EQ(parse({"--config", "/nonexistent/podgate.yaml"}, o4),
              "/nonexistent/podgate.yaml: cannot read config file");
    for (const auto& p : {path, path2, path3}) {
        std::remove(p.c_str());
    }
}

} // namespace
