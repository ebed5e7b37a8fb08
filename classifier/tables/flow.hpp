#pragma once
// A flow as the classifier sees it, and the answer it gives. Shared by the
// compiled lookup and the reference evaluator so the two can be compared.

#include "config/ip.hpp"

#include <cstdint>

namespace podgate::classifier {

struct flow {
    ip_address src;
    ip_address dst;
    uint8_t proto = 6; // IANA protocol number (6 TCP, 17 UDP, 132 SCTP, 1 ICMP, 58 ICMPv6, ...)
    uint16_t sport = 0;
    uint16_t dport = 0; // 0 for protocols without ports
};

enum class verdict_reason : uint8_t {
    allowed = 0,     // the egress side of src and the ingress side of dst both allow
    non_pod_allowed, // neither end is a pod; non-pod traffic is allowed
    non_pod_denied,  // neither end is a pod; non-pod traffic is denied
    egress_denied,   // src is a pod isolated for egress and no rule allows this flow
    ingress_denied,  // dst is a pod isolated for ingress and no rule allows this flow
};
inline constexpr unsigned verdict_reason_count = 5;

struct verdict {
    bool allow = false;
    verdict_reason reason = verdict_reason::non_pod_denied;
    friend bool operator==(const verdict&, const verdict&) = default;
};

inline const char* to_string(verdict_reason r) noexcept {
    switch (r) {
    case verdict_reason::allowed: return "allowed";
    case verdict_reason::non_pod_allowed: return "non-pod-allowed";
    case verdict_reason::non_pod_denied: return "non-pod-denied";
    case verdict_reason::egress_denied: return "egress-denied";
    case verdict_reason::ingress_denied: return "ingress-denied";
    }
    return "?";
}

} // namespace podgate::classifier
