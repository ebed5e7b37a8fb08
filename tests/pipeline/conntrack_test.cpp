// Case 4: conntrack timeouts by TCP state (driven by explicit TSC values
// given to process_burst and expire), and a full table (drop / evict).
// In the seed db may start nothing, so a reply from db passes only while the
// connection's entry exists: every "is the entry still there" question below
// is asked with traffic, not by peeking into the table.
#include "tests/pipeline/clusters.hpp"
#include "tests/pipeline/data_plane.hpp"

#include <gtest/gtest.h>

#include <concepts>
#include <cstring>

namespace podgate::pipetest {
namespace {

using classifier::verdict_reason;
namespace tf = tcp_flags;

pipeline::worker_config short_timeouts() {
    auto cfg = small_config();
    cfg.conntrack.timeouts.tcp_syn_sent = 5;
    cfg.conntrack.timeouts.tcp_established = 100;
    cfg.conntrack.timeouts.tcp_closing = 20;
    cfg.conntrack.timeouts.tcp_closed = 2;
    return cfg;
}

class timeouts : public ::testing::Test {
  protected:
    void SetUp() override { dp.publish(compile(seed_cluster(), 1)); }
    uint64_t at(uint64_t seconds, int64_t ticks = 0) const { return t0() + seconds * hz() + ticks; }
    frame syn(uint16_t sport) const { return tcp4(api_v4, db_v4, sport, 3306, tf::syn); }
    frame reply(uint16_t sport, uint8_t flags = tf::ack) const {
        return tcp4(db_v4, api_v4, 3306, sport, flags);
    }
    data_plane dp{short_timeouts()};
};

TEST_F(timeouts, a_syn_only_entry_expires_after_tcp_syn_sent) {
    ASSERT_TRUE(dp.send1(syn(41000), at(0)));
    dp.expire_all(at(5, -1));
    EXPECT_EQ(dp.ct_size(), 1u);
    EXPECT_EQ(dp.counters().ct_expired.get(), 0u);
    dp.expire_all(at(5));
    EXPECT_EQ(dp.ct_size(), 0u);
    EXPECT_EQ(dp.counters().ct_expired.get(), 1u);
    EXPECT_EQ(dp.counters().ct_occupancy.get(), 0u);
    EXPECT_FALSE(dp.send1(reply(41000, tf::syn_ack), at(5)));
    EXPECT_EQ(dp.drops(verdict_reason::policy_egress), 1u);
}

// Expiry sweeps are paced (each table once a second); a packet that finds
// an entry past its timeout before the sweep does must not use it.
TEST_F(timeouts, an_entry_past_its_timeout_is_gone_before_the_sweep_reaches_it) {
    ASSERT_TRUE(dp.send1(syn(41100), at(0)));
    ASSERT_TRUE(dp.send1(reply(41100, tf::syn_ack), at(0)));
    ASSERT_TRUE(dp.send1(tcp4(api_v4, db_v4, 41100, 3306, tf::rst), at(1))); // closed: 2 s
    const uint64_t creates = dp.counters().ct_creates.get();
    // No expire call: only the packet path sees the entry. At 3 s - 1 tick it is live...
    EXPECT_TRUE(dp.send1(reply(41100), at(3, -1)));
    EXPECT_EQ(dp.counters().ct_expired.get(), 0u);
    // ...which refreshed it for 2 s; past that, the reply finds nothing and db may start nothing.
    EXPECT_FALSE(dp.send1(reply(41100), at(5)));
    EXPECT_EQ(dp.counters().ct_expired.get(), 1u);
    EXPECT_EQ(dp.drops(verdict_reason::policy_egress), 1u);
    // A new SYN on the same ports is a new flow, not a reuse of the dead entry.
    EXPECT_TRUE(dp.send1(syn(41100), at(6)));
    EXPECT_EQ(dp.counters().ct_creates.get(), creates + 1);
}

TEST_F(timeouts, an_established_entry_outlives_syn_sent_and_expires_after_tcp_established) {
    ASSERT_TRUE(dp.send1(syn(41001), at(0)));
    ASSERT_TRUE(dp.send1(reply(41001, tf::syn_ack), at(1)));
    dp.expire_all(at(60));
    EXPECT_EQ(dp.ct_size(), 1u);
    // Traffic refreshes the entry: established for 100 s from the last packet.
    EXPECT_TRUE(dp.send1(reply(41001), at(60)));
    dp.expire_all(at(159));
    EXPECT_EQ(dp.ct_size(), 1u);
    EXPECT_TRUE(dp.send1(reply(41001), at(159)));
    dp.expire_all(at(259));
    EXPECT_EQ(dp.ct_size(), 0u);
    EXPECT_EQ(dp.counters().ct_expired.get(), 1u);
    EXPECT_FALSE(dp.send1(reply(41001), at(259)));
    EXPECT_EQ(dp.drops(verdict_reason::policy_egress), 1u);
}

TEST_F(timeouts, rst_leaves_only_tcp_closed) {
    ASSERT_TRUE(dp.send1(syn(41002), at(0)));
    ASSERT_TRUE(dp.send1(reply(41002, tf::syn_ack), at(0)));
    EXPECT_TRUE(dp.send1(tcp4(api_v4, db_v4, 41002, 3306, tf::rst), at(1)));
    dp.expire_all(at(3, -1));
    EXPECT_EQ(dp.ct_size(), 1u);
    dp.expire_all(at(3));
    EXPECT_EQ(dp.ct_size(), 0u);
    EXPECT_FALSE(dp.send1(reply(41002), at(3)));
}

TEST_F(timeouts, fin_from_one_side_is_closing_and_from_both_closed) {
    ASSERT_TRUE(dp.send1(syn(41003), at(0)));
    ASSERT_TRUE(dp.send1(reply(41003, tf::syn_ack), at(0)));
    ASSERT_TRUE(dp.send1(syn(41004), at(0)));
    ASSERT_TRUE(dp.send1(reply(41004, tf::syn_ack), at(0)));
    EXPECT_TRUE(dp.send1(tcp4(api_v4, db_v4, 41003, 3306, tf::fin_ack), at(0))); // closing: 20 s
    EXPECT_TRUE(dp.send1(tcp4(api_v4, db_v4, 41004, 3306, tf::fin_ack), at(0)));
    EXPECT_TRUE(dp.send1(reply(41004, tf::fin_ack), at(0))); // closed: 2 s
    dp.expire_all(at(2));
    EXPECT_EQ(dp.ct_size(), 1u);
    EXPECT_FALSE(dp.send1(reply(41004), at(2)));
    EXPECT_TRUE(dp.send1(reply(41003, tf::fin_ack), at(10))); // now closed too: 2 s from here
    dp.expire_all(at(12));
    EXPECT_EQ(dp.ct_size(), 0u);
    EXPECT_EQ(dp.counters().ct_expired.get(), 2u);
}

TEST_F(timeouts, a_mid_stream_packet_of_an_allowed_flow_starts_established) {
    // After a podgate restart, an ACK of a connection policy allows.
    ASSERT_TRUE(dp.send1(tcp4(api_v4, db_v4, 41005, 3306, tf::ack), at(0)));
    dp.expire_all(at(50));
    EXPECT_EQ(dp.ct_size(), 1u);
    EXPECT_TRUE(dp.send1(reply(41005), at(50)));
}

// What conntrack keeps as a flow's key: the normalised key, readable as a
// ct_key. Written for both shapes of conntrack::key(): today's pointer into
// rte_hash's key store, and a copy-out `bool key(pos, ct_key&)`.
template <typename Conntrack>
void expect_stored_key(const Conntrack& ct, int32_t pos, const pipeline::ct_key& want) {
    if constexpr (requires(const Conntrack& c) {
                      { c.key(pos) } -> std::convertible_to<const pipeline::ct_key*>;
                  }) {
        const auto* stored = ct.key(pos);
        ASSERT_NE(stored, nullptr);
        EXPECT_EQ(reinterpret_cast<uintptr_t>(stored) % alignof(pipeline::ct_key), 0u)
            << "conntrack::key() returns a ct_key* that is not " << alignof(pipeline::ct_key)
            << "-byte aligned: reading it is undefined";
        EXPECT_EQ(std::memcmp(static_cast<const void*>(stored), &want, sizeof want), 0);
    } else {
        pipeline::ct_key stored{};
        ASSERT_TRUE(ct.key(pos, stored));
        EXPECT_EQ(std::memcmp(&stored, &want, sizeof want), 0);
    }
}

// Regression (fixed; pipeline/conntrack/timed_table.hpp key_at, read by revalidate() in
// pipeline/worker/burst.cpp): ct_key holds u128 members (alignment 16), but
// rte_hash stores every key 8 bytes into a 16-byte aligned slot, after its
// pdata word, so key() hands out a misaligned ct_key*. The
// -Db_sanitize=address,undefined build reports "misaligned address" and
// dies with SIGSEGV (an aligned SSE load) at the first revalidation. Fails
// until the key is copied out.
TEST_F(timeouts, stored_keys_are_readable_as_ct_key) {
    ASSERT_TRUE(dp.send1(syn(41006), at(0)));
    pipeline::parsed_packet p;
    p.src = api_v4;
    p.dst = db_v4;
    p.l4_proto = 6;
    p.has_ports = true;
    p.sport = 41006;
    p.dport = 3306;
    bool lo_to_hi = false;
    const pipeline::ct_key key = pipeline::make_ct_key(p, lo_to_hi);
    const pipeline::ct_key* keys[] = {&key};
    int32_t pos = -1;
    dp.worker().connections().lookup_bulk(keys, 1, &pos);
    ASSERT_GE(pos, 0);
    expect_stored_key(dp.worker().connections(), pos, key);
}

// Capacity 8: rte_hash has a single bucket of 8, so exactly 8 keys fit.
pipeline::worker_config tiny(pipeline::ct_when_full when_full) {
    auto cfg = short_timeouts();
    cfg.conntrack.capacity = 8;
    cfg.conntrack.when_full = when_full;
    return cfg;
}

class capacity : public ::testing::Test {
  protected:
    void fill(data_plane& dp, unsigned established, unsigned embryonic) {
        dp.publish(compile(seed_cluster(), 1));
        uint16_t sport = 42000;
        for (unsigned i = 0; i < established + embryonic; ++i, ++sport) {
            ASSERT_TRUE(dp.send1(tcp4(api_v4, db_v4, sport, 3306, tf::syn), t0()));
            if (i < established) {
                ASSERT_TRUE(dp.send1(tcp4(db_v4, api_v4, 3306, sport, tf::syn_ack), t0()));
            }
        }
        ASSERT_EQ(dp.ct_size(), established + embryonic);
    }
};

TEST_F(capacity, when_full_drop_drops_a_new_allowed_flow) {
    data_plane dp(tiny(pipeline::ct_when_full::drop));
    fill(dp, 4, 4);
    EXPECT_FALSE(dp.send1(tcp4(api_v4, db_v4, 43000, 3306, tf::syn), t0()));
    EXPECT_EQ(dp.drops(verdict_reason::conntrack_full), 1u);
    EXPECT_EQ(dp.counters().ct_evicted.get(), 0u);
    EXPECT_EQ(dp.counters().ct_creates.get(), 8u);
    EXPECT_EQ(dp.counters().ct_occupancy.get(), 8u);
    // Tracked flows carry on, embryonic ones included.
    EXPECT_TRUE(dp.send1(tcp4(db_v4, api_v4, 3306, 42000, tf::ack), t0()));
    EXPECT_TRUE(dp.send1(tcp4(db_v4, api_v4, 3306, 42007, tf::syn_ack), t0()));
    // Denied flows are still dropped for policy, not for room.
    EXPECT_FALSE(dp.send1(tcp4(frontend_v4, db_v4, 43001, 3306, tf::syn), t0()));
    EXPECT_EQ(dp.drops(verdict_reason::policy_ingress), 1u);
    // Once entries expire there is room again.
    dp.expire_all(t0() + 5 * hz()); // the three still-embryonic ones (syn_sent 5 s)
    EXPECT_EQ(dp.ct_size(), 5u);
    EXPECT_TRUE(dp.send1(tcp4(api_v4, db_v4, 43000, 3306, tf::syn), t0() + 5 * hz()));
}

TEST_F(capacity, when_full_evict_evicts_an_embryonic_entry) {
    data_plane dp(tiny(pipeline::ct_when_full::evict));
    fill(dp, 7, 1); // sport 42007 is the only SYN-only entry
    EXPECT_TRUE(dp.send1(tcp4(api_v4, db_v4, 43000, 3306, tf::syn), t0()));
    EXPECT_EQ(dp.counters().ct_evicted.get(), 1u);
    EXPECT_EQ(dp.drops(verdict_reason::conntrack_full), 0u);
    EXPECT_EQ(dp.ct_size(), 8u);
    // The evicted connection's answer is now a new flow from db: denied.
    EXPECT_FALSE(dp.send1(tcp4(db_v4, api_v4, 3306, 42007, tf::syn_ack), t0()));
    EXPECT_EQ(dp.drops(verdict_reason::policy_egress), 1u);
    // The new flow and every established one are tracked.
    EXPECT_TRUE(dp.send1(tcp4(db_v4, api_v4, 3306, 43000, tf::syn_ack), t0()));
    for (uint16_t sport = 42000; sport < 42007; ++sport) {
        EXPECT_TRUE(dp.send1(tcp4(db_v4, api_v4, 3306, sport, tf::ack), t0())) << sport;
    }
}

TEST_F(capacity, when_full_evict_never_evicts_a_live_established_entry) {
    data_plane dp(tiny(pipeline::ct_when_full::evict));
    fill(dp, 8, 0);
    EXPECT_FALSE(dp.send1(tcp4(api_v4, db_v4, 43000, 3306, tf::syn), t0()));
    EXPECT_EQ(dp.drops(verdict_reason::conntrack_full), 1u);
    EXPECT_EQ(dp.counters().ct_evicted.get(), 0u);
    // An expired one is fair game even before expiry has swept it.
    const uint64_t later = t0() + 100 * hz();
    EXPECT_TRUE(dp.send1(tcp4(api_v4, db_v4, 43000, 3306, tf::syn), later));
    EXPECT_EQ(dp.counters().ct_evicted.get(), 1u);
}

// Eviction takes the evictable entry seen longest ago, whatever its timeout:
// an embryonic UDP flow idle since t0 goes before a SYN seen a second later,
// although the SYN (5 s) would time out long before the UDP flow (60 s).
// Entries keep only their expiry and timeout class; this checks that the
// last-seen time rebuilt from them orders eviction as a stored one would.
TEST_F(capacity, when_full_evict_takes_the_entry_seen_longest_ago) {
    auto cfg = tiny(pipeline::ct_when_full::evict);
    cfg.conntrack.timeouts.udp = 60;
    data_plane dp(cfg);
    fill(dp, 6, 0);
    const frame udp = udp4(api_v4, frontend_v4, 40000, 53); // frontend is not isolated
    ASSERT_TRUE(dp.send1(udp, t0()));
    ASSERT_TRUE(dp.send1(tcp4(api_v4, db_v4, 42100, 3306, tf::syn), t0() + hz()));
    ASSERT_EQ(dp.ct_size(), 8u);
    EXPECT_TRUE(dp.send1(tcp4(api_v4, db_v4, 43000, 3306, tf::syn), t0() + 2 * hz()));
    EXPECT_EQ(dp.counters().ct_evicted.get(), 1u);
    // The SYN's connection is still tracked: db's answer follows it (a new
    // flow from db would be denied by db's egress policy).
    EXPECT_TRUE(dp.send1(tcp4(db_v4, api_v4, 3306, 42100, tf::syn_ack), t0() + 2 * hz()));
    // The UDP flow was the one evicted: its next packet creates an entry anew.
    const uint64_t creates = dp.counters().ct_creates.get();
    EXPECT_TRUE(dp.send1(udp, t0() + 2 * hz()));
    EXPECT_EQ(dp.counters().ct_creates.get(), creates + 1);
}

// Regression (fixed; pipeline/worker/burst.cpp, step 4): a reply follows an entry created
// earlier in its burst by position, without checking that the entry is still
// that flow's. When a later create in the same burst evicts it (the newest
// embryonic entry is the only evictable one) and reuses the position, the
// reply passes while its own flow is untracked, and advances the state of
// the flow that took the position. Fails until fixed.
TEST_F(capacity, an_entry_evicted_later_in_its_burst_is_not_followed) {
    data_plane dp(tiny(pipeline::ct_when_full::evict));
    fill(dp, 7, 1); // sport 42007 is the only SYN-only entry
    const auto out = dp.send({tcp4(api_v4, db_v4, 43000, 3306, tf::syn),      // A evicts 42007
                              tcp4(api_v4, db_v4, 43001, 3306, tf::syn),      // B evicts A
                              tcp4(db_v4, api_v4, 3306, 43000, tf::syn_ack)}, // A's answer
                             t0());
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(dp.counters().ct_evicted.get(), 2u);
    // If A's answer passed, A must be tracked: db's next packet passes too.
    const bool a_tracked = dp.send1(tcp4(db_v4, api_v4, 3306, 43000, tf::ack), t0());
    EXPECT_EQ(out[2], a_tracked) << "A's SYN-ACK passed but A has no entry";
    // B only sent a SYN: it must still be embryonic and expire after tcp_syn_sent.
    const uint64_t later = t0() + 5 * hz();
    dp.expire_all(later);
    EXPECT_FALSE(dp.send1(tcp4(db_v4, api_v4, 3306, 43001, tf::syn_ack), later))
        << "B's entry was advanced to established by A's answer";
}

} // namespace
} // namespace podgate::pipetest
