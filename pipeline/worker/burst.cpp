// process_burst: the per-packet work of a worker, in columns over the burst:
//   1. parse every packet (prefetching ahead), sort out drops, non-IP, ND and
//      later fragments;
//   2. one bulk conntrack lookup for every trackable packet;
//   3. one burst policy lookup for every packet of a new flow;
//   4. apply verdicts in arrival order (creating entries), then hand the
//      forwarded packets back in arrival order and free the rest in bulk.

#include "classifier/lookup/lookup.hpp"
#include "pipeline/parse/mbuf_parse.hpp"
#include "pipeline/worker/worker.hpp"

#include <rte_prefetch.h>

#include <cstring>

namespace podgate::pipeline {

namespace {

constexpr unsigned prefetch_distance = 3;

drop_reason drop_for(classifier::verdict_reason r) noexcept {
    switch (r) {
    case classifier::verdict_reason::egress_denied: return drop_reason::policy_egress;
    case classifier::verdict_reason::ingress_denied: return drop_reason::policy_ingress;
    default: return drop_reason::non_pod_denied;
    }
}

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

} // namespace

void worker::drop(rte_mbuf* m, drop_reason r) noexcept {
    _counters->drops[static_cast<unsigned>(r)].add(1);
    _dropped[_ndropped++] = m;
}

bool worker::revalidate(const classifier::tables& t, int32_t pos) noexcept {
    ct_entry& e = _ct->entry(pos);
    if (e.generation == t.generation || _cfg.established == established_policy::keep) {
        return true;
    }
    const ct_key* k = _ct->key(pos);
    if (k == nullptr) {
        return true;
    }
    // Re-check as a new flow in its original direction.
    const auto family = static_cast<ip_family>(k->family);
    const bool lo_first = e.orig_lo_to_hi;
    const classifier::flow f{{family, lo_first ? k->lo : k->hi}, {family, lo_first ? k->hi : k->lo}, k->proto,
                             lo_first ? k->lo_port : k->hi_port, lo_first ? k->hi_port : k->lo_port};
    _counters->ct_revalidated.add(1);
    const auto v = classifier::lookup(t, f);
    if (v.allow) {
        e.generation = t.generation;
        return true;
    }
    _counters->ct_revoked.add(1);
    _counters->drops[static_cast<unsigned>(drop_for(v.reason))].add(1);
    _ct->remove(pos);
    return false;
}

uint16_t worker::process_burst(const classifier::tables& t, rte_mbuf** pkts, uint16_t n, uint16_t rx_port,
                               rte_mbuf** forward, uint64_t now) noexcept {
    enum : uint8_t { undecided, pass, dropped };
    parsed_packet pp[max_burst];
    uint8_t action[max_burst];
    int8_t key_of[max_burst]; // index into keys, or -1
    ct_key keys[max_burst];
    const ct_key* key_ptrs[max_burst];
    bool lo_to_hi[max_burst];
    int32_t positions[max_burst];
    uint16_t nkeys = 0;
    _ndropped = 0;

    _counters->rx.add(n);
    _counters->port_rx[rx_port].add(n);

    // 1. Parse and sort out what needs no flow state.
    for (uint16_t i = 0; i < n; ++i) {
        if (i + prefetch_distance < n) {
            rte_prefetch0(rte_pktmbuf_mtod(pkts[i + prefetch_distance], void*));
        }
        pp[i] = parse_mbuf(pkts[i]);
        const parsed_packet& p = pp[i];
        action[i] = undecided;
        key_of[i] = -1;
        if (p.status == parse_status::malformed) [[unlikely]] {
            _counters->malformed[static_cast<unsigned>(p.reason)].add(1);
            action[i] = dropped;
            drop(pkts[i], drop_reason::malformed);
        } else if (p.status == parse_status::not_ip) {
            if (_cfg.forward_non_ip) {
                _counters->non_ip_forwarded.add(1);
                action[i] = pass;
            } else {
                action[i] = dropped;
                drop(pkts[i], drop_reason::non_ip_denied);
            }
        } else if (p.is_nd) {
            _counters->nd_passed.add(1); // neighbour discovery always passes
            action[i] = pass;
        } else if (p.is_fragment && !p.is_first_fragment) {
            const auto verdict = _frags->follow(p, now);
            if (verdict && *verdict) {
                _counters->frag_followed.add(1);
                action[i] = pass;
            } else {
                action[i] = dropped;
                drop(pkts[i], verdict ? drop_reason::fragment_denied : drop_reason::fragment_orphan);
            }
        } else if (trackable(p)) {
            keys[nkeys] = make_ct_key(p, lo_to_hi[nkeys]);
            key_ptrs[nkeys] = &keys[nkeys];
            key_of[i] = static_cast<int8_t>(nkeys++);
        }
    }

    // 2. Conntrack: known flows pass (after revalidation if the tables changed).
    if (nkeys > 0) {
        _ct->lookup_bulk(key_ptrs, nkeys, positions);
        _counters->ct_lookups.add(nkeys);
    }
    classifier::flow flows[max_burst];
    classifier::verdict verdicts[max_burst];
    uint16_t order[max_burst];
    uint16_t nflows = 0;
    for (uint16_t i = 0; i < n; ++i) {
        if (action[i] != undecided) {
            continue;
        }
        const int k = key_of[i];
        if (k >= 0 && positions[k] >= 0) {
            _counters->ct_hits.add(1);
            if (revalidate(t, positions[k])) {
                _ct->touch(positions[k], pp[i], lo_to_hi[k], now);
                action[i] = pass;
            } else {
                action[i] = dropped;
                _dropped[_ndropped++] = pkts[i]; // counted by revalidate()
            }
            continue;
        }
        flows[nflows] = flow_of(pp[i]);
        order[nflows++] = i;
    }

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
                if (std::memcmp(&keys[created_key[c]], &keys[k], sizeof(ct_key)) == 0) {
                    _ct->touch(created_pos[c], pp[i], lo_to_hi[k], now);
                    followed = true;
                }
            }
            if (followed) {
                action[i] = pass;
                continue;
            }
        }
        const classifier::verdict v = verdicts[j];
        if (pp[i].is_first_fragment) {
            // When the verdict cannot be kept, later fragments drop as orphans.
            (_frags->record(pp[i], v.allow, now) ? _counters->frag_tracked : _counters->frag_table_full).add(1);
        }
        if (!v.allow) {
            action[i] = dropped;
            drop(pkts[i], drop_for(v.reason));
            continue;
        }
        _counters->new_flows_allowed.add(1);
        if (k >= 0) {
            bool evicted = false;
            const int32_t pos = _ct->create(keys[k], pp[i], lo_to_hi[k], t.generation, now, evicted);
            if (pos < 0) {
                action[i] = dropped;
                drop(pkts[i], drop_reason::conntrack_full);
                continue;
            }
            _counters->ct_creates.add(1);
            _counters->ct_evicted.add(evicted);
            created_pos[ncreated] = pos;
            created_key[ncreated++] = static_cast<uint16_t>(k);
        }
        action[i] = pass;
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
