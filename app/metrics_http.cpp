#include "app/metrics_http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace podgate::app {

void metrics_server::stop() {
    _stop.store(true);
    if (_thread.joinable()) {
        _thread.join();
    }
    if (_fd >= 0) {
        close(_fd);
        _fd = -1;
    }
}

status metrics_server::start(const std::string& listen, const appliance& a) {
    _app = &a;
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos) {
        return fail("metrics-listen: expected ADDR:PORT, got \"" + listen + "\"");
    }
    std::string host = listen.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    const int port = std::atoi(listen.substr(colon + 1).c_str());
    sockaddr_storage ss{};
    socklen_t len = 0;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
    if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(static_cast<uint16_t>(port));
        len = sizeof *v4;
    } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(static_cast<uint16_t>(port));
        len = sizeof *v6;
    } else {
        return fail("metrics-listen: \"" + host + "\" is not an IP address");
    }
    _fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    setsockopt(_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (_fd < 0 || bind(_fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 ||
        ::listen(_fd, 16) != 0) {
        return fail("metrics-listen " + listen + ": " + std::strerror(errno));
    }
    getsockname(_fd, reinterpret_cast<sockaddr*>(&ss), &len);
    _port = ntohs(ss.ss_family == AF_INET ? v4->sin_port : v6->sin6_port);
    _thread = std::thread([this] { serve(); });
    return {};
}

void metrics_server::serve() {
    while (!_stop.load()) {
        pollfd p{_fd, POLLIN, 0};
        if (poll(&p, 1, 200) <= 0) {
            continue;
        }
        const int c = accept4(_fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) {
            continue;
        }
        timeval tv{2, 0}; // a client that sends nothing is dropped after 2 s
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        char buf[2048];
        const ssize_t n = recv(c, buf, sizeof buf - 1, 0);
        std::string request(buf, n > 0 ? static_cast<size_t>(n) : 0);
        std::string status = "200 OK";
        std::string body;
        if (request.rfind("GET /metrics", 0) == 0) {
            body = render_metrics(*_app);
        } else {
            status = "404 Not Found";
            body = "podgate serves GET /metrics\n";
        }
        const std::string head = "HTTP/1.0 " + status +
                                 "\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: " +
                                 std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
        const std::string all = head + body;
        for (size_t sent = 0; sent < all.size();) {
            const ssize_t w = send(c, all.data() + sent, all.size() - sent, MSG_NOSIGNAL);
            if (w <= 0) {
                break;
            }
            sent += static_cast<size_t>(w);
        }
        close(c);
    }
}

} // namespace podgate::app
