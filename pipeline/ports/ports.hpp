#pragma once
// Port and queue setup: pairs ports as bumps in the wire (what arrives on one
// leaves by the other; a port without a partner hairpins), gives every port
// of a pair the same number of queues (at most one per worker), turns on RSS
// with a symmetric key where the device has it, so both directions of a
// connection land on the same queue and so the same worker, and sizes the
// mbuf pool from ports x queues x descriptors. Control thread only.

#include "config/result.hpp"

#include <rte_mempool.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace podgate::pipeline {

struct port_options {
    std::vector<std::pair<uint16_t, uint16_t>>
        pairs; // empty: (0,1), (2,3), ...; a (p,p) pair hairpins
    uint16_t rx_descriptors = 1024;
    uint16_t tx_descriptors = 1024;
    // Added to what the queues need: for PMDs that hold mbufs of their own
    // (net_pcap with infinite_rx preloads its whole file into the pool).
    uint32_t extra_mbufs = 0;
    bool promiscuous = true;
};

struct port_plan {
    uint16_t port;
    uint16_t peer; // TX port for what arrives here (== port: hairpin)
    uint16_t queues;
    std::string name;
};

struct port_setup {
    std::vector<port_plan> ports;
    rte_mempool* pool = nullptr;
};

// Configures and starts every port. On error returns a message naming the
// port and what failed; ports already started are stopped again.
status start_ports(const port_options& opt, unsigned workers, port_setup& out);

// Stops and closes every port (flushes pcap output) and frees the pool.
void stop_ports(port_setup& setup);

} // namespace podgate::pipeline
