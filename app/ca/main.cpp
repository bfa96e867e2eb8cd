// sealpost-ca: wiring only; the CA lives in server/ca (docs/acme.md, docs/ca-server.md).
#include "Config.h"
#include "Publisher.h"
#include "ca/acme/AcmeServer.h"
#include "ca/acme/store/PgAcmeStore.h"
#include "ca/acme/store/SqliteAcmeStore.h"
#include "ca/issue/Authority.h"
#include "ca/mail/DkimVerifier.h"
#include "ca/mail/ReplyPoller.h"
#include "ca/mail/SmtpChallengeMailer.h"
#include "crypto/KeyGen.h"
#include "http/HttpServer.h"
#include "http/ListenAddress.h"
#include "mail/ServerUrl.h"

#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace {

using namespace sealpost;

constexpr int exitOk = 0;
constexpr int exitFailure = 1;
constexpr int exitUsage = 2;

constexpr const char* usage = R"(Usage: sealpost-ca init --config FILE
       sealpost-ca serve --config FILE
       sealpost-ca --help | --version

init   creates the CA's root, intermediate and challenge-mail signing certificate in data_dir
       (keys encrypted with the passphrase in key_passphrase_file) and prints the root.
serve  answers ACME (RFC 8555, RFC 8823 email-reply-00, RFC 9773 renewal info) on `listen`,
       sends challenge mails over smtp_url, reads replies from imap_url and publishes what it
       issues to keydir_url. Prints "listening on HOST:PORT" once it accepts connections;
       SIGTERM or SIGINT stop it.
The configuration file is described in docs/ca-server.md.
)";

int fail(int code, const std::string& what) {
    std::cerr << "sealpost-ca: " << what << "\n";
    return code;
}

// One line per event on standard output, from any thread.
class Log {
public:
    void operator()(std::string_view line) {
        const std::lock_guard lock(m_mutex);
        std::cout << line << '\n' << std::flush;
    }

private:
    std::mutex m_mutex;
};

// ACME over the generic HTTP server, with an access log line per request.
class AcmeHandler final : public http::Handler {
public:
    AcmeHandler(ca::acme::AcmeServer& server, Log& log) : m_server(server), m_log(log) {}

    http::Response handle(const http::Request& request) override {
        http::Response out;
        ca::acme::AcmeResponse answer = m_server.handle({.method = request.method,
                                                         .target = request.target,
                                                         .contentType = request.header("Content-Type"),
                                                         .body = request.body,
                                                         .bodyTooLarge = request.bodyTooLarge});
        out.status = answer.status;
        for (auto& [name, value] : answer.headers) {
            out.headers.push_back({std::move(name), std::move(value)});
        }
        out.body = std::make_shared<const std::string>(std::move(answer.body));
        out.sendBody = request.method != "HEAD";
        out.closeConnection = request.bodyTooLarge; // the body was not read
        m_log(std::string(request.peerAddress) + " " + std::string(request.method) + " " +
              std::string(request.target.substr(0, 200)) + " " + std::to_string(out.status));
        return out;
    }

private:
    ca::acme::AcmeServer& m_server;
    Log& m_log;
};

base::Result<mail::ServerSettings> mailServer(const ca::app::Config& config, const std::string& url,
                                              std::string_view protocol, const std::string& password) {
    auto settings = mail::parseServerUrl(url, protocol, true);
    if (!settings) {
        return base::makeError(settings.error().code, std::string(protocol) + "_url: " + settings.error().detail);
    }
    settings->username = config.mailUser;
    settings->secret = password;
    settings->caFile = config.mailCaFile;
    return settings;
}

int init(const ca::app::Config& config) {
    if (auto ok = ca::app::checkForInit(config); !ok) {
        return fail(exitUsage, ok.error().detail);
    }
    auto passphrase = ca::app::readSecretFile(config.keyPassphraseFile);
    if (!passphrase) {
        return fail(exitFailure, "key passphrase: " + passphrase.error().detail);
    }
    ca::AuthorityInitOptions options;
    options.mailFrom = config.challengeFrom;
    options.name = config.caName;
    options.caKey = *crypto::parseKeySpec(config.keyType); // the configuration checked it
    options.now = std::chrono::system_clock::now();
    options.issuer.lifetime = config.certificateLifetime;
    auto authority = ca::Authority::init(config.dataDir, options, *passphrase);
    if (!authority) {
        return fail(exitFailure, authority.error().detail);
    }
    const std::string root = (std::filesystem::path(config.dataDir) / ca::Authority::rootCertificateFile).string();
    std::cout << "created the CA in " << config.dataDir << "\n"
              << "root certificate: " << root << "\n"
              << "root SHA-256: " << authority->root().sha256Fingerprint() << "\n"
              << "Clients verify challenge mails against this root (sealpost-cli enroll --ca-root), and\n"
              << "sealpost-keydir must list it in --trust-anchors to accept what the CA publishes.\n";
    return exitOk;
}

// The configuration's database: sqlite:PATH, or a postgresql:// URL (Config accepts nothing else).
base::Result<std::unique_ptr<ca::acme::AcmeStore>> openStore(const ca::app::Config& config) {
    if (config.database.starts_with("sqlite:")) {
        auto store = ca::acme::SqliteAcmeStore::open(config.database.substr(7));
        if (!store) {
            return base::makeError(store.error().code,
                                   "cannot open the database " + config.database + ": " + store.error().detail);
        }
        return std::unique_ptr<ca::acme::AcmeStore>(std::move(*store));
    }
    // A connection for each HTTP thread, the reply poller and one spare; more callers wait.
    auto store = ca::acme::PgAcmeStore::open(config.database, config.threads + 2);
    if (!store) {
        // The URL may hold a password: the detail names it redacted, the message does not repeat it.
        return base::makeError(store.error().code, "cannot open the PostgreSQL database: " + store.error().detail);
    }
    return std::unique_ptr<ca::acme::AcmeStore>(std::move(*store));
}

int serve(const ca::app::Config& config) {
    if (auto ok = ca::app::checkForServe(config); !ok) {
        return fail(exitUsage, ok.error().detail);
    }
    auto passphrase = ca::app::readSecretFile(config.keyPassphraseFile);
    if (!passphrase) {
        return fail(exitFailure, "key passphrase: " + passphrase.error().detail);
    }
    auto authority = ca::Authority::load(config.dataDir, *passphrase, {config.certificateLifetime});
    if (!authority) {
        return fail(exitFailure, "CA in " + config.dataDir + ": " + authority.error().detail);
    }
    auto store = openStore(config);
    if (!store) {
        return fail(exitFailure, store.error().detail);
    }
    auto password = ca::app::readSecretFile(config.mailPasswordFile);
    if (!password) {
        return fail(exitFailure, "mail password: " + password.error().detail);
    }
    auto smtp = mailServer(config, config.smtpUrl, "smtp", *password);
    auto imap = mailServer(config, config.imapUrl, "imap", *password);
    if (!smtp || !imap) {
        return fail(exitUsage, (!smtp ? smtp.error() : imap.error()).detail);
    }
    auto listen = http::parseListenAddress(config.listen);
    if (!listen) {
        return fail(exitUsage, "listen must be HOST:PORT with a port from 0 to 65535, not " + config.listen);
    }
    std::optional<ca::mail::DkimVerifier> dkim;
    if (config.requireDkim || !config.dkimKeyFile.empty()) {
        auto verifier = ca::mail::DkimVerifier::create({.keyFile = config.dkimKeyFile});
        if (!verifier) {
            return fail(exitFailure, "DKIM: " + verifier.error().detail);
        }
        dkim.emplace(std::move(verifier).value());
    }

    Log log;
    std::optional<ca::app::Publisher> publisher;
    if (!config.keydirUrl.empty()) {
        auto token = ca::app::readSecretFile(config.keydirTokenFile);
        if (!token) {
            return fail(exitFailure, "keydir token: " + token.error().detail);
        }
        directory::ClientOptions options;
        options.baseUrl = config.keydirUrl;
        options.caFile = config.keydirCaFile;
        options.bearerToken = *token;
        publisher.emplace(std::move(options), [&log](std::string_view line) { log("keydir: " + std::string(line)); });
    }

    ca::mail::SmtpChallengeMailer mailer(*smtp, config.challengeFrom, authority->mailSigner());
    ca::acme::AcmeServerConfig acmeConfig;
    acmeConfig.externalUrl = config.externalUrl;
    acmeConfig.challengeFrom = config.challengeFrom;
    acmeConfig.termsOfServiceUrl = config.termsOfServiceUrl;
    acmeConfig.website = config.website;
    acmeConfig.newOrdersPerAccountPerHour = config.ordersPerAccountPerHour;
    acmeConfig.newOrdersPerAddressPerHour = config.ordersPerAddressPerHour;
    acmeConfig.requireDkim = config.requireDkim;
    const base::SystemClock clock;
    ca::acme::AcmeServer acme(acmeConfig, **store, *authority->issuer(), mailer, clock,
                              [&publisher](const ca::IssuedCertificate& issued) {
                                  if (publisher) {
                                      publisher->enqueue(issued);
                                  }
                              });

    ca::mail::ReplyPoller poller({.imap = *imap}, acme, dkim ? &*dkim : nullptr,
                                 [&log](std::string_view line) { log("mailbox: " + std::string(line)); });
    AcmeHandler handler(acme, log);
    http::HttpServerConfig httpConfig;
    httpConfig.host = listen->host;
    httpConfig.port = listen->port;
    httpConfig.threads = config.threads;
    httpConfig.maxBodyBytes = acmeConfig.maxBody;
    httpConfig.tlsCertificateFile = config.tlsCert;
    httpConfig.tlsKeyFile = config.tlsKey;
    httpConfig.serverName = "sealpost-ca";
    httpConfig.onHandlerError = [&log](const http::Request& request, std::string_view what) {
        log("internal error: " + std::string(request.method) + " " + std::string(request.target.substr(0, 200)) + ": " +
            std::string(what));
    };
    httpConfig.handleSignals = true;
    http::HttpServer server(handler, httpConfig);
    if (auto listening = server.listen(); !listening) {
        return fail(exitFailure, listening.error().detail);
    }
    std::thread mailbox([&poller, &config] { poller.run(config.mailPollInterval); });
    std::cout << "listening on " << server.boundAddress() << std::endl;
    log("ACME directory: " + config.externalUrl + "/directory");
    server.run();
    poller.stop();
    mailbox.join();
    std::cerr << "sealpost-ca: stopped\n";
    return exitOk;
}

int run(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
        std::cout << usage;
        return exitOk;
    }
    if (args.size() == 1 && args[0] == "--version") {
        std::cout << "sealpost-ca " << SEALPOST_VERSION << "\n";
        return exitOk;
    }
    if (args.size() != 3 || args[1] != "--config" || (args[0] != "init" && args[0] != "serve")) {
        std::cerr << usage;
        return exitUsage;
    }
    auto config = ca::app::loadConfig(args[2]);
    if (!config) {
        return fail(config.error().code == base::ErrorCode::Io ? exitFailure : exitUsage, config.error().detail);
    }
    return args[0] == "init" ? init(*config) : serve(*config);
}

} // namespace

int main(int argc, char** argv) {
    // Library exceptions (out of memory, Asio failing to create its reactor) end the program with
    // a message instead of std::terminate.
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        return fail(exitFailure, std::string("failed: ") + e.what());
    }
}
