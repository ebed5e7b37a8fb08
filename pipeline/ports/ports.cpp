#include "pipeline/ports/ports.hpp"

#include "pipeline/counters.hpp"
#include "pipeline/worker/worker.hpp"

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <set>

namespace podgate::pipeline {

namespace {

// 0x6d5a repeated makes the Toeplitz hash symmetric in (src, dst) and
// (sport, dport): both directions of a flow hash alike.
uint8_t symmetric_rss_key[40] = {
    0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
    0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
    0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
};

std::string port_name(uint16_t port) {
    char name[RTE_ETH_NAME_MAX_LEN] = "?";
    rte_eth_dev_get_name_by_port(port, name);
    return name;
}

std::string port_error(uint16_t port, const std::string& what, int rc) {
    return "port " + std::to_string(port) + " (" + port_name(port) + "): " + what + ": " +
           rte_strerror(-rc);
}

std::string plan_pairs(const port_options& opt, std::vector<port_plan>& plans) {
    const uint16_t count = rte_eth_dev_count_avail();
    if (count == 0) {
        return "no ports: bind a NIC to a DPDK driver or give --vdev (e.g. "
               "net_pcap0,rx_pcap=in.pcap,tx_pcap=out.pcap)";
    }
    if (count > max_ports) {
        return std::to_string(count) + " ports; podgate handles at most " +
               std::to_string(max_ports);
    }
    std::vector<std::pair<uint16_t, uint16_t>> pairs = opt.pairs;
    if (pairs.empty()) {
        for (uint16_t p = 0; p < count; p += 2) {
            pairs.emplace_back(p, p + 1 < count ? p + 1 : p);
        }
    }
    std::set<uint16_t> used;
    for (const auto& [a, b] : pairs) {
        for (uint16_t p : {a, b}) {
            if (p >= max_ports) { // counters are arrays indexed by port id
                return "port " + std::to_string(p) + ": podgate handles port ids below " +
                       std::to_string(max_ports);
            }
            if (!rte_eth_dev_is_valid_port(p)) {
                return "port-pairs: port " + std::to_string(p) + " does not exist (" +
                       std::to_string(count) + " ports)";
            }
        }
        if (used.count(a) || (a != b && used.count(b))) {
            return "port-pairs: port " + std::to_string(used.count(a) ? a : b) +
                   " is in more than one pair";
        }
        used.insert(a);
        used.insert(b);
        plans.push_back({a, b, 0, port_name(a)});
        if (a != b) {
            plans.push_back({b, a, 0, port_name(b)});
        }
    }
    return {};
}

} // namespace

status start_ports(const port_options& opt, unsigned workers, port_setup& out) {
    if (std::string err = plan_pairs(opt, out.ports); !err.empty()) {
        return fail(err);
    }
    // Queues: one per worker, as far as both ports of a pair allow.
    for (auto& plan : out.ports) {
        rte_eth_dev_info info{};
        rte_eth_dev_info_get(plan.port, &info);
        plan.queues = static_cast<uint16_t>(
            std::min<unsigned>({workers, info.max_rx_queues, info.max_tx_queues}));
    }
    for (auto& plan : out.ports) {
        const auto peer = std::find_if(out.ports.begin(), out.ports.end(),
                                       [&](const port_plan& p) { return p.port == plan.peer; });
        plan.queues = std::min(plan.queues, peer->queues);
    }

    size_t mbufs = 0;
    for (const auto& plan : out.ports) {
        mbufs += size_t{plan.queues} * (opt.rx_descriptors + opt.tx_descriptors);
    }
    const unsigned cache = 256;
    mbufs += size_t{workers} * (2 * max_burst + cache) + 2048 + opt.extra_mbufs;
    out.pool =
        rte_pktmbuf_pool_create("podgate_mbufs", static_cast<unsigned>(mbufs), cache, 0,
                                RTE_MBUF_DEFAULT_BUF_SIZE, static_cast<int>(rte_socket_id()));
    if (out.pool == nullptr) {
        return fail("cannot create a pool of " + std::to_string(mbufs) + " mbufs: " +
                    rte_strerror(rte_errno) + " (give DPDK more memory: -m, or reserve hugepages)");
    }

    for (auto& plan : out.ports) {
        rte_eth_dev_info info{};
        rte_eth_dev_info_get(plan.port, &info);
        rte_eth_conf conf{};
        if (plan.queues > 1 && info.flow_type_rss_offloads != 0) {
            conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
            conf.rx_adv_conf.rss_conf.rss_key = symmetric_rss_key;
            conf.rx_adv_conf.rss_conf.rss_key_len = sizeof symmetric_rss_key;
            conf.rx_adv_conf.rss_conf.rss_hf =
                (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_SCTP) &
                info.flow_type_rss_offloads;
        }
        if (int rc = rte_eth_dev_configure(plan.port, plan.queues, plan.queues, &conf); rc < 0) {
            return fail(
                port_error(plan.port, "configure " + std::to_string(plan.queues) + " queues", rc));
        }
        uint16_t rxd = opt.rx_descriptors;
        uint16_t txd = opt.tx_descriptors;
        if (int rc = rte_eth_dev_adjust_nb_rx_tx_desc(plan.port, &rxd, &txd); rc < 0) {
            return fail(port_error(plan.port, "adjust descriptors", rc));
        }
        const int socket = rte_eth_dev_socket_id(plan.port);
        for (uint16_t q = 0; q < plan.queues; ++q) {
            if (int rc = rte_eth_rx_queue_setup(plan.port, q, rxd, socket, nullptr, out.pool);
                rc < 0) {
                return fail(port_error(plan.port, "rx queue " + std::to_string(q), rc));
            }
            if (int rc = rte_eth_tx_queue_setup(plan.port, q, txd, socket, nullptr); rc < 0) {
                return fail(port_error(plan.port, "tx queue " + std::to_string(q), rc));
            }
        }
        if (opt.promiscuous) {
            rte_eth_promiscuous_enable(
                plan.port); // a bump in the wire sees every MAC; -ENOTSUP is fine
        }
        if (int rc = rte_eth_dev_start(plan.port); rc < 0) {
            return fail(port_error(plan.port, "start", rc));
        }
    }
    return {};
}

void stop_ports(port_setup& setup) {
    for (const auto& plan : setup.ports) {
        rte_eth_dev_stop(plan.port);
        rte_eth_dev_close(plan.port);
    }
    setup.ports.clear();
    if (setup.pool != nullptr) {
        rte_mempool_free(setup.pool);
        setup.pool = nullptr;
    }
}

} // namespace podgate::pipeline
