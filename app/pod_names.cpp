#include "app/pod_names.hpp"

namespace podgate::app {

void pod_names::index(const std::shared_ptr<const config::cluster>& c) {
    if (c == nullptr || c == _of.lock()) {
        return;
    }
    _of = c;
    _names.clear();
    for (const auto& p : c->pods) {
        if (p.is_endpoint()) {
            for (const auto& a : p.ips) {
                _names.emplace(a, p.qualified_name());
            }
        }
    }
}

std::string pod_names::at(const ip_address& a) const {
    const auto it = _names.find(a);
    return it == _names.end() ? std::string("external") : it->second;
}

} // namespace podgate::app
