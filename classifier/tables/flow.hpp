#pragma once
// A flow as the classifier sees it, and the answer it gives. Shared by the
// compiled lookup and the reference evaluator so the two can be compared.

#include "classifier/tables/reason.hpp"
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

struct verdict {
    bool allow = false;
    verdict_reason reason = verdict_reason::non_pod_denied;
    friend bool operator==(const verdict&, const verdict&) = default;
};

} // namespace podgate::classifier
