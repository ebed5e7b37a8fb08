// app::rate_limiter: the drop log's token bucket, driven with explicit times.
#include "app/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <cstdint>

namespace podgate::app {
namespace {

constexpr uint64_t second = 1'000'000'000;

// How many of `n` records the bucket lets through at `now_ns`.
unsigned passed(rate_limiter& r, unsigned n) {
    unsigned ok = 0;
    for (unsigned i = 0; i < n; ++i) {
        ok += r.take() ? 1 : 0;
    }
    return ok;
}

TEST(rate_limiter, a_full_bucket_passes_one_burst_of_rate_records_and_counts_the_rest) {
    rate_limiter r;
    r.reset(100, 5 * second);
    EXPECT_EQ(passed(r, 130), 100u);
    EXPECT_EQ(r.limited(), 30u);
    r.refill(5 * second); // no time passed: nothing earned
    EXPECT_EQ(passed(r, 1), 0u);
    EXPECT_EQ(r.limited(), 31u);
}

TEST(rate_limiter, refills_at_rate_per_second) {
    rate_limiter r;
    r.reset(100, 0);
    EXPECT_EQ(passed(r, 100), 100u);
    r.refill(second / 10); // 100 ms at 100/s: 10 tokens
    EXPECT_EQ(passed(r, 50), 10u);
    EXPECT_EQ(r.limited(), 40u);
    r.refill(second / 10 + second / 200); // 5 ms more: half a token, not enough
    EXPECT_EQ(passed(r, 1), 0u);
    r.refill(second / 10 + second / 100); // the other half
    EXPECT_EQ(passed(r, 2), 1u);
}

TEST(rate_limiter, a_long_quiet_spell_earns_one_burst_at_most) {
    rate_limiter r;
    r.reset(10, 0);
    EXPECT_EQ(passed(r, 10), 10u);
    r.refill(UINT64_MAX); // ~584 years later
    EXPECT_EQ(passed(r, 1000), 10u);
    EXPECT_EQ(r.limited(), 990u);
}

TEST(rate_limiter, a_clock_going_backwards_earns_nothing_and_resumes_from_there) {
    rate_limiter r;
    r.reset(10, 100 * second);
    EXPECT_EQ(passed(r, 10), 10u);
    r.refill(99 * second); // backwards: must not wrap into a huge interval
    EXPECT_EQ(passed(r, 1), 0u);
    r.refill(99 * second + second / 2); // half a second after the new reading: 5 tokens
    EXPECT_EQ(passed(r, 10), 5u);
}

TEST(rate_limiter, an_empty_bucket_passes_nothing) {
    rate_limiter r; // never reset: rate 0
    r.refill(second);
    EXPECT_EQ(passed(r, 3), 0u);
    EXPECT_EQ(r.limited(), 3u);
}

} // namespace
} // namespace podgate::app
