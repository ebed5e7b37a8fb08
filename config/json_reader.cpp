// JSON by hand rather than through yaml-cpp: yaml-cpp rejects valid JSON with
// surrogate-pair escapes ("\ud83d\ude00", which `jq -a` and Python print), and
// reads pretty-printed JSON at ~12 MB/s; `kubectl get pods -A -o json` of a
// 100k-pod cluster is ~700 MB; nlohmann-json keeps no line numbers for
// errors that must name file:line. This reader is iterative (no recursion), keeps
// line numbers, and copies a string only when it has escapes to decode.

#include "config/readers.hpp"

#include <cstdio>

namespace podgate::config::detail {

namespace {

struct json_failure {
    uint32_t line;
    std::string message;
};

class json_reader {
  public:
    json_reader(std::string_view in, doc_tree& tree) : _in(in), _tree(tree) {}

    void run() {
        skip_bom();
        for (;;) {
            skip_space();
            if (_pos == _in.size()) {
                return;
            }
            read_document();
        }
    }

  private:
    enum class frame : uint8_t { object, array };

    [[noreturn]] void fail(const std::string& message) const { throw json_failure{_line, message}; }

    std::string describe_here() const {
        if (_pos >= _in.size()) {
            return "end of input";
        }
        const unsigned char c = static_cast<unsigned char>(_in[_pos]);
        if (c >= 0x21 && c < 0x7f) {
            return std::string("'") + static_cast<char>(c) + "'";
        }
        char buf[8];
        std::snprintf(buf, sizeof buf, "0x%02x", c);
        return std::string("byte ") + buf;
    }

    void skip_bom() {
        if (_in.substr(0, 3) == "\xEF\xBB\xBF") {
            _pos = 3;
        }
    }

    void skip_space() {
        while (_pos < _in.size()) {
            const char c = _in[_pos];
            if (c == '\n') {
                ++_line;
            } else if (c != ' ' && c != '\t' && c != '\r') {
                return;
            }
            ++_pos;
        }
    }

    void expect(char c, const char* what) {
        skip_space();
        if (_pos >= _in.size() || _in[_pos] != c) {
            fail(std::string("expected ") + what + ", found " + describe_here());
        }
        ++_pos;
    }

    // One top-level value and everything inside it, with an explicit stack.
    void read_document() {
        _tree.begin_document();
        _stack.clear();
        bool need_value = true;
        for (;;) {
            if (need_value) {
                read_value();
            }
            // After a value: close containers or move to the next element.
            if (_stack.empty()) {
                break;
            }
            skip_space();
            const char c = _pos < _in.size() ? _in[_pos] : '\0';
            const char close = _stack.back() == frame::object ? '}' : ']';
            if (c == close) {
                ++_pos;
                _stack.pop_back();
                _tree.close();
                need_value = false;
            } else if (c == ',') {
                ++_pos;
                if (_stack.back() == frame::object) {
                    read_key();
                }
                need_value = true;
            } else {
                fail(std::string("expected ',' or '") + close + "', found " + describe_here());
            }
        }
        _tree.end_document();
    }

    // Reads a value; an opened container's first key (or emptiness) is
    // handled here so the caller's loop only sees "after a value".
    void read_value() {
        for (;;) {
            skip_space();
            if (_pos >= _in.size()) {
                fail("unexpected end of input, expected a value");
            }
            const char c = _in[_pos];
            if (c == '{' || c == '[') {
                const bool object = c == '{';
                _tree.open(object ? node_kind::map : node_kind::list, _line);
                _stack.push_back(object ? frame::object : frame::array);
                ++_pos;
                skip_space();
                if (_pos < _in.size() && _in[_pos] == (object ? '}' : ']')) {
                    ++_pos;
                    _stack.pop_back();
                    _tree.close();
                    return;
                }
                if (object) {
                    read_key();
                    continue; // the first member's value
                }
                continue; // the first array element
            }
            if (c == '"') {
                const uint32_t line = _line;
                _tree.add_scalar(read_string(), true, line);
            } else if (c == '-' || (c >= '0' && c <= '9')) {
                _tree.add_scalar(read_number(), false, _line);
            } else if (match_literal("true") || match_literal("false")) {
                _tree.add_scalar(_in.substr(_pos - (c == 't' ? 4 : 5), c == 't' ? 4 : 5), false,
                                 _line);
            } else if (match_literal("null")) {
                _tree.add_null(_line);
            } else {
                fail("expected a value, found " + describe_here());
            }
            return;
        }
    }

    void read_key() {
        skip_space();
        if (_pos >= _in.size() || _in[_pos] != '"') {
            fail("expected a string key, found " + describe_here());
        }
        const uint32_t line = _line;
        _tree.add_scalar(read_string(), true, line);
        expect(':', "':' after an object key");
    }

    bool match_literal(std::string_view word) {
        if (_in.substr(_pos, word.size()) != word) {
            return false;
        }
        const size_t end = _pos + word.size();
        if (end < _in.size()) {
            const char c = _in[end];
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
                return false;
            }
        }
        _pos = end;
        return true;
    }

    std::string_view read_number() {
        const size_t start = _pos;
        const auto digits = [&] {
            const size_t from = _pos;
            while (_pos < _in.size() && _in[_pos] >= '0' && _in[_pos] <= '9') {
                ++_pos;
            }
            return _pos - from;
        };
        if (_in[_pos] == '-') {
            ++_pos;
        }
        const size_t int_start = _pos;
        const size_t int_digits = digits();
        if (int_digits == 0 || (int_digits > 1 && _in[int_start] == '0')) {
            fail("invalid number");
        }
        if (_pos < _in.size() && _in[_pos] == '.') {
            ++_pos;
            if (digits() == 0) {
                fail("invalid number");
            }
        }
        if (_pos < _in.size() && (_in[_pos] == 'e' || _in[_pos] == 'E')) {
            ++_pos;
            if (_pos < _in.size() && (_in[_pos] == '+' || _in[_pos] == '-')) {
                ++_pos;
            }
            if (digits() == 0) {
                fail("invalid number");
            }
        }
        return _in.substr(start, _pos - start);
    }

    unsigned read_hex4() {
        if (_pos + 4 > _in.size()) {
            fail("truncated \\u escape");
        }
        unsigned v = 0;
        for (int i = 0; i < 4; ++i) {
            const char c = _in[_pos++];
            v <<= 4;
            if (c >= '0' && c <= '9') {
                v |= static_cast<unsigned>(c - '0');
            } else if (c >= 'a' && c <= 'f') {
                v |= static_cast<unsigned>(c - 'a' + 10);
            } else if (c >= 'A' && c <= 'F') {
                v |= static_cast<unsigned>(c - 'A' + 10);
            } else {
                fail("invalid \\u escape");
            }
        }
        return v;
    }

    void put_utf8(unsigned cp) {
        if (cp < 0x80) {
            _buf.push_back(static_cast<char>(cp));
        } else if (cp < 0x800) {
            _buf.push_back(static_cast<char>(0xC0 | (cp >> 6)));
            _buf.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else if (cp < 0x10000) {
            _buf.push_back(static_cast<char>(0xE0 | (cp >> 12)));
            _buf.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
            _buf.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else {
            _buf.push_back(static_cast<char>(0xF0 | (cp >> 18)));
            _buf.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
            _buf.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
            _buf.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        }
    }

    // Go's decoder turns a lone surrogate into U+FFFD; so do we.
    void read_unicode_escape() {
        unsigned cp = read_hex4();
        if (cp >= 0xD800 && cp <= 0xDBFF && _in.substr(_pos, 2) == "\\u") {
            const size_t save = _pos;
            _pos += 2;
            const unsigned low = read_hex4();
            if (low >= 0xDC00 && low <= 0xDFFF) {
                put_utf8(0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00));
                return;
            }
            _pos = save; // not a pair: the second escape stands alone
        }
        put_utf8(cp >= 0xD800 && cp <= 0xDFFF ? 0xFFFD : cp);
    }

    // At the opening quote. Returns a view of the input when there is nothing
    // to unescape, else of _buf (valid until the next call).
    std::string_view read_string() {
        ++_pos;
        const size_t start = _pos;
        while (_pos < _in.size()) {
            const unsigned char c = static_cast<unsigned char>(_in[_pos]);
            if (c == '"') {
                ++_pos;
                return _in.substr(start, _pos - 1 - start);
            }
            if (c == '\\') {
                break;
            }
            if (c < 0x20) {
                fail("control character in string");
            }
            ++_pos;
        }
        _buf.assign(_in.substr(start, _pos - start));
        while (_pos < _in.size()) {
            const unsigned char c = static_cast<unsigned char>(_in[_pos++]);
            if (c == '"') {
                return _buf;
            }
            if (c < 0x20) {
                --_pos;
                fail("control character in string");
            }
            if (c != '\\') {
                _buf.push_back(static_cast<char>(c));
                continue;
            }
            if (_pos >= _in.size()) {
                break;
            }
            const char e = _in[_pos++];
            switch (e) {
            case '"':
                _buf.push_back('"');
                break;
            case '\\':
                _buf.push_back('\\');
                break;
            case '/':
                _buf.push_back('/');
                break;
            case 'b':
                _buf.push_back('\b');
                break;
            case 'f':
                _buf.push_back('\f');
                break;
            case 'n':
                _buf.push_back('\n');
                break;
            case 'r':
                _buf.push_back('\r');
                break;
            case 't':
                _buf.push_back('\t');
                break;
            case 'u':
                read_unicode_escape();
                break;
            default:
                fail(std::string("invalid escape '\\") + e + "' in string");
            }
        }
        fail("unterminated string");
    }

    std::string_view _in;
    doc_tree& _tree;
    size_t _pos = 0;
    uint32_t _line = 1;
    std::string _buf;
    std::vector<frame> _stack;
};

} // namespace

bool looks_like_json(std::string_view text) {
    if (text.substr(0, 3) == "\xEF\xBB\xBF") {
        text.remove_prefix(3);
    }
    const size_t first = text.find_first_not_of(" \t\r\n");
    return first != std::string_view::npos && text[first] == '{';
}

std::optional<syntax_error> read_json(std::string_view text, doc_tree& tree) {
    tree.reserve(text.size());
    try {
        json_reader(text, tree).run();
    } catch (const json_failure& f) {
        tree.end_document();
        return syntax_error{f.line, "JSON syntax error: " + f.message};
    } catch (const tree_error& e) {
        tree.end_document();
        return syntax_error{e.line, e.what()};
    }
    return std::nullopt;
}

} // namespace podgate::config::detail
