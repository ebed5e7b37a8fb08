#pragma once
// A fixed-capacity exact-match table of entries that expire, owned by one
// lcore: rte_hash (cuckoo, CRC32 on x86) maps a key to a position, and the
// entries live in a flat array indexed by that position. Expiry walks the
// array incrementally from a cursor, a few slots per poll-loop iteration,
// never a stop-the-world sweep. Not thread-safe: one lcore reads and writes.
//
// Entry needs: `bool in_use; uint64_t expires_tsc; uint64_t last_seen_tsc;`.

#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

namespace podgate::pipeline {

template <typename Key, typename Entry>
class timed_table {
public:
    // Returns null and sets `error` when DPDK cannot allocate the table.
    static std::unique_ptr<timed_table> create(const std::string& name_prefix, uint32_t capacity, int socket,
                                               std::string& error) {
        static std::atomic<uint32_t> instance{0};
        const std::string name = name_prefix + std::to_string(instance.fetch_add(1));
        rte_hash_parameters params{};
        params.name = name.c_str();
        params.entries = capacity < 8 ? 8 : capacity;
        params.key_len = sizeof(Key);
        params.hash_func = rte_hash_crc;
        params.hash_func_init_val = 0;
        params.socket_id = socket;
        auto t = std::unique_ptr<timed_table>(new timed_table());
        t->_hash = rte_hash_create(&params);
        if (t->_hash == nullptr) {
            error = "cannot create hash table " + name + " with " + std::to_string(capacity) +
                    " entries: " + rte_strerror(rte_errno);
            return nullptr;
        }
        t->_capacity = params.entries;
        // rte_hash positions are in [0, entries); keep a margin all the same.
        t->_slots = params.entries + 64;
        t->_entries = static_cast<Entry*>(rte_zmalloc_socket(name.c_str(), sizeof(Entry) * t->_slots, 64, socket));
        if (t->_entries == nullptr) {
            error = "cannot allocate " + std::to_string(sizeof(Entry) * t->_slots) + " bytes for " + name;
            return nullptr;
        }
        return t;
    }

    ~timed_table() {
        rte_hash_free(_hash);
        rte_free(_entries);
    }
    timed_table(const timed_table&) = delete;
    timed_table& operator=(const timed_table&) = delete;

    // positions[i] >= 0 for hits, negative for misses. n <= RTE_HASH_LOOKUP_BULK_MAX.
    void lookup_bulk(const Key** keys, uint32_t n, int32_t* positions) const noexcept {
        rte_hash_lookup_bulk(_hash, reinterpret_cast<const void**>(keys), n, positions);
    }
    int32_t lookup(const Key& k) const noexcept { return rte_hash_lookup(_hash, &k); }

    // Position of a new entry (zeroed except in_use), or negative when full.
    // When the key was already present, replaced() is true and
    // replaced_entry() holds what was there.
    int32_t add(const Key& k) noexcept {
        const int32_t pos = rte_hash_add_key(_hash, &k);
        if (pos < 0 || static_cast<uint32_t>(pos) >= _slots) [[unlikely]] {
            if (pos >= 0) {
                rte_hash_del_key(_hash, &k);
            }
            return -1;
        }
        // A key already present keeps its position: its entry is reset to new.
        _replaced = _entries[pos].in_use;
        if (_replaced) {
            _replaced_entry = _entries[pos];
        } else {
            ++_size;
        }
        _entries[pos] = Entry{};
        _entries[pos].in_use = true;
        return pos;
    }

    void remove(int32_t pos) noexcept {
        void* key = nullptr;
        if (rte_hash_get_key_with_position(_hash, pos, &key) == 0) {
            rte_hash_del_key(_hash, key);
        }
        if (_entries[pos].in_use) {
            _entries[pos].in_use = false;
            --_size;
        }
    }

    // Copies the key stored at `pos` into `out`; false when there is none.
    // Copied, never pointed to: rte_hash keeps a key 8 bytes into a 16-byte
    // aligned slot, short of the alignment of a Key holding u128 members.
    bool key_at(int32_t pos, Key& out) const noexcept {
        void* key = nullptr;
        if (rte_hash_get_key_with_position(_hash, pos, &key) != 0) {
            return false;
        }
        std::memcpy(&out, key, sizeof(Key));
        return true;
    }

    Entry& at(int32_t pos) noexcept { return _entries[pos]; }
    const Entry& at(int32_t pos) const noexcept { return _entries[pos]; }

    // Looks at `budget` slots from the cursor; removes the expired ones,
    // showing each to `on_remove` first.
    template <typename OnRemove>
    uint32_t expire_step(uint64_t now, uint32_t budget, OnRemove on_remove) noexcept {
        uint32_t removed = 0;
        for (uint32_t i = 0; i < budget; ++i) {
            const auto pos = static_cast<int32_t>(_cursor);
            _cursor = _cursor + 1 == _slots ? 0 : _cursor + 1;
            if (_entries[pos].in_use && _entries[pos].expires_tsc <= now) {
                on_remove(_entries[pos]);
                remove(pos);
                ++removed;
            }
        }
        return removed;
    }

    // Among the next `window` slots from the cursor, the in-use entry with the
    // oldest last_seen for which `evictable(entry, now)` holds, or -1.
    template <typename Pred>
    int32_t oldest_evictable(uint64_t now, uint32_t window, Pred evictable) const noexcept {
        int32_t best = -1;
        uint32_t pos = _cursor;
        for (uint32_t i = 0; i < window; ++i, pos = pos + 1 == _slots ? 0 : pos + 1) {
            const Entry& e = _entries[pos];
            if (e.in_use && evictable(e, now) && (best < 0 || e.last_seen_tsc < _entries[best].last_seen_tsc)) {
                best = static_cast<int32_t>(pos);
            }
        }
        return best;
    }

    bool replaced() const noexcept { return _replaced; }
    const Entry& replaced_entry() const noexcept { return _replaced_entry; }
    uint32_t size() const noexcept { return _size; }
    uint32_t capacity() const noexcept { return _capacity; }
    uint32_t slots() const noexcept { return _slots; }

private:
    timed_table() = default;
    rte_hash* _hash = nullptr;
    Entry* _entries = nullptr;
    uint32_t _capacity = 0;
    uint32_t _slots = 0;
    uint32_t _cursor = 0;
    uint32_t _size = 0;
    bool _replaced = false;
    Entry _replaced_entry{};
};

} // namespace podgate::pipeline
