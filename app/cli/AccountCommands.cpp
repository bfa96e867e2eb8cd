#include "AccountCommands.h"

#include "Args.h"
#include "Commands.h"
#include "ProfileCommands.h"
#include "Terminal.h"
#include "engine/Send.h"
#include "mail/AccountCheck.h"
#include "mail/Autoconfig.h"
#include "mail/ServerUrl.h"
#include "store/AccountStore.h"

#include <algorithm>
#include <cctype>
#include <iostream>
#include <nlohmann/json.hpp>

namespace sealpost::cli {

namespace {

using json = nlohmann::ordered_json;
using base::ErrorCode;

const char* const kAccountHelp =
    R"(Usage: sealpost-cli [--profile DIR] [--passphrase-file F] account add EMAIL [options]
       sealpost-cli [--profile DIR] [--passphrase-file F] account list [--json]
       sealpost-cli [--profile DIR] [--passphrase-file F] account test [EMAIL] [--json]
       sealpost-cli [--profile DIR] [--passphrase-file F] account remove EMAIL
       sealpost-cli [--profile DIR] [--passphrase-file F] account policy EMAIL [POLICY] [--json]
Mail accounts: IMAP and SMTP servers, with the password kept in the encrypted profile.
  add      find the servers (autoconfig, DNS SRV, guesses; each step is printed) or take them from
           --imap and --smtp, check the login on both and store the account
  list     the accounts (never their passwords)
  test     log in to the IMAP and SMTP servers of every account (or one)
  remove   forget an account with its cached mail and outbox
  policy   show or set how `send` protects the account's mail (docs/sending.md):
           encrypt-when-possible (default: sign, encrypt when every recipient has a key),
           require-encryption (refuse to send what cannot be encrypted), sign-only
Options of add:
  --name "Display Name"        the name shown in From:
  --password-file F            the password (first line); else asked on the terminal
  --imap URL --smtp URL        skip discovery: imaps://HOST[:993], imap://HOST[:143] (STARTTLS),
                               smtps://HOST[:465], smtp://HOST[:587] (STARTTLS)
  --allow-plaintext            also accept imap+plain://HOST:PORT and smtp+plain://HOST:PORT (no TLS),
                               only to this machine; and an http:// --isp-db on this machine
  --allow-self-signed-fingerprint SHA256
                               trust exactly this server certificate (SHA-256 of its DER, hex)
  --isp-db URL                 also ask this ISP database (e.g. https://autoconfig.thunderbird.net/v1.1/)
  --connect-to HOST:PORT:HOST2:PORT2
                               during discovery, connect to HOST2:PORT2 for HOST:PORT (repeatable)
  --discovery-ca-file PEM      during discovery, also trust these CAs for the https look-ups
  --dns-server IP[:PORT]       ask this DNS server for the SRV records instead of the system's
  --no-verify                  store without checking the login
  --json                       machine-readable output
Exit status: 0 ok, 2 usage or profile error, 3 login refused, 4 server unreachable, 5 server
certificate not trusted, 6 other server error, 7 no such account / no server found.
)";

// The one-line error with the exit code of its kind.
int failServer(const std::string& command, const base::Error& e) {
    return fail(command, std::string(base::errorCodeName(e.code)) + ": " + e.detail, serverExitCode(e.code));
}

// What the user can do about a failed login, in one sentence.
std::string advice(const mail::LoginCheck& check) {
    switch (check.error->code) {
    case ErrorCode::AuthFailed: return "the server refused the user name or password";
    case ErrorCode::Unreachable: return "cannot connect to the server (host, port, network?)";
    case ErrorCode::UntrustedServer:
        return check.certificateSha256.empty()
                   ? "the server's certificate is not trusted"
                   : "the server's certificate is not trusted; if you know it is the right one, add it with "
                     "--allow-self-signed-fingerprint " +
                         check.certificateSha256;
    case ErrorCode::ProtocolError: return "the server did not answer as expected (right port and security?)";
    default: return "the login check failed";
    }
}

// Lower-case hex without colons; empty when `text` is not a SHA-256 fingerprint.
std::string normaliseFingerprint(const std::string& text) {
    std::string out;
    for (const char ch : text) {
        if (ch == ':') {
            continue;
        }
        if (std::isxdigit(static_cast<unsigned char>(ch)) == 0) {
            return {};
        }
        out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
    }
    return out.size() == 64 ? out : std::string{};
}

json stepJson(const mail::DiscoveryStep& step) {
    return {{"method", std::string(mail::discoveryMethodName(step.method))},
            {"tried", step.tried},
            {"outcome", std::string(mail::stepOutcomeName(step.outcome))},
            {"error", step.error ? json(std::string(base::errorCodeName(step.error->code))) : json(nullptr)},
            {"detail", step.error ? json(step.error->detail) : json(nullptr)}};
}

void printStep(const mail::DiscoveryStep& step) {
    std::cout << "  " << mail::discoveryMethodName(step.method) << " " << step.tried << ": "
              << mail::stepOutcomeName(step.outcome);
    if (step.error) {
        std::cout << " (" << base::errorCodeName(step.error->code) << ": " << step.error->detail << ")";
    }
    std::cout << "\n";
}

json accountJson(const store::Account& a) {
    return {{"address", a.address},
            {"display_name", a.displayName},
            {"imap", mail::serverUrl(a.imap, "imap")},
            {"smtp", mail::serverUrl(a.smtp, "smtp")},
            {"username", a.imap.username},
            {"auth", std::string(mail::authMethodName(a.imap.auth))},
            {"pinned_sha256", a.imap.pinnedSha256.empty() ? json(nullptr) : json(a.imap.pinnedSha256)}};
}

struct AddRequest {
    std::string address;
    Args args;
    bool json = false;
};

// The servers of `add`: from --imap/--smtp, or discovered (steps printed as they happen).
base::Result<std::pair<mail::ServerSettings, mail::ServerSettings>> serversFor(const AddRequest& req, json& out) {
    const bool plain = req.args.has("--allow-plaintext");
    const auto imapUrl = req.args.value("--imap");
    const auto smtpUrl = req.args.value("--smtp");
    if (imapUrl.has_value() != smtpUrl.has_value()) {
        return base::makeError(ErrorCode::InvalidArgument, "give both --imap and --smtp, or neither");
    }
    if (imapUrl) {
        auto imap = mail::parseServerUrl(*imapUrl, "imap", plain);
        if (!imap) {
            return imap.error();
        }
        auto smtp = mail::parseServerUrl(*smtpUrl, "smtp", plain);
        if (!smtp) {
            return smtp.error();
        }
        imap->username = req.address;
        smtp->username = req.address;
        return std::make_pair(std::move(*imap), std::move(*smtp));
    }
    mail::DiscoveryOptions options;
    options.ispDatabaseUrl = req.args.value("--isp-db").value_or("");
    options.connectTo = req.args.values("--connect-to");
    options.caFile = req.args.value("--discovery-ca-file").value_or("");
    options.dnsServer = req.args.value("--dns-server").value_or("");
    options.allowHttpForLoopback = plain;
    if (!req.json) {
        std::cout << "Looking for the servers of " << req.address << ":\n";
        options.progress = printStep;
    }
    auto found = mail::discover(req.address, options);
    if (!found) {
        return found.error();
    }
    out["steps"] = json::array();
    for (const auto& step : found->steps) {
        out["steps"].push_back(stepJson(step));
    }
    if (!found->imap || !found->smtp) {
        return base::makeError(ErrorCode::NotFound, std::string("found no ") + (found->imap ? "SMTP" : "IMAP") +
                                                        " server; give --imap and --smtp");
    }
    return std::make_pair(std::move(*found->imap), std::move(*found->smtp));
}

base::Result<base::SecureString> accountPassword(const AddRequest& req) {
    const auto file = req.args.value("--password-file");
    if (!file && !terminalAvailable()) {
        return base::makeError(ErrorCode::InvalidArgument, "no password: give --password-file F");
    }
    return passphraseFrom(file, "Password for " + req.address + ": ", false);
}

// Logs in to both servers; prints what failed. The exit code of the first failure, or kExitOk.
int verify(const store::Account& account, const std::string& command, bool asJson, json& out) {
    int rc = kExitOk;
    json checks = json::object();
    for (const auto protocol : {mail::Protocol::Imap, mail::Protocol::Smtp}) {
        const bool imap = protocol == mail::Protocol::Imap;
        const auto check = mail::checkLogin(imap ? account.imap : account.smtp, protocol);
        const std::string name = imap ? "imap" : "smtp";
        json entry = {{"server", mail::serverUrl(imap ? account.imap : account.smtp, name)}, {"ok", check.ok()}};
        if (!check.certificateSha256.empty()) {
            entry["certificate_sha256"] = check.certificateSha256;
        }
        if (check.ok()) {
            if (!asJson) {
                std::cout << account.address << " " << name << " " << entry["server"].get<std::string>()
                          << ": login ok\n";
            }
        } else {
            entry["error"] = std::string(base::errorCodeName(check.error->code));
            entry["detail"] = check.error->detail;
            std::cerr << "sealpost-cli " << command << ": " << account.address << " " << name << ": "
                      << base::errorCodeName(check.error->code) << ": " << advice(check) << " (" << check.error->detail
                      << ")\n";
            if (rc == kExitOk) {
                rc = serverExitCode(check.error->code);
            }
        }
        checks[name] = entry;
    }
    out["checks"] = checks;
    return rc;
}

int accountAdd(const std::vector<std::string>& rest, const GlobalOptions& global) {
    const std::string command = "account add";
    if (rest.empty() || rest[0].rfind("--", 0) == 0) {
        return fail(command, "give the e-mail address (see --help)");
    }
    std::string error;
    auto args = Args::parse(std::vector<std::string>(rest.begin() + 1, rest.end()),
                            {"--name", "--password-file", "--imap", "--smtp", "--allow-self-signed-fingerprint",
                             "--isp-db", "--connect-to", "--discovery-ca-file", "--dns-server"},
                            {"--allow-plaintext", "--no-verify", "--json"}, error);
    if (!args) {
        return fail(command, error);
    }
    AddRequest req{rest[0], *args, args->has("--json")};
    if (const auto at = req.address.find('@'); at == std::string::npos || at == 0 || at + 1 == req.address.size()) {
        return fail(command, "not an e-mail address: " + req.address);
    }
    std::string pin;
    if (const auto fp = args->value("--allow-self-signed-fingerprint")) {
        pin = normaliseFingerprint(*fp);
        if (pin.empty()) {
            return fail(command, "--allow-self-signed-fingerprint needs a SHA-256 fingerprint (64 hex digits)");
        }
    }
    auto db = openProfileDatabase(global, store::OpenMode::MustExist, false);
    if (!db) {
        return fail(command, db.error());
    }
    store::AccountStore accounts(*db);
    if (accounts.find(req.address)) {
        return fail(command, "an account for " + req.address + " exists (account remove it first)");
    }
    json out = {{"address", req.address}};
    auto servers = serversFor(req, out);
    if (!servers) {
        if (req.json) {
            out["error"] = std::string(base::errorCodeName(servers.error().code));
            out["detail"] = servers.error().detail;
            std::cout << out.dump(2) << "\n";
        }
        return failServer(command, servers.error());
    }
    auto password = accountPassword(req);
    if (!password) {
        return fail(command, password.error());
    }
    store::Account account;
    account.address = req.address;
    account.displayName = args->value("--name").value_or("");
    account.imap = std::move(servers->first);
    account.smtp = std::move(servers->second);
    for (auto* s : {&account.imap, &account.smtp}) {
        // The CLI has no OAuth flow: what it is given is a password, whatever the document preferred.
        if (s->auth == mail::AuthMethod::XOAuth2) {
            s->auth = mail::AuthMethod::Plain;
        }
        s->secret = std::string(password->view());
        s->pinnedSha256 = pin;
    }
    if (!args->has("--no-verify")) {
        if (const int rc = verify(account, command, req.json, out); rc != kExitOk) {
            if (req.json) {
                std::cout << out.dump(2) << "\n";
            }
            return rc;
        }
    }
    auto added = accounts.add(account);
    if (!added) {
        return fail(command, added.error());
    }
    out["verified"] = !args->has("--no-verify");
    out["account"] = accountJson(account);
    if (req.json) {
        std::cout << out.dump(2) << "\n";
    } else {
        std::cout << "added " << account.address << ": IMAP " << mail::serverUrl(account.imap, "imap") << ", SMTP "
                  << mail::serverUrl(account.smtp, "smtp") << ", user " << account.imap.username << "\n";
    }
    return kExitOk;
}

int accountList(const std::vector<std::string>& rest, const GlobalOptions& global) {
    const std::string command = "account list";
    std::string error;
    auto args = Args::parse(rest, {}, {"--json"}, error);
    if (!args) {
        return fail(command, error);
    }
    auto db = openProfileDatabase(global, store::OpenMode::MustExist, false);
    if (!db) {
        return fail(command, db.error());
    }
    auto list = store::AccountStore(*db).list();
    if (!list) {
        return fail(command, list.error());
    }
    if (args->has("--json")) {
        json out = json::array();
        for (const auto& a : *list) {
            out.push_back(accountJson(a));
        }
        std::cout << out.dump(2) << "\n";
        return kExitOk;
    }
    for (const auto& a : *list) {
        std::cout << a.address << (a.displayName.empty() ? "" : " (" + a.displayName + ")") << "\n"
                  << "  imap: " << mail::serverUrl(a.imap, "imap") << "\n"
                  << "  smtp: " << mail::serverUrl(a.smtp, "smtp") << "\n"
                  << "  user: " << a.imap.username << ", auth " << mail::authMethodName(a.imap.auth) << "\n";
        if (!a.imap.pinnedSha256.empty()) {
            std::cout << "  pinned certificate: " << a.imap.pinnedSha256 << "\n";
        }
    }
    return kExitOk;
}

int accountTest(const std::vector<std::string>& rest, const GlobalOptions& global) {
    const std::string command = "account test";
    std::vector<std::string> options = rest;
    std::optional<std::string> address;
    if (!options.empty() && options[0].rfind("--", 0) != 0) {
        address = options[0];
        options.erase(options.begin());
    }
    std::string error;
    auto args = Args::parse(options, {}, {"--json"}, error);
    if (!args) {
        return fail(command, error);
    }
    auto db = openProfileDatabase(global, store::OpenMode::MustExist, false);
    if (!db) {
        return fail(command, db.error());
    }
    store::AccountStore accounts(*db);
    std::vector<store::Account> list;
    if (address) {
        auto one = accounts.find(*address);
        if (!one) {
            return failServer(command, one.error());
        }
        list.push_back(std::move(*one));
    } else {
        auto all = accounts.list();
        if (!all) {
            return fail(command, all.error());
        }
        list = std::move(*all);
    }
    int rc = kExitOk;
    json out = json::array();
    for (const auto& a : list) {
        json entry = {{"address", a.address}};
        if (const int one = verify(a, command, args->has("--json"), entry); rc == kExitOk) {
            rc = one;
        }
        out.push_back(entry);
    }
    if (args->has("--json")) {
        std::cout << out.dump(2) << "\n";
    }
    return rc;
}

int accountRemove(const std::vector<std::string>& rest, const GlobalOptions& global) {
    const std::string command = "account remove";
    if (rest.size() != 1 || rest[0].rfind("--", 0) == 0) {
        return fail(command, "give the e-mail address of the account");
    }
    auto db = openProfileDatabase(global, store::OpenMode::MustExist, false);
    if (!db) {
        return fail(command, db.error());
    }
    if (auto removed = store::AccountStore(*db).remove(rest[0]); !removed) {
        return failServer(command, removed.error());
    }
    std::cout << "removed " << rest[0] << "\n";
    return kExitOk;
}

int accountPolicy(const std::vector<std::string>& rest, const GlobalOptions& global) {
    const std::string command = "account policy";
    std::vector<std::string> positional;
    std::vector<std::string> options;
    for (const auto& a : rest) {
        (a.rfind("--", 0) == 0 ? options : positional).push_back(a);
    }
    std::string error;
    auto args = Args::parse(options, {}, {"--json"}, error);
    if (!args) {
        return fail(command, error);
    }
    if (positional.empty() || positional.size() > 2) {
        return fail(command, "give the e-mail address of the account and optionally the policy (see --help)");
    }
    std::optional<engine::SendPolicy> wanted;
    if (positional.size() == 2) {
        wanted = engine::parseSendPolicy(positional[1]);
        if (!wanted) {
            return fail(command, "unknown policy \"" + positional[1] +
                                     "\": encrypt-when-possible, require-encryption or sign-only");
        }
    }
    auto db = openProfileDatabase(global, store::OpenMode::MustExist, false);
    if (!db) {
        return fail(command, db.error());
    }
    auto account = store::AccountStore(*db).find(positional[0]);
    if (!account) {
        return failServer(command, account.error());
    }
    if (wanted) {
        if (auto saved = engine::saveSendPolicy(*db, account->address, *wanted); !saved) {
            return fail(command, saved.error());
        }
    }
    auto policy = engine::loadSendPolicy(*db, account->address);
    if (!policy) {
        return fail(command, policy.error());
    }
    if (args->has("--json")) {
        std::cout << json{{"account", account->address}, {"policy", std::string(engine::sendPolicyName(*policy))}}.dump(
                         2)
                  << "\n";
    } else {
        std::cout << account->address << ": " << engine::sendPolicyName(*policy) << "\n";
    }
    return kExitOk;
}

} // namespace

int runAccount(const std::vector<std::string>& args, const GlobalOptions& global) {
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
        std::cout << kAccountHelp;
        return args.empty() ? kExitUsage : kExitOk;
    }
    const std::string& sub = args[0];
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    if (sub == "add") {
        return accountAdd(rest, global);
    }
    if (sub == "list") {
        return accountList(rest, global);
    }
    if (sub == "test") {
        return accountTest(rest, global);
    }
    if (sub == "remove") {
        return accountRemove(rest, global);
    }
    if (sub == "policy") {
        return accountPolicy(rest, global);
    }
    return fail("account", "unknown subcommand " + sub + " (see --help)");
}

} // namespace sealpost::cli
