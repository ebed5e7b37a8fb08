#pragma once
// Attribution counts: allowed new flows credited to the policy that allowed
// them, per side, for one table generation, one slice per worker. This is
// per-worker mutable state kept beside the compiled tables, never inside
// them: table_slot publishes a block together with the tables it counts for
// and hands it back when that generation retires, so what RCU publishes
// stays read-only. Each worker writes only its own slice (whole cache lines;
// relaxed load + store, no read-modify-write); any thread may sum the slices.
// The block holds the generation's policy names, so its counts can be folded
// by name after the tables are gone.
//
// Layout: slice s, policy p, side d -> counter [s * stride + p * 2 + d],
// stride rounded up to whole cache lines so no two workers share one.

#include "classifier/tables/tables.hpp"

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace podgate::pipeline {

enum class flow_side : uint8_t { ingress = 0, egress = 1 };

inline const char* to_string(flow_side s) noexcept {
    return s == flow_side::ingress ? "ingress" : "egress";
}

class attribution_counts {
  public:
    // Room for workers 0..slices-1 and every policy of `t`, all zero.
    // Throws std::bad_alloc.
    attribution_counts(const classifier::tables& t, unsigned slices)
        : _names(t.names), _generation(t.generation), _slices(slices),
          _policies(static_cast<uint32_t>(t.names->policies.size())),
          _stride(lines_for(_policies) * per_line),
          _lines(new line[std::max<size_t>(1, size_t{slices} * lines_for(_policies))]()) {}

    // Worker `slice` only; anything out of range is ignored.
    void add(unsigned slice, uint32_t policy, flow_side side) noexcept {
        if (slice >= _slices || policy >= _policies) {
            return;
        }
        std::atomic<uint64_t>& c = at(size_t{slice} * _stride + index(policy, side));
        c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    }

    // Any thread: the sum over every worker's slice.
    uint64_t total(uint32_t policy, flow_side side) const noexcept {
        if (policy >= _policies) {
            return 0;
        }
        uint64_t n = 0;
        for (size_t s = 0; s < _slices; ++s) {
            n += at(s * _stride + index(policy, side)).load(std::memory_order_relaxed);
        }
        return n;
    }

    // The names and sides of the policies counted here (table_names::policies order).
    const classifier::table_names& names() const noexcept { return *_names; }
    uint64_t generation() const noexcept { return _generation; }
    unsigned slices() const noexcept { return _slices; }
    uint32_t policies() const noexcept { return _policies; }
    size_t bytes() const noexcept { return size_t{_slices} * _stride * sizeof(uint64_t); }

  private:
    static constexpr size_t per_line = 8;
    struct alignas(64) line {
        std::atomic<uint64_t> v[per_line];
    };
    static size_t lines_for(uint32_t policies) {
        return (size_t{policies} * 2 + per_line - 1) / per_line;
    }
    static size_t index(uint32_t policy, flow_side side) {
        return size_t{policy} * 2 + static_cast<size_t>(side);
    }
    std::atomic<uint64_t>& at(size_t i) const noexcept {
        return _lines[i / per_line].v[i % per_line];
    }

    std::shared_ptr<const classifier::table_names> _names;
    uint64_t _generation;
    unsigned _slices;
    uint32_t _policies;
    size_t _stride; // counters per slice
    std::unique_ptr<line[]> _lines;
};

} // namespace podgate::pipeline
