#pragma once
// One worker lcore: everything it owns (conntrack, fragment verdicts,
// counters, queue assignment) and the two halves of its work:
//   process_burst  parse -> conntrack -> classify new flows -> forward/drop
//   run            the poll loop around it (RX, TX, RCU quiescence, expiry)
// Nothing here locks, allocates, logs or makes system calls per packet.

#include "pipeline/conntrack/conntrack.hpp"
#include "pipeline/conntrack/fragments.hpp"
#include "pipeline/counters.hpp"
#include "pipeline/drop_log.hpp"
#include "pipeline/table_slot.hpp"

#include <rte_mbuf.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

namespace podgate::pipeline {

inline constexpr uint16_t max_burst = 32;
inline constexpr uint32_t expiry_step_max = 256;

// How many of a table's `slots` (its sweep range, which grows as the table
// fills) are due for an expiry look, at one sweep per `sweep_tsc`; the
// remainder carries over.
class expiry_pace {
  public:
    void start(uint64_t now, uint64_t sweep_tsc) noexcept {
        _last = now;
        _sweep_tsc = sweep_tsc;
    }
    uint32_t due(uint64_t now, uint32_t slots) noexcept {
        if (slots != _slots) {
            _slots = slots;
            _tsc_per_slot = slots == 0 || _sweep_tsc / slots == 0 ? 1 : _sweep_tsc / slots;
        }
        const uint64_t n = now > _last ? (now - _last) / _tsc_per_slot : 0;
        if (n >= expiry_step_max) {
            _last = now; // far behind (or a jump in time): one bounded step, no backlog
            return expiry_step_max;
        }
        _last += n * _tsc_per_slot;
        return static_cast<uint32_t>(n);
    }

  private:
    uint64_t _last = 0;
    uint64_t _sweep_tsc = 1;
    uint64_t _tsc_per_slot = 1;
    uint32_t _slots = 0;
};

// One RX queue this worker polls and where its packets leave.
struct queue_assignment {
    uint16_t rx_port;
    uint16_t rx_queue;
    uint16_t tx_port;
    uint16_t tx_queue;
};

enum class established_policy : uint8_t {
    revalidate, // after a table change, re-check an entry on its next packet
    keep,       // entries stay valid until they expire
};

// Which TCP packets of unknown flows may create conntrack entries.
enum class tcp_pickup : uint8_t {
    loose,    // any allowed packet but SYN-ACK and RST (survives a restart)
    syn_only, // only a SYN; other packets of unknown flows pass or drop on policy alone
};

struct worker_config {
    bool forward_non_ip = true;
    established_policy established = established_policy::revalidate;
    tcp_pickup pickup = tcp_pickup::loose;
    uint16_t burst = max_burst;
    uint32_t idle_sleep_us = 0; // 0: busy-poll forever
    ct_config conntrack;
    fragment_config fragments;
};

class worker {
  public:
    // Creates the per-lcore tables on `socket`. Control thread only.
    static result<std::unique_ptr<worker>> create(unsigned thread_id, const worker_config& cfg,
                                                  table_slot& tables, lcore_counters& counters,
                                                  int socket);

    void assign(const queue_assignment& q) { _queues.push_back(q); }
    // Where to report drops (null: count only). Set before run().
    void report_drops_to(drop_channel* c) { _drops_out = c; }
    const std::vector<queue_assignment>& queues() const { return _queues; }

    // Classifies a burst received on `rx_port`. Forwarded packets are moved to
    // `forward` (in arrival order) and their count returned; dropped packets
    // are freed and counted. `n` <= max_burst.
    uint16_t process_burst(const classifier::tables& t, rte_mbuf** pkts, uint16_t n,
                           uint16_t rx_port, rte_mbuf** forward, uint64_t now) noexcept;

    // The poll loop, until `stop` becomes true. Runs on the worker lcore.
    void run(const std::atomic<bool>& stop) noexcept;
    // Starts run(stop) on EAL worker lcore `lcore` and returns at once: 0, or
    // rte_eal_remote_launch's negative errno. `stop` must outlive the run
    // (rte_eal_wait_lcore). Control thread only.
    int launch(unsigned lcore, const std::atomic<bool>& stop) noexcept;

    // Incremental expiry of conntrack and fragment entries, run by the poll
    // loop once per iteration: paced by time (the used part of each table
    // swept once a second), not by iterations, so a busy loop does not spend
    // its cycles re-reading slots. At most expiry_step_max slots per table
    // per call.
    void expire(uint64_t now) noexcept;
    // Sweeps both tables whole (tests, and nothing on the packet path).
    void expire_all(uint64_t now) noexcept;

    const conntrack& connections() const { return *_ct; }

  private:
    worker() = default;
    void drop(rte_mbuf* m, const parsed_packet& p, verdict_reason r) noexcept;
    void report_drop(rte_mbuf* m, const parsed_packet& p, verdict_reason r) noexcept;
    void keep_fragment_verdict(const parsed_packet& p, bool allow) noexcept;
    void publish_occupancy() noexcept;
    // The verdict for an entry after a table change (allow: still valid).
    classifier::verdict revalidate(const classifier::tables& t, int32_t pos) noexcept;
    // Credits an allowed new flow to the policies that allowed it, in this
    // worker's slice of the attribution counts published with `t`
    // (attribution.cpp; cold, off the verdict).
    void attribute_flow(const classifier::tables& t, const classifier::flow& f) noexcept;

    unsigned _thread = 0;
    worker_config _cfg;
    table_slot* _tables = nullptr;
    attribution_counts* _attribution = nullptr; // published with the tables run() last loaded
    lcore_counters* _counters = nullptr;
    std::unique_ptr<conntrack> _ct;
    std::unique_ptr<fragment_table> _frags;
    std::vector<queue_assignment> _queues;
    rte_mbuf* _dropped[max_burst] = {};
    // process_burst's columns, kept here so no burst pays to construct them.
    struct burst_columns {
        parsed_packet packets[max_burst];
        ct_key keys[max_burst];
        classifier::flow flows[max_burst];
        classifier::verdict verdicts[max_burst];
    } _columns;
    uint16_t _ndropped = 0;
    drop_channel* _drops_out = nullptr;
    expiry_pace _ct_pace;
    expiry_pace _frag_pace;
    uint16_t _rx_port = 0;
    uint16_t _rx_queue = 0;
    uint64_t _now = 0;
    uint64_t _generation = 0;
    const std::atomic<bool>* _stop = nullptr; // launch() -> run()
};

} // namespace podgate::pipeline
