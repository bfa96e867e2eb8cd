#include "mail/AutoconfigXml.h"

#include <charconv>
#include <expat.h>
#include <memory>
#include <vector>

namespace sealpost::mail {

using base::ErrorCode;

namespace {

// One <incomingServer>/<outgoingServer> as written in the document.
struct RawServer {
    bool outgoing = false;
    std::string type;
    std::string hostname;
    std::string port;
    std::string socketType;
    std::string username;
    std::vector<std::string> authentication;
};

struct ParseState {
    std::vector<std::string> path; // element names from the root down
    std::string text;
    std::vector<RawServer> servers;
    std::optional<RawServer> current;
    bool sawClientConfig = false;
    XML_Parser parser = nullptr;
    std::string refused; // why the handlers stopped the parser
};

constexpr std::size_t kMaxDepth = 32;

std::string_view attribute(const XML_Char** attrs, std::string_view name) {
    for (std::size_t i = 0; attrs[i] != nullptr && attrs[i + 1] != nullptr; i += 2) {
        if (name == attrs[i]) {
            return attrs[i + 1];
        }
    }
    return {};
}

void XMLCALL onStart(void* data, const XML_Char* name, const XML_Char** attrs) {
    auto* st = static_cast<ParseState*>(data);
    const std::string_view element = name;
    if (st->path.size() >= kMaxDepth) {
        st->refused = "elements nested too deeply";
        XML_StopParser(st->parser, XML_FALSE);
        return;
    }
    if (st->path.empty() && element == "clientConfig") {
        st->sawClientConfig = true;
    }
    // Servers are children of <emailProvider>, itself a child of <clientConfig>.
    if (st->path.size() == 2 && st->path[1] == "emailProvider" &&
        (element == "incomingServer" || element == "outgoingServer")) {
        st->current = RawServer{};
        st->current->outgoing = element == "outgoingServer";
        st->current->type = std::string(attribute(attrs, "type"));
    }
    st->path.emplace_back(element);
    st->text.clear();
}

void XMLCALL onEnd(void* data, const XML_Char* /*name*/) {
    auto* st = static_cast<ParseState*>(data);
    if (st->path.empty()) {
        return;
    }
    const std::string element = st->path.back();
    st->path.pop_back();
    if (!st->current) {
        return;
    }
    if (st->path.size() == 3) { // a field of the server being read
        auto& s = *st->current;
        if (element == "hostname") {
            s.hostname = st->text;
        } else if (element == "port") {
            s.port = st->text;
        } else if (element == "socketType") {
            s.socketType = st->text;
        } else if (element == "username") {
            s.username = st->text;
        } else if (element == "authentication") {
            s.authentication.push_back(st->text);
        }
    } else if (st->path.size() == 2) {
        st->servers.push_back(std::move(*st->current));
        st->current.reset();
    }
    st->text.clear();
}

void XMLCALL onText(void* data, const XML_Char* s, int len) {
    auto* st = static_cast<ParseState*>(data);
    if (len > 0 && st->text.size() < 4096) {
        st->text.append(s, static_cast<std::size_t>(len));
    }
}

// Autoconfig documents have no business declaring entities; refusing any DOCTYPE keeps entity
// expansion attacks out whatever the expat version.
void XMLCALL onDoctype(void* data, const XML_Char* /*name*/, const XML_Char* /*sysid*/, const XML_Char* /*pubid*/,
                       int /*hasInternalSubset*/) {
    auto* st = static_cast<ParseState*>(data);
    st->refused = "a DOCTYPE is not allowed";
    XML_StopParser(st->parser, XML_FALSE);
}

std::string trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) {
        return {};
    }
    const auto last = s.find_last_not_of(" \t\r\n");
    return std::string(s.substr(first, last - first + 1));
}

// The auth method we would use for the first method listed that we support.
std::optional<AuthMethod> authFor(const std::vector<std::string>& methods) {
    if (methods.empty()) {
        return AuthMethod::Plain;
    }
    for (const auto& raw : methods) {
        const std::string m = trim(raw);
        if (m == "password-cleartext" || m == "plain") {
            return AuthMethod::Plain;
        }
        if (m == "OAuth2") {
            return AuthMethod::XOAuth2;
        }
    }
    return std::nullopt; // e.g. only password-encrypted (CRAM-MD5), NTLM, GSSAPI, client-IP-address
}

std::optional<ServerSettings> usable(const RawServer& raw, std::string_view address) {
    ServerSettings s;
    s.host = trim(resolvePlaceholders(trim(raw.hostname), address));
    const std::string port = trim(raw.port);
    int value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (s.host.empty() || ec != std::errc{} || end != port.data() + port.size() || value <= 0 || value > 65535) {
        return std::nullopt;
    }
    s.port = value;
    const std::string socket = trim(raw.socketType);
    if (socket == "SSL") {
        s.security = Security::ImplicitTls;
    } else if (socket == "STARTTLS") {
        s.security = Security::StartTls;
    } else {
        return std::nullopt; // "plain" or unknown: never proposed
    }
    const auto auth = authFor(raw.authentication);
    if (!auth) {
        return std::nullopt;
    }
    s.auth = *auth;
    s.username = resolvePlaceholders(trim(raw.username), address);
    if (s.username.empty()) {
        s.username = std::string(address);
    }
    return s;
}

} // namespace

std::string resolvePlaceholders(std::string_view pattern, std::string_view address) {
    const auto at = address.rfind('@');
    const std::string_view local = at == std::string_view::npos ? address : address.substr(0, at);
    const std::string_view domain = at == std::string_view::npos ? std::string_view{} : address.substr(at + 1);
    static constexpr std::string_view kAddress = "%EMAILADDRESS%";
    static constexpr std::string_view kLocal = "%EMAILLOCALPART%";
    static constexpr std::string_view kDomain = "%EMAILDOMAIN%";
    std::string out;
    std::size_t i = 0;
    while (i < pattern.size()) {
        const std::string_view rest = pattern.substr(i);
        if (rest.starts_with(kAddress)) {
            out += address;
            i += kAddress.size();
        } else if (rest.starts_with(kLocal)) {
            out += local;
            i += kLocal.size();
        } else if (rest.starts_with(kDomain)) {
            out += domain;
            i += kDomain.size();
        } else {
            out.push_back(pattern[i]);
            ++i;
        }
    }
    return out;
}

base::Result<AutoconfigServers> parseAutoconfigXml(std::string_view xml, std::string_view address) {
    if (xml.size() > kMaxAutoconfigSize) {
        return base::makeError(ErrorCode::LimitExceeded, "autoconfig document larger than 1 MiB");
    }
    std::unique_ptr<XML_ParserStruct, decltype(&XML_ParserFree)> parser(XML_ParserCreate("UTF-8"), &XML_ParserFree);
    if (!parser) {
        return base::makeError(ErrorCode::Io, "expat: cannot create a parser");
    }
    ParseState st;
    st.parser = parser.get();
    XML_SetUserData(parser.get(), &st);
    XML_SetElementHandler(parser.get(), onStart, onEnd);
    XML_SetCharacterDataHandler(parser.get(), onText);
    XML_SetStartDoctypeDeclHandler(parser.get(), onDoctype);
    const auto status = XML_Parse(parser.get(), xml.data(), static_cast<int>(xml.size()), XML_TRUE);
    if (!st.refused.empty()) {
        return base::makeError(ErrorCode::MalformedInput, "autoconfig XML: " + st.refused);
    }
    if (status != XML_STATUS_OK) {
        return base::makeError(ErrorCode::MalformedInput,
                               "autoconfig XML: " + std::string(XML_ErrorString(XML_GetErrorCode(parser.get()))) +
                                   " at line " + std::to_string(XML_GetCurrentLineNumber(parser.get())));
    }
    if (!st.sawClientConfig) {
        return base::makeError(ErrorCode::MalformedInput, "autoconfig XML: the root element is not clientConfig");
    }
    AutoconfigServers out;
    for (const auto& raw : st.servers) {
        if (!raw.outgoing && raw.type == "imap" && !out.imap) {
            out.imap = usable(raw, address);
        } else if (raw.outgoing && raw.type == "smtp" && !out.smtp) {
            out.smtp = usable(raw, address);
        }
    }
    return out;
}

} // namespace sealpost::mail
