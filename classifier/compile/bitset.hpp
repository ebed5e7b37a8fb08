#pragma once
// A dense bitset over identities, and an interner that gives equal bitsets
// (rows) equal ids: rows are shared by every (group, protocol, segment) that
// allows the same identities, so memory grows with distinct rows.

#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace podgate::classifier::compile_detail {

class identity_set {
  public:
    identity_set() = default;
    explicit identity_set(uint32_t words) : _words(words, 0) {}

    void set(uint32_t id) { _words[id >> 6] |= uint64_t{1} << (id & 63); }
    bool test(uint32_t id) const { return (_words[id >> 6] >> (id & 63)) & 1; }
    void set_all(uint32_t count) {
        for (uint32_t i = 0; i < count; ++i) {
            set(i);
        }
    }
    identity_set& operator|=(const identity_set& o) {
        for (size_t i = 0; i < _words.size(); ++i) {
            _words[i] |= o._words[i];
        }
        return *this;
    }
    identity_set& operator&=(const identity_set& o) {
        for (size_t i = 0; i < _words.size(); ++i) {
            _words[i] &= o._words[i];
        }
        return *this;
    }
    bool none() const {
        for (uint64_t w : _words) {
            if (w) {
                return false;
            }
        }
        return true;
    }
    const std::vector<uint64_t>& words() const { return _words; }
    friend bool operator==(const identity_set&, const identity_set&) = default;

  private:
    std::vector<uint64_t> _words;
};

// Interns vectors of 32- or 64-bit words: equal contents get the same id,
// ids are dense from 0 in first-seen order.
template <typename Word> class vector_interner {
  public:
    uint32_t intern(const std::vector<Word>& v) {
        const std::string_view key(reinterpret_cast<const char*>(v.data()),
                                   v.size() * sizeof(Word));
        auto it = _ids.find(key);
        if (it != _ids.end()) {
            return it->second;
        }
        const auto id = static_cast<uint32_t>(_values.size());
        _values.push_back(v);
        // Keys are owned byte strings, so the stored vectors may move freely.
        _ids.emplace(std::string(key), id);
        return id;
    }
    // The id of `v` if it was interned, else UINT32_MAX (never inserts).
    uint32_t find(const std::vector<Word>& v) const {
        auto it = _ids.find(
            std::string_view(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(Word)));
        return it == _ids.end() ? UINT32_MAX : it->second;
    }
    const std::vector<Word>& at(uint32_t id) const { return _values[id]; }
    uint32_t size() const { return static_cast<uint32_t>(_values.size()); }

  private:
    struct string_hash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    std::unordered_map<std::string, uint32_t, string_hash, std::equal_to<>> _ids;
    std::vector<std::vector<Word>> _values;
};

} // namespace podgate::classifier::compile_detail
