#pragma once
// The policy set expanded to IPv4 5-tuple rules, the form rte_acl (and any
// classic firewall) classifies. NetworkPolicy has no 5-tuple form of its own:
// a rule says "pods selected by P may be reached from pods matching S on port
// Q", so the expansion is the product
//
//     cover(subject pods of P) x cover(peer addresses of the rule) x port
//
// per (policy, direction, rule, port), where cover() is the smallest prefix
// list whose union is exactly the address set (pod addresses are scattered
// over per-node /24s, so most covers are as long as the set). Named ports
// split the product further: ingress by the number each subject pod gives
// the name, egress by the number each peer pod gives it (and a non-pod
// address never matches a named port).
//
// Each side gets its own rte_acl context, subject field first:
//   egress  context: subject = src, peer = dst
//   ingress context: subject = dst, peer = src
// and in each
//   priority 1, result `isolated`: subject = cover(pods isolated on the side),
//                                   every peer, proto, port
//   priority 2, result `allow`:    the products above
// so a side answers 0 (no rule: not isolated, allowed), `allow`, or
// `isolated` (denied). A flow passes when neither side says `isolated`.
// Neither end a pod: no rule matches, allowed (non-pod traffic = allow).
// One context for both sides (categories 0/1) is a trap: the egress rules
// want src first, the ingress rules dst first, and whichever comes second
// gets every wildcard rule copied under every branch of the first (measured:
// the first 10,000 rules of the 100k-pod set built in 58 s into 2.2 GiB).

#include "config/cluster.hpp"

#include <cstdint>
#include <memory>
#include <vector>

namespace podgate::bench {

struct v4_prefix {
    uint32_t addr; // host order, host bits zero
    uint8_t len;
};

// A closed range [lo, hi] of IPv4 addresses.
struct v4_range {
    uint32_t lo;
    uint32_t hi;
};

// Smallest prefix list covering exactly `ranges` (sorted, disjoint).
std::vector<v4_prefix> cover(const std::vector<v4_range>& ranges);
// Sorted, merged ranges from single addresses (duplicates allowed).
std::vector<v4_range> ranges_of(std::vector<uint32_t> addresses);

inline constexpr uint8_t any_proto = 0;

struct port_match {
    uint8_t proto = any_proto; // any_proto: every protocol, every port
    uint16_t lo = 0;
    uint16_t hi = 65535;
};

using prefix_list = std::shared_ptr<const std::vector<v4_prefix>>;

// Every address of `subjects` x every address of `peers` on `port`.
struct acl_term {
    config::direction dir;
    prefix_list subjects;
    prefix_list peers;
    port_match port;
    uint64_t rules() const { return uint64_t{subjects->size()} * peers->size(); }
};

struct acl_expansion {
    prefix_list isolated[2]; // [direction]: cover of the pods isolated on that side
    std::vector<acl_term> terms;
    uint64_t rule_count = 0;    // isolation + every term's product
    uint32_t endpoint_v4 = 0;   // endpoint pod IPv4 addresses
    uint32_t distinct_sets = 0; // distinct address sets (after caching)
};

// IPv4 only: IPv6 addresses would need a second context with the same shape.
acl_expansion expand_v4(const config::cluster& c);

} // namespace podgate::bench
