// The reference evaluator. Every decision is made straight from the
// Kubernetes objects, in the order the API documentation states the rules, so
// that a reader can check each line against networking.k8s.io/v1:
//   - a pod is isolated on a side when a policy of its namespace selects it and
//     lists that side in policyTypes;
//   - an isolated side allows the union of the rules of its selecting policies;
//   - a flow passes when the source's egress side and the destination's
//     ingress side both allow it (egress is reported first).
// evaluate() and explain() run the same code; explain() only records why.
// attribute() asks the same rules one policy at a time.

#include "classifier/reference/evaluator.hpp"

#include "classifier/reference/describe.hpp"

namespace podgate::classifier::reference {

using config::direction;

namespace {

// Collects explain() lines; every call is a no-op when no output was asked for.
class trace {
  public:
    explicit trace(std::string* out) : _out(out) {}
    bool on() const { return _out != nullptr; }
    void line(int indent, const std::string& text) {
        if (_out != nullptr) {
            _out->append(static_cast<size_t>(indent) * 2, ' ');
            *_out += text;
            *_out += '\n';
        }
    }

  private:
    std::string* _out;
};

// NetworkPolicyPort can only name these; a rule with ports never matches others.
bool has_ports(uint8_t proto) {
    return proto == 6 || proto == 17 || proto == 132;
}

enum class port_result : uint8_t { match, no_match, unresolved };

// `destination` is the pod a named port is looked up on: the flow's
// destination, which is the selected pod for ingress and the peer for egress.
port_result match_port(const config::port_rule& pr, uint8_t proto, uint16_t dport,
                       const config::pod* destination) {
    if (!has_ports(proto) || static_cast<uint8_t>(pr.proto) != proto) {
        return port_result::no_match;
    }
    switch (pr.what) {
    case config::port_rule::kind::all_ports:
        return port_result::match;
    case config::port_rule::kind::number:
        return dport >= pr.port && dport <= pr.end_port ? port_result::match
                                                        : port_result::no_match;
    case config::port_rule::kind::named: {
        if (destination == nullptr) {
            return port_result::unresolved;
        }
        const auto number = destination->resolve_port(pr.name, pr.proto);
        if (!number) {
            return port_result::unresolved;
        }
        return *number == dport ? port_result::match : port_result::no_match;
    }
    }
    return port_result::no_match;
}

// One side of a flow, seen from the pod whose policies decide it.
struct side {
    direction dir;
    const config::pod* subject;     // src for egress, dst for ingress
    ip_address peer_address;        // the other end
    const config::pod* peer_pod;    // the other end when it is an endpoint pod
    const config::pod* destination; // the flow's destination pod (named ports), may be null
};

// Named ports always resolve on the flow's destination.
side egress_side(const config::pod* src, const config::pod* dst, const flow& f) {
    return {direction::egress, src, f.dst, dst, dst};
}
side ingress_side(const config::pod* src, const config::pod* dst, const flow& f) {
    return {direction::ingress, dst, f.src, src, dst};
}

bool peer_matches(const config::cluster& c, const config::network_policy& pol,
                  const config::peer& p, const side& s) {
    if (p.block) {
        return p.block->contains(s.peer_address);
    }
    if (s.peer_pod == nullptr) {
        return false; // selectors only ever match endpoint pods
    }
    const config::pod& other = *s.peer_pod;
    if (p.namespace_selector) {
        if (!p.namespace_selector->matches(c.namespace_labels(other.ns))) {
            return false;
        }
    } else if (other.ns != pol.ns) {
        return false; // podSelector alone: the policy's own namespace
    }
    return !p.pod_selector || p.pod_selector->matches(other.labels);
}

std::string where(const config::source_location& w) {
    if (w.file.empty()) {
        return {};
    }
    return " (" + w.file + (w.line > 0 ? ":" + std::to_string(w.line) : "") + ")";
}

bool rule_allows(const config::cluster& c, const config::network_policy& pol, size_t index,
                 const side& s, const flow& f, trace& t) {
    const config::rule& r = pol.rules(s.dir)[index];
    const std::string peers_field = s.dir == direction::ingress ? "from" : "to";

    int peer_hit = -1;
    bool peer_ok = r.peers.empty();
    for (size_t i = 0; i < r.peers.size() && !peer_ok; ++i) {
        if (peer_matches(c, pol, r.peers[i], s)) {
            peer_ok = true;
            peer_hit = static_cast<int>(i);
        }
    }

    int port_hit = -1;
    bool port_ok = r.ports.empty();
    std::string unresolved; // named ports that did not resolve, for explain
    for (size_t i = 0; i < r.ports.size() && !port_ok; ++i) {
        switch (match_port(r.ports[i], f.proto, f.dport, s.destination)) {
        case port_result::match:
            port_ok = true;
            port_hit = static_cast<int>(i);
            break;
        case port_result::unresolved:
            unresolved += (unresolved.empty() ? "" : ", ") + describe(r.ports[i]);
            break;
        case port_result::no_match:
            break;
        }
    }

    const bool ok = peer_ok && port_ok;
    if (t.on()) {
        const std::string name = std::string(to_string(s.dir)) + "[" + std::to_string(index) + "]";
        if (ok) {
            const std::string peer_text =
                peer_hit < 0 ? "any peer"
                             : peers_field + "[" + std::to_string(peer_hit) + "] " +
                                   describe(r.peers[static_cast<size_t>(peer_hit)]);
            const std::string port_text =
                port_hit < 0 ? "any port of any protocol"
                             : "ports[" + std::to_string(port_hit) + "] " +
                                   describe(r.ports[static_cast<size_t>(port_hit)]);
            t.line(2, name + ": matched (" + peer_text + "; " + port_text + ")");
        } else {
            std::string why;
            if (!peer_ok) {
                why = "peer did not match";
            }
            if (!port_ok) {
                why += why.empty() ? "" : "; ";
                if (!unresolved.empty()) {
                    why += "named port unresolved (" + unresolved + " on " +
                           (s.destination != nullptr
                                ? "pod " + s.destination->qualified_name()
                                : std::string("a destination that is not a pod")) +
                           ")";
                } else if (!has_ports(f.proto)) {
                    why += "port did not match (a rule with ports never allows " +
                           protocol_name(f.proto) + ")";
                } else {
                    why += "port did not match";
                }
            }
            t.line(2, name + ": no match: " + why);
            if (!peer_ok) {
                for (size_t i = 0; i < r.peers.size(); ++i) {
                    t.line(3, peers_field + "[" + std::to_string(i) + "] " + describe(r.peers[i]));
                }
            }
            if (!port_ok && unresolved.empty()) {
                for (size_t i = 0; i < r.ports.size(); ++i) {
                    t.line(3, "ports[" + std::to_string(i) + "] " + describe(r.ports[i]));
                }
            }
        }
    }
    return ok;
}

// A policy isolates the subject on this side: same namespace, the side in
// its policyTypes, its podSelector matches.
bool selects(const config::network_policy& pol, const side& s) {
    return pol.ns == s.subject->ns && pol.affects(s.dir) &&
           pol.pod_selector.matches(s.subject->labels);
}

// The first selecting policy (cluster order) with a rule allowing the flow.
uint32_t first_admitting(const config::cluster& c, const side& s, const flow& f) {
    trace off(nullptr);
    for (size_t p = 0; p < c.policies.size(); ++p) {
        const config::network_policy& pol = c.policies[p];
        if (!selects(pol, s)) {
            continue;
        }
        for (size_t i = 0; i < pol.rules(s.dir).size(); ++i) {
            if (rule_allows(c, pol, i, s, f, off)) {
                return static_cast<uint32_t>(p);
            }
        }
    }
    return UINT32_MAX;
}

// True when the side allows the flow: the subject is not isolated on it, or a
// rule of a selecting policy does.
bool side_allows(const config::cluster& c, const side& s, const flow& f, trace& t) {
    std::vector<const config::network_policy*> selecting;
    for (const auto& pol : c.policies) {
        if (selects(pol, s)) {
            selecting.push_back(&pol);
        }
    }
    if (selecting.empty()) {
        if (t.on()) {
            t.line(0, std::string(to_string(s.dir)) + " of pod " + s.subject->qualified_name() +
                          ": not isolated (no policy with " +
                          (s.dir == direction::ingress ? "Ingress" : "Egress") +
                          " in policyTypes selects it)");
        }
        return true;
    }
    if (t.on()) {
        t.line(0, std::string(to_string(s.dir)) + " of pod " + s.subject->qualified_name() +
                      ": isolated by " + std::to_string(selecting.size()) +
                      (selecting.size() == 1 ? " policy" : " policies"));
    }

    bool allowed = false;
    for (const config::network_policy* pol : selecting) {
        const auto& rules = pol->rules(s.dir);
        if (t.on()) {
            t.line(1, "policy " + pol->qualified_name() + where(pol->where) + ", podSelector " +
                          describe(pol->pod_selector));
            if (rules.empty()) {
                t.line(2, "no " + std::string(to_string(s.dir)) + " rules: allows nothing");
            }
        }
        for (size_t i = 0; i < rules.size(); ++i) {
            if (rule_allows(c, *pol, i, s, f, t)) {
                allowed = true;
                if (!t.on()) {
                    return true;
                }
            }
        }
    }
    t.line(1, allowed ? "=> allowed" : "=> denied: no rule of a selecting policy allows this flow");
    return allowed;
}

std::string address_line(const char* role, const ip_address& a, const config::pod* p,
                         const config::cluster& c) {
    std::string text = std::string(role) + " " + to_string(a) + ": ";
    if (p != nullptr) {
        return text + "pod " + p->qualified_name() + where(p->where);
    }
    // Say why a pod owning the address does not count, if there is one.
    for (const auto& other : c.pods) {
        for (const auto& ip : other.ips) {
            if (ip == a) {
                return text + "not a pod (" + other.qualified_name() +
                       (other.host_network ? " uses the host network" : " has terminated") + ")";
            }
        }
    }
    return text + "not a pod";
}

verdict decide(const evaluator& e, const config::cluster& c, const options& opt, const flow& f,
               trace& t) {
    const config::pod* src = e.pod_at(f.src);
    const config::pod* dst = e.pod_at(f.dst);
    if (t.on()) {
        t.line(0, "flow: " + describe(f));
        t.line(0, address_line("source", f.src, src, c));
        t.line(0, address_line("destination", f.dst, dst, c));
    }

    verdict v;
    if (src == nullptr && dst == nullptr) {
        const bool allow = opt.non_pod_traffic == config::default_action::allow;
        v = {allow, allow ? verdict_reason::non_pod_allowed : verdict_reason::non_pod_denied};
        t.line(0, std::string("neither end is a pod: non-pod traffic is ") +
                      (allow ? "allowed" : "denied") + " by configuration");
    } else {
        bool egress_ok = true;
        if (src != nullptr) {
            egress_ok = side_allows(c, egress_side(src, dst, f), f, t);
        } else {
            t.line(0, "egress: the source is not a pod, no egress policy applies");
        }
        bool ingress_ok = true;
        if (dst != nullptr && (egress_ok || t.on())) {
            ingress_ok = side_allows(c, ingress_side(src, dst, f), f, t);
        } else if (dst == nullptr) {
            t.line(0, "ingress: the destination is not a pod, no ingress policy applies");
        }
        if (!egress_ok) {
            v = {false, verdict_reason::policy_egress};
        } else if (!ingress_ok) {
            v = {false, verdict_reason::policy_ingress};
        } else {
            v = {true, verdict_reason::allowed};
        }
    }
    t.line(0, std::string("verdict: ") + (v.allow ? "allow" : "deny") + " (" + to_string(v.reason) +
                  ")");
    return v;
}

} // namespace

evaluator::evaluator(const config::cluster& c, options opt) : _cluster(c), _options(opt) {
    for (const auto& p : c.pods) {
        if (!p.is_endpoint()) {
            continue;
        }
        for (const auto& ip : p.ips) {
            _pods_by_address.emplace(ip, &p); // the first pod keeps a duplicated address
        }
    }
}

verdict evaluator::evaluate(const flow& f) const {
    trace off(nullptr);
    return decide(*this, _cluster, _options, f, off);
}

std::string evaluator::explain(const flow& f) const {
    std::string out;
    trace on(&out);
    decide(*this, _cluster, _options, f, on);
    if (!out.empty() && out.back() == '\n') {
        out.pop_back();
    }
    return out;
}

evaluator::attributed evaluator::attribute(const flow& f) const {
    const config::pod* src = pod_at(f.src);
    const config::pod* dst = pod_at(f.dst);
    attributed a;
    if (src != nullptr) {
        a.egress = first_admitting(_cluster, egress_side(src, dst, f), f);
    }
    if (dst != nullptr) {
        a.ingress = first_admitting(_cluster, ingress_side(src, dst, f), f);
    }
    return a;
}

const config::pod* evaluator::pod_at(const ip_address& a) const {
    const auto it = _pods_by_address.find(a);
    return it == _pods_by_address.end() ? nullptr : it->second;
}

} // namespace podgate::classifier::reference
