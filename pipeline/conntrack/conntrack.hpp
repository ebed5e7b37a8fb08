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

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

namespace podgate::pipeline {

// 40 bytes, 8-byte aligned (the addresses as word pairs, not u128, whose
// 16-byte alignment would pad the key to 48): with its 24-byte entry it fills
// exactly one cache line of the table.
struct ct_key {
    uint64_t lo[2]; // address of the lower (address, port) end, host order, low word first
    uint64_t hi[2];
    uint16_t lo_port;
    uint16_t hi_port;
    uint8_t proto;
    uint8_t family;
    uint8_t pad[2];

    u128 lo_address() const noexcept { return address(lo); }
    u128 hi_address() const noexcept { return address(hi); }

  private:
    static u128 address(const uint64_t (&w)[2]) noexcept { return (u128{w[1]} << 64) | w[0]; }
};
static_assert(sizeof(ct_key) == 40 && alignof(ct_key) == 8);

enum class ct_state : uint8_t {
    tcp_syn_sent = 0, // embryonic: only the initiator has spoken
    tcp_established,  // the responder answered (or picked up mid-stream)
    tcp_closing,      // a FIN was seen
    tcp_closed,       // RST, or FIN from both sides
    one_way,          // non-TCP, no reply yet (embryonic for eviction)
    two_way,          // non-TCP, replies seen
};
inline constexpr unsigned ct_state_count = 6;
const char* to_string(ct_state s) noexcept;

// Idle timeouts by state and protocol; an entry keeps its class, so a
// packet refreshes the expiry with one indexed load.
enum class ct_timeout_class : uint8_t {
    tcp_syn_sent,
    tcp_established,
    tcp_closing,
    tcp_closed,
    udp,
    icmp,
    sctp,
    other
};
inline constexpr unsigned ct_timeout_class_count = 8;

struct ct_entry {
    uint64_t expires_tsc;
    uint64_t generation; // table generation that admitted (or last revalidated) the flow
    bool in_use;
    ct_state state;
    bool orig_lo_to_hi; // direction of the packet that created the entry
    uint8_t fin_seen;   // bit 0: from the lo end, bit 1: from the hi end
    ct_timeout_class
        timeout; // of the current state and protocol; last seen = expires_tsc - its length
};
static_assert(sizeof(ct_entry) == 24 && sizeof(ct_key) + sizeof(ct_entry) == 64,
              "one cache line per flow");

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

// Builds the normalised key in place; `lo_to_hi` tells the packet's
// direction. Only for parse_status::ok packets with ports, an echo id, or
// neither. Inline: it runs for every tracked packet. The narrow fields go
// out as one 8-byte store: built field by field in a temporary and copied,
// they were read back as wider words, and each such read waited for store
// forwarding to fail (a quarter of process_burst's perf samples at 100k
// flows).
inline void make_ct_key(const parsed_packet& p, ct_key& k, bool& lo_to_hi) noexcept {
    uint16_t sport = 0;
    uint16_t dport = 0;
    if (p.has_ports) {
        sport = p.sport;
        dport = p.dport;
    } else if (p.has_echo_id) {
        sport = dport = p.icmp_echo_id; // request and reply share the identifier
    }
    lo_to_hi = p.src < p.dst || (p.src == p.dst && sport <= dport);
    const u128 lo = lo_to_hi ? p.src : p.dst;
    const u128 hi = lo_to_hi ? p.dst : p.src;
    k.lo[0] = static_cast<uint64_t>(lo);
    k.lo[1] = static_cast<uint64_t>(lo >> 64);
    k.hi[0] = static_cast<uint64_t>(hi);
    k.hi[1] = static_cast<uint64_t>(hi >> 64);
    static_assert(std::endian::native == std::endian::little && offsetof(ct_key, lo_port) == 32 &&
                  offsetof(ct_key, hi_port) == 34 && offsetof(ct_key, proto) == 36 &&
                  offsetof(ct_key, family) == 37);
    const uint64_t tail = uint64_t{lo_to_hi ? sport : dport} |
                          uint64_t{lo_to_hi ? dport : sport} << 16 | uint64_t{p.l4_proto} << 32 |
                          uint64_t{static_cast<uint8_t>(p.family)} << 40; // pad: 0
    std::memcpy(reinterpret_cast<char*>(&k) + offsetof(ct_key, lo_port), &tail, sizeof tail);
}
inline ct_key make_ct_key(const parsed_packet& p, bool& lo_to_hi) noexcept {
    ct_key k;
    make_ct_key(p, k, lo_to_hi);
    return k;
}

class conntrack {
  public:
    static result<std::unique_ptr<conntrack>> create(const ct_config& cfg, int socket);

    void lookup_bulk(const ct_key** keys, uint32_t n, int32_t* positions) const noexcept {
        _table->lookup_bulk(keys, n, positions);
    }
    // The same lookup in its three stages (timed_table::probe), for a caller
    // that spreads them over its own work.
    uint32_t probe(const ct_key& k) const noexcept { return _table->probe(k); }
    uint32_t candidate(uint32_t hash) const noexcept { return _table->candidate(hash); }
    int32_t resolve(const ct_key& k, uint32_t hash, uint32_t candidate) const noexcept {
        return _table->resolve(k, hash, candidate);
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
        e.expires_tsc = now + timeout_tsc(e);
    }
    // A new allowed flow. Returns the position, or -1 when the table is full
    // and nothing could be evicted. `evicted` is set when an entry made room.
    int32_t create(const ct_key& k, const parsed_packet& p, bool lo_to_hi, uint64_t generation,
                   uint64_t now, bool& evicted) noexcept;
    void remove(int32_t pos) noexcept {
        --_per_state[static_cast<unsigned>(_table->at(pos).state)];
        _table->remove(pos);
    }
    uint32_t expire_step(uint64_t now, uint32_t budget) noexcept {
        return _table->expire_step(now, budget, [this](const ct_entry& e) {
            --_per_state[static_cast<unsigned>(e.state)];
        });
    }
    // Open entries in each state (for the control interface).
    uint32_t in_state(ct_state s) const noexcept { return _per_state[static_cast<unsigned>(s)]; }

    ct_entry& entry(int32_t pos) noexcept { return _table->at(pos); }
    // The key of the entry at `pos` (a copy); false when there is none.
    bool key(int32_t pos, ct_key& out) const noexcept { return _table->key_at(pos, out); }
    uint32_t size() const noexcept { return _table->size(); }
    uint32_t capacity() const noexcept { return _table->capacity(); }
    uint32_t slots() const noexcept { return _table->slots(); }
    uint32_t sweep_range() const noexcept { return _table->sweep_range(); }

  private:
    uint64_t timeout_tsc(const ct_entry& e) const noexcept {
        return _timeout_tsc[static_cast<unsigned>(e.timeout)];
    }
    static ct_timeout_class timeout_for(ct_state s, uint8_t proto) noexcept;
    void advance(ct_entry& e, const parsed_packet& p, bool lo_to_hi) noexcept;
    void set_state(ct_entry& e, ct_state s, uint8_t proto) noexcept {
        --_per_state[static_cast<unsigned>(e.state)];
        ++_per_state[static_cast<unsigned>(s)];
        e.state = s;
        e.timeout = timeout_for(s, proto);
    }

    std::unique_ptr<timed_table<ct_key, ct_entry>> _table;
    uint64_t _timeout_tsc[ct_timeout_class_count] = {};
    ct_when_full _when_full = ct_when_full::evict;
    uint32_t _per_state[ct_state_count] = {};
};

} // namespace podgate::pipeline
