#include "tools/bench/acl_expand.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <unordered_map>

namespace podgate::bench {

namespace {

using config::direction;

struct endpoint {
    uint32_t addr;
    const config::pod* pod;
};

// Canonical text of a selector, for caching address sets by selector.
std::string key_of(const config::label_selector& s) {
    std::string k;
    for (const auto& [name, value] : s.match_labels) {
        k += name + "=" + value + ";";
    }
    for (const auto& e : s.match_expressions) {
        k += e.key + "#" + std::to_string(static_cast<int>(e.op)) + "(";
        for (const auto& v : e.values) {
            k += v + ",";
        }
        k += ");";
    }
    return k;
}

class expander {
  public:
    explicit expander(const config::cluster& c) : _c(c) {
        std::set<uint32_t> seen; // the first endpoint pod keeps a duplicated address
        std::set<std::string, std::less<>> ns_names;
        for (const auto& n : c.namespaces) {
            ns_names.insert(n.name);
        }
        for (const auto& p : c.pods) {
            ns_names.insert(p.ns);
            if (!p.is_endpoint()) {
                continue;
            }
            for (const auto& ip : p.ips) {
                if (ip.family == ip_family::v4 && seen.insert(ip.as_v4()).second) {
                    _by_ns[p.ns].push_back(static_cast<uint32_t>(_endpoints.size()));
                    _endpoints.push_back({ip.as_v4(), &p});
                }
            }
        }
        _namespaces.assign(ns_names.begin(), ns_names.end());
    }

    acl_expansion run() {
        acl_expansion out;
        out.endpoint_v4 = static_cast<uint32_t>(_endpoints.size());
        std::vector<uint32_t> isolated[2];
        for (const auto& pol : _c.policies) {
            for (const direction dir : {direction::egress, direction::ingress}) {
                if (!pol.affects(dir)) {
                    continue;
                }
                const std::vector<uint32_t>& subjects = selected(pol);
                if (subjects.empty()) {
                    continue;
                }
                auto& iso = isolated[static_cast<int>(dir)];
                for (uint32_t e : subjects) {
                    iso.push_back(_endpoints[e].addr);
                }
                for (const auto& r : pol.rules(dir)) {
                    expand_rule(pol, dir, r, subjects, out);
                }
            }
        }
        for (int d = 0; d < 2; ++d) {
            out.isolated[d] =
                std::make_shared<const std::vector<v4_prefix>>(cover(ranges_of(isolated[d])));
            out.rule_count += out.isolated[d]->size();
        }
        for (const auto& t : out.terms) {
            out.rule_count += t.rules();
        }
        out.distinct_sets = static_cast<uint32_t>(_peer_cache.size() + _subject_cache.size());
        return out;
    }

  private:
    // Endpoints in namespace `ns` matching `sel` (absent: all).
    void collect(const std::string& ns, const std::optional<config::label_selector>& sel,
                 std::vector<uint32_t>& out) const {
        const auto it = _by_ns.find(ns);
        if (it == _by_ns.end()) {
            return;
        }
        for (uint32_t e : it->second) {
            if (!sel || sel->matches(_endpoints[e].pod->labels)) {
                out.push_back(e);
            }
        }
    }

    const std::vector<uint32_t>& selected(const config::network_policy& pol) {
        const std::string key = pol.ns + "|" + key_of(pol.pod_selector);
        auto [it, fresh] = _subject_cache.try_emplace(key);
        if (fresh) {
            collect(pol.ns, pol.pod_selector, it->second);
        }
        return it->second;
    }

    // Endpoints a selector peer matches (sorted endpoint indices).
    const std::vector<uint32_t>& peer_pods(const config::network_policy& pol,
                                           const config::peer& p) {
        std::string key =
            p.namespace_selector ? "ns:" + key_of(*p.namespace_selector) : "in:" + pol.ns;
        key += p.pod_selector ? "|pod:" + key_of(*p.pod_selector) : "|all";
        auto [it, fresh] = _peer_cache.try_emplace(key);
        if (fresh) {
            if (p.namespace_selector) {
                for (const auto& ns : _namespaces) {
                    if (p.namespace_selector->matches(_c.namespace_labels(ns))) {
                        collect(ns, p.pod_selector, it->second);
                    }
                }
            } else {
                collect(pol.ns, p.pod_selector, it->second);
            }
        }
        return it->second;
    }

    // The union of a rule's peers as ranges (empty peers: everything).
    std::vector<v4_range> peer_union(const config::network_policy& pol, const config::rule& r) {
        if (r.peers.empty()) {
            return {{0, UINT32_MAX}};
        }
        std::vector<uint32_t> singles;
        std::vector<v4_range> ranges;
        for (const auto& p : r.peers) {
            if (p.block) {
                add_block(*p.block, ranges);
                continue;
            }
            for (uint32_t e : peer_pods(pol, p)) {
                singles.push_back(_endpoints[e].addr);
            }
        }
        for (const auto& s : ranges_of(std::move(singles))) {
            ranges.push_back(s);
        }
        return merge(std::move(ranges));
    }

    static void add_block(const config::ip_block& b, std::vector<v4_range>& out) {
        if (b.cidr.base.family != ip_family::v4) {
            return;
        }
        std::vector<v4_range> cut{span(b.cidr)};
        for (const auto& ex : b.except) {
            const v4_range x = span(ex);
            std::vector<v4_range> next;
            for (const auto& r : cut) {
                if (x.hi < r.lo || x.lo > r.hi) {
                    next.push_back(r);
                    continue;
                }
                if (x.lo > r.lo) {
                    next.push_back({r.lo, x.lo - 1});
                }
                if (x.hi < r.hi) {
                    next.push_back({x.hi + 1, r.hi});
                }
            }
            cut = std::move(next);
        }
        out.insert(out.end(), cut.begin(), cut.end());
    }

    static v4_range span(const ip_prefix& p) {
        const uint32_t lo = p.base.as_v4();
        const uint32_t size_mask =
            p.length == 0 ? UINT32_MAX : (p.length >= 32 ? 0 : (1u << (32 - p.length)) - 1);
        return {lo, lo | size_mask};
    }

    static std::vector<v4_range> merge(std::vector<v4_range> r) {
        std::sort(r.begin(), r.end(),
                  [](const v4_range& a, const v4_range& b) { return a.lo < b.lo; });
        std::vector<v4_range> out;
        for (const auto& x : r) {
            if (!out.empty() && (out.back().hi == UINT32_MAX || x.lo <= out.back().hi + 1)) {
                out.back().hi = std::max(out.back().hi, x.hi);
            } else {
                out.push_back(x);
            }
        }
        return out;
    }

    static bool in_ranges(const std::vector<v4_range>& r, uint32_t a) {
        auto it = std::upper_bound(r.begin(), r.end(), a,
                                   [](uint32_t v, const v4_range& x) { return v < x.lo; });
        return it != r.begin() && std::prev(it)->hi >= a;
    }

    prefix_list intern(std::vector<v4_prefix> p) {
        return std::make_shared<const std::vector<v4_prefix>>(std::move(p));
    }

    void expand_rule(const config::network_policy& pol, direction dir, const config::rule& r,
                     const std::vector<uint32_t>& subjects, acl_expansion& out) {
        const std::vector<v4_range> peers = peer_union(pol, r);
        if (peers.empty()) {
            return; // selectors that match no pod: the rule allows nothing
        }
        std::vector<uint32_t> subject_addrs;
        for (uint32_t e : subjects) {
            subject_addrs.push_back(_endpoints[e].addr);
        }
        const prefix_list subject_cover = intern(cover(ranges_of(subject_addrs)));
        const prefix_list peer_cover = intern(cover(peers));
        if (r.ports.empty()) {
            out.terms.push_back({dir, subject_cover, peer_cover, {}});
            return;
        }
        for (const auto& pr : r.ports) {
            const auto proto = static_cast<uint8_t>(pr.proto);
            if (pr.what != config::port_rule::kind::named) {
                const bool all = pr.what == config::port_rule::kind::all_ports;
                out.terms.push_back(
                    {dir,
                     subject_cover,
                     peer_cover,
                     {proto, all ? uint16_t{0} : pr.port, all ? uint16_t{65535} : pr.end_port}});
                continue;
            }
            // Named: split by the number the destination pod gives the name.
            std::map<uint16_t, std::vector<uint32_t>> by_number;
            if (dir == direction::ingress) {
                for (uint32_t e : subjects) {
                    if (auto n = _endpoints[e].pod->resolve_port(pr.name, pr.proto)) {
                        by_number[*n].push_back(_endpoints[e].addr);
                    }
                }
                for (auto& [n, addrs] : by_number) {
                    out.terms.push_back({dir,
                                         intern(cover(ranges_of(std::move(addrs)))),
                                         peer_cover,
                                         {proto, n, n}});
                }
            } else {
                for (const auto& ep : _endpoints) {
                    if (!in_ranges(peers, ep.addr)) {
                        continue;
                    }
                    if (auto n = ep.pod->resolve_port(pr.name, pr.proto)) {
                        by_number[*n].push_back(ep.addr);
                    }
                }
                for (auto& [n, addrs] : by_number) {
                    out.terms.push_back({dir,
                                         subject_cover,
                                         intern(cover(ranges_of(std::move(addrs)))),
                                         {proto, n, n}});
                }
            }
        }
    }

    const config::cluster& _c;
    std::vector<endpoint> _endpoints;
    std::unordered_map<std::string, std::vector<uint32_t>> _by_ns;
    std::vector<std::string> _namespaces;
    std::unordered_map<std::string, std::vector<uint32_t>> _subject_cache;
    std::unordered_map<std::string, std::vector<uint32_t>> _peer_cache;
};

} // namespace

std::vector<v4_range> ranges_of(std::vector<uint32_t> a) {
    std::sort(a.begin(), a.end());
    std::vector<v4_range> out;
    for (uint32_t x : a) {
        if (!out.empty() &&
            (x == out.back().hi || (out.back().hi != UINT32_MAX && x == out.back().hi + 1))) {
            out.back().hi = x;
        } else {
            out.push_back({x, x});
        }
    }
    return out;
}

std::vector<v4_prefix> cover(const std::vector<v4_range>& ranges) {
    std::vector<v4_prefix> out;
    for (const auto& r : ranges) {
        uint64_t lo = r.lo;
        const uint64_t end = uint64_t{r.hi} + 1;
        while (lo < end) {
            // The largest aligned block at lo that fits before end.
            unsigned bits = lo == 0 ? 32 : static_cast<unsigned>(__builtin_ctzll(lo));
            bits = std::min(bits, 32u);
            while ((uint64_t{1} << bits) > end - lo) {
                --bits;
            }
            out.push_back({static_cast<uint32_t>(lo), static_cast<uint8_t>(32 - bits)});
            lo += uint64_t{1} << bits;
        }
    }
    return out;
}

acl_expansion expand_v4(const config::cluster& c) {
    return expander(c).run();
}

} // namespace podgate::bench
