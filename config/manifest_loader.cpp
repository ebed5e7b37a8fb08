// STUB: being written (loader helper).
#include "config/manifest_loader.hpp"
namespace podgate::config {
std::string diagnostic::to_string() const { return file + ":" + std::to_string(line) + ": " + object + ": " + field + ": " + message; }
load_result load_manifests(const std::vector<std::string>&) { return {}; }
load_result load_manifest_text(std::string_view, std::string_view) { return {}; }
}
