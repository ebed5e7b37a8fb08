// The scale generator: namespaces, apps and pods. Policies are in
// scale_policies.cpp.

#include "tests/support/synth/generate.hpp"
#include "tests/support/synth/scale_model.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace podgate::synth {

namespace scale {

const std::vector<std::string> teams = {
    "payments", "checkout", "search",  "identity", "catalog", "billing", "ads",     "ml",
    "data",     "infra",    "mobile",  "growth",   "risk",    "support", "media",   "maps",
    "orders",   "shipping", "pricing", "reviews",  "social",  "notify",  "auth",    "ledger",
    "reports",  "partner",  "seo",     "cart",     "loyalty", "fraud",   "storage", "gateway"};
const std::vector<std::string> envs = {"prod", "staging", "dev"};

std::vector<uint32_t> apportion(uint32_t total, const std::vector<double>& weights) {
    std::vector<uint32_t> out(weights.size(), 0);
    double sum = 0;
    for (double w : weights) {
        sum += w;
    }
    if (weights.empty() || sum <= 0) {
        return out;
    }
    std::vector<std::pair<double, size_t>> remainders;
    uint32_t given = 0;
    for (size_t i = 0; i < weights.size(); ++i) {
        const double exact = total * weights[i] / sum;
        out[i] = static_cast<uint32_t>(std::floor(exact));
        given += out[i];
        remainders.emplace_back(exact - out[i], i);
    }
    std::stable_sort(remainders.begin(), remainders.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    for (size_t k = 0; given < total; k = (k + 1) % remainders.size(), ++given) {
        ++out[remainders[k].second];
    }
    return out;
}

} // namespace scale

namespace {

using namespace config;
using namespace scale;

const protocol tcp = protocol::tcp;
const protocol udp = protocol::udp;

const std::vector<archetype> archetypes = {
    {"web", "frontend", false, 5, {{"http", {80, 8080, 3000, 8000}}, {"metrics", {9090}}}},
    {"api",
     "backend",
     false,
     6,
     {{"http", {8080, 8000, 9000}}, {"grpc", {50051, 9000}}, {"metrics", {9090, 9091}}}},
    {"worker", "backend", false, 3, {{"metrics", {9090, 8081}}}},
    {"grpc-gateway", "backend", false, 2, {{"grpc", {50051, 9000}}, {"http-admin", {8081}}}},
    {"cache", "data", true, 2, {{"redis", {6379}}, {"metrics", {9121}}}},
    {"mysql", "data", true, 2, {{"mysql", {3306}}, {"metrics", {9104}}}},
    {"postgres", "data", true, 1, {{"postgres", {5432}}, {"metrics", {9187}}}},
    {"kafka", "data", true, 1, {{"kafka", {9092}}, {"metrics", {9308}}}},
};
const archetype coredns = {"coredns",
                           "platform",
                           false,
                           1,
                           {{"dns", {53}, udp}, {"dns-tcp", {53}, tcp}, {"metrics", {9153}}}};
const archetype metrics_server = {"metrics-server", "platform", false, 1, {{"https", {4443}}}};
const archetype kube_proxy = {"kube-proxy", "platform", false, 1, {{"metrics", {10249}}}};
const archetype prometheus = {"prometheus", "platform", true, 1, {{"web", {9090}}}};
const archetype grafana = {"grafana", "platform", false, 1, {{"http", {3000}}}};
const archetype ingress_controller = {"ingress-nginx",
                                      "platform",
                                      false,
                                      1,
                                      {{"http", {80}}, {"https", {443}}, {"metrics", {10254}}}};
const archetype batch_job = {"batch-job", "backend", false, 1, {}};

app instantiate(const archetype& k, std::string name, random& r) {
    app a{std::move(name), &k, {}, 0};
    for (const auto& p : k.ports) {
        a.ports.push_back({p.name, r.pick(p.numbers), p.proto});
    }
    return a;
}

std::string hash_suffix(random& r, size_t n) {
    static constexpr char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
    std::string s;
    for (size_t i = 0; i < n; ++i) {
        s.push_back(alphabet[r.below(sizeof alphabet - 1)]);
    }
    return s;
}

class scale_builder {
  public:
    explicit scale_builder(const scale_params& p) : _p(p), _r(p.seed) {}

    cluster run() {
        plan_namespaces();
        plan_apps();
        for (auto& ns : _plans) {
            make_namespace(ns);
        }
        for (auto& ns : _plans) {
            make_pods(ns);
        }
        make_special_pods();
        plan_policies();
        random pr = _r.fork(0x9011C1E5);
        for (const auto& ns : _plans) {
            make_policies(ns, pr, _c.policies);
        }
        return std::move(_c);
    }

  private:
    void plan_namespaces() {
        const uint32_t m = std::max<uint32_t>(1, _p.namespaces);
        const bool specials = m >= 4;
        if (specials) {
            _plans.push_back({"kube-system",
                              "platform",
                              "prod",
                              "platform",
                              ns_role::kube_system,
                              false,
                              {},
                              0});
            _plans.push_back(
                {"monitoring", "platform", "prod", "platform", ns_role::monitoring, false, {}, 0});
            _plans.push_back(
                {"ingress-nginx", "platform", "prod", "platform", ns_role::ingress, false, {}, 0});
        }
        const uint32_t regular = m - static_cast<uint32_t>(_plans.size());
        const uint32_t per_round = static_cast<uint32_t>(teams.size() * envs.size());
        for (uint32_t i = 0; i < regular; ++i) {
            ns_plan ns;
            ns.team = teams[i % teams.size()];
            ns.env = envs[(i / teams.size()) % envs.size()];
            ns.name = ns.team + "-" + ns.env;
            if (i >= per_round) {
                ns.name += "-" + std::to_string(i / per_round + 1);
            }
            static const char* tiers[] = {"frontend", "backend", "data"};
            ns.tier = _r.pick(tiers);
            ns.enforces_egress = _r.chance(0.4);
            _plans.push_back(std::move(ns));
        }
    }

    // Special pods first (fixed, small), then a skewed share per namespace.
    void plan_apps() {
        const uint32_t n = _p.pods;
        _host_network = static_cast<uint32_t>(std::lround(n * _p.host_network));
        _terminated = static_cast<uint32_t>(std::lround(n * _p.terminated));
        uint32_t left = n - std::min(n, _host_network + _terminated);
        for (auto& ns : _plans) {
            auto take = [&](const archetype& k, uint32_t want) {
                const uint32_t got = std::min(want, left);
                left -= got;
                if (got > 0) {
                    ns.apps.push_back(instantiate(k, k.name, _r));
                    ns.apps.back().replicas = got;
                }
            };
            switch (ns.role) {
            case ns_role::kube_system:
                take(coredns, 2);
                take(metrics_server, 1);
                break;
            case ns_role::monitoring:
                take(prometheus, 2);
                take(grafana, 1);
                break;
            case ns_role::ingress:
                take(ingress_controller, 3);
                break;
            case ns_role::regular:
                break;
            }
        }
        std::vector<double> weights;
        std::vector<ns_plan*> regular;
        for (auto& ns : _plans) {
            if (ns.role == ns_role::regular) {
                const double x = static_cast<double>(_r.below(10));
                weights.push_back(1 + x * x); // a few big namespaces, many small ones
                regular.push_back(&ns);
            }
        }
        if (regular.empty()) { // fewer than 4 namespaces never happens with specials
            return;
        }
        const auto shares = apportion(left, weights);
        for (size_t i = 0; i < regular.size(); ++i) {
            plan_regular_apps(*regular[i], shares[i]);
        }
    }

    void plan_regular_apps(ns_plan& ns, uint32_t pods) {
        if (pods == 0) {
            return;
        }
        const uint32_t count = std::clamp<uint32_t>(pods / 6, 1, 8);
        std::vector<double> weights;
        for (uint32_t i = 0; i < count; ++i) {
            const archetype* k = &archetypes[i == 0 ? _r.below(2) : pick_weighted()];
            std::string name = k->name;
            for (int dup = 2; std::any_of(ns.apps.begin(), ns.apps.end(),
                                          [&](const app& a) { return a.name == name; });
                 ++dup) {
                name = std::string(k->name) + "-" + std::to_string(dup);
            }
            ns.apps.push_back(instantiate(*k, name, _r));
            weights.push_back(k->weight);
        }
        const auto replicas = apportion(pods - count, weights);
        for (uint32_t i = 0; i < count; ++i) {
            ns.apps[i].replicas = 1 + replicas[i];
        }
    }

    size_t pick_weighted() {
        int total = 0;
        for (const auto& k : archetypes) {
            total += k.weight;
        }
        int x = static_cast<int>(_r.below(static_cast<uint64_t>(total)));
        for (size_t i = 0; i < archetypes.size(); ++i) {
            if ((x -= archetypes[i].weight) < 0) {
                return i;
            }
        }
        return 0;
    }

    void make_namespace(const ns_plan& ns) {
        namespace_object o;
        o.name = ns.name;
        o.labels = {
            {"team", ns.team}, {"env", ns.env}, {"tier", ns.tier}, {namespace_name_label, ns.name}};
        _c.namespaces.push_back(std::move(o));
    }

    // Pods live on nodes of ~100 pods: node k owns 10.(64 + k/256).(k%256).0/24
    // and fd00:10:0:k::/64, and has the node address 172.20.(k/256).(k%256).
    uint32_t node_count() const { return std::max<uint32_t>(1, (_p.pods + 99) / 100); }

    void assign_addresses(pod& p) {
        const uint32_t nodes = node_count();
        uint32_t node = static_cast<uint32_t>(_r.below(nodes));
        if (_node_fill.size() < nodes) {
            _node_fill.assign(nodes, 0);
        }
        while (_node_fill[node] >= 250) {
            node = (node + 1) % nodes;
        }
        const uint32_t host = ++_node_fill[node];
        p.ips.push_back(ip_address::v4(0x0A400000u + (node << 8) + host));
        if (_r.chance(_p.dual_stack)) {
            const u128 net = (u128{0xfd00001000000000ull} << 64) | (u128{node} << 64);
            p.ips.push_back(ip_address::v6(net | host));
        }
    }

    pod base_pod(const ns_plan& ns, const app& a) {
        pod p;
        p.ns = ns.name;
        p.labels = {{"app", a.name}, {"tier", a.kind->tier}};
        p.ports = a.ports;
        return p;
    }

    void make_pods(const ns_plan& ns) {
        for (const auto& a : ns.apps) {
            const std::string hash_v1 = hash_suffix(_r, 10);
            const std::string hash_v2 = hash_suffix(_r, 10);
            for (uint32_t i = 0; i < a.replicas; ++i) {
                pod p = base_pod(ns, a);
                if (a.name == "coredns") {
                    p.labels["k8s-app"] = "kube-dns";
                } else if (a.name == "ingress-nginx") {
                    p.labels["app.kubernetes.io/name"] = "ingress-nginx";
                }
                const bool canary = !a.kind->stateful && a.replicas > 3 && _r.chance(0.1);
                p.labels["version"] = canary ? "v2" : "v1";
                if (a.kind->stateful) {
                    p.name = a.name + "-" + std::to_string(i);
                    p.labels["statefulset.kubernetes.io/pod-name"] = p.name;
                    p.labels["controller-revision-hash"] = a.name + "-" + hash_v1;
                } else {
                    const std::string& h = canary ? hash_v2 : hash_v1;
                    p.name = a.name + "-" + h + "-" + hash_suffix(_r, 5);
                    p.labels["pod-template-hash"] = h;
                }
                assign_addresses(p);
                _c.pods.push_back(std::move(p));
            }
        }
    }

    // hostNetwork pods (node agents on node addresses) and finished job pods.
    void make_special_pods() {
        const ns_plan* agent_ns = &_plans.front();
        for (uint32_t i = 0; i < _host_network; ++i) {
            const uint32_t node = i % node_count();
            pod p = base_pod(*agent_ns, instantiate(kube_proxy, "kube-proxy", _r));
            p.name = "kube-proxy-" + hash_suffix(_r, 5);
            p.host_network = true;
            p.ips.push_back(ip_address::v4(0xAC140000u + node));
            _c.pods.push_back(std::move(p));
        }
        for (uint32_t i = 0; i < _terminated; ++i) {
            const ns_plan& ns = _plans[_r.below(_plans.size())];
            pod p = base_pod(ns, instantiate(batch_job, "batch-job", _r));
            p.name = "batch-job-" + std::to_string(i) + "-" + hash_suffix(_r, 5);
            p.labels["job-name"] = "batch-job-" + std::to_string(i);
            p.terminated = true;
            assign_addresses(p);
            _c.pods.push_back(std::move(p));
        }
    }

    // Specials get one policy each when there is room; the rest goes to
    // regular namespaces in proportion to how many apps they run.
    void plan_policies() {
        uint32_t left = _p.policies;
        std::vector<double> weights;
        std::vector<ns_plan*> regular;
        for (auto& ns : _plans) {
            if (ns.role != ns_role::regular) {
                ns.policy_quota = _p.policies >= 2 * _p.namespaces && left > 0 ? 1 : 0;
                left -= ns.policy_quota;
            } else {
                weights.push_back(1.0 + static_cast<double>(ns.apps.size()));
                regular.push_back(&ns);
            }
        }
        if (regular.empty()) {
            _plans.front().policy_quota += left;
            return;
        }
        const auto quotas = apportion(left, weights);
        for (size_t i = 0; i < regular.size(); ++i) {
            regular[i]->policy_quota = quotas[i];
        }
    }

    scale_params _p;
    random _r;
    cluster _c;
    std::vector<ns_plan> _plans;
    std::vector<uint32_t> _node_fill;
    uint32_t _host_network = 0;
    uint32_t _terminated = 0;
};

} // namespace

config::cluster generate_scale(const scale_params& p) {
    return scale_builder(p).run();
}

} // namespace podgate::synth
