#pragma once
// A parsed YAML/JSON stream as one compact tree: every node is 16 bytes in a
// flat array, scalars live in one text arena, children in one index array.
// yaml-cpp's own YAML::Node costs ~20x the input size in small allocations;
// a `kubectl get -A -o json` of 100k pods would not fit. Both readers (YAML
// through yaml-cpp events, JSON by hand) build this tree; the decoders walk it.

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace podgate::config::detail {

using node_id = uint32_t;

enum class node_kind : uint8_t { null, scalar, map, list };

struct doc_node {
    node_kind kind = node_kind::null;
    bool quoted = false; // scalar written in quotes (or tagged !!str): always a string
    bool open = false;   // container still being read: an alias to it would be a cycle
    uint32_t line = 0;   // 1-based
    uint32_t size = 0;   // scalar: bytes of text; map: 2 * pairs; list: items
    uint32_t first = 0;  // scalar: offset in the text arena; map/list: offset in children
};

// Thrown by the builder; the readers turn it into a diagnostic at `line`.
struct tree_error : std::runtime_error {
    tree_error(uint32_t line_, const std::string& what) : std::runtime_error(what), line(line_) {}
    uint32_t line;
};

// Deeper structure than any Kubernetes object has; the limit keeps yaml-cpp's
// recursive-descent parser far from the end of the stack (its own guard only
// fires at ~500 levels and says "bad file").
inline constexpr size_t max_nesting_depth = 256;

class doc_tree {
  public:
    // Read side.
    const doc_node& at(node_id id) const { return _nodes[id]; }
    std::string_view text(node_id id) const {
        const doc_node& n = _nodes[id];
        return {_text.data() + n.first, n.size};
    }
    // Map: key, value, key, value...; list: the items.
    std::span<const node_id> children(node_id id) const {
        const doc_node& n = _nodes[id];
        return {_children.data() + n.first, n.size};
    }
    // One root per document, in stream order.
    const std::vector<node_id>& documents() const { return _documents; }
    size_t node_count() const { return _nodes.size(); }

    // Build side, driven by a reader in document order. Throws tree_error.
    void begin_document();
    void end_document();
    node_id add_scalar(std::string_view text, bool quoted, uint32_t line);
    node_id add_null(uint32_t line);
    node_id open(node_kind kind, uint32_t line); // map or list
    void close();
    void add_alias(node_id target, uint32_t line);
    size_t depth() const { return _open.size(); }
    void reserve(size_t input_bytes);
    void clear();

  private:
    node_id append(doc_node n);
    void attach(node_id id);

    std::vector<doc_node> _nodes;
    std::vector<node_id> _children;
    std::string _text;
    std::vector<node_id> _documents;
    // Children of the containers still open, and where each one's begin.
    std::vector<node_id> _pending;
    struct open_frame {
        node_id id;
        size_t pending_start;
    };
    std::vector<open_frame> _open;
    node_id _root = 0;
    bool _root_seen = false;
};

} // namespace podgate::config::detail
