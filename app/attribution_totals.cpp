#include "app/attribution_totals.hpp"

#include <new>

namespace podgate::app {

namespace {

using pipeline::flow_side;

constexpr flow_side sides[2] = {flow_side::ingress, flow_side::egress};

// Calls f(policy name, side, count, creditable) for every (policy, side) of a block.
template <typename F> void each_count(const pipeline::attribution_counts& c, F f) {
    const auto& names = c.names();
    for (uint32_t p = 0; p < names.policies.size(); ++p) {
        for (auto s : sides) {
            const bool creditable =
                p < names.policy_sides.size() && (names.policy_sides[p] >> static_cast<int>(s)) & 1;
            f(names.policies[p], s, c.total(p, s), creditable);
        }
    }
}

} // namespace

result<std::unique_ptr<pipeline::attribution_counts>>
attribution_totals::counts_for(const classifier::tables& t, unsigned workers) {
    try {
        return std::make_unique<pipeline::attribution_counts>(t, workers);
    } catch (const std::bad_alloc&) {
        return fail("no memory for attribution counters (" +
                    std::to_string(t.names->policies.size()) + " policies, " +
                    std::to_string(workers) + " workers): generation " +
                    std::to_string(t.generation) + " counts no flows per policy");
    }
}

void attribution_totals::went_live(const pipeline::attribution_counts* live,
                                   std::unique_ptr<pipeline::attribution_counts> retired) {
    std::lock_guard lock(_mutex);
    if (retired != nullptr) {
        each_count(*retired, [&](const std::string& name, flow_side s, uint64_t n, bool) {
            if (n != 0) {
                _retired[name][static_cast<size_t>(s)] += n;
            }
        });
    }
    _live = live;
}

std::vector<attribution_totals::entry> attribution_totals::snapshot() const {
    std::lock_guard lock(_mutex);
    std::map<std::string, std::array<uint64_t, 2>> total = _retired;
    std::map<std::string, std::array<bool, 2>> listed;
    for (const auto& [name, n] : _retired) {
        listed[name] = {n[0] != 0, n[1] != 0};
    }
    if (_live != nullptr) {
        each_count(*_live, [&](const std::string& name, flow_side s, uint64_t n, bool creditable) {
            if (creditable || n != 0) {
                total[name][static_cast<size_t>(s)] += n;
                listed[name][static_cast<size_t>(s)] = true;
            }
        });
    }
    std::vector<entry> out;
    for (const auto& [name, shown] : listed) {
        for (auto s : sides) {
            if (shown[static_cast<size_t>(s)]) {
                out.push_back({name, s, total[name][static_cast<size_t>(s)]});
            }
        }
    }
    return out;
}

} // namespace podgate::app
