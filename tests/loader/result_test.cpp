// config/result.hpp: the error convention every public signature uses.

#include "config/result.hpp"

#include <gtest/gtest.h>

#include <memory>

namespace {

podgate::result<std::unique_ptr<int>> make(bool ok) {
    if (!ok) {
        return podgate::fail("cannot make: no room");
    }
    return std::make_unique<int>(7);
}

podgate::status check(int v) {
    if (v < 0) {
        return podgate::fail("negative: " + std::to_string(v));
    }
    return {};
}

TEST(Result, CarriesValueOrMessage) {
    auto good = make(true);
    ASSERT_TRUE(good.ok());
    ASSERT_TRUE(static_cast<bool>(good));
    EXPECT_EQ(**good, 7);
    std::unique_ptr<int> owned = std::move(good).value();
    EXPECT_EQ(*owned, 7);

    auto bad = make(false);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error(), "cannot make: no room");
}

TEST(Result, StatusDefaultsToSuccess) {
    EXPECT_TRUE(check(1).ok());
    const podgate::status s = check(-3);
    EXPECT_FALSE(s.ok());
    EXPECT_EQ(s.error(), "negative: -3");
}

} // namespace
