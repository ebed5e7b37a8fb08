// Per-policy allow counts: which policy admitted each allowed new flow (see
// classifier/lookup/attribution.hpp for the rule). Kept out of burst.cpp: it
// resolves both ends again and walks the group's policies, a cost paid once
// per allowed new flow, never per packet of a known flow.

#include "classifier/lookup/attribution.hpp"
#include "pipeline/worker/worker.hpp"

namespace podgate::pipeline {

void worker::count_admission(const classifier::tables& t, const classifier::flow& f) noexcept {
    classifier::admission_counts* counts = t.admissions.get();
    if (counts == nullptr) {
        return;
    }
    const classifier::admitting a = classifier::admitting_policies(t, f);
    if (a.egress != classifier::no_policy) {
        counts->add(_thread, a.egress, classifier::flow_side::egress);
    }
    if (a.ingress != classifier::no_policy) {
        counts->add(_thread, a.ingress, classifier::flow_side::ingress);
    }
}

} // namespace podgate::pipeline
