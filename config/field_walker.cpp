#include "config/field_walker.hpp"

#include <charconv>
#include <cstdio>
#include <vector>

namespace podgate::config::detail {

std::string field_path::str() const {
    std::vector<const field_path*> chain;
    for (const field_path* p = this; p != nullptr && !p->is_root(); p = p->_parent) {
        chain.push_back(p);
    }
    std::string out;
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
        const field_path* p = *it;
        if (p->_index != npos) {
            out += '[';
            out += std::to_string(p->_index);
            out += ']';
        } else {
            if (!out.empty()) {
                out += '.';
            }
            out += p->_name;
        }
    }
    return out;
}

void walker::error(const field_path& p, uint32_t line, std::string message) {
    ++_errors;
    if (_ctx.budget_exhausted) {
        return; // everything after the cut is a consequence of it
    }
    _ctx.out.errors.push_back(
        {std::string(_ctx.file), static_cast<int>(line), _object, p.str(), std::move(message)});
}

void walker::warning(const field_path& p, uint32_t line, std::string message) {
    if (_ctx.budget_exhausted) {
        return;
    }
    _ctx.out.warnings.push_back(
        {std::string(_ctx.file), static_cast<int>(line), _object, p.str(), std::move(message)});
}

node_id walker::peek(node_id map, std::string_view key) const {
    if (is_null(map) || _ctx.tree.at(map).kind != node_kind::map) {
        return no_node;
    }
    const auto kids = _ctx.tree.children(map);
    for (size_t i = 0; i + 1 < kids.size(); i += 2) {
        const doc_node& k = _ctx.tree.at(kids[i]);
        if (k.kind == node_kind::scalar && _ctx.tree.text(kids[i]) == key) {
            return kids[i + 1];
        }
    }
    return no_node;
}

bool walker::spend(size_t visits, const field_path& p, uint32_t at_line) {
    if (_ctx.budget_exhausted) {
        return false;
    }
    if (visits + 1 > _ctx.budget) {
        error(p, at_line,
              "aliases expand to more data than the file holds; giving up on this file");
        _ctx.budget_exhausted = true;
        return false;
    }
    _ctx.budget -= visits + 1;
    return true;
}

bool walker::expect(node_id n, node_kind kind, const field_path& p) {
    if (is_null(n)) {
        return false;
    }
    if (_ctx.tree.at(n).kind == kind) {
        return true;
    }
    error(p, line(n),
          std::string("expected ") + (kind == node_kind::map ? "a map" : "a list") + ", got " +
              describe(n));
    return false;
}

bool walker::duplicate_key(node_id map, size_t pair,
                           std::unordered_set<std::string_view>& seen) const {
    const auto kids = _ctx.tree.children(map);
    const std::string_view name = _ctx.tree.text(kids[2 * pair]);
    constexpr size_t small_map = 8; // below this, comparing beats hashing
    if (kids.size() / 2 <= small_map) {
        for (size_t j = 0; j < pair; ++j) {
            const node_id other = kids[2 * j];
            if (_ctx.tree.at(other).kind == node_kind::scalar && _ctx.tree.text(other) == name) {
                return true;
            }
        }
        return false;
    }
    return !seen.insert(name).second;
}

std::optional<std::string_view> walker::string(node_id n, const field_path& p) {
    if (is_null(n)) {
        return std::nullopt;
    }
    if (_ctx.tree.at(n).kind != node_kind::scalar) {
        error(p, line(n), "expected a string, got " + describe(n));
        return std::nullopt;
    }
    return _ctx.tree.text(n);
}

std::optional<int64_t> walker::integer(node_id n, const field_path& p) {
    if (is_null(n)) {
        return std::nullopt;
    }
    const doc_node& node = _ctx.tree.at(n);
    if (node.kind == node_kind::scalar && !node.quoted) {
        std::string_view text = _ctx.tree.text(n);
        if (!text.empty() && text[0] == '+') {
            text.remove_prefix(1); // YAML allows it; a following '-' still fails below
        }
        int64_t v = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec == std::errc{} && end == text.data() + text.size() && !text.empty()) {
            return v;
        }
        if (ec == std::errc::result_out_of_range && end == text.data() + text.size()) {
            error(p, node.line, "invalid value " + describe(n) + ": number out of range");
            return std::nullopt;
        }
    }
    error(p, node.line, "expected an integer, got " + describe(n));
    return std::nullopt;
}

std::optional<bool> walker::boolean(node_id n, const field_path& p) {
    if (is_null(n)) {
        return std::nullopt;
    }
    const doc_node& node = _ctx.tree.at(n);
    if (node.kind == node_kind::scalar && !node.quoted) {
        const std::string_view t = _ctx.tree.text(n);
        if (t == "true" || t == "True" || t == "TRUE") {
            return true;
        }
        if (t == "false" || t == "False" || t == "FALSE") {
            return false;
        }
    }
    error(p, node.line, "expected a boolean, got " + describe(n));
    return std::nullopt;
}

std::string walker::describe(node_id n) const {
    if (is_null(n)) {
        return "null";
    }
    const doc_node& node = _ctx.tree.at(n);
    switch (node.kind) {
    case node_kind::map:
        return "a map";
    case node_kind::list:
        return "a list";
    default:
        break;
    }
    constexpr size_t max_shown = 64;
    std::string_view t = _ctx.tree.text(n);
    std::string out;
    if (node.quoted) {
        out += '"';
    }
    for (char c : t.substr(0, max_shown)) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", u);
            out += buf;
        } else {
            out += c;
        }
    }
    if (t.size() > max_shown) {
        out += "...";
    }
    if (node.quoted) {
        out += '"';
    }
    return out;
}

} // namespace podgate::config::detail
