#pragma once
// Token bucket for the drop log: at most `rate` records a second on average,
// bursts of up to `rate`. The caller passes the time, so the bucket is
// testable without a clock (tests/app/rate_limiter_test.cpp).

#include <algorithm>
#include <cstdint>

namespace podgate::app {

class rate_limiter {
  public:
    // A full bucket at `now_ns`.
    void reset(uint32_t rate, uint64_t now_ns) {
        _rate = rate;
        _tokens = rate;
        _last_refill_ns = now_ns;
    }

    // Adds the tokens earned since the last refill, capped at one burst. A
    // clock that goes backwards earns nothing (and cannot wrap the interval).
    void refill(uint64_t now_ns) {
        if (now_ns > _last_refill_ns) {
            _tokens = std::min<double>(
                _rate, _tokens + static_cast<double>(now_ns - _last_refill_ns) * 1e-9 * _rate);
        }
        _last_refill_ns = now_ns;
    }

    // Takes a token if there is one; counts the record as rate-limited if not.
    bool take() {
        if (_tokens < 1) {
            ++_limited;
            return false;
        }
        _tokens -= 1;
        return true;
    }

    uint64_t limited() const { return _limited; }

  private:
    uint32_t _rate = 0;
    double _tokens = 0;
    uint64_t _last_refill_ns = 0;
    uint64_t _limited = 0;
};

} // namespace podgate::app
