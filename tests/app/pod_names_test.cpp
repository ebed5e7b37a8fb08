// app::pod_names: the address -> "namespace/name" index the drop log and
// /podgate/verdict print from.
#include "app/pod_names.hpp"

#include <gtest/gtest.h>

namespace podgate::app {
namespace {

config::pod make_pod(std::string ns, std::string name, std::vector<ip_address> ips) {
    config::pod p;
    p.ns = std::move(ns);
    p.name = std::move(name);
    p.ips = std::move(ips);
    return p;
}

const ip_address a1 = ip_address::v4(0x0a000001);
const ip_address a2 = ip_address::v4(0x0a000002);
const ip_address a6 = ip_address::v6(u128{0xfd00000000000000ull} << 64 | 2);

std::shared_ptr<const config::cluster> snapshot(std::vector<config::pod> pods) {
    auto c = std::make_shared<config::cluster>();
    c->pods = std::move(pods);
    return c;
}

TEST(pod_names, names_endpoint_pods_by_every_address_and_the_rest_external) {
    auto host = make_pod("kube-system", "node-agent", {a2});
    host.host_network = true; // not an endpoint: its address is the node's
    pod_names n;
    EXPECT_EQ(n.at(a1), "external"); // nothing indexed yet
    n.index(snapshot({make_pod("shop", "db", {a1, a6}), host}));
    EXPECT_EQ(n.at(a1), "shop/db");
    EXPECT_EQ(n.at(a6), "shop/db");
    EXPECT_EQ(n.at(a2), "external");
    EXPECT_EQ(n.at(ip_address::v6(0x0a000001)), "external"); // same value, other family
}

TEST(pod_names, a_duplicated_address_names_its_first_pod) {
    pod_names n;
    n.index(snapshot({make_pod("a", "first", {a1}), make_pod("b", "second", {a1})}));
    EXPECT_EQ(n.at(a1), "a/first");
}

TEST(pod_names, reindexes_on_a_new_snapshot_and_keeps_the_index_on_null) {
    pod_names n;
    const auto one = snapshot({make_pod("shop", "db", {a1})});
    n.index(one);
    n.index(nullptr);
    EXPECT_EQ(n.at(a1), "shop/db");
    n.index(snapshot({make_pod("shop", "api", {a2})}));
    EXPECT_EQ(n.at(a1), "external");
    EXPECT_EQ(n.at(a2), "shop/api");
    n.index(one); // back to the first snapshot
    EXPECT_EQ(n.at(a1), "shop/db");
}

} // namespace
} // namespace podgate::app
