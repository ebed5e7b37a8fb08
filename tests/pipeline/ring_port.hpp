#pragma once
// An ethdev port made of two rings (net_ring PMD): the test enqueues frames on
// its RX ring and dequeues what the worker sent from its TX ring. Single
// producer and single consumer on each side.

#include <rte_mbuf.h>
#include <rte_ring.h>

#include <cstdint>
#include <string>

namespace podgate::pipetest {

class ring_port {
  public:
    // Creates and starts the port; on failure ok() is false and error() says why.
    ring_port(const std::string& name, rte_mempool* pool);
    ~ring_port();
    ring_port(const ring_port&) = delete;
    ring_port& operator=(const ring_port&) = delete;

    bool ok() const { return _started; }
    const std::string& error() const { return _error; }
    uint16_t port() const { return _port; }

    // What the worker will receive; returns how many the ring took.
    unsigned inject(rte_mbuf** pkts, unsigned n) {
        return rte_ring_enqueue_burst(_rx, reinterpret_cast<void**>(pkts), n, nullptr);
    }
    // What the worker transmitted.
    unsigned drain(rte_mbuf** pkts, unsigned n) {
        return rte_ring_dequeue_burst(_tx, reinterpret_cast<void**>(pkts), n, nullptr);
    }

  private:
    rte_ring* _rx = nullptr;
    rte_ring* _tx = nullptr;
    uint16_t _port = UINT16_MAX;
    bool _started = false;
    std::string _error;
};

} // namespace podgate::pipetest
