#pragma once
// Verdicts of fragmented datagrams, per lcore. A bump in the wire forwards
// fragments as they come and never reassembles (rte_ip_frag would hold
// packets back and rebuild them; podgate must forward them unchanged), so the
// first fragment is classified on its 5-tuple and its verdict is kept here,
// keyed by (src, dst, protocol, fragment id), for the later fragments.
// A later fragment that arrives before its first one finds nothing and is
// dropped as an orphan (counted).

#include "pipeline/conntrack/timed_table.hpp"
#include "pipeline/parse/parsed_packet.hpp"

#include <rte_cycles.h>

#include <optional>

namespace podgate::pipeline {

struct alignas(16) frag_key {
    u128 src;
    u128 dst;
    uint32_t id;
    uint8_t proto;
    uint8_t family;
    uint8_t pad[10];
};
static_assert(sizeof(frag_key) == 48);

struct frag_entry {
    uint64_t expires_tsc;
    uint64_t last_seen_tsc;
    bool in_use;
    bool allow;
};

struct fragment_config {
    uint32_t capacity = 4096;
    uint32_t timeout_s = 10;
};

class fragment_table {
  public:
    static result<std::unique_ptr<fragment_table>> create(const fragment_config& cfg, int socket) {
        auto t = std::unique_ptr<fragment_table>(new fragment_table());
        auto table =
            timed_table<frag_key, frag_entry>::create("podgate_frag", cfg.capacity, socket);
        if (!table) {
            return fail(table.error());
        }
        t->_table = std::move(*table);
        t->_timeout = uint64_t{cfg.timeout_s} * rte_get_tsc_hz();
        return t;
    }

    static frag_key key_of(const parsed_packet& p) noexcept {
        frag_key k{};
        k.src = p.src;
        k.dst = p.dst;
        k.id = p.frag_id;
        k.proto = p.l4_proto;
        k.family = static_cast<uint8_t>(p.family);
        return k;
    }

    // Keeps the first fragment's verdict; false when the table is full.
    bool record(const parsed_packet& p, bool allow, uint64_t now) noexcept {
        int32_t pos = _table->add(key_of(p));
        if (pos < 0) {
            const int32_t victim = _table->oldest_evictable(
                now, 64, [](const frag_entry& e, uint64_t t) { return e.expires_tsc <= t; },
                [](const frag_entry& e) { return e.last_seen_tsc; });
            if (victim < 0) {
                return false;
            }
            _table->remove(victim);
            pos = _table->add(key_of(p));
            if (pos < 0) {
                return false;
            }
        }
        frag_entry& e = _table->at(pos);
        e.allow = allow;
        e.last_seen_tsc = now;
        e.expires_tsc = now + _timeout;
        return true;
    }

    // The verdict of this fragment's datagram, if its first fragment was seen.
    std::optional<bool> follow(const parsed_packet& p, uint64_t now) noexcept {
        const int32_t pos = _table->lookup(key_of(p));
        if (pos < 0) {
            return std::nullopt;
        }
        frag_entry& e = _table->at(pos);
        e.last_seen_tsc = now;
        e.expires_tsc = now + _timeout;
        return e.allow;
    }

    uint32_t slots() const noexcept { return _table->slots(); }
    uint32_t sweep_range() const noexcept { return _table->sweep_range(); }
    uint32_t expire_step(uint64_t now, uint32_t budget) noexcept {
        return _table->expire_step(now, budget, [](const frag_entry&) {});
    }
    uint32_t size() const noexcept { return _table->size(); }

  private:
    fragment_table() = default;
    std::unique_ptr<timed_table<frag_key, frag_entry>> _table;
    uint64_t _timeout = 0;
};

} // namespace podgate::pipeline
