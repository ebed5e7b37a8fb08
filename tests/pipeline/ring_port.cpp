#include "tests/pipeline/ring_port.hpp"

#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>

namespace podgate::pipetest {

ring_port::ring_port(const std::string& name, rte_mempool* pool) {
    constexpr unsigned ring_size = 4096;
    const unsigned flags = RING_F_SP_ENQ | RING_F_SC_DEQ;
    _rx = rte_ring_create((name + "_rx").c_str(), ring_size, SOCKET_ID_ANY, flags);
    _tx = rte_ring_create((name + "_tx").c_str(), ring_size, SOCKET_ID_ANY, flags);
    if (_rx == nullptr || _tx == nullptr) {
        _error = std::string("rte_ring_create: ") + rte_strerror(rte_errno);
        return;
    }
    const int port = rte_eth_from_rings(name.c_str(), &_rx, 1, &_tx, 1, SOCKET_ID_ANY);
    if (port < 0) {
        _error = std::string("rte_eth_from_rings: ") + rte_strerror(rte_errno);
        return;
    }
    _port = static_cast<uint16_t>(port);
    rte_eth_conf conf{};
    int rc = rte_eth_dev_configure(_port, 1, 1, &conf);
    if (rc == 0) {
        rc = rte_eth_rx_queue_setup(_port, 0, ring_size, SOCKET_ID_ANY, nullptr, pool);
    }
    if (rc == 0) {
        rc = rte_eth_tx_queue_setup(_port, 0, ring_size, SOCKET_ID_ANY, nullptr);
    }
    if (rc == 0) {
        rc = rte_eth_dev_start(_port);
    }
    if (rc != 0) {
        _error = "configuring ring port " + name + ": " + rte_strerror(-rc);
        return;
    }
    _started = true;
}

ring_port::~ring_port() {
    if (_port != UINT16_MAX) {
        if (_started) {
            rte_eth_dev_stop(_port);
        }
        rte_eth_dev_close(_port);
    }
    rte_mbuf* left[64];
    for (rte_ring* r : {_rx, _tx}) {
        if (r == nullptr) {
            continue;
        }
        for (unsigned n;
             (n = rte_ring_dequeue_burst(r, reinterpret_cast<void**>(left), 64, nullptr)) > 0;) {
            rte_pktmbuf_free_bulk(left, n);
        }
        rte_ring_free(r);
    }
}

} // namespace podgate::pipetest
