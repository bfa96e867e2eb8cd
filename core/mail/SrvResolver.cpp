#include "mail/SrvResolver.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <array>
#include <netdb.h>
#include <netinet/in.h>
#include <optional>
#include <resolv.h>

namespace sealpost::mail {

using base::ErrorCode;

namespace {

// "IPv4[:PORT]" as the resolver's only name server.
base::Result<sockaddr_in> serverAddress(const std::string& server) {
    const auto colon = server.find(':');
    const std::string host = server.substr(0, colon);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    int port = 53;
    if (colon != std::string::npos) {
        const std::string digits = server.substr(colon + 1);
        if (digits.empty() || digits.size() > 5 || digits.find_first_not_of("0123456789") != std::string::npos ||
            std::stoi(digits) < 1 || std::stoi(digits) > 65535) {
            return base::makeError(ErrorCode::InvalidArgument, "DNS server: bad port in " + server);
        }
        port = std::stoi(digits);
    }
    if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
        return base::makeError(ErrorCode::InvalidArgument, "DNS server: not an IPv4 address: " + server);
    }
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    return addr;
}

} // namespace

base::Result<std::vector<SrvRecord>> SystemSrvResolver::lookup(const std::string& name) {
    std::optional<sockaddr_in> server;
    if (!m_server.empty()) {
        auto addr = serverAddress(m_server);
        if (!addr) {
            return addr.error();
        }
        server = *addr;
    }
    struct __res_state state {};
    if (res_ninit(&state) != 0) {
        return base::makeError(ErrorCode::Unreachable, "DNS: cannot initialise the resolver");
    }
    if (server) {
        state.nscount = 1;
        state.nsaddr_list[0] = *server;
    }
    std::array<unsigned char, 8192> answer{};
    const int len = res_nquery(&state, name.c_str(), ns_c_in, ns_t_srv, answer.data(), static_cast<int>(answer.size()));
    const int herr = state.res_h_errno;
    res_nclose(&state);
    if (len < 0) {
        if (herr == HOST_NOT_FOUND || herr == NO_DATA) {
            return base::makeError(ErrorCode::NotFound, "DNS: no SRV record for " + name);
        }
        return base::makeError(ErrorCode::Unreachable, "DNS: no answer for " + name + " (" + hstrerror(herr) + ")");
    }
    ns_msg msg{};
    if (ns_initparse(answer.data(), len, &msg) != 0) {
        return base::makeError(ErrorCode::ProtocolError, "DNS: malformed answer for " + name);
    }
    std::vector<SrvRecord> out;
    const int count = ns_msg_count(msg, ns_s_an);
    for (int i = 0; i < count; ++i) {
        ns_rr rr{};
        if (ns_parserr(&msg, ns_s_an, i, &rr) != 0 || ns_rr_type(rr) != ns_t_srv || ns_rr_rdlen(rr) < 7) {
            continue;
        }
        const unsigned char* rd = ns_rr_rdata(rr);
        SrvRecord rec;
        rec.priority = static_cast<std::uint16_t>(ns_get16(rd));
        rec.weight = static_cast<std::uint16_t>(ns_get16(rd + 2));
        rec.port = static_cast<std::uint16_t>(ns_get16(rd + 4));
        std::array<char, NS_MAXDNAME> target{};
        if (ns_name_uncompress(ns_msg_base(msg), ns_msg_end(msg), rd + 6, target.data(), target.size()) < 0) {
            continue;
        }
        rec.target = target.data();
        if (rec.target == ".") {
            rec.target.clear();
        } else if (!rec.target.empty() && rec.target.back() == '.') {
            rec.target.pop_back();
        }
        out.push_back(std::move(rec));
    }
    if (out.empty()) {
        return base::makeError(ErrorCode::NotFound, "DNS: no SRV record for " + name);
    }
    return out;
}

} // namespace sealpost::mail
