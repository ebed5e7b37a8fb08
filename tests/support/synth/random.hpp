#pragma once
// A small seeded generator whose output is the same on every platform and
// standard library (std::uniform_int_distribution is not), so a seed printed
// by a failing test reproduces the same cluster anywhere.

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace podgate::synth {

class random {
  public:
    explicit random(uint64_t seed) noexcept : _state(seed) {}

    // splitmix64: good enough statistically, trivially reproducible.
    uint64_t next() noexcept {
        uint64_t z = (_state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }

    // Uniform in [0, n); 0 when n == 0. The modulo bias is irrelevant here.
    uint64_t below(uint64_t n) noexcept { return n == 0 ? 0 : next() % n; }

    // Uniform in [lo, hi].
    int64_t between(int64_t lo, int64_t hi) noexcept {
        return lo + static_cast<int64_t>(below(static_cast<uint64_t>(hi - lo) + 1));
    }

    // True with probability `p` (0..1).
    bool chance(double p) noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53 < p; }

    template <typename T> const T& pick(const std::vector<T>& v) noexcept {
        return v[below(v.size())];
    }

    template <typename T, size_t N> const T& pick(const T (&a)[N]) noexcept { return a[below(N)]; }

    template <typename T> void shuffle(std::vector<T>& v) noexcept {
        for (size_t i = v.size(); i > 1; --i) {
            std::swap(v[i - 1], v[below(i)]);
        }
    }

    // An independent stream derived from this one (for sub-generators whose
    // draw count must not shift the parent's sequence).
    random fork(uint64_t salt) noexcept { return random(next() ^ (salt * 0xD6E8FEB86659FD93ull)); }

  private:
    uint64_t _state;
};

} // namespace podgate::synth
