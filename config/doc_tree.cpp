#include "config/doc_tree.hpp"

#include <limits>

namespace podgate::config::detail {

namespace {

constexpr size_t max_index = std::numeric_limits<uint32_t>::max();

} // namespace

void doc_tree::reserve(size_t input_bytes) {
    // Measured on kubectl JSON output: about one node per 28 input bytes.
    _nodes.reserve(input_bytes / 24 + 16);
    _children.reserve(input_bytes / 24 + 16);
    _text.reserve(input_bytes / 3 + 16);
}

void doc_tree::clear() {
    _nodes.clear();
    _children.clear();
    _text.clear();
    _documents.clear();
    _pending.clear();
    _open.clear();
    _root_seen = false;
}

void doc_tree::begin_document() {
    _pending.clear();
    _open.clear();
    _root_seen = false;
}

void doc_tree::end_document() {
    // A reader that stops early leaves containers open; such a document stays
    // out of the list, so the decoders never see a half-built node.
    if (_root_seen && _open.empty()) {
        _documents.push_back(_root);
    }
    _open.clear();
    _pending.clear();
    _root_seen = false;
}

node_id doc_tree::append(doc_node n) {
    if (_nodes.size() >= max_index) {
        throw tree_error(n.line, "document too large");
    }
    _nodes.push_back(n);
    return static_cast<node_id>(_nodes.size() - 1);
}

void doc_tree::attach(node_id id) {
    if (_open.empty()) {
        if (_root_seen) {
            throw tree_error(_nodes[id].line, "more than one root node in a document");
        }
        _root_seen = true;
        _root = id;
        return;
    }
    _pending.push_back(id);
}

node_id doc_tree::add_scalar(std::string_view text, bool quoted, uint32_t line) {
    if (_text.size() + text.size() >= max_index) {
        throw tree_error(line, "document too large");
    }
    doc_node n{node_kind::scalar,
               quoted,
               false,
               line,
               static_cast<uint32_t>(text.size()),
               static_cast<uint32_t>(_text.size())};
    _text.append(text);
    const node_id id = append(n);
    attach(id);
    return id;
}

node_id doc_tree::add_null(uint32_t line) {
    const node_id id = append(doc_node{node_kind::null, false, false, line, 0, 0});
    attach(id);
    return id;
}

node_id doc_tree::open(node_kind kind, uint32_t line) {
    if (_open.size() >= max_nesting_depth) {
        throw tree_error(line,
                         "nested deeper than " + std::to_string(max_nesting_depth) + " levels");
    }
    const node_id id = append(doc_node{kind, false, true, line, 0, 0});
    attach(id);
    _open.push_back({id, _pending.size()});
    return id;
}

void doc_tree::close() {
    const open_frame frame = _open.back();
    _open.pop_back();
    const size_t count = _pending.size() - frame.pending_start;
    if (_children.size() + count >= max_index) {
        throw tree_error(_nodes[frame.id].line, "document too large");
    }
    doc_node& n = _nodes[frame.id];
    n.open = false;
    n.first = static_cast<uint32_t>(_children.size());
    n.size = static_cast<uint32_t>(count);
    _children.insert(_children.end(),
                     _pending.begin() + static_cast<std::ptrdiff_t>(frame.pending_start),
                     _pending.end());
    _pending.resize(frame.pending_start);
    if (n.kind == node_kind::map && count % 2 != 0) {
        throw tree_error(n.line, "map key without a value");
    }
}

void doc_tree::add_alias(node_id target, uint32_t line) {
    if (target >= _nodes.size() || _nodes[target].open) {
        // `&a [*a]`: following it would never end.
        throw tree_error(line, "alias refers to a node that contains it");
    }
    attach(target);
}

} // namespace podgate::config::detail
