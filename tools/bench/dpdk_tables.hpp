#pragma once
// The two DPDK designs the classifier benchmark holds podgate's tables
// against. Both need EAL (rte_malloc memory); neither is used by podgate.
//
// acl_classifier: rte_acl over the 5-tuple expansion (acl_expand.hpp), one
//   context per side (ingress, egress), each with the subject field first;
//   the verdict is "deny if a side answers `isolated`".
// lpm_hash_classifier: podgate's identities, groups and rows, but the address
//   stage on DPDK structures: rte_hash (CRC32) for pod addresses -> {identity,
//   ingress group, egress group}, rte_lpm for every other address -> identity
//   (routes from podgate's trie). What DESIGN.md argues against, measured.

#include "classifier/lookup/lookup.hpp"
#include "tools/bench/acl_expand.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

struct rte_acl_ctx;
struct rte_hash;
struct rte_lpm;

namespace podgate::bench {

// Bytes allocated from DPDK's heaps (every socket), for memory deltas.
size_t dpdk_heap_bytes();

// rte_acl input: the 5-tuple in network byte order, as in a packet.
struct alignas(4) acl_input {
    uint8_t proto;
    uint8_t pad[3];
    uint32_t src;
    uint32_t dst;
    uint16_t sport;
    uint16_t dport;
};
acl_input to_acl_input(const classifier::flow& f);

struct acl_build_report {
    bool ok = false;
    std::string error;
    uint64_t rules = 0;
    double add_ms = 0;
    double build_ms = 0;
    size_t rule_bytes = 0;    // heap growth from create + add (the rule store)
    size_t runtime_bytes = 0; // heap growth from rte_acl_build (the tries)
};

class acl_classifier {
  public:
    acl_classifier() = default;
    acl_classifier(const acl_classifier&) = delete;
    acl_classifier& operator=(const acl_classifier&) = delete;
    ~acl_classifier();

    // Builds from `max_rules` rules of `e` spread evenly over it (all when 0),
    // with `budget` bytes for the run-time structures (0: no limit).
    acl_build_report build(const acl_expansion& e, uint64_t max_rules, size_t budget);

    // Verdict allow bits for `n` <= 64 inputs.
    void classify(const uint8_t** data, uint8_t* allow, uint32_t n) const noexcept;
    const char* algorithm() const noexcept;

  private:
    rte_acl_ctx* _ctx[2] = {}; // [config::direction]
};

struct lpm_hash_build_report {
    bool ok = false;
    std::string error;
    double build_ms = 0;      // filling rte_hash and rte_lpm (podgate's compile not included)
    size_t dpdk_bytes = 0;    // rte_hash + rte_lpm
    size_t podgate_bytes = 0; // the side, segment and row arrays it shares with podgate
    uint32_t routes = 0;
};

class lpm_hash_classifier {
  public:
    lpm_hash_classifier() = default;
    lpm_hash_classifier(const lpm_hash_classifier&) = delete;
    lpm_hash_classifier& operator=(const lpm_hash_classifier&) = delete;
    ~lpm_hash_classifier();

    // Keeps a reference to `t` (its rows, sides and pod table contents).
    lpm_hash_build_report build(const classifier::tables& t);

    // n <= 32.
    void lookup(const classifier::flow* flows, classifier::verdict* out, uint32_t n) const noexcept;

  private:
    const classifier::tables* _t = nullptr;
    rte_hash* _hash = nullptr;
    rte_lpm* _lpm = nullptr;
    std::vector<classifier::endpoint_info> _endpoints; // rte_hash data -> index here
};

} // namespace podgate::bench
