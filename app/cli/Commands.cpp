#include "Commands.h"

#include "Args.h"
#include "Io.h"
#include "KeyMaterial.h"
#include "ReportJson.h"
#include "smime/MessageOpener.h"
#include "smime/MessageProtector.h"

#include <chrono>
#include <iostream>

namespace sealpost::cli {

namespace {

const char* const kSignHelp = R"(Usage: sealpost-cli sign --key KEY --cert CERT [options]
Signs an RFC 5322 message (S/MIME). Reads standard input and writes standard output unless -i/-o.
  --key FILE                signer's private key (PEM or DER; PKCS#8, encrypted PKCS#8 with --key-password-file)
  --cert FILE               signer's certificate (PEM or DER; further PEM certificates in it are the chain)
  --key-password-file FILE  password of an encrypted key
  --p12 FILE                signer's PKCS#12 file instead of --key/--cert (with --p12-password-file FILE)
  --chain FILE              intermediate certificates to attach (PEM)
  --opaque                  application/pkcs7-mime signed-data instead of multipart/signed
  --digest sha256|sha384|sha512
  -i FILE, -o FILE          input and output ("-" for standard input/output)
)";

const char* const kEncryptHelp = R"(Usage: sealpost-cli encrypt --to-cert CERT [--to-cert CERT ...] [options]
Encrypts an RFC 5322 message to every recipient certificate (include your own to keep a readable copy).
  --to-cert FILE            recipient certificate (PEM or DER), repeatable
  --cipher NAME             aes-256-gcm (default, AuthEnvelopedData), aes-128-gcm, aes-256-cbc, aes-128-cbc
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
  -i FILE, -o FILE          input and output ("-" for standard input/output)
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
    "--key", "--cert", "--key-password-file", "--p12", "--p12-password-file", "--chain", "--digest", "-i", "-o"};

// The signing step from --key/--cert or --p12, with --chain, --opaque and --digest.
base::Result<smime::SignStep> signerFrom(const Args& args) {
    auto ids = loadIdentities(args);
    if (!ids) {
        return ids.error();
    }
    if (ids->size() != 1) {
        return base::makeError(base::ErrorCode::InvalidArgument, "give exactly one signer (--key/--cert or --p12)");
    }
    smime::SignStep step{ids->front(),
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

int runSign(const std::vector<std::string>& argv) {
    if (wantsHelp(argv)) {
        std::cout << kSignHelp;
        return kExitOk;
    }
    std::string error;
    auto args = Args::parse(argv, kSignerOptions, {"--opaque"}, error);
    if (!args) {
        return fail("sign", error + " (see --help)");
    }
    auto step = signerFrom(*args);
    if (!step) {
        return fail("sign", step.error());
    }
    smime::ProtectRequest request;
    request.sign = std::move(*step);
    request.now = std::chrono::system_clock::now();
    return protect("sign", *args, request);
}

int runEncrypt(const std::vector<std::string>& argv) {
    if (wantsHelp(argv)) {
        std::cout << kEncryptHelp;
        return kExitOk;
    }
    std::vector<std::string> valued = kSignerOptions;
    valued.insert(valued.end(), {"--to-cert", "--cipher"});
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
    if (encrypt.recipients.empty()) {
        return fail("encrypt", "no recipient: give at least one --to-cert");
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
    if (args->has("--key") || args->has("--p12")) {
        auto step = signerFrom(*args);
        if (!step) {
            return fail("encrypt", step.error());
        }
        request.sign = std::move(*step);
    }
    return protect("encrypt", *args, request);
}

int runOpen(const std::vector<std::string>& argv) {
    if (wantsHelp(argv)) {
        std::cout << kOpenHelp;
        return kExitOk;
    }
    std::string error;
    auto args = Args::parse(argv,
                            {"--key", "--cert", "--key-password-file", "--p12", "--p12-password-file", "--trust",
                             "--at", "--json", "-i", "-o"},
                            {}, error);
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
