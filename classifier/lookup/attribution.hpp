#pragma once
// Attribution, which policy allowed a flow: for each isolated side (the source's egress,
// the destination's ingress), the first policy selecting that side's group,
// in cluster order, whose own rules allow the flow there. The verdict never
// depends on this; workers ask it only for new flows the lookup allowed, to
// count them per policy. Header-only, noexcept, no allocation, like lookup.hpp,
// but it walks the group's policies one by one (cold arrays, a few loads per
// policy), so it stays off the verdict path.

#include "classifier/lookup/lookup.hpp"

namespace podgate::classifier {

inline constexpr uint32_t no_policy = UINT32_MAX;

struct attributed {
    uint32_t egress = no_policy; // policy index (table_names::policies), or no_policy
    uint32_t ingress = no_policy;
};

// The first policy of group `g` whose rules alone let `peer` in on
// proto/dport; no_policy when `g` is not isolated or none does.
inline uint32_t first_admitting(const tables& t, group_id g, identity_id peer, uint8_t proto,
                                uint16_t dport) noexcept {
    if (g == not_isolated) {
        return no_policy;
    }
    for (uint32_t k = t.attribution_first[g]; k < t.attribution_first[g + 1]; ++k) {
        const policy_rows& p = t.attribution[k];
        if (row_has(t, side_row(t, p.rows, proto, dport), peer)) {
            return p.policy;
        }
    }
    return no_policy;
}

// For any flow: per side, the first selecting policy that allows it there
// (no_policy when the side is not isolated, or is and nothing allows it).
// For a flow `lookup` allows, every isolated side names a policy.
inline attributed attribute(const tables& t, const flow& f) noexcept {
    const endpoint_info src = resolve(t, f.src);
    const endpoint_info dst = resolve(t, f.dst);
    return {first_admitting(t, src.egress, dst.identity, f.proto, f.dport),
            first_admitting(t, dst.ingress, src.identity, f.proto, f.dport)};
}

} // namespace podgate::classifier
