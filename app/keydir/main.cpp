// sealpost-keydir: wiring only; the directory lives in server/keydir.
#include "Options.h"
#include "StdoutLog.h"
#include "crypto/CertificateChain.h"
#include "http/HttpServer.h"
#include "keydir/Api.h"
#include "keydir/ApiHandler.h"
#include "keydir/store/CertStore.h"

#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

namespace {

using namespace sealpost;

constexpr int exitOk = 0;
constexpr int exitFailure = 1;
constexpr int exitUsage = 2;

base::Result<std::string> readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return base::makeError(base::ErrorCode::Io, "cannot read " + path);
    }
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

base::Result<std::vector<crypto::Certificate>> loadAnchors(const std::optional<std::string>& path) {
    if (!path) {
        return crypto::loadSystemTrustAnchors();
    }
    auto pem = readFile(*path);
    if (!pem) {
        return pem.error();
    }
    auto certs = crypto::Certificate::parseAll(base::asBytes(*pem));
    if (!certs) {
        return base::makeError(base::ErrorCode::MalformedInput,
                               *path + " holds no PEM certificates: " + certs.error().detail);
    }
    return certs;
}

base::Result<std::optional<std::string>> loadToken(const std::optional<std::string>& path) {
    if (!path) {
        return std::optional<std::string>{};
    }
    auto text = readFile(*path);
    if (!text) {
        return text.error();
    }
    std::string token = text->substr(0, text->find_first_of("\r\n"));
    if (token.size() < 16) {
        return base::makeError(base::ErrorCode::InvalidArgument,
                               "the publisher token in " + *path + " is shorter than 16 characters");
    }
    return std::optional<std::string>(std::move(token));
}

int fail(int code, const std::string& what) {
    std::cerr << "sealpost-keydir: " << what << "\n";
    return code;
}

int run(int argc, char** argv) {
    auto options = keydir::app::parseOptions(std::vector<std::string>(argv + 1, argv + argc));
    if (!options) {
        return fail(exitUsage, options.error().detail);
    }
    if (options->help) {
        std::cout << keydir::app::usage;
        return exitOk;
    }
    if (options->version) {
        std::cout << "sealpost-keydir " << SEALPOST_VERSION << "\n";
        return exitOk;
    }
    auto anchors = loadAnchors(options->trustAnchors);
    if (!anchors) {
        return fail(exitFailure, "trust anchors: " + anchors.error().detail);
    }
    if (anchors->empty()) {
        return fail(exitFailure, "no trust anchors (give --trust-anchors FILE)");
    }
    auto token = loadToken(options->publisherTokenFile);
    if (!token) {
        return fail(exitFailure, "publisher token: " + token.error().detail);
    }
    const int threads =
        options->threads > 0 ? options->threads : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    auto store = keydir::openCertStore(options->database, threads);
    if (!store) {
        return fail(exitFailure, "cannot open the database " + options->database + ": " + store.error().detail);
    }

    keydir::ApiConfig config;
    config.anchors = std::move(anchors).value();
    config.publisherToken = std::move(token).value();
    config.clientLimit = options->rateClient;
    config.addressLimit = options->rateAddress;
    config.maxBody = options->maxBody;
    config.trustForwardedFor = options->trustForwardedFor;
    config.logAddresses = options->logAddresses;
    keydir::app::StdoutLog log;
    const base::SystemClock clock;
    keydir::Api api(**store, std::move(config), clock, &log);

    keydir::ApiHandler handler(api);
    http::HttpServerConfig httpConfig;
    httpConfig.host = options->host;
    httpConfig.port = options->port;
    httpConfig.threads = threads;
    httpConfig.maxBodyBytes = options->maxBody;
    httpConfig.tlsCertificateFile = options->tlsCert;
    httpConfig.tlsKeyFile = options->tlsKey;
    httpConfig.serverName = "sealpost-keydir";
    httpConfig.onHandlerError = [&log, logAddresses = options->logAddresses](const http::Request& request,
                                                                             std::string_view what) {
        // The target may name an address: logged only where addresses are.
        log.write("internal error: " + std::string(request.method) + " " +
                  (logAddresses ? std::string(request.target.substr(0, 200)) : std::string("-")) + ": " +
                  std::string(what));
    };
    httpConfig.handleSignals = true;
    http::HttpServer server(handler, httpConfig);
    if (auto listening = server.listen(); !listening) {
        return fail(exitFailure, listening.error().detail);
    }
    std::cout << "listening on " << server.boundAddress() << std::endl;
    server.run();
    log.flush();
    std::cerr << "sealpost-keydir: stopped\n";
    return exitOk;
}

} // namespace

int main(int argc, char** argv) {
    // Library exceptions (out of memory, Asio failing to create its reactor) end the program
    // with a message instead of std::terminate.
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        return fail(exitFailure, std::string("failed: ") + e.what());
    }
}
