#pragma once
// The reference evaluator: NetworkPolicy semantics evaluated directly over the
// loaded objects, one flow at a time, with no precomputation beyond an address
// index. Slow and obviously correct: the oracle the compiled tables are tested
// against, and the engine behind `podgate-policy explain`.

#include "classifier/tables/flow.hpp"
#include "config/cluster.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace podgate::classifier::reference {

struct options {
    config::default_action non_pod_traffic = config::default_action::allow;
};

class evaluator {
  public:
    // Keeps a reference to `c`: it must outlive the evaluator.
    explicit evaluator(const config::cluster& c, options opt = {});

    verdict evaluate(const flow& f) const;

    // Which policy admits the flow on each side: the first policy (index
    // into cluster::policies, in their order) that selects the side's pod
    // and whose own rules allow the flow there; UINT32_MAX when the side is
    // not isolated or no selecting policy allows it.
    struct attributed {
        uint32_t egress = UINT32_MAX;
        uint32_t ingress = UINT32_MAX;
    };
    attributed attribute(const flow& f) const;

    // A human-readable account of the decision: which pods the addresses are,
    // which policies select them on each side, which rules matched or failed
    // and why, and the verdict (last line starts with "verdict: allow|deny").
    std::string explain(const flow& f) const;

    // The pod at an address (endpoint pods only), or nullptr.
    const config::pod* pod_at(const ip_address& a) const;

  private:
    const config::cluster& _cluster;
    options _options;
    std::map<ip_address, const config::pod*> _pods_by_address;
};

} // namespace podgate::classifier::reference
