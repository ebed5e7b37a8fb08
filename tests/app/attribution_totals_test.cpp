// app::attribution_totals: retired generations' counts folded by policy name,
// summed with the live generation's, in name then side order. The counts
// blocks are plain heap memory (pipeline/attribution_counts.hpp): no EAL.
#include "app/attribution_totals.hpp"

#include <gtest/gtest.h>

#include <tuple>

namespace podgate::app {
namespace {

using pipeline::flow_side;

// Tables with only names: policy i named names[i], creditable on sides[i]
// (bit 0 ingress, bit 1 egress).
std::unique_ptr<classifier::tables> tables_for(std::vector<std::string> names,
                                               std::vector<uint8_t> sides, uint64_t generation) {
    auto n = std::make_shared<classifier::table_names>();
    n->policies = std::move(names);
    n->policy_sides = std::move(sides);
    auto t = std::make_unique<classifier::tables>();
    t->names = std::move(n);
    t->generation = generation;
    return t;
}

std::unique_ptr<pipeline::attribution_counts> counts(const classifier::tables& t,
                                                     unsigned workers) {
    auto c = attribution_totals::counts_for(t, workers);
    EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error());
    return c.ok() ? std::move(c).value() : nullptr;
}

void add(pipeline::attribution_counts& c, unsigned worker, uint32_t policy, flow_side s,
         unsigned n) {
    for (unsigned i = 0; i < n; ++i) {
        c.add(worker, policy, s);
    }
}

using row = std::tuple<std::string, flow_side, uint64_t>;

std::vector<row> rows(const attribution_totals& a) {
    std::vector<row> out;
    for (const auto& e : a.snapshot()) {
        out.emplace_back(e.policy, e.side, e.flows);
    }
    return out;
}

constexpr auto in = flow_side::ingress;
constexpr auto eg = flow_side::egress;

TEST(attribution_totals, live_counts_are_listed_for_every_creditable_side_in_name_then_side_order) {
    auto t = tables_for({"shop/web", "shop/db"}, {0b11, 0b01}, 1);
    auto c = counts(*t, 2);
    add(*c, 0, 0, eg, 2);
    add(*c, 1, 0, eg, 3); // summed over workers
    add(*c, 1, 1, in, 4);
    attribution_totals a;
    a.went_live(c.get(), nullptr);
    EXPECT_EQ(rows(a),
              (std::vector<row>{{"shop/db", in, 4}, {"shop/web", in, 0}, {"shop/web", eg, 5}}));
}

TEST(attribution_totals,
     a_retired_generation_folds_in_by_name_and_a_vanished_policy_keeps_its_total) {
    auto t1 = tables_for({"a/keep", "a/gone"}, {0b01, 0b10}, 1);
    auto c1 = counts(*t1, 1);
    add(*c1, 0, 0, in, 7);
    add(*c1, 0, 1, eg, 2);
    attribution_totals a;
    a.went_live(c1.get(), nullptr);

    // Generation 2 drops a/gone and lists a/keep at another index.
    auto t2 = tables_for({"a/new", "a/keep"}, {0b01, 0b01}, 2);
    auto c2 = counts(*t2, 1);
    a.went_live(c2.get(), std::move(c1));
    add(*c2, 0, 1, in, 3);
    add(*c2, 0, 0, in, 1);
    EXPECT_EQ(rows(a), (std::vector<row>{{"a/gone", eg, 2}, {"a/keep", in, 10}, {"a/new", in, 1}}));

    // Shutdown: nothing live, everything retired.
    a.went_live(nullptr, std::move(c2));
    EXPECT_EQ(rows(a), (std::vector<row>{{"a/gone", eg, 2}, {"a/keep", in, 10}, {"a/new", in, 1}}));
}

TEST(attribution_totals, a_side_never_creditable_is_listed_only_once_counted) {
    auto t = tables_for({"x/p"}, {0b00}, 1);
    auto c = counts(*t, 1);
    attribution_totals a;
    a.went_live(c.get(), nullptr);
    EXPECT_TRUE(rows(a).empty());
    add(*c, 0, 0, eg, 1);
    EXPECT_EQ(rows(a), (std::vector<row>{{"x/p", eg, 1}}));
}

} // namespace
} // namespace podgate::app
