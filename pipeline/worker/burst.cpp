// process_burst: the per-packet work of a worker, in columns over the burst:
//   1. parse every packet (prefetching ahead), sort out drops, non-IP, ND and
//      later fragments; start the conntrack lookup of every trackable packet
//      (its bucket, then a few packets later its record, are prefetched);
//   2. finish each lookup: known flows pass;
//   3. one burst policy lookup for every packet of a new flow;
//   4. apply verdicts in arrival order (creating entries); every first
//      fragment, new flow or not, leaves its verdict for the later ones;
//   5. later fragments follow; forwarded packets go back in arrival order
//      and the rest are freed in bulk.

#include "classifier/lookup/lookup.hpp"
#include "pipeline/parse/mbuf_parse.hpp"
#include "pipeline/worker/worker.hpp"

#include <rte_pcapng.h>
#include <rte_prefetch.h>

#include <cstring>

namespace podgate::pipeline {

namespace {

constexpr unsigned prefetch_distance = 3;
// Keys parsed between the prefetch of a conntrack bucket and its read, so
// the parse of the packets in between overlaps the miss (at 100k flows the
// buckets are far past L2). perf, hits at 100k flows: with 4 the bucket read
// still waited in 12% of process_burst's samples, with 8 in 8%.
constexpr unsigned probe_lag = 8;

classifier::flow flow_of(const parsed_packet& p) noexcept {
    return {p.src_address(), p.dst_address(), p.l4_proto, p.has_ports ? p.sport : uint16_t{0},
            p.has_ports ? p.dport : uint16_t{0}};
}

// Packets that get a conntrack entry: TCP/UDP/SCTP with ports, ICMP echo,
// and protocols podgate does not parse (keyed on addresses and protocol).
bool trackable(const parsed_packet& p) noexcept {
    if (p.has_ports || p.has_echo_id) {
        return true;
    }
    const uint8_t proto = p.l4_proto;
    return proto != ip_proto::tcp && proto != ip_proto::udp && proto != ip_proto::sctp &&
           proto != ip_proto::icmp && proto != ip_proto::icmpv6;
}

// Which first packets of an unknown TCP flow may open it. A SYN-ACK or RST
// never does: a SYN-ACK with no SYN seen (a forged or misdirected reply)
// would otherwise open the reverse path past the other side's ingress policy.
// Loose pickup lets a mid-stream packet (ACK, data, FIN) open an allowed
// flow, so a podgate restart does not cut live connections.
bool opens_flow(const parsed_packet& p, tcp_pickup mode) noexcept {
    if (p.l4_proto != ip_proto::tcp || !p.has_ports) {
        return true;
    }
    constexpr uint8_t syn = 0x02, rst = 0x04, ack = 0x10;
    const uint8_t f = p.tcp_flags;
    if ((f & rst) || (f & (syn | ack)) == (syn | ack)) {
        return false;
    }
    return mode == tcp_pickup::loose || (f & (syn | ack)) == syn;
}

} // namespace

void worker::drop(rte_mbuf* m, const parsed_packet& p, verdict_reason r) noexcept {
    _counters->drops[static_cast<unsigned>(r)].add(1);
    if (_drops_out != nullptr) [[unlikely]] {
        report_drop(m, p, r);
    }
    _dropped[_ndropped++] = m;
}

void worker::keep_fragment_verdict(const parsed_packet& p, bool allow) noexcept {
    // When the verdict cannot be kept, the later fragments drop as orphans.
    (_frags->record(p, allow, _now) ? _counters->frag_tracked : _counters->frag_table_full).add(1);
}

void worker::report_drop(rte_mbuf* m, const parsed_packet& p, verdict_reason r) noexcept {
    if (r != verdict_reason::malformed && r != verdict_reason::tx_full) {
        drop_record rec{p.src,
                        p.dst,
                        _now,
                        _generation,
                        p.sport,
                        p.dport,
                        p.l4_proto,
                        static_cast<uint8_t>(p.family),
                        static_cast<uint8_t>(r),
                        static_cast<uint8_t>(_rx_port),
                        {}};
        if (rte_ring_sp_enqueue_elem(_drops_out->records, &rec, sizeof rec) != 0) {
            _counters->drop_log_skipped.add(1);
        }
    }
    if (_drops_out->captures != nullptr) {
        rte_mbuf* copy = rte_pcapng_copy(_rx_port, _rx_queue, m, _drops_out->capture_pool,
                                         _drops_out->snaplen, _now, RTE_PCAPNG_DIRECTION_IN);
        if (copy == nullptr || rte_ring_sp_enqueue(_drops_out->captures, copy) != 0) {
            rte_pktmbuf_free(copy);
            _counters->capture_skipped.add(1);
        }
    }
}

classifier::verdict worker::revalidate(const classifier::tables& t, int32_t pos) noexcept {
    constexpr classifier::verdict still_valid{true, classifier::verdict_reason::allowed};
    ct_entry& e = _ct->entry(pos);
    if (e.generation == t.generation || _cfg.established == established_policy::keep) {
        return still_valid;
    }
    ct_key k;
    if (!_ct->key(pos, k)) {
        return {false, classifier::verdict_reason::non_pod_denied}; // cannot happen for a live
                                                                    // entry: never fail open
    }
    // Re-check as a new flow in its original direction.
    const auto family = static_cast<ip_family>(k.family);
    const bool lo_first = e.orig_lo_to_hi;
    const classifier::flow f{{family, lo_first ? k.lo_address() : k.hi_address()},
                             {family, lo_first ? k.hi_address() : k.lo_address()},
                             k.proto,
                             lo_first ? k.lo_port : k.hi_port,
                             lo_first ? k.hi_port : k.lo_port};
    _counters->ct_revalidated.add(1);
    const auto v = classifier::lookup(t, f);
    if (v.allow) {
        e.generation = t.generation;
    } else {
        _counters->ct_revoked.add(1);
        _ct->remove(pos);
    }
    return v;
}

uint16_t worker::process_burst(const classifier::tables& t, rte_mbuf** pkts, uint16_t n,
                               uint16_t rx_port, rte_mbuf** forward, uint64_t now) noexcept {
    _rx_port = rx_port;
    _now = now;
    _generation = t.generation;
    enum : uint8_t { undecided, pass, dropped, later_fragment };
    parsed_packet* const pp = _columns.packets;
    uint8_t action[max_burst];
    int8_t key_of[max_burst]; // index into keys, or -1
    ct_key* const keys = _columns.keys;
    bool lo_to_hi[max_burst];
    uint32_t hashes[max_burst];
    uint32_t candidates[max_burst];
    uint16_t nkeys = 0;
    _ndropped = 0;

    _counters->rx.add(n);
    _counters->port_rx[rx_port].add(n);

    // 1. Parse and sort out what needs no flow state.
    for (uint16_t i = 0; i < n; ++i) {
        if (i + prefetch_distance < n) {
            rte_prefetch0(rte_pktmbuf_mtod(pkts[i + prefetch_distance], void*));
        }
        parse_mbuf(pkts[i], pp[i]);
        const parsed_packet& p = pp[i];
        action[i] = undecided;
        key_of[i] = -1;
        if (p.status == parse_status::malformed) [[unlikely]] {
            _counters->malformed[static_cast<unsigned>(p.reason)].add(1);
            action[i] = dropped;
            drop(pkts[i], p, verdict_reason::malformed);
        } else if (p.status == parse_status::not_ip) {
            if (_cfg.forward_non_ip) {
                _counters->non_ip_forwarded.add(1);
                action[i] = pass;
            } else {
                action[i] = dropped;
                drop(pkts[i], p, verdict_reason::non_ip_denied);
            }
        } else if (p.is_nd) {
            _counters->nd_passed.add(1); // neighbour discovery always passes
            action[i] = pass;
        } else if (p.is_fragment && !p.is_first_fragment) {
            action[i] =
                later_fragment; // after every first fragment of the burst has its verdict (step 5)
        } else if (trackable(p)) {
            make_ct_key(p, keys[nkeys], lo_to_hi[nkeys]);
            hashes[nkeys] = _ct->probe(keys[nkeys]);
            if (nkeys >= probe_lag) {
                candidates[nkeys - probe_lag] = _ct->candidate(hashes[nkeys - probe_lag]);
            }
            key_of[i] = static_cast<int8_t>(nkeys++);
        }
    }
    for (uint16_t k = nkeys > probe_lag ? nkeys - probe_lag : 0; k < nkeys; ++k) {
        candidates[k] = _ct->candidate(hashes[k]);
    }
    _counters->ct_lookups.add(nkeys);

    // 2. Conntrack: known flows pass (after revalidation if the tables changed).
    classifier::flow* const flows = _columns.flows;
    classifier::verdict* const verdicts = _columns.verdicts;
    uint16_t order[max_burst];
    uint16_t nflows = 0;
    uint16_t hits = 0;
    // An entry past its timeout that the paced expiry sweep has not reached
    // yet is gone, exactly as if the sweep had removed it: timeouts are exact.
    const auto live = [&](int32_t pos) {
        if (pos < 0 || !_ct->entry(pos).in_use) {
            return false;
        }
        if (_ct->entry(pos).expires_tsc > now) [[likely]] {
            return true;
        }
        _ct->remove(pos);
        _counters->ct_expired.add(1);
        return false;
    };
    for (uint16_t i = 0; i < n; ++i) {
        if (action[i] != undecided) {
            continue;
        }
        const int k = key_of[i];
        const int32_t pos = k >= 0 ? _ct->resolve(keys[k], hashes[k], candidates[k]) : -1;
        // An entry revoked by an earlier packet of this burst is gone: decide anew.
        if (live(pos)) {
            ++hits;
            const auto v = _ct->entry(pos).generation == t.generation
                               ? classifier::verdict{true, classifier::verdict_reason::allowed}
                               : revalidate(t, pos);
            if (pp[i].is_first_fragment) {
                keep_fragment_verdict(pp[i], v.allow);
            }
            if (v.allow) {
                _ct->touch(pos, pp[i], lo_to_hi[k], now);
                action[i] = pass;
            } else {
                action[i] = dropped;
                drop(pkts[i], pp[i], v.reason);
            }
            continue;
        }
        flows[nflows] = flow_of(pp[i]);
        order[nflows++] = i;
    }

    _counters->ct_hits.add(hits);

    // 3. Policy for every new flow, in one burst.
    classifier::lookup_burst(t, flows, verdicts, nflows);
    _counters->policy_lookups.add(nflows);

    // 4. Verdicts in arrival order. A later packet of a flow created earlier
    //    in this same burst (a reply in a hairpin burst) follows that entry.
    int32_t created_pos[max_burst];
    uint16_t created_key[max_burst];
    uint16_t ncreated = 0;
    for (uint16_t j = 0; j < nflows; ++j) {
        const uint16_t i = order[j];
        const int k = key_of[i];
        if (k >= 0) {
            bool followed = false;
            for (uint16_t c = 0; c < ncreated && !followed; ++c) {
                // Only while the position still holds this flow: a later create
                // in the burst may have evicted it and taken the position.
                ct_key live;
                if (std::memcmp(&keys[created_key[c]], &keys[k], sizeof(ct_key)) == 0 &&
                    _ct->key(created_pos[c], live) &&
                    std::memcmp(&live, &keys[k], sizeof(ct_key)) == 0) {
                    _ct->touch(created_pos[c], pp[i], lo_to_hi[k], now);
                    followed = true;
                }
            }
            if (followed && pp[i].is_first_fragment) {
                keep_fragment_verdict(pp[i], true);
            }
            if (followed) {
                action[i] = pass;
                continue;
            }
        }
        const classifier::verdict v = verdicts[j];
        if (pp[i].is_first_fragment) {
            keep_fragment_verdict(pp[i], v.allow);
        }
        if (!v.allow) {
            action[i] = dropped;
            drop(pkts[i], pp[i], v.reason);
            continue;
        }
        _counters->new_flows_allowed.add(1);
        attribute_flow(t, flows[j]);
        if (k >= 0 && !opens_flow(pp[i], _cfg.pickup)) {
            _counters->ct_stateless.add(1); // allowed on its own, but opens no reverse path
        } else if (k >= 0) {
            bool evicted = false;
            const int32_t pos =
                _ct->create(keys[k], pp[i], lo_to_hi[k], t.generation, now, evicted);
            if (pos < 0) {
                action[i] = dropped;
                drop(pkts[i], pp[i], verdict_reason::conntrack_full);
                continue;
            }
            _counters->ct_creates.add(1);
            _counters->ct_evicted.add(evicted);
            created_pos[ncreated] = pos;
            created_key[ncreated++] = static_cast<uint16_t>(k);
        }
        action[i] = pass;
    }

    // 5. Later fragments follow their datagram's first fragment, wherever it
    //    was decided (an earlier burst, or this one).
    for (uint16_t i = 0; i < n; ++i) {
        if (action[i] != later_fragment) {
            continue;
        }
        const auto verdict = _frags->follow(pp[i], now);
        if (verdict && *verdict) {
            _counters->frag_followed.add(1);
            action[i] = pass;
        } else {
            action[i] = dropped;
            drop(pkts[i], pp[i],
                 verdict ? verdict_reason::fragment_denied : verdict_reason::fragment_orphan);
        }
    }

    uint16_t nforward = 0;
    for (uint16_t i = 0; i < n; ++i) {
        if (action[i] == pass) {
            forward[nforward++] = pkts[i];
        }
    }
    if (_ndropped > 0) {
        rte_pktmbuf_free_bulk(_dropped, _ndropped);
    }
    publish_occupancy();
    return nforward;
}

} // namespace podgate::pipeline
