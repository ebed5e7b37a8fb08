#pragma once
// "namespace/name" of the endpoint pod at an address, for what the control
// side prints (the drop log, /podgate/verdict): an index over one cluster
// snapshot, rebuilt only when the snapshot changes. Not thread-safe.

#include "config/cluster.hpp"

#include <map>
#include <memory>
#include <string>

namespace podgate::app {

class pod_names {
  public:
    // Indexes `c` unless it is the snapshot already indexed (null: keep the
    // current index).
    void index(const std::shared_ptr<const config::cluster>& c);
    // The pod at `a`, or "external". A duplicated address names its first
    // pod, as the reference evaluator resolves it.
    std::string at(const ip_address& a) const;

  private:
    std::weak_ptr<const config::cluster> _of; // weak: an old snapshot is not kept for this
    std::map<ip_address, std::string> _names;
};

} // namespace podgate::app
