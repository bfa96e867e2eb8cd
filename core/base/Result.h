#pragma once

#include "base/Error.h"

#include <cassert>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace sealpost::base {

// Minimal std::expected-style result (C++20; std::expected is C++23). Holds either a value or an
// error of type E. Accessing the wrong alternative is a programming error (asserts). An E that
// can be built from a plain Error (acme::AcmeError) also takes one.
template <typename T, typename E> class [[nodiscard]] BasicResult {
public:
    BasicResult(T value) : m_data(std::in_place_index<0>, std::move(value)) {}
    BasicResult(E error) : m_data(std::in_place_index<1>, std::move(error)) {}
    BasicResult(Error error) requires(!std::is_same_v<E, Error>)
        : m_data(std::in_place_index<1>, E(std::move(error))) {}

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
    [[nodiscard]] const E& error() const {
        assert(!ok());
        return std::get<1>(m_data);
    }

    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

private:
    std::variant<T, E> m_data;
};

// Success that carries nothing.
struct Ok {};

template <typename E> class [[nodiscard]] BasicResult<void, E> {
public:
    BasicResult() = default;
    BasicResult(Ok) {}
    BasicResult(E error) : m_error(std::move(error)) {}
    BasicResult(Error error) requires(!std::is_same_v<E, Error>) : m_error(E(std::move(error))) {}

    [[nodiscard]] bool ok() const noexcept { return !m_error.has_value(); }
    explicit operator bool() const noexcept { return ok(); }
    [[nodiscard]] const E& error() const {
        assert(m_error);
        return *m_error;
    }

private:
    std::optional<E> m_error;
};

template <typename T> using Result = BasicResult<T, Error>;

[[nodiscard]] inline Error makeError(ErrorCode code, std::string detail) {
    return Error{code, std::move(detail)};
}

} // namespace sealpost::base
