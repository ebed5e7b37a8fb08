#include "tests/support/synth/emitter.hpp"

#include <cctype>
#include <charconv>
#include <cstdio>

namespace podgate::synth {

namespace {

bool is_reserved_word(std::string_view v) {
    static constexpr std::string_view words[] = {"y",     "n",  "yes", "no",   "true",
                                                 "false", "on", "off", "null", "~"};
    for (std::string_view w : words) {
        if (v.size() == w.size()) {
            bool same = true;
            for (size_t i = 0; i < v.size(); ++i) {
                same = same && std::tolower(static_cast<unsigned char>(v[i])) == w[i];
            }
            if (same) {
                return true;
            }
        }
    }
    return false;
}

// Would a YAML 1.1 or 1.2 reader take `v` for a number?
bool looks_numeric(std::string_view v) {
    double d = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
    if (ec == std::errc{} && end == v.data() + v.size()) {
        return true;
    }
    bool digits_colons_underscores = true;
    for (char c : v) {
        digits_colons_underscores =
            digits_colons_underscores &&
            (std::isdigit(static_cast<unsigned char>(c)) || c == ':' || c == '_');
    }
    if (digits_colons_underscores) {
        return true; // 1_000, sexagesimal 1:20
    }
    if (v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'o' || v[1] == 'b')) {
        return true;
    }
    return false;
}

void append_escaped(std::string& out, std::string_view v) {
    out.push_back('"');
    for (char c : v) {
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(c);
        } else if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
            out.append(buf);
        } else {
            out.push_back(c);
        }
    }
    out.push_back('"');
}

} // namespace

bool yaml_plain_safe(std::string_view v) {
    if (v.empty() || v.front() == '-' || v.front() == ':' || v.front() == '.' || v.back() == ':') {
        return false;
    }
    for (char c : v) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '/' &&
            c != ':' && c != '-') {
            return false;
        }
    }
    return !is_reserved_word(v) && !looks_numeric(v);
}

// ---- YAML ----

void yaml_emitter::key(std::string_view k) {
    frame& f = _frames.back();
    if (f.inline_first) {
        f.inline_first = false;
    } else {
        pad(f.indent);
    }
    if (yaml_plain_safe(k)) {
        _out.append(k);
    } else {
        append_escaped(_out, k);
    }
    _out.push_back(':');
    _after_key = true;
}

void yaml_emitter::scalar_text(std::string_view text) {
    if (_after_key) {
        _out.push_back(' ');
        _after_key = false;
    } else if (!_frames.empty()) {
        pad(_frames.back().indent);
        _out.append("- ");
    }
    _out.append(text);
    _out.push_back('\n');
}

void yaml_emitter::string(std::string_view v) {
    if (yaml_plain_safe(v)) {
        scalar_text(v);
        return;
    }
    std::string quoted;
    append_escaped(quoted, v);
    scalar_text(quoted);
}

void yaml_emitter::number(int64_t v) {
    scalar_text(std::to_string(v));
}

void yaml_emitter::boolean(bool v) {
    scalar_text(v ? "true" : "false");
}

void yaml_emitter::begin_map() {
    if (_frames.empty()) {
        _frames.push_back({false, 0, false});
    } else if (_after_key) {
        _out.push_back('\n');
        _after_key = false;
        _frames.push_back({false, _frames.back().indent + 2, false});
    } else {
        const int dash = _frames.back().indent;
        pad(dash);
        _out.append("- ");
        _frames.push_back({false, dash + 2, true});
    }
}

void yaml_emitter::begin_list() {
    if (_frames.empty()) {
        _frames.push_back({true, 0, false});
    } else if (_after_key) {
        // kubectl style: the dashes line up with the key that owns the list.
        _out.push_back('\n');
        _after_key = false;
        _frames.push_back({true, _frames.back().indent, false});
    } else {
        const int dash = _frames.back().indent;
        pad(dash);
        _out.append("-\n");
        _frames.push_back({true, dash + 2, false});
    }
}

// ---- JSON ----

void json_emitter::newline_indent() {
    _out.push_back('\n');
    _out.append(_has_items.size() * 4, ' ');
}

void json_emitter::before_value() {
    if (_after_key) {
        _after_key = false;
        return;
    }
    if (_has_items.empty()) {
        return;
    }
    if (_has_items.back()) {
        _out.push_back(',');
    }
    _has_items.back() = true;
    newline_indent();
}

void json_emitter::key(std::string_view k) {
    before_value();
    append_escaped(_out, k);
    _out.append(": ");
    _after_key = true;
}

void json_emitter::scalar_text(std::string_view text) {
    before_value();
    _out.append(text);
}

void json_emitter::string(std::string_view v) {
    before_value();
    append_escaped(_out, v);
}

void json_emitter::number(int64_t v) {
    scalar_text(std::to_string(v));
}

void json_emitter::open(char c) {
    before_value();
    _out.push_back(c);
    _has_items.push_back(false);
}

void json_emitter::close(char c) {
    const bool had_items = _has_items.back();
    _has_items.pop_back();
    if (had_items) {
        newline_indent();
    }
    _out.push_back(c);
    if (_has_items.empty()) {
        _out.push_back('\n');
    }
}

} // namespace podgate::synth
