#include "pipeline/drop_log.hpp"

#include <rte_errno.h>
#include <rte_pcapng.h>

namespace podgate::pipeline {

drop_channel::~drop_channel() {
    if (captures != nullptr) {
        rte_mbuf* m = nullptr;
        while (rte_ring_sc_dequeue(captures, reinterpret_cast<void**>(&m)) == 0) {
            rte_pktmbuf_free(m);
        }
    }
    rte_ring_free(records);
    rte_ring_free(captures);
    rte_mempool_free(capture_pool);
}

status drop_channel::create(unsigned worker, uint32_t records_size, bool capture,
                            uint32_t capture_size, int socket) {
    const std::string suffix = std::to_string(worker);
    records = rte_ring_create_elem(("podgate_drops" + suffix).c_str(), sizeof(drop_record),
                                   records_size, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (records == nullptr) {
        return fail("cannot create the drop-log ring: " + std::string(rte_strerror(rte_errno)));
    }
    if (!capture) {
        return {};
    }
    captures = rte_ring_create(("podgate_capq" + suffix).c_str(), capture_size, socket,
                               RING_F_SP_ENQ | RING_F_SC_DEQ);
    capture_pool =
        rte_pktmbuf_pool_create(("podgate_cap" + suffix).c_str(), capture_size * 2, 0, 0,
                                static_cast<uint16_t>(rte_pcapng_mbuf_size(snaplen)), socket);
    if (captures == nullptr || capture_pool == nullptr) {
        return fail("cannot create the drop-capture ring and pool: " +
                    std::string(rte_strerror(rte_errno)));
    }
    return {};
}

} // namespace podgate::pipeline
