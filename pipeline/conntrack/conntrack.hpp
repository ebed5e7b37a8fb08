#pragma once
// Per-lcore connection tracking. A flow is keyed by its normalised 5-tuple
// (the lower (address, port) end first; ICMP echo by identifier), so both
// directions find the same entry. An entry exists only for flows that policy
// allowed; its later packets, in either direction, pass without a policy
// lookup. TCP is followed loosely (SYN, FIN, RST) for timeouts only: a
// mid-stream packet of an allowed flow creates an established entry, so a
// podgate restart does not cut connections that policy still allows.

#include "pipeline/conntrack/timed_table.hpp"
#include "pipeline/parse/parsed_packet.hpp"

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

namespace podgate::pipeline {

struct alignas(16) ct_key {
    u128 lo;
    u128 hi;
    uint16_t lo_port;
    uint16_t hi_port;
    uint8_t proto;
    uint8_t family;
    uint8_t pad[10];
};
static_assert(sizeof(ct_key) == 48, "rte_hash compares 48-byte keys with a fast path");

enum class ct_state : uint8_t {
    tcp_syn_sent = 0,    // embryonic: only the initiator has spoken
    tcp_established, // the responder answered (or picked up mid-stream)
    tcp_closing,     // a FIN was seen
    tcp_closed,      // RST, or FIN from both sides
    one_way,         // non-TCP, no reply yet (embryonic for eviction)
    two_way,         // non-TCP, replies seen
};
inline constexpr unsigned ct_state_count = 6;
const char* to_string(ct_state s) noexcept;

struct ct_entry {
    uint64_t expires_tsc;
    uint64_t last_seen_tsc;
    uint64_t generation;  // table generation that admitted (or last revalidated) the flow
    uint64_t timeout_tsc; // idle timeout of the current state and protocol
    bool in_use;
    ct_state state;
    bool orig_lo_to_hi;   // direction of the packet that created the entry
    uint8_t fin_seen;     // bit 0: from the lo end, bit 1: from the hi end
};

// Timeouts in seconds (config keys in docs/configuration.md).
struct ct_timeouts {
    uint32_t tcp_syn_sent = 30;
    uint32_t tcp_established = 3600;
    uint32_t tcp_closing = 60;
    uint32_t tcp_closed = 10;
    uint32_t udp = 60;
    uint32_t icmp = 30;
    uint32_t sctp = 300;
    uint32_t other = 60;
};

enum class ct_when_full : uint8_t { evict, drop };

struct ct_config {
    uint32_t capacity = 1u << 20;
    ct_timeouts timeouts;
    ct_when_full when_full = ct_when_full::evict;
};

// Builds the normalised key; `lo_to_hi` tells the packet's direction.
// Only for parse_status::ok packets with ports, an echo id, or neither.
// Inline: it runs for every tracked packet.
inline ct_key make_ct_key(const parsed_packet& p, bool& lo_to_hi) noexcept {
    uint16_t sport = 0;
    uint16_t dport = 0;
    if (p.has_ports) {
        sport = p.sport;
        dport = p.dport;
    } else if (p.has_echo_id) {
        sport = dport = p.icmp_echo_id; // request and reply share the identifier
    }
    lo_to_hi = p.src < p.dst || (p.src == p.dst && sport <= dport);
    ct_key k;
    k.lo = lo_to_hi ? p.src : p.dst;
    k.hi = lo_to_hi ? p.dst : p.src;
    k.lo_port = lo_to_hi ? sport : dport;
    k.hi_port = lo_to_hi ? dport : sport;
    k.proto = p.l4_proto;
    k.family = static_cast<uint8_t>(p.family);
    std::memset(k.pad, 0, sizeof k.pad); // hashed and compared as 48 bytes
    return k;
}

class conntrack {
public:
    static std::unique_ptr<conntrack> create(const ct_config& cfg, int socket, std::string& error);

    void lookup_bulk(const ct_key** keys, uint32_t n, int32_t* positions) const noexcept {
        _table->lookup_bulk(keys, n, positions);
    }
    // A packet of a tracked flow: advance the TCP state, refresh the timeout.
    // Inline: a packet that changes no state (most of them) only stamps two
    // times.
    void touch(int32_t pos, const parsed_packet& p, bool lo_to_hi, uint64_t now) noexcept {
        ct_entry& e = _table->at(pos);
        const bool reply = lo_to_hi != e.orig_lo_to_hi;
        // Exactly the cases where advance() changes something.
        const bool changes = p.l4_proto == ip_proto::tcp
                                 ? (p.tcp_flags & 0x05) != 0 /* FIN, RST */ ||
                                       (reply && e.state == ct_state::tcp_syn_sent) ||
                                       e.state == ct_state::tcp_closed
                                 : reply && e.state == ct_state::one_way;
        if (changes) [[unlikely]] {
            advance(e, p, lo_to_hi);
        }
        e.last_seen_tsc = now;
        e.expires_tsc = now + e.timeout_tsc;
    }
    // A new allowed flow. Returns the position, or -1 when the table is full
    // and nothing could be evicted. `evicted` is set when an entry made room.
    int32_t create(const ct_key& k, const parsed_packet& p, bool lo_to_hi, uint64_t generation, uint64_t now,
                   bool& evicted) noexcept;
    void remove(int32_t pos) noexcept {
        --_per_state[static_cast<unsigned>(_table->at(pos).state)];
        _table->remove(pos);
    }
    uint32_t expire_step(uint64_t now, uint32_t budget) noexcept {
        return _table->expire_step(now, budget,
                                   [this](const ct_entry& e) { --_per_state[static_cast<unsigned>(e.state)]; });
    }
    // Open entries in each state (for the control interface).
    uint32_t in_state(ct_state s) const noexcept { return _per_state[static_cast<unsigned>(s)]; }

    ct_entry& entry(int32_t pos) noexcept { return _table->at(pos); }
    // The key of the entry at `pos` (a copy); false when there is none.
    bool key(int32_t pos, ct_key& out) const noexcept { return _table->key_at(pos, out); }
    uint32_t size() const noexcept { return _table->size(); }
    uint32_t capacity() const noexcept { return _table->capacity(); }
    uint32_t slots() const noexcept { return _table->slots(); }

private:
    struct tsc_timeouts {
        uint64_t tcp_syn_sent, tcp_established, tcp_closing, tcp_closed, udp, icmp, sctp, other;
    };
    uint64_t timeout_for(ct_state s, uint8_t proto) const noexcept;
    void advance(ct_entry& e, const parsed_packet& p, bool lo_to_hi) noexcept;
    void set_state(ct_entry& e, ct_state s, uint8_t proto) noexcept {
        --_per_state[static_cast<unsigned>(e.state)];
        ++_per_state[static_cast<unsigned>(s)];
        e.state = s;
        e.timeout_tsc = timeout_for(s, proto);
    }

    std::unique_ptr<timed_table<ct_key, ct_entry>> _table;
    tsc_timeouts _timeouts{};
    ct_when_full _when_full = ct_when_full::evict;
    uint32_t _per_state[ct_state_count] = {};
};

} // namespace podgate::pipeline
