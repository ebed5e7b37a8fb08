#pragma once
// The one error convention of podgate's public signatures: an operation that
// can fail returns `result<T>` (a value, or an error message that names what
// failed) or `status` (result<void>). Both are [[nodiscard]] as types, so a
// caller cannot drop a failure by accident. Errors are text because every
// consumer shows them to an operator (log, CLI, telemetry); none branches on
// a code. GCC 12 has no std::expected under C++20, hence this small type.
//
// The manifest loader is the one exception: a load yields many errors and
// warnings at once, each with file and line, so it returns its own
// [[nodiscard]] report (config::load_result).
//
// Lives in config/ because config is the lowest layer: every other folder
// already depends on it.

#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace podgate {

// What a failed operation says; `fail("...")` makes one.
struct error {
    std::string message;
};

inline error fail(std::string message) {
    return error{std::move(message)};
}

template <typename T> class [[nodiscard]] result {
  public:
    static_assert(!std::is_same_v<T, podgate::error>, "result<error> is meaningless");
    result(T value) : _v(std::in_place_index<0>, std::move(value)) {}
    result(podgate::error e) : _v(std::in_place_index<1>, std::move(e)) {}

    bool ok() const noexcept { return _v.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    // Only when ok(): the value.
    T& value() & { return std::get<0>(_v); }
    const T& value() const& { return std::get<0>(_v); }
    T&& value() && { return std::get<0>(std::move(_v)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    // Only when !ok(): the message.
    const std::string& error() const { return std::get<1>(_v).message; }

  private:
    std::variant<T, podgate::error> _v;
};

// Success, or an error message. Default-constructed: success.
class [[nodiscard]] status {
  public:
    status() = default;
    status(podgate::error e) : _error(std::move(e.message)), _failed(true) {}

    bool ok() const noexcept { return !_failed; }
    explicit operator bool() const noexcept { return ok(); }
    const std::string& error() const { return _error; }

  private:
    std::string _error;
    bool _failed = false;
};

} // namespace podgate
