#include "app/metrics_http.hpp"

#include "app/control_json.hpp"
#include "app/daemon.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <sstream>

namespace podgate::app {

namespace {

struct metric_writer {
    std::ostringstream out;
    std::string last;

    void head(const std::string& name, const char* type, const char* help) {
        if (name == last) {
            return;
        }
        last = name;
        out << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
    }
    template <typename V>
    void sample(const std::string& name, const char* type, const char* help, const std::string& labels, V value) {
        head(name, type, help);
        out << name;
        if (!labels.empty()) {
            out << "{" << labels << "}";
        }
        out << " " << value << "\n";
    }
};

// A label pair, its value escaped as the text format asks: \\, \" and \n.
std::string label(const char* key, const std::string& value) {
    std::string escaped;
    for (char c : value) {
        if (c == '\\' || c == '"') {
            escaped += '\\';
            escaped += c;
        } else if (c == '\n') {
            escaped += "\\n";
        } else {
            escaped += c;
        }
    }
    return std::string(key) + "=\"" + escaped + "\"";
}

} // namespace

std::string render_metrics(const appliance& a) {
    const auto stats = stats_document(a);
    const auto policy = policy_document(a);
    const auto ct = conntrack_document(a);
    metric_writer m;
    for (const auto& p : stats["ports"]) {
        const std::string l = label("port", std::to_string(p["port"].get<int>())) + "," + label("name", p["name"]);
        m.sample("podgate_port_rx_packets_total", "counter", "Packets received by workers per port.", l,
                 p["rx"].get<uint64_t>());
    }
    for (const auto& p : stats["ports"]) {
        const std::string l = label("port", std::to_string(p["port"].get<int>())) + "," + label("name", p["name"]);
        m.sample("podgate_port_tx_packets_total", "counter", "Packets transmitted per port.", l, p["tx"].get<uint64_t>());
    }
    for (const auto& p : stats["ports"]) {
        const std::string l = label("port", std::to_string(p["port"].get<int>()));
        m.sample("podgate_port_nic_missed_total", "counter", "Packets the NIC dropped for lack of RX descriptors.", l,
                 p["nic"]["imissed"].get<uint64_t>());
    }
    for (const auto& lc : stats["lcores"]) {
        m.sample("podgate_lcore_rx_packets_total", "counter", "Packets received per worker lcore.",
                 label("lcore", std::to_string(lc["lcore"].get<int>())), lc["rx"].get<uint64_t>());
    }
    for (const auto& lc : stats["lcores"]) {
        m.sample("podgate_lcore_tx_packets_total", "counter", "Packets transmitted per worker lcore.",
                 label("lcore", std::to_string(lc["lcore"].get<int>())), lc["tx"].get<uint64_t>());
    }
    for (const auto& [reason, n] : stats["dropped"].items()) {
        m.sample("podgate_dropped_packets_total", "counter", "Dropped packets by reason.", label("reason", reason),
                 n.get<uint64_t>());
    }
    for (const auto& [reason, n] : stats["malformed"].items()) {
        m.sample("podgate_malformed_packets_total", "counter", "Malformed packets by kind.", label("kind", reason),
                 n.get<uint64_t>());
    }
    m.sample("podgate_policy_denied_flows_total", "counter", "New flows denied, by the side that denied.",
             label("side", "ingress"), stats["dropped"]["policy-ingress"].get<uint64_t>());
    m.sample("podgate_policy_denied_flows_total", "counter", "New flows denied, by the side that denied.",
             label("side", "egress"), stats["dropped"]["policy-egress"].get<uint64_t>());
    m.sample("podgate_policy_allowed_flows_total", "counter", "New flows policy allowed.", "",
             stats["new_flows_allowed"].get<uint64_t>());
    for (const auto& e : a.admissions().snapshot()) {
        m.sample("podgate_policy_allowed_flows_by_policy_total", "counter",
                 "New flows allowed, credited on each isolated side to the first selecting policy (cluster order) "
                 "whose rules allow them; kept across reloads.",
                 label("policy", e.policy) + "," + label("side", to_string(e.side)), e.flows);
    }
    m.sample("podgate_policy_lookups_total", "counter", "Policy lookups (packets of flows not in conntrack).", "",
             stats["policy_lookups"].get<uint64_t>());
    m.sample("podgate_drop_log_skipped_total", "counter", "Drop records a worker could not hand over (ring full).", "",
             stats["drop_log_skipped"].get<uint64_t>());
    m.sample("podgate_drop_capture_skipped_total", "counter", "Dropped packets not captured (ring or pool full).", "",
             stats["capture_skipped"].get<uint64_t>());
    m.sample("podgate_conntrack_entries", "gauge", "Open connection-tracking entries.", "",
             ct["occupancy"].get<uint64_t>());
    m.sample("podgate_conntrack_capacity", "gauge", "Connection-tracking capacity over all workers.", "",
             ct["capacity"].get<uint64_t>());
    for (const auto& [state, n] : ct["states"].items()) {
        m.sample("podgate_conntrack_entries_by_state", "gauge", "Open entries by state.", label("state", state),
                 n.get<uint64_t>());
    }
    for (const auto& [event, n] : ct["events"].items()) {
        m.sample("podgate_conntrack_events_total", "counter", "Connection-tracking events.", label("event", event),
                 n.get<uint64_t>());
    }
    m.sample("podgate_reloads_total", "counter", "Policy reloads by result.", label("result", "ok"),
             policy["reloads_ok"].get<uint64_t>());
    m.sample("podgate_reloads_total", "counter", "Policy reloads by result.", label("result", "failed"),
             policy["reloads_failed"].get<uint64_t>());
    m.sample("podgate_reload_last_trigger_to_live_seconds", "gauge",
             "Last successful reload: trigger until every worker ran the new generation.", "",
             policy["last_trigger_to_live_ms"].get<double>() / 1000.0);
    m.sample("podgate_reload_last_compile_seconds", "gauge", "Last load+compile: compile time.", "",
             policy["last_compile_ms"].get<double>() / 1000.0);
    m.sample("podgate_reload_last_failed", "gauge", "1 when the last reload was rejected.", "",
             policy["last_result"] == "failed" ? 1 : 0);
    for (const auto& e : policy["last_errors"]) {
        m.sample("podgate_reload_last_error_info", "gauge", "Errors of the last rejected reload (file:line: object: field: message).",
                 label("error", e.get<std::string>()), 1);
    }
    m.sample("podgate_policy_generation", "gauge", "Live policy generation.", "", policy["generation"].get<uint64_t>());
    if (policy.contains("tables")) {
        const auto& t = policy["tables"];
        m.sample("podgate_table_bytes", "gauge", "Bytes of the live compiled tables.", "", t["bytes"].get<uint64_t>());
        m.sample("podgate_table_identities", "gauge", "Peer identities in the live tables.", "",
                 t["identities"].get<uint64_t>());
        m.sample("podgate_table_pods", "gauge", "Endpoint pods in the live tables.", "", t["pods"].get<uint64_t>());
        m.sample("podgate_table_policies", "gauge", "NetworkPolicies in the live tables.", "",
                 t["policies"].get<uint64_t>());
    }
    m.sample("podgate_uptime_seconds", "gauge", "Seconds since the workers started.", "", a.uptime_s());
    return m.out.str();
}

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

std::string metrics_server::start(const std::string& listen, const appliance& a) {
    _app = &a;
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos) {
        return "metrics-listen: expected ADDR:PORT, got \"" + listen + "\"";
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
        return "metrics-listen: \"" + host + "\" is not an IP address";
    }
    _fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    setsockopt(_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (_fd < 0 || bind(_fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || ::listen(_fd, 16) != 0) {
        return "metrics-listen " + listen + ": " + std::strerror(errno);
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
