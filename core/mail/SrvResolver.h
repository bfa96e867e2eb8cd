#pragma once

#include "base/Result.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sealpost::mail {

struct SrvRecord {
    std::uint16_t priority = 0;
    std::uint16_t weight = 0;
    std::uint16_t port = 0;
    std::string target; // without the trailing dot; "." (service not offered, RFC 2782) becomes ""
};

// DNS SRV look-ups, injectable so tests need no DNS. NotFound when the name has no SRV records;
// Unreachable when no DNS server answered.
class SrvResolver {
public:
    SrvResolver() = default;
    virtual ~SrvResolver() = default;
    SrvResolver(const SrvResolver&) = delete;
    SrvResolver& operator=(const SrvResolver&) = delete;
    SrvResolver(SrvResolver&&) = delete;
    SrvResolver& operator=(SrvResolver&&) = delete;

    // The records of `name` (e.g. "_imaps._tcp.example.org"), in any order.
    [[nodiscard]] virtual base::Result<std::vector<SrvRecord>> lookup(const std::string& name) = 0;
};

// The system resolver (res_nquery: thread-safe, one resolver state per call). `server`
// ("IPv4[:PORT]", port 53 by default) asks that DNS server instead of the system's (like
// `dig @server`); InvalidArgument from lookup() when it is not such an address.
class SystemSrvResolver final : public SrvResolver {
public:
    explicit SystemSrvResolver(std::string server = {}) : m_server(std::move(server)) {}
    [[nodiscard]] base::Result<std::vector<SrvRecord>> lookup(const std::string& name) override;

private:
    std::string m_server;
};

} // namespace sealpost::mail
