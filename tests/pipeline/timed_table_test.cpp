// timed_table (pipeline/conntrack) against a std::unordered_map model:
// random adds, removes, lookups and expiry on small tables, where most keys
// overflow their home bucket, so displaced slots and the per-bucket overflow
// counts are exercised on every step. And expiry_pace (pipeline/worker).
#include "pipeline/conntrack/timed_table.hpp"
#include "pipeline/worker/worker.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <unordered_map>
#include <vector>

namespace podgate::pipetest {
namespace {

struct alignas(16) test_key {
    uint64_t a;
    uint64_t b;
    friend bool operator==(const test_key&, const test_key&) = default;
};

struct test_entry {
    uint64_t expires_tsc;
    uint64_t last_seen_tsc;
    bool in_use;
    uint32_t tag;
};

struct key_hash {
    size_t operator()(const test_key& k) const { return std::hash<uint64_t>()(k.a * 31 + k.b); }
};

// Three home buckets and three signatures for every key: long overflow
// chains, and every lookup compares keys that share a signature.
struct clumping_hash {
    uint32_t operator()(const test_key& k) const noexcept {
        return static_cast<uint32_t>(k.a % 3) * 0x10001u;
    }
};

using table = pipeline::timed_table<test_key, test_entry>;
using clumped_table = pipeline::timed_table<test_key, test_entry, clumping_hash>;

template <typename Table = table> std::unique_ptr<Table> make(uint32_t capacity) {
    auto t = Table::create("pipetest_tt", capacity, SOCKET_ID_ANY);
    EXPECT_TRUE(t) << (t ? "" : t.error());
    return t ? std::move(*t) : nullptr;
}

// Model: key -> (position, tag). Every step checks the table agrees.
template <typename Table> class model_check {
  public:
    explicit model_check(uint32_t capacity, uint32_t key_space, uint64_t seed)
        : _t(make<Table>(capacity)), _capacity(capacity), _key_space(key_space), _rng(seed) {}

    void step(uint64_t now) {
        const test_key k{_rng() % _key_space, 7};
        const int32_t pos = _t->lookup(k);
        const auto it = _model.find(k);
        ASSERT_EQ(pos >= 0, it != _model.end());
        if (it != _model.end()) {
            ASSERT_EQ(pos, it->second.first);
            ASSERT_EQ(_t->at(pos).tag, it->second.second);
            test_key back{};
            ASSERT_TRUE(_t->key_at(pos, back));
            ASSERT_EQ(back, k);
        }
        switch (_rng() % 6) {
        case 0:
        case 1:
        case 2: { // add (or re-add)
            const int32_t p = _t->add(k);
            if (it == _model.end() && _model.size() == _capacity) {
                ASSERT_LT(p, 0) << "a full table must refuse a new key";
                return;
            }
            ASSERT_GE(p, 0);
            ASSERT_EQ(_t->replaced(), it != _model.end());
            _t->at(p).tag = ++_tags;
            _t->at(p).expires_tsc = now + 1 + _rng() % 5000;
            _model[k] = {p, _tags};
            break;
        }
        case 3: // remove
            if (it != _model.end()) {
                _t->remove(pos);
                test_key gone{};
                ASSERT_FALSE(_t->key_at(pos, gone));
                _model.erase(it);
            }
            break;
        case 4: { // expire a few slots
            std::vector<uint32_t> gone;
            _t->expire_step(now, 3, [&](const test_entry& e) { gone.push_back(e.tag); });
            for (uint32_t tag : gone) {
                const auto m = std::find_if(_model.begin(), _model.end(), [&](const auto& kv) {
                    return kv.second.second == tag;
                });
                ASSERT_NE(m, _model.end());
                _model.erase(m);
            }
            break;
        }
        default: // lookup only
            break;
        }
        ASSERT_EQ(_t->size(), _model.size());
    }

    size_t size() const { return _model.size(); }

  private:
    std::unique_ptr<Table> _t;
    uint32_t _capacity;
    uint32_t _key_space;
    std::mt19937_64 _rng;
    std::unordered_map<test_key, std::pair<int32_t, uint32_t>, key_hash> _model;
    uint32_t _tags = 0;
};

template <typename Table> void run_model(std::initializer_list<uint32_t> capacities) {
    for (uint32_t capacity : capacities) {
        for (uint64_t seed = 1; seed <= 3; ++seed) {
            SCOPED_TRACE("capacity " + std::to_string(capacity) + " seed " + std::to_string(seed));
            model_check<Table> m(capacity, capacity * 2, seed);
            size_t peak = 0;
            for (uint64_t now = 1; now <= 20000; ++now) {
                m.step(now);
                if (::testing::Test::HasFatalFailure()) {
                    return;
                }
                peak = std::max(peak, m.size());
            }
            EXPECT_EQ(peak, capacity) << "the run never filled the table";
        }
    }
}

TEST(timed_table, agrees_with_a_model) {
    run_model<table>({8u, 13u, 64u, 300u});
}

TEST(timed_table, agrees_with_a_model_when_every_key_overflows) {
    run_model<clumped_table>({8u, 40u, 100u});
}

TEST(timed_table, full_table_refuses_then_takes_a_key_after_a_removal) {
    auto t = make(16);
    std::vector<int32_t> pos;
    for (uint64_t i = 0; i < 16; ++i) {
        pos.push_back(t->add({i, 0}));
        ASSERT_GE(pos.back(), 0);
    }
    EXPECT_LT(t->add({99, 0}), 0);
    t->remove(pos[5]);
    EXPECT_GE(t->add({99, 0}), 0);
    EXPECT_GE(t->lookup({99, 0}), 0);
    EXPECT_LT(t->lookup({5, 0}), 0);
    for (uint64_t i = 0; i < 16; ++i) {
        EXPECT_EQ(t->lookup({i, 0}) >= 0, i != 5) << i;
    }
}

TEST(timed_table, bulk_lookup_matches_single_lookups) {
    auto t = make(1000);
    for (uint64_t i = 0; i < 1000; i += 2) {
        ASSERT_GE(t->add({i, i}), 0);
    }
    std::vector<test_key> keys;
    for (uint64_t i = 0; i < 64; ++i) {
        keys.push_back({i * 7 % 1000, i * 7 % 1000});
    }
    const test_key* ptrs[64];
    for (size_t i = 0; i < 64; ++i) {
        ptrs[i] = &keys[i];
    }
    int32_t positions[64];
    t->lookup_bulk(ptrs, 64, positions);
    for (size_t i = 0; i < 64; ++i) {
        EXPECT_EQ(positions[i], t->lookup(keys[i]));
        EXPECT_EQ(positions[i] >= 0, keys[i].a % 2 == 0);
    }
}

// The worker starts a burst's lookups while it parses and resolves them
// later, after earlier packets may have removed entries: resolve() must give
// what a lookup at that moment gives, even when a candidate position was
// freed and taken by another key in between (clumped: shared signatures).
template <typename Table> void staged_lookup_sees_changes_between_stages() {
    auto t = make<Table>(64);
    for (uint64_t i = 0; i < 48; ++i) {
        ASSERT_GE(t->add({i, 1}), 0);
    }
    std::vector<test_key> keys;
    for (uint64_t i = 0; i < 56; ++i) {
        keys.push_back({i, 1}); // 48 present, 8 never added
    }
    std::vector<uint32_t> hashes;
    std::vector<uint32_t> candidates;
    for (const test_key& k : keys) {
        hashes.push_back(t->probe(k));
    }
    for (uint32_t h : hashes) {
        candidates.push_back(t->candidate(h));
    }
    for (uint64_t i = 0; i < 48; i += 3) {
        t->remove(t->lookup({i, 1}));
    }
    for (uint64_t i = 100; i < 108; ++i) {
        ASSERT_GE(t->add({i, 1}), 0); // takes freed positions
    }
    for (size_t i = 0; i < keys.size(); ++i) {
        const int32_t got = t->resolve(keys[i], hashes[i], candidates[i]);
        EXPECT_EQ(got, t->lookup(keys[i])) << keys[i].a;
        EXPECT_EQ(got >= 0, keys[i].a < 48 && keys[i].a % 3 != 0) << keys[i].a;
    }
}

TEST(timed_table, staged_lookup_sees_changes_between_stages) {
    staged_lookup_sees_changes_between_stages<table>();
}

TEST(timed_table, staged_lookup_sees_changes_between_stages_when_every_key_overflows) {
    staged_lookup_sees_changes_between_stages<clumped_table>();
}

TEST(expiry_pace, due_slots_follow_time_and_are_bounded) {
    pipeline::expiry_pace pace;
    pace.start(1000, 1000000); // one sweep of 1,000 slots per 1,000,000 ticks: 1 slot per 1,000
    EXPECT_EQ(pace.due(1000, 1000), 0u);
    EXPECT_EQ(pace.due(1999, 1000), 0u);
    EXPECT_EQ(pace.due(2000, 1000), 1u);
    EXPECT_EQ(pace.due(2500, 1000), 0u);
    EXPECT_EQ(pace.due(3000, 1000), 1u) << "the remainder carries over";
    EXPECT_EQ(pace.due(103000, 1000), 100u);
    EXPECT_EQ(pace.due(10000000, 1000), pipeline::expiry_step_max)
        << "one bounded step when far behind";
    EXPECT_EQ(pace.due(10000500, 1000), 0u) << "and no backlog after it";
    EXPECT_EQ(pace.due(5, 1000), 0u) << "time going backwards does nothing";
    uint64_t total = 0;
    for (uint64_t now = 10000000; now <= 11000000; now += 777) {
        total += pace.due(now, 1000);
    }
    EXPECT_NEAR(static_cast<double>(total), 1000.0, 2.0) << "one full sweep per period";
    total = 0;
    for (uint64_t now = 11000000; now <= 12000000; now += 777) {
        total += pace.due(now, 4000);
    }
    EXPECT_NEAR(static_cast<double>(total), 4000.0, 6.0)
        << "a grown range: still one sweep per period";
}

// Expiry visits only positions that have been used, so a big table holding
// few flows still finds each expired one within a short walk.
TEST(timed_table, expiry_sweeps_only_the_positions_ever_used) {
    auto t = make(100000);
    EXPECT_EQ(t->expire_step(10, 50, [](const test_entry&) {}), 0u)
        << "an empty table: nothing to walk";
    for (int round = 0; round < 3; ++round) {
        for (uint64_t i = 0; i < 10; ++i) {
            const int32_t pos = t->add({i, static_cast<uint64_t>(round)});
            ASSERT_GE(pos, 0);
            ASSERT_LT(pos, 10) << "free positions are handed out lowest first";
            t->at(pos).expires_tsc = 5;
        }
        EXPECT_EQ(t->sweep_range(), 10u);
        // 10 looks from wherever the cursor stands reach every used position.
        EXPECT_EQ(t->expire_step(6, 10, [](const test_entry&) {}), 10u) << "round " << round;
        EXPECT_EQ(t->size(), 0u);
    }
}

} // namespace
} // namespace podgate::pipetest
