#pragma once
// Why a packet is forwarded or dropped: one vocabulary for the classifier's
// verdicts, the data plane's drop counters (indexed by it), the drop log, the
// stats JSON, /metrics and `podgate --list-counters`. It lives with the
// tables because both sides read it; the classifier knows nothing of the
// pipeline's reasons beyond their names here.
//
// Adding a reason is one row below: enumerator, operator-facing name (a
// /metrics label value: keep it stable), who gives it (`verdict`: a
// classifier verdict can carry it; `data_plane`: only the pipeline), fate,
// and a help line.

#include <cstdint>
#include <iterator>

// clang-format off
#define PODGATE_REASONS(X)                                                                                   \
    X(allowed,         "allowed",         verdict,    forward, "the egress side of src and the ingress side of dst both allow") \
    X(non_pod_allowed, "non-pod-allowed", verdict,    forward, "neither end is a pod and non-pod traffic is allowed")           \
    X(policy_ingress,  "policy-ingress",  verdict,    drop,    "dst is a pod isolated for ingress and no rule allows the flow") \
    X(policy_egress,   "policy-egress",   verdict,    drop,    "src is a pod isolated for egress and no rule allows the flow")  \
    X(non_pod_denied,  "non-pod-denied",  verdict,    drop,    "neither end is a pod and non-pod traffic is denied")            \
    X(malformed,       "malformed",       data_plane, drop,    "the packet does not parse (see the malformed breakdown)")       \
    X(fragment_orphan, "fragment-orphan", data_plane, drop,    "a later fragment with no known first fragment")                 \
    X(fragment_denied, "fragment-denied", data_plane, drop,    "a later fragment of a denied datagram")                         \
    X(conntrack_full,  "conntrack-full",  data_plane, drop,    "an allowed new flow found no room and nothing evictable")       \
    X(tx_full,         "tx-full",         data_plane, drop,    "the TX queue did not take the packet")                          \
    X(non_ip_denied,   "non-ip-denied",   data_plane, drop,    "a non-IP frame while non-IP traffic is denied")
// clang-format on

namespace podgate::classifier {

enum class verdict_reason : uint8_t {
#define PODGATE_REASON_ENUMERATOR(id, name, origin, fate, help) id,
    PODGATE_REASONS(PODGATE_REASON_ENUMERATOR)
#undef PODGATE_REASON_ENUMERATOR
};

enum class reason_origin : uint8_t { verdict, data_plane };
enum class reason_fate : uint8_t { forward, drop };

struct reason_info {
    const char* name;
    reason_origin origin;
    reason_fate fate;
    const char* help;
};

inline constexpr reason_info reasons[] = {
#define PODGATE_REASON_INFO(id, name, origin, fate, help)                                          \
    {name, reason_origin::origin, reason_fate::fate, help},
    PODGATE_REASONS(PODGATE_REASON_INFO)
#undef PODGATE_REASON_INFO
};
inline constexpr unsigned verdict_reason_count = static_cast<unsigned>(std::size(reasons));

constexpr const char* to_string(verdict_reason r) noexcept {
    const auto i = static_cast<unsigned>(r);
    return i < verdict_reason_count ? reasons[i].name : "?";
}
constexpr bool is_drop(verdict_reason r) noexcept {
    const auto i = static_cast<unsigned>(r);
    return i < verdict_reason_count && reasons[i].fate == reason_fate::drop;
}
constexpr bool from_classifier(verdict_reason r) noexcept {
    const auto i = static_cast<unsigned>(r);
    return i < verdict_reason_count && reasons[i].origin == reason_origin::verdict;
}

} // namespace podgate::classifier
