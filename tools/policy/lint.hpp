#pragma once
// Warnings for manifests that are valid but probably not what was meant:
// policies that select no pod, peers that match no pod, named ports that
// resolve on no pod. Offline only (podgate-policy check).

#include "config/manifest_loader.hpp"

#include <vector>

namespace podgate::tools {

std::vector<config::diagnostic> lint(const config::cluster& c);

} // namespace podgate::tools
