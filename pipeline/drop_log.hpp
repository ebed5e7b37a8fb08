#pragma once
// Drop visibility handed from a worker to the control thread without ever
// blocking the worker: fixed-size records (and, when capture is on, pcapng
// copies of the dropped packets) go into single-producer/single-consumer
// rings; when a ring is full the worker counts what it had to skip.

#include "config/ip.hpp"
#include "config/result.hpp"

#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <cstdint>
#include <memory>
#include <string>

namespace podgate::pipeline {

struct alignas(16) drop_record {
    u128 src;
    u128 dst;
    uint64_t tsc;
    uint64_t generation;
    uint16_t sport;
    uint16_t dport;
    uint8_t proto;
    uint8_t family; // 4 or 6
    uint8_t reason; // verdict_reason
    uint8_t port;   // RX port
    uint8_t pad[8];
};
static_assert(sizeof(drop_record) == 64);

// One worker's hand-over rings (owned by the control thread).
struct drop_channel {
    rte_ring* records = nullptr;  // drop_record elements
    rte_ring* captures = nullptr; // rte_mbuf* (pcapng copies); null when capture is off
    rte_mempool* capture_pool = nullptr;
    uint32_t snaplen = 256;

    ~drop_channel();
    status create(unsigned worker, uint32_t records_size, bool capture, uint32_t capture_size,
                  int socket);
};

} // namespace podgate::pipeline
