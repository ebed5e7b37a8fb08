#pragma once
// The one-line flow format shared by `podgate-policy verdict`, the traffic
// tools and the control interface:  PROTO SRC_IP SRC_PORT DST_IP DST_PORT
// PROTO is tcp, udp, sctp, icmp, icmpv6 or a number 0..255; ports 0..65535.

#include "classifier/tables/flow.hpp"
#include "config/result.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace podgate::classifier {

// Parses one flow. On failure the error says what is wrong (without line
// number: the caller knows it).
result<flow> parse_flow(std::string_view text);

// True for lines to skip: blank, or a comment starting with '#'.
bool is_blank_or_comment(std::string_view line);

std::string to_string(const flow& f);
std::string protocol_name(uint8_t proto);

} // namespace podgate::classifier
