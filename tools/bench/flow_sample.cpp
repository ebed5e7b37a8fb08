#include "tools/bench/flow_sample.hpp"

#include "tests/support/synth/random.hpp"

#include <map>
#include <set>
#include <string>

namespace podgate::bench {

namespace {

struct port_choice {
    uint8_t proto;
    uint16_t port;
};

struct target {
    uint32_t addr;
    const config::pod* pod;
};

// A port the rules of `pol` name, resolved on `dst` for named ports.
bool policy_port(const config::network_policy& pol, const config::pod& dst, synth::random& r, port_choice& out) {
    if (pol.ingress.empty()) {
        return false;
    }
    const auto& rule = r.pick(pol.ingress);
    if (rule.ports.empty()) {
        return false;
    }
    const auto& pr = r.pick(rule.ports);
    out.proto = static_cast<uint8_t>(pr.proto);
    switch (pr.what) {
    case config::port_rule::kind::all_ports:
        out.port = static_cast<uint16_t>(r.between(1, 65535));
        return true;
    case config::port_rule::kind::number:
        out.port = static_cast<uint16_t>(r.between(pr.port, pr.end_port));
        return true;
    case config::port_rule::kind::named:
        if (auto n = dst.resolve_port(pr.name, pr.proto)) {
            out.port = *n;
            return true;
        }
        return false;
    }
    return false;
}

} // namespace

std::vector<classifier::flow> sample_flows(const config::cluster& c, uint32_t n, uint64_t seed) {
    synth::random r(seed);
    std::vector<target> pods;
    std::set<uint32_t> seen;
    for (const auto& p : c.pods) {
        if (!p.is_endpoint()) {
            continue;
        }
        for (const auto& ip : p.ips) {
            if (ip.family == ip_family::v4 && seen.insert(ip.as_v4()).second) {
                pods.push_back({ip.as_v4(), &p});
            }
        }
    }
    std::vector<port_choice> ports;
    for (const auto& pol : c.policies) {
        for (const auto& rule : pol.ingress) {
            for (const auto& pr : rule.ports) {
                if (pr.what == config::port_rule::kind::number) {
                    ports.push_back({static_cast<uint8_t>(pr.proto), pr.port});
                }
            }
        }
    }
    for (size_t i = 0; i < pods.size() && i < 10000; ++i) {
        for (const auto& cp : pods[i].pod->ports) {
            ports.push_back({static_cast<uint8_t>(cp.proto), cp.number});
        }
    }
    for (uint16_t p = 20000; p < 20010; ++p) {
        ports.push_back({6, static_cast<uint16_t>(p + r.below(100) * 10)});
        ports.push_back({17, static_cast<uint16_t>(p + r.below(100) * 10)});
    }
    // Which pods each policy selects, for the aimed share (small namespaces).
    std::map<std::string, std::vector<target>, std::less<>> by_ns;
    for (const auto& t : pods) {
        by_ns[t.pod->ns].push_back(t);
    }
    std::vector<std::vector<target>> selected(c.policies.size());
    for (size_t i = 0; i < c.policies.size(); ++i) {
        const auto it = by_ns.find(c.policies[i].ns);
        if (it == by_ns.end()) {
            continue;
        }
        for (const auto& t : it->second) {
            if (c.policies[i].pod_selector.matches(t.pod->labels)) {
                selected[i].push_back(t);
            }
        }
    }
    const auto external = [&r] { return ip_address::v4((198u << 24) | (51u << 16) | (100u << 8) | uint32_t(r.below(256))); };
    std::vector<classifier::flow> out;
    out.reserve(n);
    while (out.size() < n) {
        classifier::flow f;
        const uint64_t kind = r.below(100);
        const uint16_t sport = static_cast<uint16_t>(r.between(32768, 60999));
        if (pods.empty()) {
            f = {external(), external(), 6, sport, 80};
        } else if (kind < 40 && !c.policies.empty()) {
            const size_t pi = r.below(c.policies.size());
            if (selected[pi].empty()) {
                continue;
            }
            const target& dst = r.pick(selected[pi]);
            port_choice pc{};
            if (!policy_port(c.policies[pi], *dst.pod, r, pc)) {
                pc = r.pick(ports);
            }
            f = {ip_address::v4(r.pick(pods).addr), ip_address::v4(dst.addr), pc.proto, sport, pc.port};
        } else if (kind < 80) {
            const port_choice pc = r.pick(ports);
            f = {ip_address::v4(r.pick(pods).addr), ip_address::v4(r.pick(pods).addr), pc.proto, sport, pc.port};
        } else if (kind < 95) {
            const port_choice pc = r.pick(ports);
            const bool inbound = r.chance(0.5);
            const auto pod = ip_address::v4(r.pick(pods).addr);
            f = {inbound ? external() : pod, inbound ? pod : external(), pc.proto, sport, pc.port};
        } else {
            f = {ip_address::v4(r.pick(pods).addr), ip_address::v4(r.pick(pods).addr), 1, 0, 0};
        }
        out.push_back(f);
    }
    return out;
}

} // namespace podgate::bench
