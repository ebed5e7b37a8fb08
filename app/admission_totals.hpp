#pragma once
// Per-policy allow counts over the daemon's life (control side). Workers
// count into the live table set's admission_counts; when a reload retires a
// set, its counts are folded in here by policy name ("ns/name") and side, so
// totals survive reloads and a policy that disappears keeps its count.
// Thread-safe: the control thread reports publications, any thread (metrics,
// telemetry) takes snapshots.

#include "classifier/tables/tables.hpp"

#include <array>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace podgate::app {

class admission_totals {
public:
    // Gives `t` fresh counters for `workers` workers; call before publishing
    // it. Returns an error (and `t` counts nothing) when memory runs out.
    static std::string attach(const classifier::tables& t, unsigned workers);

    // Control thread, after table_slot::publish: `live` is the set now
    // published (null at shutdown), `retired` the one publish handed back
    // (null the first time). Folds `retired`'s counts in; it may be freed
    // once this returns.
    void went_live(const classifier::tables* live, const classifier::tables* retired);

    struct entry {
        std::string policy; // "ns/name"
        classifier::flow_side side;
        uint64_t flows;
    };
    // Retired plus live counts, by policy name then side (ingress first):
    // every (policy, side) a live policy can be credited on, and every one
    // ever credited.
    std::vector<entry> snapshot() const;

private:
    mutable std::mutex _mutex;
    std::map<std::string, std::array<uint64_t, 2>> _retired; // [flow_side]
    const classifier::tables* _live = nullptr;
};

} // namespace podgate::app
