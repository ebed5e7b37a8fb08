#include "pipeline/conntrack/conntrack.hpp"

#include <rte_cycles.h>

namespace podgate::pipeline {

namespace {

constexpr uint8_t tcp_fin = 0x01;
constexpr uint8_t tcp_syn = 0x02;
constexpr uint8_t tcp_rst = 0x04;
constexpr uint8_t tcp_ack = 0x10;

// How far ahead eviction looks for an expired or embryonic entry.
constexpr uint32_t eviction_window = 64;

} // namespace

const char* to_string(ct_state s) noexcept {
    switch (s) {
    case ct_state::tcp_syn_sent:
        return "tcp-syn-sent";
    case ct_state::tcp_established:
        return "tcp-established";
    case ct_state::tcp_closing:
        return "tcp-closing";
    case ct_state::tcp_closed:
        return "tcp-closed";
    case ct_state::one_way:
        return "one-way";
    case ct_state::two_way:
        return "two-way";
    }
    return "?";
}

result<std::unique_ptr<conntrack>> conntrack::create(const ct_config& cfg, int socket) {
    auto ct = std::unique_ptr<conntrack>(new conntrack());
    auto table = timed_table<ct_key, ct_entry>::create("podgate_ct", cfg.capacity, socket);
    if (!table) {
        return fail(table.error());
    }
    ct->_table = std::move(*table);
    const uint64_t hz = rte_get_tsc_hz();
    const auto& t = cfg.timeouts;
    const uint32_t seconds[ct_timeout_class_count] = {
        t.tcp_syn_sent, t.tcp_established, t.tcp_closing, t.tcp_closed, t.udp, t.icmp, t.sctp,
        t.other};
    for (unsigned c = 0; c < ct_timeout_class_count; ++c) {
        ct->_timeout_tsc[c] = seconds[c] * hz;
    }
    ct->_when_full = cfg.when_full;
    return ct;
}

ct_timeout_class conntrack::timeout_for(ct_state s, uint8_t proto) noexcept {
    switch (s) {
    case ct_state::tcp_syn_sent:
        return ct_timeout_class::tcp_syn_sent;
    case ct_state::tcp_established:
        return ct_timeout_class::tcp_established;
    case ct_state::tcp_closing:
        return ct_timeout_class::tcp_closing;
    case ct_state::tcp_closed:
        return ct_timeout_class::tcp_closed;
    case ct_state::one_way:
    case ct_state::two_way:
        break;
    }
    switch (proto) {
    case ip_proto::udp:
        return ct_timeout_class::udp;
    case ip_proto::icmp:
    case ip_proto::icmpv6:
        return ct_timeout_class::icmp;
    case ip_proto::sctp:
        return ct_timeout_class::sctp;
    default:
        return ct_timeout_class::other;
    }
}

void conntrack::advance(ct_entry& e, const parsed_packet& p, bool lo_to_hi) noexcept {
    const bool reply = lo_to_hi != e.orig_lo_to_hi;
    if (p.l4_proto != ip_proto::tcp) {
        if (reply && e.state == ct_state::one_way) {
            set_state(e, ct_state::two_way, p.l4_proto);
        }
        return;
    }
    if (!p.has_ports) {
        return; // a later fragment carries no flags
    }
    const uint8_t f = p.tcp_flags;
    if (f & tcp_rst) {
        set_state(e, ct_state::tcp_closed, p.l4_proto);
        return;
    }
    if (f & tcp_fin) {
        e.fin_seen |= lo_to_hi ? 1 : 2;
        set_state(e, e.fin_seen == 3 ? ct_state::tcp_closed : ct_state::tcp_closing, p.l4_proto);
        return;
    }
    if (e.state == ct_state::tcp_syn_sent && reply) {
        set_state(e, ct_state::tcp_established, p.l4_proto);
    } else if (e.state == ct_state::tcp_closed && (f & tcp_syn) && !(f & tcp_ack) && !reply) {
        set_state(e, ct_state::tcp_syn_sent, p.l4_proto); // port reuse after close
        e.fin_seen = 0;
    }
}

int32_t conntrack::create(const ct_key& k, const parsed_packet& p, bool lo_to_hi,
                          uint64_t generation, uint64_t now, bool& evicted) noexcept {
    evicted = false;
    int32_t pos = _table->size() < _table->capacity() ? _table->add(k) : -1;
    if (pos < 0 && _when_full == ct_when_full::evict) {
        const int32_t victim = _table->oldest_evictable(
            now, eviction_window,
            [](const ct_entry& e, uint64_t t) {
                return e.expires_tsc <= t || e.state == ct_state::tcp_syn_sent ||
                       e.state == ct_state::one_way;
            },
            [this](const ct_entry& e) { return e.expires_tsc - timeout_tsc(e); });
        if (victim >= 0) {
            _table->remove(victim);
            evicted = true;
            pos = _table->add(k);
        }
    }
    if (pos < 0) {
        return -1;
    }
    if (_table->replaced()) {
        --_per_state[static_cast<unsigned>(_table->replaced_entry().state)];
    }
    ct_entry& e = _table->at(pos);
    e.orig_lo_to_hi = lo_to_hi;
    e.generation = generation;
    const bool syn_only = p.has_ports && (p.tcp_flags & (tcp_syn | tcp_ack)) == tcp_syn;
    e.state = p.l4_proto == ip_proto::tcp
                  ? (syn_only ? ct_state::tcp_syn_sent : ct_state::tcp_established)
                  : ct_state::one_way;
    ++_per_state[static_cast<unsigned>(e.state)];
    e.timeout = timeout_for(e.state, p.l4_proto);
    advance(e, p, lo_to_hi); // a first packet may carry FIN or RST
    e.expires_tsc = now + timeout_tsc(e);
    return pos;
}

} // namespace podgate::pipeline
