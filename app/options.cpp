#include "app/options.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <functional>
#include <sstream>

namespace podgate::app {

namespace {

using setter = std::function<std::string(daemon_options&, const std::string&)>;

struct option_spec {
    const char* key;
    const char* arg;
    const char* help;
    setter set;
    bool repeatable = false;
};

template <typename T>
std::string parse_uint(const std::string& v, T& out, uint64_t min, uint64_t max) {
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc{} || end != v.data() + v.size() || v.empty() || n < min || n > max) {
        return "invalid value \"" + v + "\": expected a whole number from " + std::to_string(min) +
               " to " + std::to_string(max);
    }
    out = static_cast<T>(n);
    return {};
}

std::string parse_choice(const std::string& v, std::initializer_list<const char*> choices,
                         size_t& index) {
    size_t i = 0;
    std::string list;
    for (const char* c : choices) {
        if (v == c) {
            index = i;
            return {};
        }
        list += (i++ ? "|" : "") + std::string(c);
    }
    return "invalid value \"" + v + "\": expected " + list;
}

std::string set_timeout(daemon_options& o, const std::string& v) {
    const auto eq = v.find('=');
    if (eq == std::string::npos) {
        return "invalid value \"" + v + "\": expected NAME=SECONDS";
    }
    const std::string name = v.substr(0, eq);
    auto& t = o.worker.conntrack.timeouts;
    const std::pair<const char*, uint32_t*> names[] = {{"tcp-syn-sent", &t.tcp_syn_sent},
                                                       {"tcp-established", &t.tcp_established},
                                                       {"tcp-closing", &t.tcp_closing},
                                                       {"tcp-closed", &t.tcp_closed},
                                                       {"udp", &t.udp},
                                                       {"icmp", &t.icmp},
                                                       {"sctp", &t.sctp},
                                                       {"other", &t.other}};
    for (const auto& [n, field] : names) {
        if (name == n) {
            return parse_uint(v.substr(eq + 1), *field, 1, 30u * 24 * 3600);
        }
    }
    return "unknown timeout \"" + name +
           "\": expected tcp-syn-sent, tcp-established, tcp-closing, tcp-closed, udp, icmp, sctp "
           "or other";
}

std::string set_pairs(daemon_options& o, const std::string& v) {
    std::stringstream ss(v);
    std::string item;
    while (std::getline(ss, item, ',')) {
        const auto colon = item.find(':');
        uint16_t a = 0;
        uint16_t b = 0;
        if (colon == std::string::npos || !parse_uint(item.substr(0, colon), a, 0, 1023).empty() ||
            !parse_uint(item.substr(colon + 1), b, 0, 1023).empty()) {
            return "invalid value \"" + v +
                   "\": expected pairs like 0:1,2:3 (a port paired with itself hairpins)";
        }
        o.ports.pairs.emplace_back(a, b);
    }
    return {};
}

const std::vector<option_spec>& specs() {
    static const std::vector<option_spec> all = {
        {"manifests", "PATH", "manifest file or directory (repeatable)",
         [](daemon_options& o, const std::string& v) {
             o.manifests.push_back(v);
             return std::string{};
         },
         true},
        {"non-pod-traffic", "allow|deny", "verdict when neither end is a pod (default allow)",
         [](daemon_options& o, const std::string& v) {
             size_t i = 0;
             auto err = parse_choice(v, {"allow", "deny"}, i);
             o.non_pod_traffic =
                 i == 0 ? config::default_action::allow : config::default_action::deny;
             return err;
         }},
        {"non-ip-traffic", "allow|deny",
         "what to do with non-IP frames such as ARP, LLDP (default allow)",
         [](daemon_options& o, const std::string& v) {
             size_t i = 0;
             auto err = parse_choice(v, {"allow", "deny"}, i);
             o.worker.forward_non_ip = i == 0;
             return err;
         }},
        {"established", "revalidate|keep",
         "established flows after a policy change (default revalidate)",
         [](daemon_options& o, const std::string& v) {
             size_t i = 0;
             auto err = parse_choice(v, {"revalidate", "keep"}, i);
             o.worker.established = i == 0 ? pipeline::established_policy::revalidate
                                           : pipeline::established_policy::keep;
             return err;
         }},
        {"tcp-pickup", "loose|syn-only",
         "which TCP packets of unknown flows open a conntrack entry (default loose: any but "
         "SYN-ACK/RST)",
         [](daemon_options& o, const std::string& v) {
             size_t i = 0;
             auto err = parse_choice(v, {"loose", "syn-only"}, i);
             o.worker.pickup =
                 i == 0 ? pipeline::tcp_pickup::loose : pipeline::tcp_pickup::syn_only;
             return err;
         }},
        {"conntrack-capacity", "N", "connection entries per worker (default 1048576)",
         [](daemon_options& o, const std::string& v) {
             return parse_uint(v, o.worker.conntrack.capacity, 8, 1u << 28);
         }},
        {"conntrack-when-full", "evict|drop",
         "new allowed flow with a full table: evict the oldest expired-or-embryonic entry, else "
         "drop (default evict)",
         [](daemon_options& o, const std::string& v) {
             size_t i = 0;
             auto err = parse_choice(v, {"evict", "drop"}, i);
             o.worker.conntrack.when_full =
                 i == 0 ? pipeline::ct_when_full::evict : pipeline::ct_when_full::drop;
             return err;
         }},
        {"conntrack-timeout", "NAME=SECONDS",
         "tcp-syn-sent 30, tcp-established 3600, tcp-closing 60, tcp-closed 10, udp 60, icmp 30, "
         "sctp 300, other 60 "
         "(repeatable)",
         set_timeout, true},
        {"fragment-capacity", "N", "fragmented datagrams tracked per worker (default 4096)",
         [](daemon_options& o, const std::string& v) {
             return parse_uint(v, o.worker.fragments.capacity, 8, 1u << 24);
         }},
        {"fragment-timeout", "SECONDS", "how long a first fragment's verdict is kept (default 10)",
         [](daemon_options& o, const std::string& v) {
             return parse_uint(v, o.worker.fragments.timeout_s, 1, 3600);
         }},
        {"port-pairs", "A:B,...",
         "bump-in-the-wire pairs (default 0:1,2:3,...; a lone last port hairpins)", set_pairs},
        {"rx-descriptors", "N", "RX descriptors per queue (default 1024)",
         [](daemon_options& o, const std::string& v) {
             return parse_uint(v, o.ports.rx_descriptors, 32, 16384);
         }},
        {"tx-descriptors", "N", "TX descriptors per queue (default 1024)",
         [](daemon_options& o, const std::string& v) {
             return parse_uint(v, o.ports.tx_descriptors, 32, 16384);
         }},
        {"extra-mbufs", "N",
         "mbufs added to the pool beyond the queues' needs (default 0; net_pcap infinite_rx "
         "preloads its whole file)",
         [](daemon_options& o, const std::string& v) {
             return parse_uint(v, o.ports.extra_mbufs, 0, 16u << 20);
         }},
        {"burst", "N", "packets per RX burst (1..32, default 32)",
         [](daemon_options& o, const std::string& v) {
             return parse_uint(v, o.worker.burst, 1, pipeline::max_burst);
         }},
        {"idle-sleep-us", "US", "sleep this long after 1024 empty polls (default 0: busy-poll)",
         [](daemon_options& o, const std::string& v) {
             return parse_uint(v, o.worker.idle_sleep_us, 0, 1000000);
         }},
        {"exit-on-idle", "MS", "stop once no packet has arrived for MS milliseconds (pcap replay)",
         [](daemon_options& o, const std::string& v) {
             return parse_uint(v, o.exit_on_idle_ms, 1, 86400000);
         }},
        {"stats-json", "FILE", "write the final counters as JSON to FILE at exit",
         [](daemon_options& o, const std::string& v) {
             o.stats_json = v;
             return std::string{};
         }},
        {"stats-interval", "SECONDS", "print counters every SECONDS (0: only at exit; default 10)",
         [](daemon_options& o, const std::string& v) {
             uint32_t s = 0;
             auto err = parse_uint(v, s, 0, 86400);
             o.stats_interval_s = s;
             return err;
         }},
        {"table-memory-budget", "MIB", "largest compiled table set accepted (default 1024)",
         [](daemon_options& o, const std::string& v) {
             uint32_t mib = 0;
             auto err = parse_uint(v, mib, 1, 1u << 20);
             o.table_memory_budget = size_t{mib} << 20;
             return err;
         }},
        {"metrics-listen", "ADDR:PORT|off",
         "Prometheus endpoint GET /metrics (default 127.0.0.1:9469; port 0: any)",
         [](daemon_options& o, const std::string& v) {
             o.metrics_listen = v;
             return std::string{};
         }},
        {"drop-log", "FILE|-", "log dropped flows to FILE (- for stderr); default off",
         [](daemon_options& o, const std::string& v) {
             o.drop_log = v;
             return std::string{};
         }},
        {"drop-log-format", "text|json", "drop log lines as text or JSON (default text)",
         [](daemon_options& o, const std::string& v) {
             size_t i = 0;
             auto err = parse_choice(v, {"text", "json"}, i);
             o.drop_log_json = i == 1;
             return err;
         }},
        {"drop-log-rate", "N",
         "at most N drop-log lines per second; the rest are counted (default 100)",
         [](daemon_options& o, const std::string& v) {
             return parse_uint(v, o.drop_log_rate, 1, 1000000);
         }},
        {"drop-capture", "FILE", "write dropped packets to a pcapng FILE (default off)",
         [](daemon_options& o, const std::string& v) {
             o.drop_capture = v;
             return std::string{};
         }},
        {"drop-capture-size", "MIB", "rotate the capture file after this many MiB (default 64)",
         [](daemon_options& o, const std::string& v) {
             return parse_uint(v, o.drop_capture_mib, 1, 1u << 20);
         }},
        {"drop-capture-files", "N", "capture files kept: FILE, FILE.1 ... (default 2)",
         [](daemon_options& o, const std::string& v) {
             return parse_uint(v, o.drop_capture_files, 1, 1000);
         }},
        {"log-level", "LEVEL", "trace, debug, info, warn, error (default info)",
         [](daemon_options& o, const std::string& v) {
             size_t i = 0;
             auto err = parse_choice(v, {"trace", "debug", "info", "warn", "error"}, i);
             o.log_level = v;
             return err;
         }},
    };
    return all;
}

const option_spec* find_spec(const std::string& key) {
    for (const auto& s : specs()) {
        if (key == s.key) {
            return &s;
        }
    }
    return nullptr;
}

// YAML value -> the strings the setters take (lists become repeated values,
// timeouts a NAME=SECONDS list, port pairs "a:b").
std::string config_values(const std::string& key, const YAML::Node& n,
                          std::vector<std::string>& out) {
    if (key == "conntrack-timeout" && n.IsMap()) {
        for (const auto& kv : n) {
            out.push_back(kv.first.as<std::string>() + "=" + kv.second.as<std::string>());
        }
        return {};
    }
    if (key == "port-pairs" && n.IsSequence()) {
        for (const auto& pair : n) {
            if (pair.IsSequence() && pair.size() == 2) {
                out.push_back(pair[0].as<std::string>() + ":" + pair[1].as<std::string>());
            } else if (pair.IsScalar()) {
                out.push_back(pair.as<std::string>());
            } else {
                return "expected a list of [A, B] pairs";
            }
        }
        return {};
    }
    if (n.IsSequence() && find_spec(key)->repeatable) {
        for (const auto& item : n) {
            if (!item.IsScalar()) {
                return "expected a list of values";
            }
            out.push_back(item.as<std::string>());
        }
        return {};
    }
    if (!n.IsScalar()) {
        return "expected a single value";
    }
    out.push_back(n.as<std::string>());
    return {};
}

std::string load_config_file(const std::string& path, daemon_options& out) {
    YAML::Node root;
    try {
        root = YAML::LoadFile(path);
    } catch (const YAML::BadFile&) {
        return path + ": cannot read config file";
    } catch (const YAML::Exception& e) {
        return path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg;
    }
    if (root.IsNull()) {
        return {};
    }
    if (!root.IsMap()) {
        return path + ":" + std::to_string(root.Mark().line + 1) +
               ": the config file must be a mapping of option: value";
    }
    for (const auto& kv : root) {
        const std::string key = kv.first.Scalar();
        const std::string where = path + ":" + std::to_string(kv.first.Mark().line + 1) + ": ";
        const option_spec* spec = find_spec(key);
        if (spec == nullptr || key == "config") {
            return where + "unknown key \"" + key + "\" (see podgate --help for the keys)";
        }
        std::vector<std::string> values;
        try {
            if (std::string err = config_values(key, kv.second, values); !err.empty()) {
                return where + key + ": " + err;
            }
        } catch (const YAML::Exception& e) {
            return where + key + ": " + e.msg;
        }
        for (const auto& v : values) {
            if (std::string err = spec->set(out, v); !err.empty()) {
                return where + key + ": " + err;
            }
        }
    }
    return {};
}

} // namespace

std::string usage() {
    std::string text =
        "usage: podgate [EAL options] -- [options]\n"
        "Every option is also a key of the YAML file given with --config FILE.\n\n"
        "  --config FILE               YAML file of option: value (command-line options win)\n"
        "  --list-counters             print every counter, metric and reason name as JSON, and "
        "exit\n";
    for (const auto& s : specs()) {
        std::string left = "  --" + std::string(s.key) + " " + s.arg;
        text += left.size() < 30 ? left + std::string(30 - left.size(), ' ')
                                 : left + "\n" + std::string(30, ' ');
        text += std::string(s.help) + "\n";
    }
    return text;
}

status parse_options(int argc, char** argv, daemon_options& out, bool& help) {
    help = false;
    std::vector<std::pair<std::string, std::string>> given;
    std::string config_path;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "-h" || arg == "--help") {
            help = true;
            return {};
        }
        if (arg.rfind("--", 0) != 0) {
            return fail("unexpected argument \"" + arg + "\" (options start with --)");
        }
        std::string key = arg.substr(2);
        std::string value;
        if (const auto eq = key.find('='); eq != std::string::npos) {
            value = key.substr(eq + 1);
            key = key.substr(0, eq);
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            return fail("option --" + key + " needs a value");
        }
        if (key != "config" && find_spec(key) == nullptr) {
            return fail("unknown option --" + key + " (see --help)");
        }
        if (key == "config") {
            config_path = value;
        } else {
            given.emplace_back(key, value);
        }
    }
    if (!config_path.empty()) {
        if (std::string err = load_config_file(config_path, out); !err.empty()) {
            return fail(err);
        }
    }
    // Lists given on the command line replace the file's lists.
    const auto on_command_line = [&](const char* key) {
        return std::any_of(given.begin(), given.end(),
                           [&](const auto& g) { return g.first == key; });
    };
    if (on_command_line("manifests")) {
        out.manifests.clear();
    }
    if (on_command_line("port-pairs")) {
        out.ports.pairs.clear();
    }
    for (const auto& [key, value] : given) {
        if (std::string err = find_spec(key)->set(out, value); !err.empty()) {
            return fail("--" + key + ": " + err);
        }
    }
    if (out.manifests.empty()) {
        return fail("no manifests: give --manifests PATH (or manifests: in the config file)");
    }
    return {};
}

} // namespace podgate::app
