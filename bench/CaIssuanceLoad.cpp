// CA issuance throughput (bench/ca-issuance.sh): N accounts, each through the whole ACME flow
// once (directory, newAccount, newOrder, authorization, challenge, poll until ready, finalize,
// poll until valid, download), driven by T client threads with the project's AcmeClient over
// libcurl, against one of two targets:
//
//   sealpost  sealpost-ca's stack in this process: http::HttpServer + ca::acme::AcmeServer + the
//             real CertificateIssuer (Authority::init in a temp dir) + SqliteAcmeStore in a temp
//             dir. Only the mailbox is replaced: the mailer hands each challenge mail straight to
//             its "user" (the client thread of that address), who answers at once through
//             AcmeServer::acceptReply, as the CA's mailbox reader would after an instant reply.
//             Identifiers email userN@bench.example (challenge email-reply-00).
//   pebble    a running Pebble (PEBBLE_VA_ALWAYS_VALID=1): identifiers dns userN.bench.example,
//             challenge http-01 POSTed and always valid.
//
// Account keys (P-256) and certificate keys + CSRs (P-256) are generated before timing: they are
// the client's cost. Prints a human summary on standard error and one line
// "RESULT key=value ..." on standard output for the script.
//
// Usage: sealpost-bench-ca-issuance --target sealpost|pebble [options]
//   --accounts N         accounts, one order each [1000]
//   --threads T          client threads [64]
//   --directory URL      pebble: its directory URL
//   --ca-file PEM        trust anchors for HTTPS (pebble's; or the one of --tls-cert)
//   --server-pid PID     pebble: its pid, for the server's CPU time (/proc/PID/stat)
//   --server-threads S   sealpost: HttpServer threads [2]
//   --tls-cert PEM --tls-key PEM   sealpost: serve HTTPS with this certificate (same as pebble's)
//   --poll-ms MS         client poll interval, also when the server asks for a longer one [5]
//   --transport keepalive|curl   keepalive: one libcurl handle per client thread, so connections
//                        (and TLS sessions) are reused; curl: the project's CurlTransport (which
//                        now keeps its connection too; it opened one per request when the
//                        figures in docs/performance.md were taken) [keepalive]
#include "acme/AcmeClient.h"
#include "acme/EmailChallenge.h"
#include "base/Clock.h"
#include "ca/acme/AcmeServer.h"
#include "ca/acme/store/SqliteAcmeStore.h"
#include "ca/issue/Authority.h"
#include "crypto/Csr.h"
#include "crypto/KeyGen.h"
#include "crypto/PublicKey.h"
#include "http/HttpServer.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <curl/curl.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <pthread.h>
#include <sstream>
#include <string>
#include <sys/resource.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

using namespace sealpost;
using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& what) {
    std::cerr << "ca-issuance: " << what << "\n";
    std::exit(1);
}

struct Options {
    std::string target;
    long accounts = 1000;
    long threads = 64;
    std::string directory;
    std::string caFile;
    long serverPid = 0;
    int serverThreads = 2;
    std::string tlsCert;
    std::string tlsKey;
    long pollMs = 5;
    std::string transport = "keepalive";
};

Options parseOptions(int argc, char** argv) {
    Options o;
    const std::vector<std::string> args(argv + 1, argv + argc);
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& name = args[i];
        if (i + 1 >= args.size()) {
            die("missing value for " + name);
        }
        const std::string& value = args[++i];
        if (name == "--target") {
            o.target = value;
        } else if (name == "--accounts") {
            o.accounts = std::strtol(value.c_str(), nullptr, 10);
        } else if (name == "--threads") {
            o.threads = std::strtol(value.c_str(), nullptr, 10);
        } else if (name == "--directory") {
            o.directory = value;
        } else if (name == "--ca-file") {
            o.caFile = value;
        } else if (name == "--server-pid") {
            o.serverPid = std::strtol(value.c_str(), nullptr, 10);
        } else if (name == "--server-threads") {
            o.serverThreads = static_cast<int>(std::strtol(value.c_str(), nullptr, 10));
        } else if (name == "--tls-cert") {
            o.tlsCert = value;
        } else if (name == "--tls-key") {
            o.tlsKey = value;
        } else if (name == "--transport") {
            o.transport = value;
        } else if (name == "--poll-ms") {
            o.pollMs = std::strtol(value.c_str(), nullptr, 10);
        } else {
            die("unknown option " + name);
        }
    }
    if ((o.target != "sealpost" && o.target != "pebble") || o.accounts <= 0 || o.threads <= 0 || o.serverThreads <= 0 ||
        o.pollMs <= 0) {
        die("usage: sealpost-bench-ca-issuance --target sealpost|pebble [--accounts N] [--threads T] ... (see the "
            "source)");
    }
    if (o.target == "pebble" && (o.directory.empty() || o.caFile.empty())) {
        die("pebble needs --directory and --ca-file");
    }
    return o;
}

double threadCpuSeconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double processCpuSeconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    auto seconds = [](const timeval& tv) {
        return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
    };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// utime + stime of another process, from /proc/PID/stat; 0 when unknown.
double otherProcessCpuSeconds(long pid) {
    if (pid <= 0) {
        return 0;
    }
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto close = text.rfind(')');
    if (close == std::string::npos) {
        return 0;
    }
    std::istringstream fields(text.substr(close + 2));
    std::string field;
    double utime = 0;
    double stime = 0;
    for (int i = 3; fields >> field; ++i) { // field 3 is the state
        if (i == 14) {
            utime = std::stod(field);
        } else if (i == 15) {
            stime = std::stod(field);
            break;
        }
    }
    return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

template <typename T, void (*F)(T*)> struct Free {
    void operator()(T* p) const { F(p); }
};
using CurlPtr = std::unique_ptr<CURL, Free<CURL, curl_easy_cleanup>>;
using CurlListPtr = std::unique_ptr<curl_slist, Free<curl_slist, curl_slist_free_all>>;

// libcurl with one easy handle kept for all requests of a client thread: connections and TLS
// sessions are reused, as a busy ACME client (or certbot's requests.Session) would. The project's
// CurlTransport made a handle per request when this benchmark was written (a handshake and a trust
// store load every time, enough to make the client the bottleneck); it now keeps its handle.
class KeepAliveTransport final : public acme::HttpTransport {
public:
    explicit KeepAliveTransport(std::string caFile) : m_curl(curl_easy_init()), m_caFile(std::move(caFile)) {
        if (!m_curl) {
            die("curl_easy_init failed");
        }
    }
    base::Result<acme::HttpResponse> send(const acme::HttpRequest& request, std::stop_token /*stop*/) override {
        CURL* curl = m_curl.get();
        acme::HttpResponse response;
        CurlListPtr headers;
        for (const auto& [name, value] : request.headers) {
            std::string field = name;
            field += ": ";
            field += value;
            headers.reset(curl_slist_append(headers.release(), field.c_str()));
        }
        headers.reset(curl_slist_append(headers.release(), "Expect:"));
        curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(curl, CURLOPT_TIMEOUT, 120L);
        if (!m_caFile.empty()) {
            curl_easy_setopt(curl, CURLOPT_CAINFO, m_caFile.c_str());
        }
        curl_easy_setopt(curl, CURLOPT_NOBODY, request.method == acme::HttpMethod::Head ? 1L : 0L);
        if (request.method == acme::HttpMethod::Post) {
            curl_easy_setopt(curl, CURLOPT_POST, 1L);
            curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
            curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
        } else if (request.method == acme::HttpMethod::Get) {
            curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
        }
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &KeepAliveTransport::onBody);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
        curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &KeepAliveTransport::onHeader);
        curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response);
        const CURLcode code = curl_easy_perform(curl);
        if (code != CURLE_OK) {
            return base::makeError(base::ErrorCode::Unreachable, curl_easy_strerror(code));
        }
        long status = 0;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        response.status = static_cast<int>(status);
        return response;
    }

private:
    static std::size_t onBody(char* data, std::size_t size, std::size_t count, void* user) {
        static_cast<acme::HttpResponse*>(user)->body.append(data, size * count);
        return size * count;
    }
    static std::size_t onHeader(char* data, std::size_t size, std::size_t count, void* user) {
        auto* response = static_cast<acme::HttpResponse*>(user);
        std::string line(data, size * count);
        if (line.starts_with("HTTP/")) {
            response->headers.clear(); // a new response (after 1xx)
            return size * count;
        }
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
            line.pop_back();
        }
        const auto colon = line.find(':');
        if (colon != std::string::npos) {
            const auto start = line.find_first_not_of(" \t", colon + 1);
            response->headers.emplace_back(line.substr(0, colon),
                                           start == std::string::npos ? std::string() : line.substr(start));
        }
        return size * count;
    }

    CurlPtr m_curl;
    std::string m_caFile;
};

// Polls every `cap` at most, whatever Retry-After says: both targets are polled alike, and a
// throughput test must not idle for seconds between looks.
class CappedSleeper final : public acme::Sleeper {
public:
    explicit CappedSleeper(std::chrono::milliseconds cap) : m_cap(cap) {}
    bool sleepFor(std::chrono::milliseconds duration, std::stop_token stop) override {
        return m_inner.sleepFor(std::min(duration, m_cap), std::move(stop));
    }

private:
    std::chrono::milliseconds m_cap;
    acme::ThreadSleeper m_inner;
};

// The replaced mailbox: each challenge mail is delivered to the address's in-memory inbox (token
// part 1), where that address's client thread picks it up.
class InstantMailer final : public ca::ChallengeMailer {
public:
    base::Result<void> send(const ca::OutgoingChallenge& challenge) override {
        const std::lock_guard lock(m_mutex);
        m_inbox[challenge.to] = challenge.tokenPart1;
        return {};
    }
    std::optional<std::string> take(const std::string& address) {
        const std::lock_guard lock(m_mutex);
        auto found = m_inbox.find(address);
        if (found == m_inbox.end()) {
            return std::nullopt;
        }
        std::string part1 = std::move(found->second);
        m_inbox.erase(found);
        return part1;
    }

private:
    std::mutex m_mutex;
    std::map<std::string, std::string> m_inbox;
};

// The certificate issuer's CPU time (CSR checks + signing) inside the real stack: issue() runs
// on the request's thread from start to end, so that thread's CPU clock measures it.
class TimingIssuer final : public ca::Issuer {
public:
    explicit TimingIssuer(ca::Issuer& inner) : m_inner(inner) {}
    base::Result<Outcome> issue(const ca::IssueRequest& request) override {
        const double start = threadCpuSeconds();
        auto outcome = m_inner.issue(request);
        m_nanos += static_cast<long long>((threadCpuSeconds() - start) * 1e9);
        return outcome;
    }
    [[nodiscard]] const crypto::Certificate& root() const override { return m_inner.root(); }
    [[nodiscard]] double seconds() const { return static_cast<double>(m_nanos.load()) / 1e9; }

private:
    ca::Issuer& m_inner;
    std::atomic<long long> m_nanos{0};
};

// ACME over the generic HTTP server, as app/ca/main.cpp wires it (without the access log). The
// server is set once it exists: its external URL needs the port bound first.
class AcmeHandler final : public http::Handler {
public:
    void setServer(ca::acme::AcmeServer* server) { m_server = server; }
    http::Response handle(const http::Request& request) override {
        ca::acme::AcmeResponse answer = m_server->handle({.method = request.method,
                                                          .target = request.target,
                                                          .contentType = request.header("Content-Type"),
                                                          .body = request.body,
                                                          .bodyTooLarge = request.bodyTooLarge});
        http::Response out;
        out.status = answer.status;
        for (auto& [name, value] : answer.headers) {
            out.headers.push_back({std::move(name), std::move(value)});
        }
        out.body = std::make_shared<const std::string>(std::move(answer.body));
        out.sendBody = request.method != "HEAD";
        out.closeConnection = request.bodyTooLarge;
        return out;
    }

private:
    ca::acme::AcmeServer* m_server = nullptr;
};

struct Account {
    std::optional<crypto::PrivateKey> key; // set before timing
    std::string identifier;                // email or dns name
    base::Bytes csr;
};

// Client-measured phases of one order, in seconds.
struct Sample {
    bool ok = false;
    double account = 0;   // directory + newAccount
    double order = 0;     // newOrder + authorization
    double challenge = 0; // (reply) + challenge POST + poll until ready
    double finalize = 0;  // finalize + poll until valid
    double download = 0;
    [[nodiscard]] double total() const { return account + order + challenge + finalize + download; }
};

// Where the in-process CA is reached and how its "users" answer; null for Pebble.
struct SealpostSide {
    InstantMailer* mailer = nullptr;
    ca::acme::AcmeServer* server = nullptr;
    std::atomic<long long> replyNanos{0}; // CPU time of acceptReply (server work on client threads)
};

std::string describe(const acme::AcmeError& error) {
    return std::to_string(error.httpStatus) + " " + error.detail();
}

// The whole flow for one account; an error message, or nullopt when the certificate arrived.
std::optional<std::string> runOne(acme::AcmeClient& client, const Account& account, SealpostSide* sealpost,
                                  const acme::PollOptions& poll, Sample& sample) {
    auto lap = [last = Clock::now()]() mutable {
        const auto now = Clock::now();
        const double seconds = std::chrono::duration<double>(now - last).count();
        last = now;
        return seconds;
    };
    auto registered = client.newAccount({{}, true, false});
    if (!registered) {
        return "newAccount: " + describe(registered.error());
    }
    sample.account = lap();
    const std::string type = sealpost != nullptr ? "email" : "dns";
    auto order = client.newOrder({{{type, account.identifier}}, {}});
    if (!order) {
        return "newOrder: " + describe(order.error());
    }
    if (order->authorizations.size() != 1) {
        return std::string("newOrder: not one authorization");
    }
    auto authz = client.fetchAuthorization(order->authorizations.front());
    if (!authz) {
        return "authorization: " + describe(authz.error());
    }
    sample.order = lap();
    const acme::Challenge* challenge = authz->challenge(sealpost != nullptr ? "email-reply-00" : "http-01");
    if (challenge == nullptr) {
        return std::string("authorization: no challenge of the expected type");
    }
    if (sealpost != nullptr) {
        auto part1 = sealpost->mailer->take(account.identifier);
        if (!part1) {
            return std::string("no challenge mail for ") + account.identifier;
        }
        auto response = acme::challengeResponse(*part1, challenge->token, crypto::PublicKey::of(*account.key));
        if (!response) {
            return "challengeResponse: " + response.error().detail;
        }
        const double cpu = threadCpuSeconds();
        auto verdict = sealpost->server->acceptReply({*part1, account.identifier, *response, false, "bench"});
        sealpost->replyNanos += static_cast<long long>((threadCpuSeconds() - cpu) * 1e9);
        if (!verdict || *verdict != ca::ReplyVerdict::Accepted) {
            return std::string("the reply was not accepted");
        }
    }
    if (auto posted = client.respondToChallenge(challenge->url); !posted) {
        return "challenge: " + describe(posted.error());
    }
    auto ready = client.pollOrder(order->url, poll);
    if (!ready || ready->status != acme::OrderStatus::Ready) {
        return "order not ready: " + (ready ? std::string("status") : describe(ready.error()));
    }
    sample.challenge = lap();
    auto finalized = client.finalize(*ready, account.csr);
    if (!finalized) {
        return "finalize: " + describe(finalized.error());
    }
    if (finalized->status != acme::OrderStatus::Valid) {
        finalized = client.pollOrder(order->url, poll);
        if (!finalized || finalized->status != acme::OrderStatus::Valid) {
            return "order not valid: " + (finalized ? std::string("status") : describe(finalized.error()));
        }
    }
    sample.finalize = lap();
    auto chain = client.downloadCertificate(finalized->certificate);
    if (!chain || chain->pem.find("BEGIN CERTIFICATE") == std::string::npos) {
        return "download: " + (chain ? std::string("no certificate") : describe(chain.error()));
    }
    sample.download = lap();
    sample.ok = true;
    return std::nullopt;
}

std::vector<Account> makeAccounts(const Options& o) {
    std::vector<Account> accounts(static_cast<std::size_t>(o.accounts));
    const long workers = std::max(1U, std::thread::hardware_concurrency());
    std::vector<std::thread> threads;
    for (long t = 0; t < workers; ++t) {
        threads.emplace_back([&, t] {
            for (long i = t; i < o.accounts; i += workers) {
                Account& a = accounts[static_cast<std::size_t>(i)];
                auto accountKey = crypto::generateKey(crypto::KeySpec::P256);
                auto certificateKey = crypto::generateKey(crypto::KeySpec::P256);
                if (!accountKey || !certificateKey) {
                    die("cannot generate keys");
                }
                a.key = std::move(*accountKey);
                crypto::CsrContent names;
                if (o.target == "sealpost") {
                    a.identifier = "user" + std::to_string(i) + "@bench.example";
                    names.emails.push_back(a.identifier);
                } else {
                    a.identifier = "user" + std::to_string(i) + ".bench.example";
                    names.dnsNames.push_back(a.identifier);
                }
                auto csr = crypto::makeCsr(*certificateKey, names);
                if (!csr) {
                    die("cannot make a CSR: " + csr.error().detail);
                }
                a.csr = std::move(*csr);
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    return accounts;
}

double percentile(std::vector<double> values, double p) {
    if (values.empty()) {
        return 0;
    }
    std::sort(values.begin(), values.end());
    const auto index = static_cast<std::size_t>(std::lround(p / 100.0 * static_cast<double>(values.size() - 1)));
    return values[std::min(index, values.size() - 1)];
}

struct RunResult {
    std::vector<Sample> samples;
    std::vector<std::string> errors;
    double wall = 0;
    double clientCpu = 0;
};

RunResult drive(const Options& o, const std::string& directoryUrl, const std::vector<Account>& accounts,
                SealpostSide* sealpost) {
    RunResult result;
    result.samples.resize(accounts.size());
    std::atomic<std::size_t> next{0};
    std::mutex errorsMutex;
    std::atomic<long long> clientCpuNanos{0};
    const base::SystemClock clock;
    const acme::PollOptions poll{std::chrono::seconds(120), std::chrono::milliseconds(o.pollMs),
                                 std::chrono::milliseconds(o.pollMs)};
    const auto started = Clock::now();
    std::vector<std::thread> threads;
    for (long t = 0; t < o.threads; ++t) {
        threads.emplace_back([&] {
            pthread_setname_np(pthread_self(), "bench-client");
            std::unique_ptr<acme::HttpTransport> transport;
            if (o.transport == "curl") {
                transport = acme::makeCurlTransport(
                    {o.caFile, std::chrono::seconds(30), std::chrono::seconds(120), std::size_t{1024} * 1024, {}});
            } else {
                transport = std::make_unique<KeepAliveTransport>(o.caFile);
            }
            CappedSleeper sleeper{std::chrono::milliseconds(o.pollMs)};
            for (std::size_t i = next++; i < accounts.size(); i = next++) {
                acme::AcmeClientConfig config;
                config.directoryUrl = directoryUrl;
                config.transport = transport.get();
                config.clock = &clock;
                config.sleeper = &sleeper;
                config.maxBadNonceRetries = 10;
                acme::AcmeClient client(std::move(config), *accounts[i].key);
                if (auto error = runOne(client, accounts[i], sealpost, poll, result.samples[i])) {
                    const std::lock_guard lock(errorsMutex);
                    result.errors.push_back(accounts[i].identifier + ": " + *error);
                }
            }
            clientCpuNanos += static_cast<long long>(threadCpuSeconds() * 1e9);
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    result.wall = std::chrono::duration<double>(Clock::now() - started).count();
    result.clientCpu = static_cast<double>(clientCpuNanos.load()) / 1e9;
    return result;
}

void report(const Options& o, const RunResult& r, double serverCpu, double issueSeconds, double replySeconds) {
    std::vector<double> totals;
    Sample sum;
    for (const Sample& s : r.samples) {
        if (s.ok) {
            totals.push_back(s.total() * 1000);
            sum.account += s.account;
            sum.order += s.order;
            sum.challenge += s.challenge;
            sum.finalize += s.finalize;
            sum.download += s.download;
        }
    }
    const auto ok = static_cast<double>(totals.size());
    const double perOrder = ok > 0 ? 1000 / ok : 0; // seconds summed -> ms per order
    const double rate = static_cast<double>(totals.size()) / r.wall;
    std::cerr << "ca-issuance " << o.target << ": " << totals.size() << " of " << o.accounts << " orders in " << r.wall
              << " s = " << rate << " orders/s with " << o.threads << " client threads; " << r.errors.size()
              << " errors\n";
    if (o.target == "sealpost") {
        std::cerr << "  challenge mails are not sent: every reply is handed to acceptReply at once (mail round "
                     "trips excluded)\n";
    }
    for (std::size_t i = 0; i < std::min<std::size_t>(r.errors.size(), 5); ++i) {
        std::cerr << "  error: " << r.errors[i] << "\n";
    }
    std::printf(
        "RESULT transport=%s target=%s accounts=%ld threads=%ld ok=%zu errors=%zu wall_s=%.2f orders_per_s=%.1f "
        "p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f max_ms=%.1f account_ms=%.1f order_ms=%.1f challenge_ms=%.1f "
        "finalize_ms=%.1f download_ms=%.1f server_cpu_ms=%.2f client_cpu_ms=%.2f issue_cpu_ms=%.2f reply_cpu_ms=%.2f\n",
        o.transport.c_str(), o.target.c_str(), o.accounts, o.threads, totals.size(), r.errors.size(), r.wall, rate,
        percentile(totals, 50), percentile(totals, 90), percentile(totals, 99), percentile(totals, 100),
        sum.account * perOrder, sum.order * perOrder, sum.challenge * perOrder, sum.finalize * perOrder,
        sum.download * perOrder, ok > 0 ? serverCpu * 1000 / ok : 0, ok > 0 ? r.clientCpu * 1000 / ok : 0,
        ok > 0 ? issueSeconds * 1000 / ok : 0, ok > 0 ? replySeconds * 1000 / ok : 0);
}

int runSealpost(const Options& o, const std::vector<Account>& accounts) {
    const std::filesystem::path dir =
        std::filesystem::temp_directory_path() / ("sealpost-ca-bench-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    ca::AuthorityInitOptions init;
    init.mailFrom = "acme@ca.bench.example";
    init.now = std::chrono::system_clock::now();
    auto authority = ca::Authority::init(dir / "ca", init, "bench passphrase");
    if (!authority) {
        die("Authority::init: " + authority.error().detail);
    }
    auto store = ca::acme::SqliteAcmeStore::open(dir / "acme.sqlite");
    if (!store) {
        die("SqliteAcmeStore::open: " + store.error().detail);
    }
    TimingIssuer issuer(*authority->issuer());
    InstantMailer mailer;
    AcmeHandler handler;
    http::HttpServerConfig httpConfig;
    httpConfig.threads = o.serverThreads;
    httpConfig.tlsCertificateFile = o.tlsCert;
    httpConfig.tlsKeyFile = o.tlsKey;
    httpConfig.serverName = "sealpost-ca";
    http::HttpServer server(handler, httpConfig);
    if (auto listening = server.listen(); !listening) {
        die("listen: " + listening.error().detail);
    }
    const std::string base = (o.tlsCert.empty() ? "http://" : "https://") + server.boundAddress();
    ca::acme::AcmeServerConfig acmeConfig;
    acmeConfig.externalUrl = base;
    acmeConfig.challengeFrom = init.mailFrom;
    acmeConfig.newOrdersPerAccountPerHour = 1000000;
    acmeConfig.newOrdersPerAddressPerHour = 1000000;
    const base::SystemClock clock;
    ca::acme::AcmeServer acme(acmeConfig, **store, issuer, mailer, clock);
    handler.setServer(&acme);
    std::thread serving([&server] { server.run(); });

    SealpostSide side;
    side.mailer = &mailer;
    side.server = &acme;
    const double cpuBefore = processCpuSeconds();
    RunResult result = drive(o, base + "/directory", accounts, &side);
    const double cpuAll = processCpuSeconds() - cpuBefore;
    server.stop();
    serving.join();
    // The server's share: everything but the client threads, plus the replies judged on them.
    const double replies = static_cast<double>(side.replyNanos.load()) / 1e9;
    result.clientCpu -= replies;
    report(o, result, cpuAll - result.clientCpu, issuer.seconds(), replies);
    std::filesystem::remove_all(dir);
    return result.errors.empty() ? 0 : 1;
}

int runPebble(const Options& o, const std::vector<Account>& accounts) {
    const double cpuBefore = otherProcessCpuSeconds(o.serverPid);
    RunResult result = drive(o, o.directory, accounts, nullptr);
    report(o, result, otherProcessCpuSeconds(o.serverPid) - cpuBefore, 0, 0);
    return result.errors.empty() ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const Options o = parseOptions(argc, argv);
    const auto started = Clock::now();
    const std::vector<Account> accounts = makeAccounts(o);
    std::cerr << "ca-issuance: " << o.accounts << " account keys, certificate keys and CSRs made in "
              << std::chrono::duration<double>(Clock::now() - started).count() << " s (not timed)\n";
    return o.target == "sealpost" ? runSealpost(o, accounts) : runPebble(o, accounts);
}
