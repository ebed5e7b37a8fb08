#pragma once
// Streaming document emitters: the cluster writer describes each object once
// (maps, lists, scalars) and the emitter prints it as block YAML, laid out the
// way `kubectl get -o yaml` does, or as JSON like `kubectl get -o json`.
// Streaming rather than building a tree: a 100,000-pod cluster is ~100 MB of
// text and a tree of it would cost several times that.
//
// Contract: begin_map/begin_list are only called for collections that get at
// least one entry; empty ones are written with empty_map/empty_list. Inside a
// map, every value is preceded by key().

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace podgate::synth {

class emitter {
  public:
    virtual ~emitter() = default;
    virtual void key(std::string_view k) = 0;
    virtual void string(std::string_view v) = 0;
    virtual void number(int64_t v) = 0;
    virtual void boolean(bool v) = 0;
    virtual void empty_map() = 0;
    virtual void empty_list() = 0;
    virtual void begin_map() = 0;
    virtual void end_map() = 0;
    virtual void begin_list() = 0;
    virtual void end_list() = 0;

    // Shorthands for `key: value`.
    void field(std::string_view k, std::string_view v) {
        key(k);
        string(v);
    }
    void field(std::string_view k, const char* v) { field(k, std::string_view(v)); }
    void field(std::string_view k, int64_t v) {
        key(k);
        number(v);
    }
};

class yaml_emitter final : public emitter {
  public:
    explicit yaml_emitter(std::string& out) : _out(out) {}
    void key(std::string_view k) override;
    void string(std::string_view v) override;
    void number(int64_t v) override;
    void boolean(bool v) override;
    void empty_map() override { scalar_text("{}"); }
    void empty_list() override { scalar_text("[]"); }
    void begin_map() override;
    void end_map() override { _frames.pop_back(); }
    void begin_list() override;
    void end_list() override { _frames.pop_back(); }

  private:
    struct frame {
        bool is_list;
        int indent;        // column of keys (map) or of "- " (list)
        bool inline_first; // map opened by "- ": its first key follows the dash
    };
    void scalar_text(std::string_view text);
    void pad(int n) { _out.append(static_cast<size_t>(n), ' '); }

    std::string& _out;
    std::vector<frame> _frames;
    bool _after_key = false;
};

class json_emitter final : public emitter {
  public:
    explicit json_emitter(std::string& out) : _out(out) {}
    void key(std::string_view k) override;
    void string(std::string_view v) override;
    void number(int64_t v) override;
    void boolean(bool v) override { scalar_text(v ? "true" : "false"); }
    void empty_map() override { scalar_text("{}"); }
    void empty_list() override { scalar_text("[]"); }
    void begin_map() override { open('{'); }
    void end_map() override { close('}'); }
    void begin_list() override { open('['); }
    void end_list() override { close(']'); }

  private:
    void before_value();
    void scalar_text(std::string_view text);
    void open(char c);
    void close(char c);
    void newline_indent();

    std::string& _out;
    std::vector<bool> _has_items; // per open collection
    bool _after_key = false;
};

// True when `v` can be written as a plain YAML scalar and still read back as
// the same string (not a number, bool or null, no indicator characters).
bool yaml_plain_safe(std::string_view v);

} // namespace podgate::synth
