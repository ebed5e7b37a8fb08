#include "tests/differential/flow_source.hpp"

#include <algorithm>

namespace podgate::differential {

namespace {

void add_port(std::vector<uint16_t>& out, int p) {
    for (int d = -1; d <= 1; ++d) {
        if (p + d >= 0 && p + d <= 65535) {
            out.push_back(static_cast<uint16_t>(p + d));
        }
    }
}

// first, last, first - 1 and last + 1 of a prefix (wrapping inside the family).
void add_prefix_edges(std::vector<ip_address>& out, const ip_prefix& p) {
    const ip_family f = p.base.family;
    const u128 all = prefix_mask(f, address_bits(f));
    const u128 first = p.base.value;
    const u128 last = first | (~prefix_mask(f, p.length) & all);
    for (u128 v : {first, last, (first - 1) & all, (last + 1) & all}) {
        out.push_back({f, v});
    }
}

template <typename T> void dedup(std::vector<T>& v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
}

} // namespace

flow_source::flow_source(const config::cluster& c, uint64_t seed) : _cluster(c), _r(seed) {
    for (const auto& p : c.pods) {
        if (p.is_endpoint()) {
            _endpoints.push_back(&p);
        }
        if (_ns_labels.find(p.ns) == _ns_labels.end()) {
            _ns_labels.emplace(p.ns, c.namespace_labels(p.ns));
        }
        for (const auto& a : p.ips) {
            (a.family == ip_family::v4 ? _pods_v4 : _pods_v6).push_back(a);
        }
        for (const auto& cp : p.ports) {
            add_port(_ports, cp.number);
        }
    }
    for (const auto& np : c.policies) {
        for (const auto* rules : {&np.ingress, &np.egress}) {
            for (const auto& r : *rules) {
                for (const auto& pr : r.ports) {
                    if (pr.what == config::port_rule::kind::number) {
                        add_port(_ports, pr.port);
                        add_port(_ports, pr.end_port);
                    }
                }
                for (const auto& peer : r.peers) {
                    if (!peer.block) {
                        continue;
                    }
                    auto& edges =
                        peer.block->cidr.base.family == ip_family::v4 ? _edges_v4 : _edges_v6;
                    add_prefix_edges(edges, peer.block->cidr);
                    for (const auto& e : peer.block->except) {
                        add_prefix_edges(edges, e);
                    }
                }
            }
        }
    }
    for (int p : {0, 1, 65535}) {
        _ports.push_back(static_cast<uint16_t>(p));
    }
    dedup(_pods_v4);
    dedup(_pods_v6);
    dedup(_edges_v4);
    dedup(_edges_v6);
    dedup(_ports);
}

ip_address flow_source::address(bool v6) {
    const auto& pods = v6 ? _pods_v6 : _pods_v4;
    const auto& edges = v6 ? _edges_v6 : _edges_v4;
    const auto roll = _r.below(100);
    if (roll < 50 && !pods.empty()) {
        return _r.pick(pods);
    }
    if (roll < 80 && !edges.empty()) {
        return _r.pick(edges);
    }
    const u128 rnd = (u128{_r.next()} << 64) | _r.next();
    if (roll < 90) { // near the generators' pod ranges: 10.0.0.0/22 and fd00::/118
        return v6 ? ip_address::v6((u128{0xfd00} << 112) | (rnd & 0x3ff))
                  : ip_address::v4(0x0A000000u | (rnd & 0x3ff));
    }
    return v6 ? ip_address::v6(rnd) : ip_address::v4(static_cast<uint32_t>(rnd));
}

uint16_t flow_source::port() {
    return _r.chance(0.65) ? _r.pick(_ports) : static_cast<uint16_t>(_r.below(65536));
}

void flow_source::protocol_and_port(classifier::flow& f) {
    const bool v6 = f.src.family == ip_family::v6;
    const auto roll = _r.below(100);
    if (roll < 40) {
        f.proto = 6;
    } else if (roll < 65) {
        f.proto = 17;
    } else if (roll < 80) {
        f.proto = 132;
    } else if (roll < 88) {
        f.proto = v6 ? 58 : 1;
    } else if (roll < 92) {
        f.proto = v6 ? 1 : 58; // the other family's ICMP: just another protocol
    } else {
        static constexpr uint8_t others[] = {0, 2, 4, 41, 47, 50, 89, 136, 255};
        f.proto = _r.pick(others);
    }
    f.sport = 0;
    f.dport = 0;
    if (f.proto == 6 || f.proto == 17 || f.proto == 132) {
        f.sport = static_cast<uint16_t>(_r.below(65536));
        f.dport = port();
    }
}

classifier::flow flow_source::next() {
    classifier::flow f;
    if (_r.chance(0.5) && aimed(f)) {
        return f;
    }
    const bool v6 = _r.chance(0.35);
    f.src = address(v6);
    f.dst = _r.chance(0.05) ? f.src : address(v6); // now and then a pod talking to itself
    protocol_and_port(f);
    return f;
}

std::vector<classifier::flow> flow_source::take(size_t n) {
    std::vector<classifier::flow> v(n);
    for (auto& f : v) {
        f = next();
    }
    return v;
}

// ---- flows aimed at one rule ----

namespace {

std::optional<ip_address> address_of(const config::pod& p, bool v6) {
    for (const auto& a : p.ips) {
        if ((a.family == ip_family::v6) == v6) {
            return a;
        }
    }
    return std::nullopt;
}

} // namespace

const std::vector<const config::pod*>& flow_source::selected_by(const config::network_policy& np) {
    auto [it, fresh] = _cache.try_emplace(&np);
    if (fresh) {
        for (const auto* p : _endpoints) {
            if (p->ns == np.ns && np.pod_selector.matches(p->labels)) {
                it->second.push_back(p);
            }
        }
    }
    return it->second;
}

const std::vector<const config::pod*>& flow_source::matching(const config::network_policy& np,
                                                             const config::peer& peer) {
    auto [it, fresh] = _cache.try_emplace(&peer);
    if (fresh) {
        for (const auto* p : _endpoints) {
            const bool ns_ok = peer.namespace_selector
                                   ? peer.namespace_selector->matches(_ns_labels[p->ns])
                                   : p->ns == np.ns;
            if (ns_ok && (!peer.pod_selector || peer.pod_selector->matches(p->labels))) {
                it->second.push_back(p);
            }
        }
    }
    return it->second;
}

const config::pod* flow_source::pick_pod(const std::vector<const config::pod*>& pods, bool v6) {
    std::vector<const config::pod*> with_family;
    for (const auto* p : pods) {
        if (address_of(*p, v6)) {
            with_family.push_back(p);
        }
    }
    return with_family.empty() ? nullptr : _r.pick(with_family);
}

std::optional<ip_address> flow_source::peer_address(const config::network_policy& np,
                                                    const config::peer& p, bool v6) {
    if (p.block) {
        if ((p.block->cidr.base.family == ip_family::v6) != v6) {
            return std::nullopt;
        }
        std::vector<ip_address> edges;
        add_prefix_edges(edges, p.block->cidr);
        for (const auto& e : p.block->except) {
            add_prefix_edges(edges, e);
        }
        return _r.pick(edges);
    }
    // Mostly a pod the peer selects; now and then any pod (a near miss).
    const config::pod* pod = pick_pod(_r.chance(0.85) ? matching(np, p) : _endpoints, v6);
    return pod == nullptr ? std::nullopt : address_of(*pod, v6);
}

uint16_t flow_source::port_near(const config::port_rule& pr, const config::pod* destination) {
    auto around = [&](int p) {
        const int v = p + static_cast<int>(_r.between(-1, 1)) * (_r.chance(0.5) ? 1 : 0);
        return static_cast<uint16_t>(std::clamp(v, 0, 65535));
    };
    switch (pr.what) {
    case config::port_rule::kind::number:
        switch (_r.below(4)) {
        case 0:
            return around(pr.port);
        case 1:
            return around(pr.end_port);
        case 2:
            return static_cast<uint16_t>(_r.between(pr.port, pr.end_port));
        default:
            return port();
        }
    case config::port_rule::kind::named: {
        int n = -1;
        if (destination != nullptr) {
            n = destination->resolve_port(pr.name, pr.proto).value_or(-1);
        }
        if (n < 0 || _r.chance(0.2)) {
            // What the name means on some other pod, or under another protocol.
            std::vector<uint16_t> elsewhere;
            for (const auto& p : _cluster.pods) {
                for (const auto& cp : p.ports) {
                    if (cp.name == pr.name) {
                        elsewhere.push_back(cp.number);
                    }
                }
            }
            if (!elsewhere.empty()) {
                n = _r.pick(elsewhere);
            }
        }
        return n >= 0 ? around(n) : port();
    }
    case config::port_rule::kind::all_ports:
        return port();
    }
    return port();
}

bool flow_source::aimed(classifier::flow& f) {
    if (_cluster.policies.empty()) {
        return false;
    }
    const auto& np = _r.pick(_cluster.policies);
    const config::direction d = np.affects_ingress && (!np.affects_egress || _r.chance(0.5))
                                    ? config::direction::ingress
                                    : config::direction::egress;
    bool v6 = _r.chance(0.35);
    const config::pod* subject = pick_pod(selected_by(np), v6);
    if (subject == nullptr) {
        v6 = !v6;
        subject = pick_pod(selected_by(np), v6);
    }
    if (subject == nullptr) {
        return false;
    }
    const ip_address here = *address_of(*subject, v6);
    const auto& rules = np.rules(d);
    const config::rule* r = rules.empty() ? nullptr : &_r.pick(rules);
    std::optional<ip_address> there;
    if (r != nullptr && !r->peers.empty()) {
        there = peer_address(np, _r.pick(r->peers), v6);
    }
    const ip_address other = there ? *there : address(v6);
    f.src = d == config::direction::ingress ? other : here;
    f.dst = d == config::direction::ingress ? here : other;
    if (r == nullptr || r->ports.empty() || _r.chance(0.1)) {
        protocol_and_port(f);
        return true;
    }
    const config::port_rule& pr = _r.pick(r->ports);
    const config::pod* destination = subject;
    if (d == config::direction::egress) {
        destination = nullptr;
        for (const auto* p : _endpoints) {
            if (std::find(p->ips.begin(), p->ips.end(), f.dst) != p->ips.end()) {
                destination = p;
            }
        }
    }
    f.proto = _r.chance(0.9) ? static_cast<uint8_t>(pr.proto)
                             : static_cast<uint8_t>(_r.chance(0.5) ? 6 : 17);
    f.sport = static_cast<uint16_t>(_r.below(65536));
    f.dport = port_near(pr, destination);
    return true;
}

std::string describe(const classifier::flow& f) {
    std::string s =
        to_string(f.src) + " -> " + to_string(f.dst) + " proto " + std::to_string(f.proto);
    if (f.proto == 6 || f.proto == 17 || f.proto == 132) {
        s += " sport " + std::to_string(f.sport) + " dport " + std::to_string(f.dport);
    }
    return s;
}

} // namespace podgate::differential
