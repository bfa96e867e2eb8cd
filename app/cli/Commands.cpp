#include "Commands.h"

#include "Args.h"
#include "DirectoryCommands.h"
#include "Io.h"
#include "KeyMaterial.h"
#include "ReportJson.h"
#include "engine/ProfileMaterial.h"
#include "engine/ProtectionPlan.h"
#include "smime/MessageOpener.h"
#include "smime/MessageProtector.h"

#include <chrono>
#include <iostream>

namespace sealpost::cli {

int serverExitCode(base::ErrorCode code) noexcept {
    using base::ErrorCode;
    switch (code) {
    case ErrorCode::AuthFailed: return kExitAuthFailed;
    case ErrorCode::Unreachable: return kExitUnreachable;
    case ErrorCode::UntrustedServer: return kExitUntrustedServer;
    case ErrorCode::NotFound: return kExitNotFound;
    case ErrorCode::ProtocolError:
    case ErrorCode::TemporaryFailure:
    case ErrorCode::PermanentFailure: return kExitServerError;
    default: return kExitUsage;
    }
}

namespace {

const char* const kSignHelp = R"(Usage: sealpost-cli sign (--from EMAIL | --key KEY --cert CERT | --p12 FILE) [options]
Signs an RFC 5322 message (S/MIME). Reads standard input and writes standard output unless -i/-o.
  --from EMAIL              sign with the current signing identity of EMAIL in the profile
  --key FILE                signer's private key (PEM or DER; PKCS#8, encrypted PKCS#8 with --key-password-file)
  --cert FILE               signer's certificate (PEM or DER; further PEM certificates in it are the chain)
  --key-password-file FILE  password of an encrypted key
  --p12 FILE                signer's PKCS#12 file instead of --key/--cert (with --p12-password-file FILE)
  --chain FILE              intermediate certificates to attach (PEM)
  --opaque                  application/pkcs7-mime signed-data instead of multipart/signed
  --digest sha256|sha384|sha512
  -i FILE, -o FILE          input and output ("-" for standard input/output)
)";

const char* const kEncryptHelp = R"(Usage: sealpost-cli encrypt (--to EMAIL | --to-cert CERT) [...] [options]
Encrypts an RFC 5322 message to every recipient certificate (include your own to keep a readable copy).
  --to EMAIL                recipient whose certificate the profile selects, repeatable; fails, naming
                            the reason per recipient, unless every one of them has a usable certificate
  --from EMAIL              sign with EMAIL's current identity from the profile first, and encrypt to
                            its own encryption certificate too (so the Sent copy stays readable)
  --to-cert FILE            recipient certificate (PEM or DER), repeatable
  --cipher NAME             aes-256-gcm, aes-128-gcm, aes-256-cbc, aes-128-cbc. Default with --to only:
                            AES-256-GCM if every recipient announced it, else AES-256-CBC; otherwise
                            aes-256-gcm (AuthEnvelopedData)
  --rsa-oaep                RSA-OAEP (SHA-256) key transport instead of PKCS#1 v1.5 for RSA recipients
  --key FILE --cert FILE    also sign first (signed-then-encrypted); --p12/--chain/--opaque as for sign
  -i FILE, -o FILE          input and output ("-" for standard input/output)
)";

const char* const kOpenHelp = R"(Usage: sealpost-cli open [options]
Decrypts and verifies an S/MIME message, writes it opened (decrypted, signatures removed) and reports
what protects it.
  --key FILE --cert FILE    a decryption key and its certificate, repeatable (paired in order)
  --key-password-file FILE  password of encrypted keys
  --p12 FILE                a PKCS#12 file, repeatable; --p12-password-file FILE (once, or once per file)
  --trust FILE              trust anchor(s) (PEM/DER; a root or any intermediate), repeatable
  --at TIME                 check certificate validity at this RFC 3339 time instead of now
  --json FILE               write the status report as JSON ("-" for standard output; then use -o)
  --no-system-trust         in profile mode, do not add the system's trust anchors
  -i FILE, -o FILE          input and output ("-" for standard input/output)
Profile mode: when a profile is named (--profile or $SEALPOST_PROFILE), its keys (current and retired)
and trust anchors are used as well, plus the system's trust anchors.
Exit status: 0 processed (whatever the security status), 1 could not be decrypted, 2 unusable input.
)";

bool wantsHelp(const std::vector<std::string>& args) {
    for (const auto& a : args) {
        if (a == "--help" || a == "-h") {
            return true;
        }
    }
    return false;
}

int fail(const std::string& command, const std::string& message, int code = kExitUsage) {
    std::cerr << "sealpost-cli " << command << ": " << message << "\n";
    return code;
}

int fail(const std::string& command, const base::Error& e, int code = kExitUsage) {
    return fail(command, e.detail, code);
}

const std::vector<std::string> kSignerOptions = {
    "--key", "--cert", "--key-password-file", "--p12", "--p12-password-file", "--chain", "--digest", "--from",
    "-i",    "-o"};

base::Error usage(const std::string& text) {
    return base::makeError(base::ErrorCode::InvalidArgument, text);
}

// The identities of a --from address, or why there are none.
base::Result<engine::ProtectionPlan> planFromProfile(const GlobalOptions& global, const std::string& from,
                                                     const std::vector<std::string>& to) {
    auto db = openProfileDatabase(global, store::OpenMode::MustExist, false);
    if (!db) {
        return db.error();
    }
    if (auto looked = resolveWithDirectory(*db, to, "encrypt"); !looked) {
        return looked.error();
    }
    const base::SystemClock clock;
    return engine::planProtection(*db, clock, from, to);
}

// The signing step from --key/--cert, --p12 or (with `plan`) the profile, with --chain, --opaque and --digest.
base::Result<smime::SignStep> signerFrom(const Args& args, const engine::ProtectionPlan* plan) {
    std::vector<crypto::Identity> ids;
    if (plan != nullptr) {
        if (args.has("--key") || args.has("--p12")) {
            return usage("give either --from or --key/--cert or --p12, not both");
        }
        if (!plan->signer) {
            return usage("the profile has no current, valid signing identity for " + *args.value("--from") +
                         " (see: sealpost-cli identity list)");
        }
        ids.push_back(*plan->signer);
    } else {
        auto loaded = loadIdentities(args);
        if (!loaded) {
            return loaded.error();
        }
        ids = std::move(*loaded);
    }
    if (ids.size() != 1) {
        return usage("give exactly one signer (--from, --key/--cert or --p12)");
    }
    smime::SignStep step{ids.front(),
                         args.has("--opaque") ? smime::SignatureForm::Opaque : smime::SignatureForm::Detached,
                         crypto::DigestAlgorithm::Sha256, std::nullopt};
    if (auto chain = args.value("--chain")) {
        auto certs = loadCertificates(*chain);
        if (!certs) {
            return certs.error();
        }
        step.signer.chain.insert(step.signer.chain.end(), certs->begin(), certs->end());
    }
    if (auto d = args.value("--digest")) {
        auto digest = crypto::digestFromName(*d);
        if (!digest) {
            return base::makeError(base::ErrorCode::InvalidArgument, "unknown digest: " + *d);
        }
        step.digest = *digest;
    }
    return step;
}

int protect(const std::string& command, const Args& args, const smime::ProtectRequest& request) {
    auto input = readInput(args.value("-i").value_or("-"));
    if (!input) {
        return fail(command, input.error());
    }
    OutputFile out;
    if (auto o = out.open(args.value("-o").value_or("-")); !o) {
        return fail(command, o.error());
    }
    if (auto done = smime::protectMessage(*input, request, out); !done) {
        return fail(command, std::string(base::errorCodeName(done.error().code)) + ": " + done.error().detail);
    }
    if (auto c = out.commit(); !c) {
        return fail(command, c.error());
    }
    return kExitOk;
}

} // namespace

int runSign(const std::vector<std::string>& argv, const GlobalOptions& global) {
    if (wantsHelp(argv)) {
        std::cout << kSignHelp;
        return kExitOk;
    }
    std::string error;
    auto args = Args::parse(argv, kSignerOptions, {"--opaque"}, error);
    if (!args) {
        return fail("sign", error + " (see --help)");
    }
    std::optional<engine::ProtectionPlan> plan;
    if (auto from = args->value("--from")) {
        auto planned = planFromProfile(global, *from, {});
        if (!planned) {
            return fail("sign", planned.error());
        }
        plan = std::move(*planned);
    }
    auto step = signerFrom(*args, plan ? &*plan : nullptr);
    if (!step) {
        return fail("sign", step.error());
    }
    smime::ProtectRequest request;
    request.sign = std::move(*step);
    request.now = std::chrono::system_clock::now();
    return protect("sign", *args, request);
}

int runEncrypt(const std::vector<std::string>& argv, const GlobalOptions& global) {
    if (wantsHelp(argv)) {
        std::cout << kEncryptHelp;
        return kExitOk;
    }
    std::vector<std::string> valued = kSignerOptions;
    valued.insert(valued.end(), {"--to-cert", "--to", "--cipher"});
    std::string error;
    auto args = Args::parse(argv, valued, {"--opaque", "--rsa-oaep"}, error);
    if (!args) {
        return fail("encrypt", error + " (see --help)");
    }
    smime::ProtectRequest request;
    request.now = std::chrono::system_clock::now();
    smime::EncryptStep encrypt;
    for (const auto& path : args->values("--to-cert")) {
        auto cert = loadCertificate(path);
        if (!cert) {
            return fail("encrypt", cert.error());
        }
        encrypt.recipients.push_back(*cert);
    }
    const std::vector<std::string> to = args->values("--to");
    std::optional<engine::ProtectionPlan> plan;
    if (!to.empty() || args->has("--from")) {
        auto planned = planFromProfile(global, args->value("--from").value_or(""), to);
        if (!planned) {
            return fail("encrypt", planned.error());
        }
        plan = std::move(*planned);
        for (const auto& r : plan->recipients) {
            if (!r.selection.cert) {
                std::cerr << "sealpost-cli encrypt: " << r.address << ": no usable certificate ("
                          << store::selectionReasonName(r.selection.reason) << ")\n";
                continue;
            }
            encrypt.recipients.push_back(r.selection.cert->cert);
        }
        if (!to.empty() && !plan->canEncrypt) {
            return fail("encrypt",
                        "not encrypted: not every recipient has a usable certificate "
                        "(harvest signed mail from them, import their certificate, or look them up: see lookup)");
        }
        if (!to.empty() && !args->has("--to-cert")) {
            encrypt.options.cipher = plan->cipher;
        }
        if (plan->ownEncryption) {
            encrypt.recipients.push_back(*plan->ownEncryption);
        } else if (args->has("--from")) {
            std::cerr << "sealpost-cli encrypt: note: no encryption identity for " << *args->value("--from")
                      << " in the profile; you will not be able to read this message yourself\n";
        }
    }
    if (encrypt.recipients.empty()) {
        return fail("encrypt", "no recipient: give at least one --to or --to-cert");
    }
    if (auto c = args->value("--cipher")) {
        auto cipher = crypto::cipherFromName(*c);
        if (!cipher) {
            return fail("encrypt", "unknown cipher: " + *c + " (aes-256-gcm, aes-128-gcm, aes-256-cbc, aes-128-cbc)");
        }
        encrypt.options.cipher = *cipher;
    }
    if (args->has("--rsa-oaep")) {
        encrypt.options.rsaPadding = crypto::RsaPadding::Oaep;
    }
    request.encrypt = std::move(encrypt);
    if (args->has("--key") || args->has("--p12") || args->has("--from")) {
        auto step = signerFrom(*args, args->has("--from") ? &*plan : nullptr);
        if (!step) {
            return fail("encrypt", step.error());
        }
        request.sign = std::move(*step);
    }
    return protect("encrypt", *args, request);
}

int runOpen(const std::vector<std::string>& argv, const GlobalOptions& global) {
    if (wantsHelp(argv)) {
        std::cout << kOpenHelp;
        return kExitOk;
    }
    std::string error;
    auto args = Args::parse(argv,
                            {"--key", "--cert", "--key-password-file", "--p12", "--p12-password-file", "--trust",
                             "--at", "--json", "-i", "-o"},
                            {"--no-system-trust"}, error);
    if (!args) {
        return fail("open", error + " (see --help)");
    }
    const std::string outPath = args->value("-o").value_or("-");
    const auto jsonPath = args->value("--json");
    if (jsonPath && *jsonPath == "-" && outPath == "-") {
        return fail("open", "--json - and the opened message cannot both go to standard output: add -o FILE");
    }
    auto identities = loadIdentities(*args);
    if (!identities) {
        return fail("open", identities.error());
    }
    std::vector<crypto::Certificate> anchors;
    for (const auto& path : args->values("--trust")) {
        auto certs = loadCertificates(path);
        if (!certs) {
            return fail("open", certs.error());
        }
        anchors.insert(anchors.end(), certs->begin(), certs->end());
    }
    if (profileNamed(global)) {
        auto db = openProfileDatabase(global, store::OpenMode::MustExist, false);
        if (!db) {
            return fail("open", db.error());
        }
        auto material = engine::loadProfileMaterial(
            *db, args->has("--no-system-trust") ? engine::SystemAnchors::Exclude : engine::SystemAnchors::Include);
        if (!material) {
            return fail("open", material.error());
        }
        identities->insert(identities->end(), material->identities.begin(), material->identities.end());
        anchors.insert(anchors.end(), material->trustAnchors.begin(), material->trustAnchors.end());
    }
    smime::OpenOptions options;
    options.at = std::chrono::system_clock::now();
    if (auto at = args->value("--at")) {
        auto t = parseTime(*at);
        if (!t) {
            return fail("open", "--at: not an RFC 3339 time: " + *at + " (example: 2026-06-01T00:00:00Z)");
        }
        options.at = *t;
    }
    options.identities = *identities;
    options.trustAnchors = anchors;
    const std::string inPath = args->value("-i").value_or("-");
    InputFile input;
    if (auto i = input.open(inPath); !i) {
        return fail("open", i.error());
    }
    // Streamed: an encrypted message is decrypted without reading it into memory whole.
    auto opened = smime::openMessage(input, options);
    if (!opened) {
        return fail("open", (inPath == "-" ? std::string("standard input") : inPath) + ": " +
                                std::string(base::errorCodeName(opened.error().code)) + ": " + opened.error().detail);
    }
    OutputFile out;
    if (auto o = out.open(outPath); !o) {
        return fail("open", o.error());
    }
    if (!opened->writeTo(out)) {
        return fail("open", "cannot write the opened message");
    }
    if (auto c = out.commit(); !c) {
        return fail("open", c.error());
    }
    if (jsonPath) {
        OutputFile json;
        const std::string text = reportToJson(opened->report).dump(2) + "\n";
        if (auto o = json.open(*jsonPath); !o || !json.write(base::asBytes(text)) || !json.commit()) {
            return fail("open", "cannot write " + *jsonPath);
        }
    }
    if (opened->report.encryption == smime::EncryptionState::Failed) {
        std::cerr << "sealpost-cli open: could not decrypt: " << opened->report.decryptionErrorDetail << "\n";
        return kExitNotDecrypted;
    }
    return kExitOk;
}

} // namespace sealpost::cli
