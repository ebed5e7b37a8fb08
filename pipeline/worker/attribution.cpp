// Attribution counts: which policy allowed each allowed new flow (see
// classifier/lookup/attribution.hpp for the rule). Kept out of burst.cpp: it
// resolves both ends again and walks the group's policies, a cost paid once
// per allowed new flow, never per packet of a known flow.

#include "classifier/lookup/attribution.hpp"
#include "pipeline/worker/worker.hpp"

namespace podgate::pipeline {

void worker::attribute_flow(const classifier::tables& t, const classifier::flow& f) noexcept {
    // The block came with `t` from the same table_slot::live(); a caller that
    // passes other tables (tests driving process_burst) counts nothing.
    attribution_counts* counts = _attribution;
    if (counts == nullptr || counts->generation() != t.generation) {
        return;
    }
    const classifier::attributed a = classifier::attribute(t, f);
    if (a.egress != classifier::no_policy) {
        counts->add(_thread, a.egress, flow_side::egress);
    }
    if (a.ingress != classifier::no_policy) {
        counts->add(_thread, a.ingress, flow_side::ingress);
    }
}

} // namespace podgate::pipeline
