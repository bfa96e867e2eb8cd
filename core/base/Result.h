#pragma once

#include "base/Error.h"

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace sealpost::base {

// Minimal std::expected-style result (C++20; std::expected is C++23). Holds either a value
// or an Error. Accessing the wrong alternative is a programming error (asserts).
template <typename T> class [[nodiscard]] Result {
public:
    Result(T value) : m_data(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : m_data(std::in_place_index<1>, std::move(error)) {}

    [[nodiscard]] bool ok() const noexcept { return m_data.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    [[nodiscard]] T& value() & {
        assert(ok());
        return std::get<0>(m_data);
    }
    [[nodiscard]] const T& value() const& {
        assert(ok());
        return std::get<0>(m_data);
    }
    [[nodiscard]] T&& value() && {
        assert(ok());
        return std::get<0>(std::move(m_data));
    }
    [[nodiscard]] const Error& error() const {
        assert(!ok());
        return std::get<1>(m_data);
    }

    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

private:
    std::variant<T, Error> m_data;
};

// Result<void>: success carries nothing.
struct Ok {};

template <> class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Ok) {}
    Result(Error error) : m_error(std::move(error)), m_failed(true) {}

    [[nodiscard]] bool ok() const noexcept { return !m_failed; }
    explicit operator bool() const noexcept { return ok(); }
    [[nodiscard]] const Error& error() const {
        assert(m_failed);
        return m_error;
    }

private:
    Error m_error{ErrorCode::InvalidArgument, {}};
    bool m_failed = false;
};

[[nodiscard]] inline Error makeError(ErrorCode code, std::string detail) {
    return Error{code, std::move(detail)};
}

} // namespace sealpost::base
