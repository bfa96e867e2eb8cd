#include "keydir/Api.h"

#include "keydir/Address.h"
#include "keydir/ApiImpl.h"
#include "keydir/HttpRules.h"
#include "keydir/TimeFormat.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <openssl/evp.h>

namespace sealpost::keydir {
namespace {

constexpr std::int64_t foundMaxAge = 3600;
constexpr std::int64_t notFoundMaxAge = 300;
constexpr std::string_view lookupMethods = "GET, HEAD";

enum class RouteKind { Certs, CertsByHash, CanEncrypt, CanEncryptByHash, Submit, Lookup, Health, Metrics, NotFound };

struct Route {
    RouteKind kind = RouteKind::NotFound;
    std::string_view rest; // the address or hash
    Endpoint endpoint = Endpoint::Other;
    std::string_view logPath;
};

Route route(std::string_view path) {
    auto after = [&](std::string_view prefix, std::string_view& rest) {
        if (!path.starts_with(prefix)) {
            return false;
        }
        rest = path.substr(prefix.size());
        return true;
    };
    std::string_view rest;
    if (after("/v1/certs/sha256/", rest)) {
        return {RouteKind::CertsByHash, rest, Endpoint::Certs, "/v1/certs/sha256/-"};
    }
    if (after("/v1/certs/", rest)) {
        return {RouteKind::Certs, rest, Endpoint::Certs, "/v1/certs/-"};
    }
    if (after("/v1/can-encrypt/sha256/", rest)) {
        return {RouteKind::CanEncryptByHash, rest, Endpoint::CanEncrypt, "/v1/can-encrypt/sha256/-"};
    }
    if (after("/v1/can-encrypt/", rest)) {
        return {RouteKind::CanEncrypt, rest, Endpoint::CanEncrypt, "/v1/can-encrypt/-"};
    }
    if (path == "/v1/certs") {
        return {RouteKind::Submit, {}, Endpoint::Submit, "/v1/certs"};
    }
    if (path == "/v1/lookup") {
        return {RouteKind::Lookup, {}, Endpoint::Lookup, "/v1/lookup"};
    }
    if (path == "/v1/health") {
        return {RouteKind::Health, {}, Endpoint::Health, "/v1/health"};
    }
    if (path == "/metrics") {
        return {RouteKind::Metrics, {}, Endpoint::Metrics, "/metrics"};
    }
    // An unknown path may hold an address (a mistyped route): never logged as it is.
    return {RouteKind::NotFound, {}, Endpoint::Other, "-"};
}

bool isGetOrHead(std::string_view method) noexcept {
    return method == "GET" || method == "HEAD";
}

std::string etagOf(Representation rep, std::string_view body) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int len = 0;
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    const auto tag = static_cast<unsigned char>(rep);
    const bool ok = ctx != nullptr && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1 &&
                    EVP_DigestUpdate(ctx, &tag, 1) == 1 && EVP_DigestUpdate(ctx, body.data(), body.size()) == 1 &&
                    EVP_DigestFinal_ex(ctx, digest.data(), &len) == 1;
    EVP_MD_CTX_free(ctx);
    static constexpr char hex[] = "0123456789abcdef";
    std::string out = "\"";
    for (unsigned int i = 0; ok && i < 16; ++i) {
        out += hex[digest[i] >> 4];
        out += hex[digest[i] & 0x0f];
    }
    out += '"';
    return out;
}

std::string publicMaxAge(std::int64_t seconds) {
    return "public, max-age=" + std::to_string(std::clamp<std::int64_t>(seconds, 0, foundMaxAge));
}

// The certificates and chains of a lookup answer, each once, for the certs-only form.
std::vector<crypto::Certificate> bundleCertificates(const std::vector<StoredCert>& certs) {
    std::vector<crypto::Certificate> out;
    auto add = [&](const base::Bytes& der) {
        auto parsed = crypto::Certificate::parseConcatenatedDer(der);
        if (parsed && parsed->size() == 1 && std::find(out.begin(), out.end(), parsed->front()) == out.end()) {
            out.push_back(parsed->front());
        }
    };
    for (const StoredCert& cert : certs) {
        add(cert.leafDer);
        for (const base::Bytes& der : cert.chainDer) {
            add(der);
        }
    }
    return out;
}

// TIME CLIENT "METHOD PATH" STATUS BYTES DURATIONus, built in a per-thread buffer with the time
// text formatted once a second: no allocation per request once warm.
std::string_view accessLogLine(base::TimePoint now, std::string_view client, std::string_view method,
                               std::string_view path, int status, std::size_t bytes,
                               std::chrono::microseconds latency) {
    thread_local std::string line;
    thread_local std::int64_t formattedSecond = -1;
    thread_local std::string timeText;
    const std::int64_t second = toUnixSeconds(now);
    if (second != formattedSecond) {
        timeText = formatUnixTime(second);
        formattedSecond = second;
    }
    auto number = [](std::string& out, long long n) {
        std::array<char, 24> digits{};
        const auto [end, ec] = std::to_chars(digits.data(), digits.data() + digits.size(), n);
        out.append(digits.data(), end);
    };
    line.clear();
    line += timeText;
    line += ' ';
    line += client;
    line += R"( ")";
    line += method;
    line += ' ';
    line += path;
    line += R"(" )";
    number(line, status);
    line += ' ';
    number(line, static_cast<long long>(bytes));
    line += ' ';
    number(line, latency.count());
    line += "us";
    return line;
}

} // namespace

std::shared_ptr<const Answer> errorAnswer(int status, std::string_view code, std::string_view detail) {
    auto answer = std::make_shared<Answer>();
    answer->status = status;
    answer->contentType = jsonType;
    answer->body = Json{{"error", code}, {"detail", detail}}.dump();
    return answer;
}

Response respond(std::shared_ptr<const Answer> answer) {
    const int status = answer->status;
    return Response{status, std::move(answer), true, false};
}

Response errorResponse(int status, std::string_view code, std::string_view detail) {
    return respond(errorAnswer(status, code, detail));
}

Response rateLimited(int retryAfter) {
    auto answer = std::make_shared<Answer>();
    answer->status = 429;
    answer->contentType = jsonType;
    answer->retryAfter = retryAfter;
    answer->body = Json{
        {"error", "rate-limited"},
        {"detail", "too many requests; retry after " + std::to_string(retryAfter) + " s"},
        {"retry_after",
         retryAfter}}.dump();
    return respond(std::move(answer));
}

std::string derToPem(const base::Bytes& der) {
    std::string b64(4 * ((der.size() + 2) / 3) + 1, '\0');
    const int n =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), der.data(), static_cast<int>(der.size()));
    b64.resize(static_cast<std::size_t>(std::max(n, 0)));
    std::string out = "-----BEGIN CERTIFICATE-----\n";
    out.reserve(b64.size() + b64.size() / 64 + 60);
    for (std::size_t i = 0; i < b64.size(); i += 64) {
        out.append(b64, i, 64);
        out += '\n';
    }
    out += "-----END CERTIFICATE-----\n";
    return out;
}

Json certificatesJson(const std::vector<StoredCert>& certs) {
    Json list = Json::array();
    for (const StoredCert& cert : certs) {
        Json chain = Json::array();
        for (const base::Bytes& der : cert.chainDer) {
            chain.push_back(derToPem(der));
        }
        list.push_back(Json{{"fingerprint_sha256", cert.fingerprint},
                            {"certificate", derToPem(cert.leafDer)},
                            {"chain", std::move(chain)},
                            {"not_before", formatUnixTime(cert.notBefore)},
                            {"not_after", formatUnixTime(cert.notAfter)},
                            {"provenance", cert.provenance},
                            {"first_published", formatUnixTime(cert.firstPublished)}});
    }
    return list;
}

Api::Impl::Impl(CertStore& store_, ApiConfig config_, const base::Clock& clock_, LogSink* log_)
    : store(store_), config(std::move(config_)), clock(clock_), log(log_),
      clientLimiter(config.clientLimit, config.rateLimitKeys),
      addressLimiter(config.addressLimit, config.rateLimitKeys), cache(config.cacheEntries, config.cacheTtl) {}

int Api::Impl::takeAddressTokens(std::span<const std::string> hashes, base::TimePoint now) {
    for (const std::string& hash : hashes) {
        if (const int wait = addressLimiter.take(hash, 1, now); wait > 0) {
            metrics.countRateLimited(true);
            return wait;
        }
    }
    return 0;
}

std::optional<Response> Api::Impl::checkPost(const Request& request, const char* /*endpoint*/) const {
    if (request.method != "POST") {
        auto answer = std::make_shared<Answer>(*errorAnswer(405, "method-not-allowed", "use POST"));
        answer->allow = "POST";
        return respond(std::move(answer));
    }
    if (!request.hasContentLength) {
        Response r = errorResponse(411, "length-required", "a POST needs Content-Length");
        r.closeConnection = true;
        return r;
    }
    if (request.bodyTooLarge || request.body.size() > config.maxBody) {
        Response r =
            errorResponse(413, "too-large", "the body is larger than " + std::to_string(config.maxBody) + " bytes");
        r.closeConnection = request.bodyTooLarge;
        return r;
    }
    return std::nullopt;
}

std::shared_ptr<const Answer> Api::Impl::buildLookup(const std::string& hash, Representation rep, base::TimePoint now,
                                                     Response& failure) {
    const std::int64_t nowSeconds = toUnixSeconds(now);
    auto found = store.find(hash, nowSeconds);
    if (!found) {
        failure = errorResponse(503, "unavailable", "the database does not answer");
        return nullptr;
    }
    const std::vector<StoredCert>& certs = *found;
    auto answer = std::make_shared<Answer>();
    answer->contentType = jsonType;
    if (rep == Representation::CanEncrypt) {
        if (certs.empty()) {
            answer->body = R"({"can_encrypt":false})";
            answer->cacheControl = publicMaxAge(notFoundMaxAge);
        } else {
            std::int64_t validUntil = 0;
            for (const StoredCert& cert : certs) {
                validUntil = std::max(validUntil, cert.notAfter);
            }
            answer->body = Json{{"can_encrypt", true}, {"valid_until", formatUnixTime(validUntil)}}.dump();
            answer->cacheControl = publicMaxAge(validUntil - nowSeconds);
        }
    } else if (certs.empty()) {
        answer->status = 404;
        answer->body = Json{{"error", "not-found"}, {"detail", "no current certificate for this address"}}.dump();
        answer->cacheControl = publicMaxAge(notFoundMaxAge);
    } else {
        std::int64_t firstExpiry = certs.front().notAfter;
        for (const StoredCert& cert : certs) {
            firstExpiry = std::min(firstExpiry, cert.notAfter);
        }
        answer->cacheControl = publicMaxAge(firstExpiry - nowSeconds);
        if (rep == Representation::CertsOnly) {
            auto bundle = crypto::makeCertificateBundle(bundleCertificates(certs));
            if (!bundle) {
                failure = errorResponse(500, "internal", "cannot build the certs-only answer");
                return nullptr;
            }
            answer->contentType = certsOnlyType;
            answer->body.assign(bundle->begin(), bundle->end());
        } else {
            answer->body = Json{{"address_sha256", hash}, {"certificates", certificatesJson(certs)}}.dump();
        }
    }
    answer->etag = etagOf(rep, answer->body);
    return answer;
}

Handled Api::Impl::lookup(const Request& request, const LookupTarget& target, base::TimePoint now) {
    Handled out;
    std::string hash;
    const std::string_view rest = target.rest;
    const bool canEncrypt = target.canEncrypt;
    if (target.byHash) {
        hash = std::string(rest);
        std::transform(hash.begin(), hash.end(), hash.begin(),
                       [](char c) { return c >= 'A' && c <= 'F' ? static_cast<char>(c - 'A' + 'a') : c; });
        if (!isAddressHash(hash)) {
            out.response = errorResponse(400, "bad-address", "an address hash is 64 hexadecimal digits");
            return out;
        }
    } else {
        const auto decoded = percentDecode(rest);
        const auto address = decoded ? normaliseAddress(*decoded) : std::nullopt;
        if (!address) {
            out.response = errorResponse(400, "bad-address", "not a well-formed address");
            return out;
        }
        hash = addressHash(*address);
    }
    const Preferred preferred = negotiate(request.accept, !canEncrypt);
    if (preferred == Preferred::None) {
        out.response = errorResponse(406, "not-acceptable",
                                     canEncrypt ? "this answer is application/json"
                                                : "the answers are application/json or application/pkcs7-mime");
        return out;
    }
    if (const int wait = takeAddressTokens(std::span(&hash, 1), now); wait > 0) {
        out.response = rateLimited(wait);
        return out;
    }
    const Representation rep = canEncrypt                          ? Representation::CanEncrypt
                               : preferred == Preferred::CertsOnly ? Representation::CertsOnly
                                                                   : Representation::CertsJson;
    const HashKey key = addressHashBytes(hash);
    std::shared_ptr<const Answer> answer = cache.find(key, rep, now);
    if (!answer) {
        answer = buildLookup(hash, rep, now, out.response);
        if (!answer) {
            return out;
        }
        cache.store(key, rep, answer, now);
    }
    out.response = respond(std::move(answer));
    if (request.ifNoneMatch && etagMatches(*request.ifNoneMatch, out.response.answer->etag)) {
        out.response.status = 304;
        out.response.sendBody = false;
    }
    return out;
}

Response Api::Impl::batchLookup(const Request& request, std::string_view client, base::TimePoint now) {
    if (auto refused = checkPost(request, "lookup")) {
        return std::move(*refused);
    }
    if (request.contentType && mediaType(*request.contentType) != "application/json") {
        return errorResponse(415, "unsupported-media-type", "a batch lookup is application/json");
    }
    const Json body = Json::parse(request.body.begin(), request.body.end(), nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
        return errorResponse(400, "bad-request", "the body is not a JSON object");
    }
    const bool byAddress = body.contains("addresses");
    const bool byHash = body.contains("address_sha256");
    if (byAddress == byHash || body.size() != 1) {
        return errorResponse(400, "bad-request", R"(name either "addresses" or "address_sha256")");
    }
    const Json& entries = byAddress ? body["addresses"] : body["address_sha256"];
    if (!entries.is_array()) {
        return errorResponse(400, "bad-request", "the entries are not an array");
    }
    if (entries.size() > maxBatchEntries) {
        return errorResponse(413, "too-large", "at most " + std::to_string(maxBatchEntries) + " entries");
    }
    std::vector<std::string> addresses;
    std::vector<std::string> hashes;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const std::string* text = entries[i].get_ptr<const std::string*>();
        std::optional<std::string> address = text != nullptr && byAddress ? normaliseAddress(*text) : std::nullopt;
        if (text == nullptr || (byAddress && !address) || (!byAddress && !isAddressHash(*text))) {
            return errorResponse(400, "bad-address", "entry " + std::to_string(i) + " is not well formed");
        }
        hashes.push_back(byAddress ? addressHash(*address) : *text);
        if (address) {
            addresses.push_back(std::move(*address));
        }
    }
    // A batch counts one per entry; the request itself already took one.
    if (entries.size() > 1) {
        if (const int wait = clientLimiter.take(client, static_cast<double>(entries.size() - 1), now); wait > 0) {
            metrics.countRateLimited(false);
            return rateLimited(wait);
        }
    }
    if (const int wait = takeAddressTokens(hashes, now); wait > 0) {
        return rateLimited(wait);
    }
    auto found = store.findMany(hashes, toUnixSeconds(now));
    if (!found || found->size() != hashes.size()) {
        return errorResponse(503, "unavailable", "the database does not answer");
    }
    Json results = Json::array();
    for (std::size_t i = 0; i < hashes.size(); ++i) {
        Json result = Json::object();
        if (byAddress) {
            result["address"] = addresses[i];
        }
        result["address_sha256"] = hashes[i];
        result["certificates"] = certificatesJson((*found)[i]);
        results.push_back(std::move(result));
    }
    auto answer = std::make_shared<Answer>();
    answer->contentType = jsonType;
    answer->cacheControl = "no-store";
    answer->body = Json{{"results", std::move(results)}}.dump();
    return respond(std::move(answer));
}

Handled Api::Impl::dispatch(const Request& request, std::string_view client, base::TimePoint now) {
    const std::string_view path = request.target.substr(0, request.target.find('?'));
    const Route r = route(path);
    Handled out{{}, r.endpoint, r.logPath};
    if (const int wait = clientLimiter.take(client, 1, now); wait > 0) {
        metrics.countRateLimited(false);
        out.response = rateLimited(wait);
        return out;
    }
    const bool lookupRoute = r.kind == RouteKind::Certs || r.kind == RouteKind::CertsByHash ||
                             r.kind == RouteKind::CanEncrypt || r.kind == RouteKind::CanEncryptByHash;
    if (lookupRoute || r.kind == RouteKind::Health || r.kind == RouteKind::Metrics) {
        if (!isGetOrHead(request.method)) {
            auto answer = std::make_shared<Answer>(*errorAnswer(405, "method-not-allowed", "use GET or HEAD"));
            answer->allow = lookupMethods;
            out.response = respond(std::move(answer));
            return out;
        }
    }
    switch (r.kind) {
    case RouteKind::Certs:
    case RouteKind::CertsByHash:
    case RouteKind::CanEncrypt:
    case RouteKind::CanEncryptByHash: {
        const LookupTarget target{r.rest, r.kind == RouteKind::CanEncrypt || r.kind == RouteKind::CanEncryptByHash,
                                  r.kind == RouteKind::CertsByHash || r.kind == RouteKind::CanEncryptByHash};
        out.response = std::move(lookup(request, target, now).response);
        break;
    }
    case RouteKind::Submit: out.response = submit(request, client, now); break;
    case RouteKind::Lookup: out.response = batchLookup(request, client, now); break;
    case RouteKind::Health: {
        auto ping = store.ping();
        out.response = ping ? respond([] {
            auto a = std::make_shared<Answer>();
            a->contentType = jsonType;
            a->cacheControl = "no-store";
            a->body = R"({"status":"ok"})";
            return a;
        }())
                            : respond([] {
                                  auto a = std::make_shared<Answer>();
                                  a->status = 503;
                                  a->contentType = jsonType;
                                  a->cacheControl = "no-store";
                                  a->body = R"({"status":"unavailable","detail":"the database does not answer"})";
                                  return a;
                              }());
        break;
    }
    case RouteKind::Metrics: {
        auto count = store.countCertificates();
        auto answer = std::make_shared<Answer>();
        answer->contentType = metricsType;
        answer->cacheControl = "no-store";
        answer->body = metrics.render(count ? std::optional<std::int64_t>(*count) : std::nullopt);
        out.response = respond(std::move(answer));
        break;
    }
    case RouteKind::NotFound: out.response = errorResponse(404, "not-found", "no such endpoint"); break;
    }
    return out;
}

Api::Api(CertStore& store, ApiConfig config, const base::Clock& clock, LogSink* log)
    : m_impl(std::make_unique<Impl>(store, std::move(config), clock, log)) {}

Api::~Api() = default;

const Metrics& Api::metrics() const {
    return m_impl->metrics;
}

const ApiConfig& Api::config() const {
    return m_impl->config;
}

Response Api::handle(const Request& request) {
    const auto started = std::chrono::steady_clock::now();
    const base::TimePoint now = m_impl->clock.now();
    const std::string_view client =
        clientAddress(request.peerAddress, request.forwardedFor, m_impl->config.trustForwardedFor);
    Handled handled;
    try {
        handled = m_impl->dispatch(request, client, now);
    } catch (const std::exception&) {
        handled.response = errorResponse(500, "internal", "the server failed to answer");
    }
    if (request.method == "HEAD") {
        handled.response.sendBody = false;
    }
    const auto latency = std::chrono::steady_clock::now() - started;
    m_impl->metrics.countRequest(handled.endpoint, handled.response.status,
                                 std::chrono::duration_cast<std::chrono::nanoseconds>(latency));
    if (m_impl->log != nullptr) {
        const std::size_t bytes = handled.response.sendBody ? handled.response.answer->body.size() : 0;
        const std::string_view path = m_impl->config.logAddresses ? request.target : handled.logPath;
        m_impl->log->write(accessLogLine(now, client, request.method, path, handled.response.status, bytes,
                                         std::chrono::duration_cast<std::chrono::microseconds>(latency)));
    }
    return std::move(handled.response);
}

} // namespace sealpost::keydir
