#include "tools/policy/flowgen.hpp"

#include "classifier/lookup/lookup.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>

namespace podgate::tools {

namespace {

constexpr uint16_t ephemeral_lo = 32768;
constexpr uint16_t ephemeral_hi = 60999;

int family_index(ip_family f) {
    return f == ip_family::v6 ? 1 : 0;
}

// An address in ipBlock `b` (outside its excepts when a few tries
// find one), or nullopt when the block is of the other family.
std::optional<ip_address> in_block(const config::ip_block& b, ip_family f, std::mt19937_64& rng) {
    if (b.cidr.base.family != f) {
        return std::nullopt;
    }
    const unsigned host_bits = address_bits(f) - b.cidr.length;
    for (int i = 0; i < 8; ++i) {
        const u128 host =
            host_bits == 0 ? 0 : ((u128{rng()} << 64) | rng()) & ~prefix_mask(f, b.cidr.length);
        const ip_address a{f, b.cidr.base.value | host};
        if (b.contains(a)) {
            return a;
        }
    }
    return std::nullopt;
}

} // namespace

flow_generator::flow_generator(const config::cluster& c, const flowgen_params& p)
    : _rng(p.seed), _p(p) {
    std::set<ip_address> seen;
    std::map<std::string, std::vector<target>, std::less<>> by_ns;
    for (const auto& pod : c.pods) {
        if (!pod.is_endpoint()) {
            continue;
        }
        for (const auto& ip : pod.ips) {
            if (seen.insert(ip).second) {
                _pods[family_index(ip.family)].push_back({ip, &pod});
                by_ns[pod.ns].push_back({ip, &pod});
            }
        }
    }
    std::set<std::tuple<uint8_t, uint16_t, uint16_t>> ports;
    for (const auto& pol : c.policies) {
        for (const auto dir : {config::direction::ingress, config::direction::egress}) {
            for (const auto& rule : pol.rules(dir)) {
                for (const auto& pr : rule.ports) {
                    if (pr.what == config::port_rule::kind::number) {
                        ports.emplace(static_cast<uint8_t>(pr.proto), pr.port, pr.end_port);
                    }
                }
            }
        }
    }
    // Container ports stand for named ports too: a named port resolves to one.
    for (const auto& pod : c.pods) {
        for (const auto& cp : pod.ports) {
            ports.emplace(static_cast<uint8_t>(cp.proto), cp.number, cp.number);
        }
    }
    if (ports.empty()) {
        ports = {{6, 80, 80}, {6, 443, 443}, {17, 53, 53}};
    }
    for (const auto& [proto, lo, hi] : ports) {
        _ports.push_back({proto, lo, hi});
    }
    _ports.push_back({6, 20000, 20999});
    _ports.push_back({17, 20000, 20999});
    // One aim per rule; the pods a policy selects come from its namespace only.
    for (const auto& pol : c.policies) {
        const auto it = by_ns.find(pol.ns);
        for (const auto dir : {config::direction::ingress, config::direction::egress}) {
            for (const auto& rule : pol.rules(dir)) {
                aim a{&pol, &rule, dir, {}};
                for (const auto& t : it == by_ns.end() ? std::vector<target>{} : it->second) {
                    if (pol.pod_selector.matches(t.pod->labels)) {
                        a.selected[family_index(t.addr.family)].push_back(t);
                    }
                }
                _aims.push_back(std::move(a));
            }
        }
    }
}

ip_address flow_generator::external(ip_family f) {
    if (f == ip_family::v4) {
        return ip_address::v4((198u << 24) | (51u << 16) | (100u << 8) | uint32_t(1 + below(254)));
    }
    return ip_address::v6((u128{0x20010db8} << 96) | (_rng() | 1));
}

flow_generator::target flow_generator::any_end(ip_family f) {
    const auto& candidates = pods(f);
    if (candidates.empty() || chance(_p.external_fraction)) {
        return {external(f), nullptr};
    }
    return candidates[below(candidates.size())];
}

ip_address flow_generator::address(ip_family f) {
    return any_end(f).addr;
}

std::optional<classifier::flow> flow_generator::aimed(ip_family f) {
    if (_aims.empty()) {
        return std::nullopt;
    }
    aim& a = _aims[below(_aims.size())];
    const auto& selected = a.selected[family_index(f)];
    if (selected.empty()) {
        return std::nullopt;
    }
    const target here = selected[below(selected.size())];
    target there = any_end(f);
    if (!a.rule->peers.empty()) {
        const auto& peer = a.rule->peers[below(a.rule->peers.size())];
        if (peer.block) {
            const auto addr = in_block(*peer.block, f, _rng);
            if (!addr) {
                return std::nullopt;
            }
            there = {*addr, nullptr};
        }
    }
    if (there.addr == here.addr) {
        return std::nullopt;
    }
    const bool ingress = a.dir == config::direction::ingress;
    const config::pod* dst_pod = ingress ? here.pod : there.pod;
    classifier::flow fl{
        ingress ? there.addr : here.addr, ingress ? here.addr : there.addr, 6,
        static_cast<uint16_t>(ephemeral_lo + below(ephemeral_hi - ephemeral_lo + 1)), 0};
    if (a.rule->ports.empty()) {
        const port_range& pr = _ports[below(_ports.size())];
        fl.proto = pr.proto;
        fl.dport = static_cast<uint16_t>(pr.lo + below(pr.hi - pr.lo + 1u));
        return fl;
    }
    const auto& pr = a.rule->ports[below(a.rule->ports.size())];
    fl.proto = static_cast<uint8_t>(pr.proto);
    switch (pr.what) {
    case config::port_rule::kind::all_ports:
        fl.dport = static_cast<uint16_t>(1 + below(65535));
        break;
    case config::port_rule::kind::number:
        fl.dport = static_cast<uint16_t>(pr.port + below(pr.end_port - pr.port + 1u));
        break;
    case config::port_rule::kind::named: {
        const auto n = dst_pod ? dst_pod->resolve_port(pr.name, pr.proto) : std::nullopt;
        if (!n) {
            return std::nullopt;
        }
        fl.dport = *n;
        break;
    }
    }
    return fl;
}

classifier::flow flow_generator::random_flow(ip_family f) {
    const ip_address src = address(f);
    ip_address dst = address(f);
    while (dst == src) {
        dst = external(f);
    }
    const port_range& pr = _ports[below(_ports.size())];
    return {src, dst, pr.proto,
            static_cast<uint16_t>(ephemeral_lo + below(ephemeral_hi - ephemeral_lo + 1)),
            static_cast<uint16_t>(pr.lo + below(pr.hi - pr.lo + 1u))};
}

classifier::flow flow_generator::next() {
    for (;;) {
        const ip_family f = chance(_p.ipv6_fraction) ? ip_family::v6 : ip_family::v4;
        const uint64_t kind = below(100);
        if (kind < 40) {
            if (auto fl = aimed(f)) {
                return *fl;
            }
            continue;
        }
        if (kind < 95) {
            return random_flow(f);
        }
        classifier::flow echo = random_flow(f);
        echo.proto = f == ip_family::v4 ? config::ipproto_icmp : config::ipproto_icmpv6;
        echo.sport = static_cast<uint16_t>(1 + below(65535));
        echo.dport = 0;
        return echo;
    }
}

flow_list generate_flows(const config::cluster& c, const classifier::tables& t,
                         const flowgen_params& p, uint32_t count,
                         std::optional<double> allow_fraction) {
    flow_generator gen(c, p);
    const auto want_allow =
        allow_fraction ? static_cast<uint32_t>(std::lround(*allow_fraction * count)) : count;
    const uint32_t want_deny = allow_fraction ? count - want_allow : count;
    std::vector<classifier::flow> allowed;
    std::vector<classifier::flow> denied;
    std::vector<classifier::flow> as_drawn;
    std::set<std::tuple<ip_address, ip_address, uint8_t, uint16_t, uint16_t>> seen;
    flow_list out;
    // A budget, so that a share the cluster cannot give ends with an error.
    const auto done = [&] {
        return allow_fraction ? allowed.size() == want_allow && denied.size() == want_deny
                              : as_drawn.size() == count;
    };
    for (uint64_t budget = 200ull * count + 10000; !done(); --budget) {
        if (budget == 0) {
            out.error = "found only " + std::to_string(allowed.size()) + " of " +
                        std::to_string(want_allow) + " allowed and " +
                        std::to_string(denied.size()) + " of " + std::to_string(want_deny) +
                        " denied distinct flows; these manifests cannot give the share asked for";
            return out;
        }
        const classifier::flow f = gen.next();
        if (!seen.emplace(f.src, f.dst, f.proto, f.sport, f.dport).second) {
            continue;
        }
        const bool allow = classifier::lookup(t, f).allow;
        if (!allow_fraction) {
            as_drawn.push_back(f);
            out.allowed += allow;
            continue;
        }
        auto& bucket = allow ? allowed : denied;
        if (bucket.size() < (allow ? want_allow : want_deny)) {
            bucket.push_back(f);
        }
    }
    if (!allow_fraction) {
        out.flows = std::move(as_drawn);
        return out;
    }
    out.allowed = want_allow;
    for (uint32_t i = 0, a = 0, d = 0; i < count; ++i) {
        const bool take_allow =
            d >= want_deny || (a < want_allow && uint64_t{a} * count <= uint64_t{i} * want_allow);
        out.flows.push_back(take_allow ? allowed[a++] : denied[d++]);
    }
    return out;
}

} // namespace podgate::tools
