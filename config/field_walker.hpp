#pragma once
// Typed, diagnosing access to a doc_tree while decoding one Kubernetes
// object. Every accessor reports a wrong node type as an error naming the
// field and its line, and treats null as absent (as Go's JSON decoding does:
// `podSelector: null` is no podSelector). Errors are collected, never thrown.

#include "config/doc_tree.hpp"
#include "config/manifest_loader.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

namespace podgate::config::detail {

inline constexpr node_id no_node = ~node_id{0};

// A field path as a chain through the callers' stack frames: free to build,
// rendered ("spec.ingress[0].from[1]") only when a diagnostic needs it.
// Names must outlive the path (literals or tree text).
class field_path {
  public:
    field_path() = default;
    // A child of the root does not point at it, so `field_path().child("spec")`
    // may outlive its temporary root; deeper levels need their parent alive.
    field_path child(std::string_view name) const {
        return {is_root() ? nullptr : this, name, npos};
    }
    field_path index(size_t i) const { return {is_root() ? nullptr : this, {}, i}; }
    std::string str() const;

  private:
    static constexpr size_t npos = ~size_t{0};
    bool is_root() const { return _parent == nullptr && _name.empty() && _index == npos; }
    field_path(const field_path* parent, std::string_view name, size_t i)
        : _parent(parent), _name(name), _index(i) {}

    const field_path* _parent = nullptr;
    std::string_view _name;
    size_t _index = npos;
};

// What one file's decoders share: the tree, where diagnostics go, and the
// visit budget that stops alias bombs (`a: &a [*b, *b, ...]` nested ten deep
// expands to 10^10 nodes without taking more input).
struct file_context {
    file_context(const doc_tree& t, std::string_view f, load_result& o)
        : tree(t), file(f), out(o), budget(4 * static_cast<uint64_t>(t.node_count()) + 4096) {}

    const doc_tree& tree;
    std::string_view file;
    load_result& out;
    uint64_t budget;
    bool budget_exhausted = false;
};

class walker {
  public:
    walker(file_context& ctx, std::string object) : _ctx(ctx), _object(std::move(object)) {}

    const doc_tree& tree() const { return _ctx.tree; }
    file_context& context() { return _ctx; }
    void set_object(std::string object) { _object = std::move(object); }
    const std::string& object() const { return _object; }
    size_t error_count() const { return _errors; }
    uint32_t line(node_id n) const { return n == no_node ? 0 : _ctx.tree.at(n).line; }

    void error(const field_path& p, uint32_t line, std::string message);
    void warning(const field_path& p, uint32_t line, std::string message);

    bool is_null(node_id n) const {
        return n == no_node || _ctx.tree.at(n).kind == node_kind::null;
    }
    // True when `n` is a `kind` node; a null is absent (false, no error).
    bool expect(node_id n, node_kind kind, const field_path& p);

    // f(key, value, key_line) for each pair. Reports non-string, duplicate
    // and merge (<<) keys (skipping them) and a node that is not a map.
    template <class F> void for_each_field(node_id map, const field_path& p, F&& f);
    // f(index, item) for each item of a list.
    template <class F> void for_each_item(node_id list, const field_path& p, F&& f);

    // Any scalar as text; nullopt for null (silently) or a map/list (error).
    std::optional<std::string_view> string(node_id n, const field_path& p);
    // The value of `key` in `map` without reporting anything (no_node when
    // absent or `map` is no map): to name an object before walking it.
    node_id peek(node_id map, std::string_view key) const;
    // A plain (unquoted) decimal integer, range checked only against int64.
    std::optional<int64_t> integer(node_id n, const field_path& p);
    std::optional<bool> boolean(node_id n, const field_path& p);

    // "a map", "a list", "null", or the scalar quoted (shortened).
    std::string describe(node_id n) const;

  private:
    bool spend(size_t visits, const field_path& p, uint32_t line);
    bool duplicate_key(node_id map, size_t pair, std::unordered_set<std::string_view>& seen) const;

    file_context& _ctx;
    std::string _object;
    size_t _errors = 0;
};

template <class F> void walker::for_each_field(node_id map, const field_path& p, F&& f) {
    if (!expect(map, node_kind::map, p)) {
        return;
    }
    const auto kids = _ctx.tree.children(map);
    if (!spend(kids.size(), p, line(map))) {
        return;
    }
    std::unordered_set<std::string_view> seen; // only filled for big maps
    for (size_t i = 0; i + 1 < kids.size(); i += 2) {
        const node_id key = kids[i];
        const doc_node& k = _ctx.tree.at(key);
        if (k.kind != node_kind::scalar) {
            error(p, k.line, "map key must be a string, got " + describe(key));
            continue;
        }
        const std::string_view name = _ctx.tree.text(key);
        if (name == "<<" && !k.quoted) {
            // kubectl (go-yaml) merges these; silently ignoring one could
            // drop a podSelector and widen a policy.
            error(p, k.line, "YAML merge keys (<<) are not supported");
            continue;
        }
        if (duplicate_key(map, i / 2, seen)) {
            error(p.child(name), k.line, "duplicate key");
            continue;
        }
        f(name, kids[i + 1], k.line);
    }
}

template <class F> void walker::for_each_item(node_id list, const field_path& p, F&& f) {
    if (!expect(list, node_kind::list, p)) {
        return;
    }
    const auto kids = _ctx.tree.children(list);
    if (!spend(kids.size(), p, line(list))) {
        return;
    }
    for (size_t i = 0; i < kids.size(); ++i) {
        f(i, kids[i]);
    }
}

} // namespace podgate::config::detail
