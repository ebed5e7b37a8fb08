#include "config/k8s_validation.hpp"

namespace podgate::config::detail {

namespace {

bool lower_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool alnum(char c) {
    return lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9], the shape of label names and values.
bool qualified_shape(std::string_view s) {
    if (s.empty() || !alnum(s.front()) || !alnum(s.back())) {
        return false;
    }
    for (char c : s) {
        if (!alnum(c) && c != '-' && c != '_' && c != '.') {
            return false;
        }
    }
    return true;
}

// [a-z0-9]([-a-z0-9]*[a-z0-9])?
bool dns_label_shape(std::string_view s) {
    if (s.empty() || !lower_alnum(s.front()) || !lower_alnum(s.back())) {
        return false;
    }
    for (char c : s) {
        if (!lower_alnum(c) && c != '-') {
            return false;
        }
    }
    return true;
}

} // namespace

std::optional<std::string> check_port_number(int64_t port) {
    if (port < 1 || port > 65535) {
        return "must be between 1 and 65535, inclusive";
    }
    return std::nullopt;
}

std::optional<std::string> check_port_name(std::string_view name) {
    std::string why;
    const auto add = [&](const char* msg) {
        if (!why.empty()) {
            why += "; ";
        }
        why += msg;
    };
    if (name.empty()) {
        return "must not be empty";
    }
    if (name.size() > 15) {
        add("must be no more than 15 characters");
    }
    bool charset_ok = true;
    bool has_letter = false;
    for (char c : name) {
        charset_ok = charset_ok && (lower_alnum(c) || c == '-');
        has_letter = has_letter || (c >= 'a' && c <= 'z');
    }
    if (!charset_ok) {
        add("must contain only lowercase alphanumeric characters (a-z, 0-9) and hyphens (-)");
    } else if (!has_letter) {
        add("must contain at least one letter (a-z)");
    }
    if (name.find("--") != std::string_view::npos) {
        add("must not contain consecutive hyphens");
    }
    if (name.front() == '-' || name.back() == '-') {
        add("must not begin or end with a hyphen");
    }
    if (why.empty()) {
        return std::nullopt;
    }
    return why;
}

std::optional<std::string> check_dns_subdomain(std::string_view name) {
    if (name.size() > 253) {
        return "must be no more than 253 characters";
    }
    size_t start = 0;
    for (;;) {
        const size_t dot = name.find('.', start);
        if (!dns_label_shape(
                name.substr(start, dot == std::string_view::npos ? dot : dot - start))) {
            return "must be a lowercase RFC 1123 subdomain: lowercase alphanumeric characters, '-' "
                   "or '.', "
                   "starting and ending with an alphanumeric character";
        }
        if (dot == std::string_view::npos) {
            return std::nullopt;
        }
        start = dot + 1;
    }
}

std::optional<std::string> check_dns_label(std::string_view name) {
    if (name.size() > 63) {
        return "must be no more than 63 characters";
    }
    if (!dns_label_shape(name)) {
        return "must be a lowercase RFC 1123 label: lowercase alphanumeric characters or '-', "
               "starting and ending with an alphanumeric character";
    }
    return std::nullopt;
}

std::optional<std::string> check_label_key(std::string_view key) {
    std::string_view name = key;
    const size_t slash = key.find('/');
    if (slash != std::string_view::npos) {
        const std::string_view prefix = key.substr(0, slash);
        name = key.substr(slash + 1);
        if (name.find('/') != std::string_view::npos) {
            return "must be a name with an optional DNS subdomain prefix and '/' (e.g. "
                   "'example.com/my-name')";
        }
        if (prefix.empty()) {
            return "prefix part must not be empty";
        }
        if (auto why = check_dns_subdomain(prefix)) {
            return "prefix part " + *why;
        }
    }
    if (name.empty()) {
        return "name part must not be empty";
    }
    if (name.size() > 63) {
        return "name part must be no more than 63 characters";
    }
    if (!qualified_shape(name)) {
        return "name part must consist of alphanumeric characters, '-', '_' or '.', "
               "starting and ending with an alphanumeric character";
    }
    return std::nullopt;
}

std::optional<std::string> check_label_value(std::string_view value) {
    if (value.size() > 63) {
        return "must be no more than 63 characters";
    }
    if (!value.empty() && !qualified_shape(value)) {
        return "must be empty or consist of alphanumeric characters, '-', '_' or '.', "
               "starting and ending with an alphanumeric character";
    }
    return std::nullopt;
}

std::optional<protocol> parse_protocol(std::string_view text) {
    if (text == "TCP") {
        return protocol::tcp;
    }
    if (text == "UDP") {
        return protocol::udp;
    }
    if (text == "SCTP") {
        return protocol::sctp;
    }
    return std::nullopt;
}

} // namespace podgate::config::detail
