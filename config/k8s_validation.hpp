#pragma once
// The API server's syntax checks (k8s.io/apimachinery/pkg/util/validation)
// for the strings podgate reads. Each returns why `text` is invalid, or
// nullopt when it is valid.

#include "config/cluster.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace podgate::config::detail {

// IsValidPortNum: 1..65535.
std::optional<std::string> check_port_number(int64_t port);
// IsValidPortName (IANA_SVC_NAME): 1-15 of [-a-z0-9], a letter, no "--",
// no leading or trailing '-'.
std::optional<std::string> check_port_name(std::string_view name);
// IsQualifiedName: [prefix/]name, a label key.
std::optional<std::string> check_label_key(std::string_view key);
// IsValidLabelValue.
std::optional<std::string> check_label_value(std::string_view value);
// IsDNS1123Subdomain (Pod and NetworkPolicy names).
std::optional<std::string> check_dns_subdomain(std::string_view name);
// IsDNS1123Label (Namespace names, metadata.namespace).
std::optional<std::string> check_dns_label(std::string_view name);

// "TCP", "UDP", "SCTP", exactly.
std::optional<protocol> parse_protocol(std::string_view text);

} // namespace podgate::config::detail
