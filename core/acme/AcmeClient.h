#pragma once

#include "acme/AcmeError.h"
#include "acme/AcmeTypes.h"
#include "acme/HttpTransport.h"
#include "acme/Sleeper.h"
#include "base/Bytes.h"
#include "base/Clock.h"
#include "crypto/PrivateKey.h"

#include <chrono>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

namespace sealpost::acme {

// What the client is doing while an operation takes longer than one exchange (progress as data,
// for a GUI): a look at a polled object, a retry after badNonce, a wait before retrying after
// 429/503 with Retry-After.
struct AcmeProgress {
    enum class Kind { Polled, BadNonceRetry, WaitingToRetry };
    Kind kind = Kind::Polled;
    std::string url;
    int attempt = 0;                        // 1 for the first look / the first retry
    std::string status;                     // Polled: the object's status as sent ("pending", ...)
    std::chrono::milliseconds nextDelay{0}; // how long until the next try (0 after the last look)
};

struct PollOptions {
    std::chrono::seconds timeout{300};            // give up (TemporaryFailure) after this long
    std::chrono::milliseconds initialDelay{1000}; // doubles after each look...
    std::chrono::milliseconds maxDelay{30000};    // ...up to this; a server's Retry-After wins
};

struct AcmeClientConfig {
    std::string directoryUrl;
    HttpTransport* transport = nullptr;                  // required; outlives the client
    const base::Clock* clock = nullptr;                  // required
    Sleeper* sleeper = nullptr;                          // required
    std::stop_token stop;                                // checked before each request and during every wait
    std::function<void(const AcmeProgress&)> onProgress; // optional; called on the calling thread
    int maxBadNonceRetries = 5;                          // retries of a request answered badNonce
    // 429/503 with a Retry-After up to this long are waited out and retried (at most twice);
    // longer ones are returned as errors carrying retryAfter.
    std::chrono::seconds maxRetryAfterWait{60};
};

// An RFC 8555 client for one account key. Every operation is one step (the caller composes
// them, with challenge work of its own in between); each returns a value or an AcmeError.
// Not thread-safe: use an instance from one thread at a time. No global state, no output.
class AcmeClient {
public:
    AcmeClient(AcmeClientConfig config, crypto::PrivateKey accountKey);

    // GETs the directory (cached after the first success; other operations fetch it on demand).
    // MalformedInput/ProtocolError when it is not a usable directory.
    [[nodiscard]] AcmeResult<Directory> directory();

    // The account's URL ("kid"); set by newAccount, or by the caller for a stored account.
    [[nodiscard]] const std::string& accountUrl() const noexcept { return m_accountUrl; }
    void setAccountUrl(std::string url) { m_accountUrl = std::move(url); }
    [[nodiscard]] const crypto::PrivateKey& accountKey() const noexcept { return m_key; }

    // newAccount (signed with the key itself). Sets accountUrl. With onlyReturnExisting and no
    // account for the key: NotFound with problem accountDoesNotExist.
    [[nodiscard]] AcmeResult<Account> newAccount(const NewAccountRequest& request);
    // POST-as-GET of the account; updates of contact; deactivation (no further use of the key).
    [[nodiscard]] AcmeResult<Account> fetchAccount();
    [[nodiscard]] AcmeResult<Account> updateContact(const std::vector<std::string>& contact);
    [[nodiscard]] AcmeResult<Account> deactivateAccount();
    // Key rollover (RFC 8555 section 7.3.5). On success the client signs with `newKey` from then on.
    [[nodiscard]] AcmeResult<void> changeKey(const crypto::PrivateKey& newKey);

    // newOrder; the order's url is its Location. Identifiers of any type.
    [[nodiscard]] AcmeResult<Order> newOrder(const NewOrderRequest& request);
    [[nodiscard]] AcmeResult<Order> fetchOrder(std::string_view url);
    [[nodiscard]] AcmeResult<Authorization> fetchAuthorization(std::string_view url);
    [[nodiscard]] AcmeResult<Authorization> deactivateAuthorization(std::string_view url);
    [[nodiscard]] AcmeResult<Challenge> fetchChallenge(std::string_view url);
    // POST {} to the challenge: "ready, validate now".
    [[nodiscard]] AcmeResult<Challenge> respondToChallenge(std::string_view url);

    // Polls until the authorization is no longer pending (valid, invalid, ...: the caller checks
    // which), or until the order is no longer pending/processing. TemporaryFailure when the
    // next look would pass options.timeout (with retryAfter when the server asked for a longer
    // wait than that), Cancelled when stopped.
    [[nodiscard]] AcmeResult<Authorization> pollAuthorization(std::string_view url, const PollOptions& options = {});
    [[nodiscard]] AcmeResult<Order> pollOrder(std::string_view url, const PollOptions& options = {});

    // Sends the DER CSR to the order's finalize URL; the answer is usually "processing" or "valid".
    [[nodiscard]] AcmeResult<Order> finalize(const Order& order, base::ByteView csrDer);

    // The PEM chain at `url` (the order's certificate URL or one of its alternates).
    [[nodiscard]] AcmeResult<CertificateChain> downloadCertificate(std::string_view url);

    // revokeCert, by this account or signed with the certificate's own key (jwk).
    [[nodiscard]] AcmeResult<void> revokeCertificate(base::ByteView certificateDer,
                                                     std::optional<RevocationReason> reason = std::nullopt);
    [[nodiscard]] AcmeResult<void> revokeCertificateWithKey(base::ByteView certificateDer,
                                                            const crypto::PrivateKey& certificateKey,
                                                            std::optional<RevocationReason> reason = std::nullopt);

    // GET <renewalInfo>/<certId> (RFC 9773). Unsupported when the directory has no renewalInfo.
    [[nodiscard]] AcmeResult<RenewalInfo> renewalInfo(std::string_view certId);

private:
    enum class KeyIdMode { Kid, Jwk };

    [[nodiscard]] AcmeResult<HttpResponse> send(const HttpRequest& request);
    // GET with the same short Retry-After retries as post; any status is returned.
    [[nodiscard]] AcmeResult<HttpResponse> get(const std::string& url);
    // Whether a 429/503 answer is worth waiting out; waits if so. Cancelled when stopped meanwhile.
    [[nodiscard]] AcmeResult<bool> waitToRetry(const HttpResponse& response, const std::string& url, int& retries);
    void report(const AcmeProgress& progress) const;
    [[nodiscard]] AcmeResult<std::string> takeNonce();
    void rememberNonce(const HttpResponse& response);
    // A JWS POST (payload nullopt: POST-as-GET) with badNonce and short Retry-After retries;
    // a 4xx/5xx answer is an error.
    [[nodiscard]] AcmeResult<HttpResponse> post(const std::string& url, const std::optional<std::string>& payload,
                                                const crypto::PrivateKey& key, KeyIdMode mode,
                                                std::string_view accept = {});
    [[nodiscard]] AcmeResult<HttpResponse>
    postAsAccount(const std::string& url, const std::optional<std::string>& payload, std::string_view accept = {});
    // postAsAccount() and the answer parsed as T. With `objectUrl`, T's url is set to it; T's
    // retryAfter (when T has one) comes from the answer.
    template <typename T>
    [[nodiscard]] AcmeResult<T> postFor(const std::string& url, const std::optional<std::string>& payload,
                                        base::Result<T> (*parse)(std::string_view),
                                        const std::optional<std::string>& objectUrl);
    [[nodiscard]] AcmeResult<void> requireAccount() const;
    [[nodiscard]] AcmeResult<Account> accountRequest(const std::optional<std::string>& payload);
    [[nodiscard]] AcmeResult<void> revoke(base::ByteView certificateDer, std::optional<RevocationReason> reason,
                                          const crypto::PrivateKey* certificateKey);
    [[nodiscard]] bool wait(std::chrono::milliseconds duration);
    [[nodiscard]] AcmeError errorFromResponse(const HttpResponse& response, std::string_view what) const;
    [[nodiscard]] std::optional<std::chrono::seconds> retryAfterOf(const HttpResponse& response) const;

    AcmeClientConfig m_config;
    crypto::PrivateKey m_key;
    std::optional<Directory> m_directory;
    std::string m_nonce;
    std::string m_accountUrl;
};

} // namespace sealpost::acme
