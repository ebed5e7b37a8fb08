// The adversarial generator: tiny vocabularies so selectors collide and
// signatures split in many ways, and every field at its edges.

#include "tests/support/synth/generate.hpp"
#include "tests/support/synth/random.hpp"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace podgate::synth {

namespace {

using namespace config;

const std::vector<std::string> namespace_names = {"alpha", "beta",    "gamma",
                                                  "delta", "epsilon", "zeta"};
const std::vector<std::string> namespace_keys = {"team", "env",
                                                 "app"}; // "app" collides with pod keys
const std::vector<std::string> pod_keys = {"app", "role", "tier"};
const std::vector<std::string> values = {"x", "y", "z"};
const std::vector<std::string> port_names = {"http", "dns", "alt"};
const std::vector<uint16_t> interesting_ports = {1, 2, 53, 80, 443, 8080, 65534, 65535};

class adversary {
  public:
    explicit adversary(const adversarial_params& p) : _p(p), _r(p.seed) {}

    cluster run() {
        make_namespaces();
        const auto n_pods = _r.between(_p.min_pods, _p.max_pods);
        for (int64_t i = 0; i < n_pods; ++i) {
            make_pod(static_cast<int>(i));
        }
        const auto n_policies = _r.between(_p.min_policies, _p.max_policies);
        for (int64_t i = 0; i < n_policies; ++i) {
            make_policy(static_cast<int>(i));
        }
        return std::move(_c);
    }

  private:
    std::string value() { return _r.chance(0.05) ? std::string() : _r.pick(values); }

    void make_namespaces() {
        const auto n = _r.between(_p.min_namespaces, std::min<uint32_t>(_p.max_namespaces, 6));
        _ns_names.assign(namespace_names.begin(), namespace_names.begin() + n);
        for (const auto& name : _ns_names) {
            // Now and then a namespace only pods name: no Namespace object, so
            // only the implied name label.
            if (&name == &_ns_names.back() && n > 2 && _r.chance(0.15)) {
                continue;
            }
            namespace_object o;
            o.name = name;
            for (const auto& k : namespace_keys) {
                if (_r.chance(0.55)) {
                    o.labels[k] = value();
                }
            }
            o.labels[namespace_name_label] = name;
            _c.namespaces.push_back(std::move(o));
        }
    }

    ip_address pod_v4() {
        switch (_r.below(8)) {
        case 0:
            return ip_address::v4(0x7FFFFFFEu -
                                  static_cast<uint32_t>(_r.below(2))); // below the /1 split
        case 1:
            return ip_address::v4(0x80000000u + static_cast<uint32_t>(_r.below(2))); // above it
        case 2:
            return ip_address::v4(0xC0A80100u +
                                  static_cast<uint32_t>(_r.below(4))); // 192.168.1.0/30
        default:
            return ip_address::v4(0x0A000000u +
                                  static_cast<uint32_t>(_r.below(512))); // 10.0.0.0/23
        }
    }

    ip_address pod_v6() {
        const u128 fd00 = u128{0xfd00} << 112;
        switch (_r.below(6)) {
        case 0:
            return ip_address::v6((~u128{0} >> 1) - _r.below(2)); // 7fff:...:fffe|f
        case 1:
            return ip_address::v6((u128{1} << 127) + _r.below(2)); // 8000::, 8000::1
        default:
            return ip_address::v6(fd00 + _r.below(300));
        }
    }

    ip_address fresh(bool v6) {
        for (;;) {
            ip_address a = v6 ? pod_v6() : pod_v4();
            if (_live_ips.insert(a).second) {
                return a;
            }
        }
    }

    void make_ports(pod& p) {
        const auto n = _r.below(4);
        std::set<std::string> used;
        for (uint64_t i = 0; i < n; ++i) {
            container_port cp;
            cp.number = _r.chance(0.7) ? _r.pick(interesting_ports)
                                       : static_cast<uint16_t>(_r.between(1, 65535));
            cp.proto = _r.chance(0.6)   ? protocol::tcp
                       : _r.chance(0.6) ? protocol::udp
                                        : protocol::sctp;
            if (_r.chance(0.8)) {
                cp.name = _r.pick(port_names); // same name, different numbers / protocols per pod
                if (!used.insert(cp.name).second) {
                    cp.name.clear(); // names are unique within a pod
                }
            }
            p.ports.push_back(std::move(cp));
        }
    }

    void make_pod(int i) {
        pod p;
        p.ns = _r.pick(_ns_names);
        p.name = "p" + std::to_string(i);
        for (const auto& k : pod_keys) {
            if (_r.chance(0.6)) {
                p.labels[k] = value();
            }
        }
        if (_r.chance(0.1)) {
            p.labels["statefulset.kubernetes.io/pod-name"] = p.name;
        }
        const auto kind = _r.below(100);
        const auto fam = _r.below(100);
        const bool want_v4 = fam < 80;
        const bool want_v6 = fam >= 55;
        if (kind < 7) {
            p.host_network = true; // node addresses, shared by every hostNetwork pod of the node
            const uint32_t node = static_cast<uint32_t>(_r.below(2));
            p.ips.push_back(ip_address::v4(0xC0A80001u + node));
            if (want_v6) {
                p.ips.push_back(ip_address::v6((u128{0xfd01} << 112) + 1 + node));
            }
        } else if (kind < 14) {
            p.terminated = true; // may carry an address a live pod now uses
            if (want_v4) {
                p.ips.push_back(pod_v4());
            }
            if (want_v6 || !want_v4) {
                p.ips.push_back(pod_v6());
            }
        } else if (kind < 18) {
            // Pending: no address yet.
        } else {
            if (want_v4) {
                p.ips.push_back(fresh(false));
            }
            if (want_v6) {
                p.ips.push_back(fresh(true));
            }
        }
        make_ports(p);
        _c.pods.push_back(std::move(p));
    }

    label_selector selector(const std::vector<std::string>& keys, const label_map* anchor) {
        if (anchor != nullptr && _r.chance(0.6)) {
            return anchored_selector(keys, *anchor);
        }
        label_selector s;
        if (_r.chance(0.25)) {
            return s;
        }
        const auto n_labels = _r.below(3);
        for (uint64_t i = 0; i < n_labels; ++i) {
            s.match_labels[_r.pick(keys)] = value();
        }
        const auto n_expr = n_labels == 0 ? 1 + _r.below(2) : _r.below(2);
        for (uint64_t i = 0; i < n_expr; ++i) {
            label_requirement req;
            req.key =
                _r.chance(0.1) ? std::string("statefulset.kubernetes.io/pod-name") : _r.pick(keys);
            req.op = static_cast<selector_op>(_r.below(4));
            if (req.op == selector_op::in || req.op == selector_op::not_in) {
                const auto n_values = 1 + _r.below(2);
                for (uint64_t v = 0; v < n_values; ++v) {
                    std::string val =
                        req.key[0] == 's' ? "p" + std::to_string(_r.below(8)) : value();
                    if (std::find(req.values.begin(), req.values.end(), val) == req.values.end()) {
                        req.values.push_back(std::move(val));
                    }
                }
            }
            s.match_expressions.push_back(std::move(req));
        }
        return s;
    }

    // A selector built to match `anchor` (an existing object's labels), so
    // that rules are live rather than selecting nothing; the other objects it
    // happens to match or miss are what make it interesting.
    label_selector anchored_selector(const std::vector<std::string>& keys,
                                     const label_map& anchor) {
        label_selector s;
        for (const auto& [k, v] : anchor) {
            if (k != namespace_name_label && _r.chance(0.35)) {
                s.match_labels[k] = v;
            }
        }
        const auto n_expr = _r.below(3);
        for (uint64_t i = 0; i < n_expr; ++i) {
            label_requirement req;
            req.key = _r.pick(keys);
            const auto it = anchor.find(req.key);
            const bool present = it != anchor.end();
            switch (_r.below(3)) {
            case 0: // In: the anchor's value (or, when absent, Exists on a key it has)
                if (present) {
                    req.op = selector_op::in;
                    req.values = {it->second};
                    if (_r.chance(0.5)) {
                        const std::string other = _r.pick(values);
                        if (other != it->second) {
                            req.values.push_back(other);
                        }
                    }
                } else {
                    req.op = selector_op::does_not_exist;
                }
                break;
            case 1: // NotIn a value the anchor does not have
                req.op = selector_op::not_in;
                for (const auto& v : values) {
                    if ((!present || v != it->second) && (req.values.empty() || _r.chance(0.5))) {
                        req.values.push_back(v);
                    }
                }
                break;
            default:
                req.op = present ? selector_op::exists : selector_op::does_not_exist;
                break;
            }
            s.match_expressions.push_back(std::move(req));
        }
        return s;
    }

    const label_map* pod_labels_in(const std::string* ns) {
        std::vector<const pod*> in;
        for (const auto& p : _c.pods) {
            if (ns == nullptr || p.ns == *ns) {
                in.push_back(&p);
            }
        }
        return in.empty() ? nullptr : &_r.pick(in)->labels;
    }

    const label_map* namespace_labels_any() {
        return _c.namespaces.empty() ? nullptr : &_r.pick(_c.namespaces).labels;
    }

    // A prefix of `length` bits around `a` (host bits cleared).
    static ip_prefix prefix_of(ip_address a, unsigned length) {
        a.value &= prefix_mask(a.family, length);
        return {a, static_cast<uint8_t>(length)};
    }

    ip_address address_in(const ip_prefix& p) {
        const unsigned bits = address_bits(p.base.family);
        const u128 host_mask =
            ~prefix_mask(p.base.family, p.length) & prefix_mask(p.base.family, bits);
        const u128 rnd = (u128{_r.next()} << 64) | _r.next();
        // Mostly pod addresses inside the block, so blocks and selectors overlap.
        std::vector<ip_address> inside;
        for (const auto& a : _live_ips) {
            if (p.contains(a)) {
                inside.push_back(a);
            }
        }
        if (!inside.empty() && _r.chance(0.6)) {
            return _r.pick(inside);
        }
        return {p.base.family, p.base.value | (rnd & host_mask)};
    }

    ip_block block() {
        const bool v6 = _r.chance(0.35);
        const ip_family fam = v6 ? ip_family::v6 : ip_family::v4;
        const unsigned bits = address_bits(fam);
        ip_block b;
        const auto shape = _r.below(10);
        if (shape < 2) {
            b.cidr = {ip_address{fam, 0}, 0}; // /0
        } else if (shape < 4) {
            b.cidr = prefix_of(ip_address{fam, _r.chance(0.5) ? u128{1} << (bits - 1) : 0},
                               1); // /1 halves
        } else {
            const std::vector<unsigned> lengths =
                v6 ? std::vector<unsigned>{64, 112, 120, 126, 127, 128}
                   : std::vector<unsigned>{8, 16, 23, 24, 25, 30, 31, 32};
            const ip_address a = v6 ? pod_v6() : pod_v4();
            b.cidr = prefix_of(a, _r.pick(lengths));
        }
        if (b.cidr.length < bits && _r.chance(0.55)) {
            const auto n = 1 + _r.below(3);
            for (uint64_t i = 0; i < n; ++i) {
                ip_prefix e;
                if (!b.except.empty() && _r.chance(0.35)) {
                    // Nested or overlapping excepts: inside or around an earlier one.
                    const ip_prefix& prev = _r.pick(b.except);
                    const unsigned lo = b.cidr.length + 1;
                    const unsigned len = static_cast<unsigned>(_r.between(lo, bits));
                    e = prefix_of(address_in(prev), std::max(len, lo));
                } else {
                    const unsigned lo = b.cidr.length + 1;
                    const unsigned len =
                        _r.chance(0.3)
                            ? bits - static_cast<unsigned>(_r.below(2))
                            : static_cast<unsigned>(_r.between(lo, std::min(bits, lo + 9)));
                    e = prefix_of(address_in(b.cidr), std::max(len, lo));
                }
                b.except.push_back(e);
            }
        }
        return b;
    }

    peer make_peer(const std::string& ns) {
        peer p;
        const auto shape = _r.below(10);
        if (shape < 3) {
            p.pod_selector = selector(pod_keys, pod_labels_in(&ns));
        } else if (shape < 5) {
            p.namespace_selector = selector(namespace_keys, namespace_labels_any());
        } else if (shape < 7) {
            p.namespace_selector = selector(namespace_keys, namespace_labels_any());
            p.pod_selector = selector(pod_keys, pod_labels_in(nullptr));
        } else {
            p.block = block();
        }
        return p;
    }

    port_rule make_port() {
        port_rule r;
        r.proto = _r.chance(0.55) ? protocol::tcp : _r.chance(0.6) ? protocol::udp : protocol::sctp;
        const auto shape = _r.below(20);
        if (shape < 5) {
            r.what = port_rule::kind::all_ports;
        } else if (shape < 14) {
            r.what = port_rule::kind::number;
            r.port = _r.chance(0.6) ? _r.pick(interesting_ports)
                                    : static_cast<uint16_t>(_r.between(1, 65535));
            r.end_port = r.port;
            if (_r.chance(0.4)) {
                switch (_r.below(3)) {
                case 0:
                    r.end_port = 65535;
                    break;
                case 1:
                    r.end_port = static_cast<uint16_t>(std::min<int>(65535, r.port + 1));
                    break;
                default:
                    r.end_port = static_cast<uint16_t>(
                        std::min<int64_t>(65535, r.port + _r.between(0, 200)));
                    break;
                }
            }
        } else {
            r.what = port_rule::kind::named;
            r.name = _r.chance(0.85) ? _r.pick(port_names)
                                     : std::string("nope"); // "nope": no pod has it
        }
        return r;
    }

    std::vector<rule> make_rules(const std::string& ns) {
        std::vector<rule> rs(_r.below(4));
        for (auto& r : rs) {
            if (!_r.chance(0.25)) {
                r.ports.resize(1 + _r.below(3));
                std::generate(r.ports.begin(), r.ports.end(), [&] { return make_port(); });
            }
            if (!_r.chance(0.2)) {
                r.peers.resize(1 + _r.below(3));
                std::generate(r.peers.begin(), r.peers.end(), [&] { return make_peer(ns); });
            }
        }
        return rs;
    }

    void make_policy(int i) {
        network_policy np;
        np.ns = _r.pick(_ns_names);
        np.name = "np" + std::to_string(i);
        np.pod_selector = selector(pod_keys, pod_labels_in(&np.ns));
        np.affects_ingress = _r.chance(0.75);
        np.affects_egress = _r.chance(0.5);
        if (!np.affects_ingress && !np.affects_egress) {
            np.affects_ingress = true;
        }
        // Rules of a direction the policy does not affect are ignored; now and
        // then write some anyway.
        if (np.affects_ingress || _r.chance(0.1)) {
            np.ingress = make_rules(np.ns);
        }
        if (np.affects_egress || _r.chance(0.1)) {
            np.egress = make_rules(np.ns);
        }
        _c.policies.push_back(std::move(np));
    }

    adversarial_params _p;
    random _r;
    cluster _c;
    std::vector<std::string> _ns_names;
    std::set<ip_address> _live_ips;
};

} // namespace

config::cluster generate_adversarial(const adversarial_params& p) {
    return adversary(p).run();
}

} // namespace podgate::synth
