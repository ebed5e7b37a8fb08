// YAML through yaml-cpp's event parser (YAML::Parser + EventHandler) into a
// doc_tree: no YAML::Node graph, no copy of the input.
//
// Nesting: yaml-cpp parses by recursive descent and announces each collection
// (OnMapStart/OnSequenceStart) before descending into it, so doc_tree::open
// refusing depth > max_nesting_depth stops the recursion at that depth, on any
// input, with a clear message. That is exact where a textual pre-scan would
// have to guess YAML's indentation rules. yaml-cpp 0.7's own DepthGuard (it
// fires deeper and says "bad file") is translated too, as a second line.
//
// yaml-cpp 0.7 never consumes a ',' at the start of a block document
// (jbeder/yaml-cpp#1040): HandleNextDocument reports the same empty document
// forever. A document that starts where the previous one started is that bug.

#include "config/readers.hpp"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <istream>
#include <streambuf>

namespace podgate::config::detail {

namespace {

uint32_t line_of(const YAML::Mark& m) {
    return m.line < 0 ? 0 : static_cast<uint32_t>(m.line) + 1;
}

// Reads a string_view in place; yaml-cpp only wants an std::istream.
class view_buffer : public std::streambuf {
  public:
    explicit view_buffer(std::string_view text) {
        char* p = const_cast<char*>(text.data()); // never written: no put area
        setg(p, p, p + text.size());
    }
};

class tree_handler : public YAML::EventHandler {
  public:
    tree_handler(doc_tree& tree, std::string_view text) : _tree(tree), _text(text) {}

    void OnDocumentStart(const YAML::Mark& mark) override {
        if (mark.pos == _last_document_pos) {
            const bool known = mark.pos >= 0 && static_cast<size_t>(mark.pos) < _text.size();
            throw YAML::ParserException(
                mark,
                known ? "unexpected '" + std::string(1, _text[static_cast<size_t>(mark.pos)]) + "'"
                      : std::string("unexpected token"));
        }
        _last_document_pos = mark.pos;
        _anchors.clear();
        _tree.begin_document();
    }
    void OnDocumentEnd() override { _tree.end_document(); }

    void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
        remember(anchor, _tree.add_null(line_of(mark)));
    }
    void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
        // yaml-cpp has already rejected undefined anchors.
        const node_id target = anchor < _anchors.size() ? _anchors[anchor] : ~node_id{0};
        _tree.add_alias(target, line_of(mark));
    }
    void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  const std::string& value) override {
        // "?" is a plain scalar (may be a number or bool); "!" a quoted one.
        const bool quoted = tag == "!" || tag == "tag:yaml.org,2002:str";
        remember(anchor, _tree.add_scalar(value, quoted, line_of(mark)));
    }
    void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                         YAML::EmitterStyle::value) override {
        remember(anchor, _tree.open(node_kind::list, line_of(mark)));
    }
    void OnSequenceEnd() override { _tree.close(); }
    void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                    YAML::EmitterStyle::value) override {
        remember(anchor, _tree.open(node_kind::map, line_of(mark)));
    }
    void OnMapEnd() override { _tree.close(); }

  private:
    void remember(YAML::anchor_t anchor, node_id id) {
        if (anchor == YAML::NullAnchor) {
            return;
        }
        if (_anchors.size() <= anchor) {
            _anchors.resize(anchor + 1, ~node_id{0});
        }
        _anchors[anchor] = id;
    }

    doc_tree& _tree;
    std::string_view _text;
    std::vector<node_id> _anchors; // by yaml-cpp's per-document anchor number
    int _last_document_pos = -1;
};

} // namespace

std::optional<syntax_error> read_yaml(std::string_view text, doc_tree& tree) {
    view_buffer buffer(text);
    std::istream in(&buffer);
    tree_handler handler(tree, text);
    try {
        YAML::Parser parser(in);
        while (parser.HandleNextDocument(handler)) {
        }
    } catch (const tree_error& e) {
        tree.end_document();
        return syntax_error{e.line, e.what()};
    } catch (const YAML::DeepRecursion& e) {
        tree.end_document();
        return syntax_error{line_of(e.mark), "nested too deeply"};
    } catch (const YAML::Exception& e) {
        tree.end_document();
        return syntax_error{line_of(e.mark), "YAML syntax error: " + e.msg};
    }
    return std::nullopt;
}

} // namespace podgate::config::detail
