#pragma once

#include "base/Bytes.h"

#include <string>

namespace sealpost::base {

// Where streamed output goes (a file, a socket, a string). write() returns false on failure,
// after which the producer stops and reports an Io error.
class ByteSink {
public:
    virtual ~ByteSink() = default;
    [[nodiscard]] virtual bool write(ByteView data) = 0;
};

class StringSink final : public ByteSink {
public:
    explicit StringSink(std::string& target) : m_target(target) {}
    [[nodiscard]] bool write(ByteView data) override {
        m_target.append(asString(data));
        return true;
    }

private:
    std::string& m_target;
};

} // namespace sealpost::base
