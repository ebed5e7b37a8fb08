#pragma once
// Attribution totals over the daemon's life (control side): allowed new
// flows per policy and side. Workers count into the live generation's
// pipeline::attribution_counts; when a reload retires a generation,
// table_slot hands its block back and its counts are folded in here by
// policy name ("ns/name") and side, so totals survive reloads and a policy
// that disappears keeps its count.
// Thread-safe: the control thread reports publications, any thread (metrics,
// telemetry) takes snapshots.

#include "config/result.hpp"
#include "pipeline/attribution_counts.hpp"

#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace podgate::app {

class attribution_totals {
  public:
    // Fresh counters for `t` and `workers` workers, to publish with it. Fails
    // when memory runs out (then nothing is counted for that generation).
    static result<std::unique_ptr<pipeline::attribution_counts>>
    counts_for(const classifier::tables& t, unsigned workers);

    // Control thread, after table_slot::publish: `live` is the block now
    // published (null at shutdown or when it has none), `retired` the one
    // publish handed back. Folds `retired`'s counts in; it is freed here.
    void went_live(const pipeline::attribution_counts* live,
                   std::unique_ptr<pipeline::attribution_counts> retired);

    struct entry {
        std::string policy; // "ns/name"
        pipeline::flow_side side;
        uint64_t flows;
    };
    // Retired plus live counts, by policy name then side (ingress first):
    // every (policy, side) a live policy can be credited on, and every one
    // ever credited.
    std::vector<entry> snapshot() const;

  private:
    mutable std::mutex _mutex;
    std::map<std::string, std::array<uint64_t, 2>> _retired; // [flow_side]
    const pipeline::attribution_counts* _live = nullptr;
};

} // namespace podgate::app
