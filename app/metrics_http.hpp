#pragma once
// A Prometheus text-format endpoint (GET /metrics) on its own control-side
// thread: a minimal HTTP/1.0 server, one request per connection, loopback by
// default. It only reads counters and the reload status; a slow client
// cannot affect the workers. Why not a library: Debian 12 ships no small
// C++ HTTP server package, and a scrape endpoint needs only this much.

#include "config/result.hpp"

#include <atomic>
#include <string>
#include <thread>

namespace podgate::app {

class appliance;

class metrics_server {
  public:
    ~metrics_server() { stop(); }
    // Stops serving and joins the thread (idempotent).
    void stop();
    // Listens on "ADDR:PORT" (port 0 picks a free one).
    status start(const std::string& listen, const appliance& a);
    uint16_t port() const { return _port; }

  private:
    void serve();

    const appliance* _app = nullptr;
    int _fd = -1;
    uint16_t _port = 0;
    std::atomic<bool> _stop{false};
    std::thread _thread;
};

// The metrics document (metrics_render.cpp).
std::string render_metrics(const appliance& a);

} // namespace podgate::app
