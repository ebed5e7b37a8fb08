#pragma once
// Text -> doc_tree. Both readers append one document per YAML document or
// top-level JSON value and never throw: a syntax error (or input nested deeper
// than max_nesting_depth) comes back as a syntax_error, the documents read
// before it stay in the tree.

#include "config/doc_tree.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace podgate::config::detail {

struct syntax_error {
    uint32_t line = 0; // 1-based; 0 when unknown
    std::string message;
};

// A stream of JSON values, as kubectl's decoder accepts it ({..}{..} or one per
// line). RFC 8259 strings, numbers and literals; numbers stay text, marked
// unquoted; \u escapes including surrogate pairs (which yaml-cpp rejects).
std::optional<syntax_error> read_json(std::string_view text, doc_tree& tree);

// Multi-document YAML through yaml-cpp's event parser.
std::optional<syntax_error> read_yaml(std::string_view text, doc_tree& tree);

// kubectl's rule: a stream whose first non-space byte is '{' is JSON.
bool looks_like_json(std::string_view text);

} // namespace podgate::config::detail
