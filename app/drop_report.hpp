#pragma once
// The control-thread side of drop visibility: drains the workers' drop
// channels every control-loop iteration, writes a rate-limited drop log
// (text or JSON lines: time, 5-tuple, pods or "external", the side that
// denied and the policies selecting the denying pod) and, when asked, the
// dropped packets to a pcapng file with a size limit and rotation.

#include "app/options.hpp"
#include "app/pod_names.hpp"
#include "app/rate_limiter.hpp"
#include "classifier/tables/tables.hpp"
#include "config/cluster.hpp"
#include "pipeline/drop_log.hpp"

#include <spdlog/logger.h>

#include <memory>
#include <string>
#include <vector>

struct rte_pcapng;

namespace podgate::app {

class drop_reporter {
  public:
    ~drop_reporter() { stop(); }
    // Closes the capture and frees the channels; before EAL cleanup.
    void stop();
    // Creates one channel per worker when drop-log or drop-capture is on.
    status start(const daemon_options& opt, unsigned workers, int socket);
    pipeline::drop_channel* channel(unsigned worker) {
        return worker < _channels.size() ? _channels[worker].get() : nullptr;
    }

    // Drains every channel. `t` and `c` describe the live generation.
    void drain(const classifier::tables* t, const std::shared_ptr<const config::cluster>& c);

    uint64_t logged() const { return _logged; }
    uint64_t rate_limited() const { return _limiter.limited(); }
    uint64_t captured() const { return _captured; }
    // Copies that reached the control thread but no file (no file open,
    // write failed). With the workers' capture_skipped, every dropped packet
    // is either captured or counted: captured + skipped + lost = dropped.
    uint64_t capture_lost() const { return _capture_lost; }

  private:
    std::string describe(const pipeline::drop_record& r, const classifier::tables* t);
    void open_capture();
    void write_captures(pipeline::drop_channel& ch);

    daemon_options _opt;
    std::vector<std::unique_ptr<pipeline::drop_channel>> _channels;
    std::shared_ptr<spdlog::logger> _log;
    pod_names _pod_names;
    rate_limiter _limiter;
    uint64_t _logged = 0;
    uint64_t _captured = 0;
    uint64_t _capture_lost = 0;
    rte_pcapng* _pcapng = nullptr;
    int _capture_fd = -1;
    uint64_t _capture_bytes = 0;
};

} // namespace podgate::app
