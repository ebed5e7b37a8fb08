#pragma once
// A fixed-capacity exact-match table of entries that expire, owned by one
// lcore. Keys map to positions through buckets of 8 (16-bit signature,
// position) pairs, one cache line each, compared with one SIMD instruction;
// each position holds its key and entry side by side in one cache-aligned
// record, so a hit touches two lines: its bucket and its record (a 40-byte
// conntrack key and 24-byte entry fill one line exactly). Expiry walks the
// positions incrementally from a cursor, a few per poll-loop iteration, never
// a stop-the-world sweep, and only over the positions ever used: free
// positions are handed out lowest first, so a million-entry table holding
// 100k flows is swept over 100k records, not a million (the sweep was 4-5%
// of a worker's time at 100k flows, by perf). Not thread-safe: one lcore
// reads and writes.
//
// Why not rte_hash: measured on this pipeline (docs/performance.md), its
// generic bulk lookup cost ~215 instructions per packet (hash through a
// function pointer, staged signature and key passes for any key length),
// and a full cuckoo table spent ~5 us per failed insert searching for room,
// so a table full of embryonic flows held a worker at 0.18 Mpps. Here the
// bucket array has twice the slots the table admits (load <= 50%): an insert
// always finds a free slot in its home bucket or a few buckets on, and
// eviction only has to free a position. Displaced slots are found through a
// per-bucket count of entries that overflowed past it (no tombstones).
//
// Entry needs: `bool in_use; uint64_t expires_tsc;`.
// Key: trivially copyable, size a multiple of 8, padding zeroed by its maker.

#include "config/result.hpp"

#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <utility>

namespace podgate::pipeline {

// CRC32-C (one instruction per 8 bytes on x86).
template <typename Key> struct crc_hash {
    uint32_t operator()(const Key& k) const noexcept { return rte_hash_crc(&k, sizeof(Key), 0); }
};

// `Hash` is a parameter so tests can force every key into a few buckets.
template <typename Key, typename Entry, typename Hash = crc_hash<Key>> class timed_table {
    static_assert(sizeof(Key) % 8 == 0, "keys are hashed and compared in 8-byte words");

  public:
    static constexpr uint32_t bucket_slots = 8;
    static constexpr uint32_t max_bulk = 64;

    // Fails when DPDK cannot allocate the table.
    static result<std::unique_ptr<timed_table>> create(const std::string& name_prefix,
                                                       uint32_t capacity, int socket) {
        static std::atomic<uint32_t> instance{0};
        const std::string name = name_prefix + std::to_string(instance.fetch_add(1));
        auto t = std::unique_ptr<timed_table>(new timed_table());
        t->_capacity = capacity < bucket_slots ? bucket_slots : capacity;
        uint32_t buckets = 1;
        while (uint64_t{buckets} * bucket_slots < uint64_t{t->_capacity} * 2) {
            buckets <<= 1;
        }
        t->_bucket_mask = buckets - 1;
        const status allocated[] = {alloc(t->_buckets, name + "_b", buckets, socket),
                                    alloc(t->_records, name + "_r", t->_capacity, socket),
                                    alloc(t->_hash_of, name + "_h", t->_capacity, socket),
                                    alloc(t->_free, name + "_f", t->_capacity, socket)};
        for (const status& s : allocated) {
            if (!s) {
                return fail(s.error());
            }
        }
        for (uint32_t b = 0; b < buckets; ++b) {
            for (uint32_t s = 0; s < bucket_slots; ++s) {
                t->_buckets[b].pos[s] = no_position;
            }
        }
        // Pop order 0, 1, 2, ...: a lightly used table stays dense at the front.
        for (uint32_t i = 0; i < t->_capacity; ++i) {
            t->_free[i] = t->_capacity - 1 - i;
        }
        t->_nfree = t->_capacity;
        return t;
    }

    ~timed_table() {
        rte_free(_buckets);
        rte_free(_records);
        rte_free(_hash_of);
        rte_free(_free);
    }
    timed_table(const timed_table&) = delete;
    timed_table& operator=(const timed_table&) = delete;

    // A lookup in three stages, so that a caller working through a burst can
    // let the cache misses of one key overlap the work on others instead of
    // queueing behind them: probe() hashes and prefetches the home bucket;
    // candidate() (once that line has had time to arrive) takes the first
    // signature match there and prefetches its record; resolve() compares.
    // A key that is not simply there (no match, a false match, an overflow)
    // takes the full walk in resolve().
    uint32_t probe(const Key& k) const noexcept {
        const uint32_t h = hash(k);
        rte_prefetch0(&_buckets[h & _bucket_mask]);
        return h;
    }
    uint32_t candidate(uint32_t h) const noexcept {
        const bucket& bk = _buckets[h & _bucket_mask];
        const uint32_t m = matching_slots(bk, signature(h));
        const uint32_t c = m != 0 ? bk.pos[__builtin_ctz(m) / 2] : no_position;
        if (c != no_position) {
            prefetch_record(c);
        }
        return c;
    }
    // >= 0: the key's position; negative: not in the table. Exact whatever
    // changed since probe(): a candidate that was removed (its record keeps
    // the key) or taken by another key sends the search to the full walk.
    int32_t resolve(const Key& k, uint32_t h, uint32_t c) const noexcept {
        return c != no_position && _records[c].entry.in_use && same_key(_records[c].key, k)
                   ? static_cast<int32_t>(c)
                   : find(k, h);
    }

    // positions[i] >= 0 for hits, negative for misses. n <= max_bulk. The
    // three stages each over the whole burst.
    void lookup_bulk(const Key** keys, uint32_t n, int32_t* positions) const noexcept {
        uint32_t hashes[max_bulk];
        uint32_t candidates[max_bulk];
        for (uint32_t i = 0; i < n; ++i) {
            hashes[i] = probe(*keys[i]);
        }
        for (uint32_t i = 0; i < n; ++i) {
            candidates[i] = candidate(hashes[i]);
        }
        for (uint32_t i = 0; i < n; ++i) {
            positions[i] = resolve(*keys[i], hashes[i], candidates[i]);
        }
    }
    int32_t lookup(const Key& k) const noexcept { return find(k, hash(k)); }

    // Position of a new entry (zeroed except in_use), or negative when every
    // position is taken. When the key was already present, replaced() is true
    // and replaced_entry() holds what was there.
    int32_t add(const Key& k) noexcept {
        const uint32_t h = hash(k);
        int32_t pos = find(k, h);
        _replaced = pos >= 0;
        if (_replaced) {
            _replaced_entry = _records[pos].entry;
        } else {
            if (_nfree == 0) {
                return -1;
            }
            pos = static_cast<int32_t>(_free[--_nfree]);
            place(h, static_cast<uint32_t>(pos));
            _high_water = std::max(_high_water, static_cast<uint32_t>(pos) + 1);
            _records[pos].key = k;
            _hash_of[pos] = h;
            ++_size;
        }
        _records[pos].entry = Entry{};
        _records[pos].entry.in_use = true;
        return pos;
    }

    void remove(int32_t pos) noexcept {
        if (pos < 0 || static_cast<uint32_t>(pos) >= _capacity || !_records[pos].entry.in_use) {
            return;
        }
        unplace(_hash_of[pos], static_cast<uint32_t>(pos));
        _records[pos].entry.in_use = false;
        _free[_nfree++] = static_cast<uint32_t>(pos);
        --_size;
    }

    // Copies the key stored at `pos` into `out`; false when there is none.
    bool key_at(int32_t pos, Key& out) const noexcept {
        if (pos < 0 || static_cast<uint32_t>(pos) >= _capacity || !_records[pos].entry.in_use) {
            return false;
        }
        out = _records[pos].key;
        return true;
    }

    Entry& at(int32_t pos) noexcept { return _records[pos].entry; }
    const Entry& at(int32_t pos) const noexcept { return _records[pos].entry; }

    // Looks at `budget` positions from the cursor; removes the expired
    // entries, showing each to `on_remove` first.
    template <typename OnRemove>
    uint32_t expire_step(uint64_t now, uint32_t budget, OnRemove on_remove) noexcept {
        uint32_t removed = 0;
        for (uint32_t i = 0; i < budget && _high_water != 0; ++i) {
            const auto pos = static_cast<int32_t>(_cursor);
            _cursor = _cursor + 1 >= _high_water ? 0 : _cursor + 1;
            const Entry& e = _records[pos].entry;
            if (e.in_use && e.expires_tsc <= now) {
                on_remove(e);
                remove(pos);
                ++removed;
            }
        }
        return removed;
    }

    // Among the next `window` positions from the cursor, the in-use entry
    // with the oldest `last_seen(entry)` for which `evictable(entry, now)`
    // holds, or -1.
    template <typename Pred, typename LastSeen>
    int32_t oldest_evictable(uint64_t now, uint32_t window, Pred evictable,
                             LastSeen last_seen) const noexcept {
        int32_t best = -1;
        uint64_t best_seen = 0;
        uint32_t pos = _cursor;
        for (uint32_t i = 0; i < window; ++i, pos = pos + 1 == _capacity ? 0 : pos + 1) {
            const Entry& e = _records[pos].entry;
            if (e.in_use && evictable(e, now) && (best < 0 || last_seen(e) < best_seen)) {
                best = static_cast<int32_t>(pos);
                best_seen = last_seen(e);
            }
        }
        return best;
    }

    bool replaced() const noexcept { return _replaced; }
    const Entry& replaced_entry() const noexcept { return _replaced_entry; }
    uint32_t size() const noexcept { return _size; }
    uint32_t capacity() const noexcept { return _capacity; }
    uint32_t slots() const noexcept { return _capacity; }
    // Positions ever used: all that expiry has to visit.
    uint32_t sweep_range() const noexcept { return _high_water; }

  private:
    static constexpr uint32_t no_position = UINT32_MAX;

    // Cache-line aligned, so a record of up to 64 bytes is one line.
    struct alignas(64) record {
        Key key;
        Entry entry;
    };

    struct alignas(64) bucket {
        uint16_t sig[bucket_slots]; // 0 = free (a stored signature is never 0)
        uint32_t pos[bucket_slots]; // no_position = free
        uint32_t overflowed; // entries whose home bucket precedes this one and that live past it
    };
    static_assert(sizeof(bucket) == 64);

    template <typename T>
    static status alloc(T*& out, const std::string& name, uint32_t count, int socket) {
        out = static_cast<T*>(rte_zmalloc_socket(name.c_str(), sizeof(T) * count, 64, socket));
        if (out == nullptr) {
            return fail("cannot allocate " + std::to_string(sizeof(T) * uint64_t{count}) +
                        " bytes for " + name);
        }
        return {};
    }

    static uint32_t hash(const Key& k) noexcept { return Hash{}(k); }
    static uint16_t signature(uint32_t h) noexcept { return static_cast<uint16_t>((h >> 16) | 1); }

    void prefetch_record(uint32_t pos) const noexcept {
        for (size_t line = 0; line < sizeof(record); line += 64) {
            rte_prefetch0(reinterpret_cast<const char*>(&_records[pos]) + line);
        }
    }

    // 16 bytes at a time with SSE2, then 8.
    static bool same_key(const Key& a, const Key& b) noexcept {
        const auto* pa = reinterpret_cast<const char*>(&a);
        const auto* pb = reinterpret_cast<const char*>(&b);
        size_t w = 0;
        uint64_t diff = 0;
#if defined(__SSE2__)
        __m128i wide = _mm_setzero_si128();
        for (; w + 16 <= sizeof(Key); w += 16) {
            wide = _mm_or_si128(
                wide, _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(pa + w)),
                                    _mm_loadu_si128(reinterpret_cast<const __m128i*>(pb + w))));
        }
        diff = static_cast<uint64_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(wide, _mm_setzero_si128())) ^
                                     0xffff);
#endif
        for (; w < sizeof(Key); w += 8) {
            uint64_t x;
            uint64_t y;
            std::memcpy(&x, pa + w, 8);
            std::memcpy(&y, pb + w, 8);
            diff |= x ^ y;
        }
        return diff == 0;
    }

    // Bit 2*s set for every slot s whose signature equals `sig`.
    static uint32_t matching_slots(const bucket& b, uint16_t sig) noexcept {
#if defined(__SSE2__)
        const __m128i sigs = _mm_load_si128(reinterpret_cast<const __m128i*>(b.sig));
        return static_cast<uint32_t>(
            _mm_movemask_epi8(_mm_cmpeq_epi16(sigs, _mm_set1_epi16(static_cast<short>(sig)))));
#else
        uint32_t m = 0;
        for (uint32_t s = 0; s < bucket_slots; ++s) {
            m |= uint32_t{b.sig[s] == sig} << (2 * s);
        }
        return m;
#endif
    }

    int32_t find(const Key& k, uint32_t h) const noexcept {
        const uint16_t sig = signature(h);
        for (uint32_t b = h & _bucket_mask;; b = (b + 1) & _bucket_mask) {
            const bucket& bk = _buckets[b];
            for (uint32_t m = matching_slots(bk, sig); m != 0; m &= m - 1, m &= m - 1) {
                const uint32_t pos = bk.pos[__builtin_ctz(m) / 2];
                if (same_key(_records[pos].key, k)) {
                    return static_cast<int32_t>(pos);
                }
            }
            if (bk.overflowed == 0) {
                return -1;
            }
        }
    }

    // The slot holding `pos` (no_position: the first free slot) from the
    // home bucket of `h` on; every bucket passed on the way goes to `passed`.
    // Load <= 50% keeps a free slot within reach, and the walk ends because
    // fewer positions exist than slots.
    template <typename Passed>
    std::pair<bucket*, uint32_t> walk_to(uint32_t h, uint32_t pos, Passed passed) noexcept {
        for (uint32_t b = h & _bucket_mask;; b = (b + 1) & _bucket_mask) {
            bucket& bk = _buckets[b];
            for (uint32_t s = 0; s < bucket_slots; ++s) {
                if (bk.pos[s] == pos) {
                    return {&bk, s};
                }
            }
            passed(bk);
        }
    }

    void place(uint32_t h, uint32_t pos) noexcept {
        const auto [bk, s] = walk_to(h, no_position, [](bucket& b) { ++b.overflowed; });
        bk->pos[s] = pos;
        bk->sig[s] = signature(h);
    }

    void unplace(uint32_t h, uint32_t pos) noexcept {
        const auto [bk, s] = walk_to(h, pos, [](bucket& b) { --b.overflowed; });
        bk->pos[s] = no_position;
        bk->sig[s] = 0;
    }

    timed_table() = default;
    bucket* _buckets = nullptr;
    uint32_t _bucket_mask = 0;
    record* _records = nullptr;
    uint32_t* _hash_of = nullptr;
    uint32_t* _free = nullptr; // stack of unused positions
    uint32_t _nfree = 0;
    uint32_t _capacity = 0;
    uint32_t _cursor = 0;
    uint32_t _high_water = 0; // positions [0, _high_water) have been used
    uint32_t _size = 0;
    bool _replaced = false;
    Entry _replaced_entry{};
};

} // namespace podgate::pipeline
