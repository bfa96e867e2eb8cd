// RFC 9788 header protection of encrypted messages (hp="cipher"): what protectMessage writes
// outside and inside, and what openMessage makes of it; the interop tests run the openssl tool.
#include "SmimeTestSupport.h"
#include "crypto/CmsDecryptor.h"
#include "mime/Canonical.h"
#include "mime/MimeEntity.h"
#include "mime/TransferEncoding.h"
#include "smime/MessageOpener.h"
#include "smime/MessageProtector.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <string>
#include <unistd.h>
#include <vector>

namespace sealpost::smime {
namespace {

using namespace test;
using crypto::ContentCipher;
namespace fs = std::filesystem;

constexpr std::string_view kHeader = "From: Alice Test <alice@example.org>\n"
                                     "To: Bob Test <bob@example.org>\n"
                                     "Cc: Carol Test <carol@example.org>\n"
                                     "Bcc: hidden@example.org\n"
                                     "Subject: Secret plans\n"
                                     "Date: Thu, 15 Jan 2026 12:00:00 +0000\n"
                                     "Message-ID: <hp-cipher@example.org>\n"
                                     "In-Reply-To: <earlier@example.org>\n"
                                     "Keywords: private\n"
                                     "MIME-Version: 1.0\n";

// 8-bit UTF-8 text/plain: re-encoded as quoted-printable inside.
constexpr std::string_view kPlainBody = "Gr\xc3\xbc\xc3\x9f"
                                        "e, Bob.\nSee you.\n";
const std::string kPlain = std::string(kHeader) +
                           "Content-Type: text/plain; charset=utf-8\n"
                           "Content-Transfer-Encoding: 8bit\n\n" +
                           std::string(kPlainBody);

const std::string kMixed = std::string(kHeader) + "Content-Type: multipart/mixed; boundary=\"b1\"\n\n"
                                                  "--b1\n"
                                                  "Content-Type: text/plain; charset=utf-8\n"
                                                  "Content-Transfer-Encoding: quoted-printable\n\n"
                                                  "Gr=C3=BC=C3=9Fe, Bob.\nThe file is attached.\n"
                                                  "--b1\n"
                                                  "Content-Type: application/octet-stream; name=\"plans.bin\"\n"
                                                  "Content-Disposition: attachment; filename=\"plans.bin\"\n"
                                                  "Content-Transfer-Encoding: base64\n\n"
                                                  "AAECAwQFBgcICQ==\n"
                                                  "--b1--\n";

// multipart/alternative with a base64 text/plain: the element goes into the plain part only.
const std::string kAlternative = std::string(kHeader) + "Content-Type: multipart/alternative; boundary=\"b2\"\n\n"
                                                        "--b2\n"
                                                        "Content-Type: text/plain; charset=us-ascii\n"
                                                        "Content-Transfer-Encoding: base64\n\n"
                                                        "SGVsbG8gQm9iLg0K\n" // "Hello Bob.\r\n"
                                                        "--b2\n"
                                                        "Content-Type: text/html; charset=us-ascii\n\n"
                                                        "<p>Hello Bob.</p>\n"
                                                        "--b2--\n";

constexpr std::string_view kLegacyElement = "Subject: Secret plans\r\n\r\n";

std::string protect(std::string_view message, const ProtectRequest& req) {
    std::string out;
    base::StringSink sink(out);
    auto done = protectMessage(message, req, sink);
    EXPECT_TRUE(done) << (done ? "" : done.error().detail);
    return out;
}

ProtectRequest request(bool sign, ContentCipher cipher) {
    ProtectRequest r;
    if (sign) {
        r.sign =
            SignStep{loadIdentity("alice"), SignatureForm::Detached, crypto::DigestAlgorithm::Sha256, std::nullopt};
    }
    r.encrypt = EncryptStep{
        {loadCertificate("alice.cert.pem"), loadCertificate("bob.cert.pem"), loadCertificate("carol.cert.pem")},
        {cipher}};
    r.now = signTime();
    r.protectHeaders = true;
    return r;
}

bool contains(const std::vector<std::string>& v, std::string_view s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

std::string protectedValue(const OpenReport& r, std::string_view name) {
    if (r.protectedHeaders) {
        for (const auto& [n, v] : *r.protectedHeaders) {
            if (n == name) {
                return v;
            }
        }
    }
    return "<absent>";
}

// The decrypted content of `message` for bob, as raw bytes.
std::string decryptedPayload(const std::string& message) {
    auto top = mime::parseEntity(message);
    EXPECT_TRUE(top);
    auto der = mime::decodeBase64(top->body);
    EXPECT_TRUE(der);
    const std::vector<crypto::Identity> ids{loadIdentity("bob")};
    auto plain = crypto::decryptCms(*der, ids);
    EXPECT_TRUE(plain) << (plain ? "" : plain.error().detail);
    return plain ? std::string(plain->content) : std::string();
}

std::string decoded(const mime::MimeEntity& e) {
    auto text = mime::decodeBody(e);
    EXPECT_TRUE(text);
    return text ? *text : std::string();
}

void expectOuterHeader(const std::string& out) {
    auto top = mime::parseEntity(out);
    ASSERT_TRUE(top);
    EXPECT_EQ(top->headerValue("Subject"), "[...]");
    EXPECT_EQ(top->headerValue("From"), "Alice Test <alice@example.org>");
    EXPECT_EQ(top->headerValue("To"), "Bob Test <bob@example.org>");
    EXPECT_EQ(top->headerValue("Cc"), "Carol Test <carol@example.org>");
    EXPECT_EQ(top->headerValue("Date"), "Thu, 15 Jan 2026 12:00:00 +0000");
    EXPECT_EQ(top->headerValue("Message-ID"), "<hp-cipher@example.org>");
    EXPECT_EQ(top->header("Bcc"), nullptr);
    EXPECT_EQ(top->header("Keywords"), nullptr);
    EXPECT_EQ(out.find("Secret"), std::string::npos);
    EXPECT_EQ(out.find("hidden@"), std::string::npos);
}

// The Cryptographic Payload: protected fields, HP-Outer, hp="cipher", no Bcc.
void expectPayloadHeader(const mime::MimeEntity& payload) {
    EXPECT_EQ(payload.contentType.param("hp"), "cipher");
    EXPECT_EQ(payload.headerValue("Subject"), "Secret plans");
    EXPECT_EQ(payload.headerValue("Keywords"), "private");
    EXPECT_EQ(payload.headerValue("In-Reply-To"), "<earlier@example.org>");
    EXPECT_EQ(payload.header("Bcc"), nullptr);
    EXPECT_EQ(payload.header("MIME-Version"), nullptr);
    std::vector<std::string> hpOuter;
    for (const auto& h : payload.headers) {
        if (h.name == "HP-Outer") {
            hpOuter.push_back(h.value());
        }
    }
    EXPECT_TRUE(contains(hpOuter, "Subject: [...]"));
    EXPECT_TRUE(contains(hpOuter, "From: Alice Test <alice@example.org>"));
    EXPECT_TRUE(contains(hpOuter, "To: Bob Test <bob@example.org>"));
    EXPECT_TRUE(contains(hpOuter, "Cc: Carol Test <carol@example.org>"));
    EXPECT_TRUE(contains(hpOuter, "Date: Thu, 15 Jan 2026 12:00:00 +0000"));
    EXPECT_TRUE(contains(hpOuter, "Message-ID: <hp-cipher@example.org>"));
    EXPECT_TRUE(contains(hpOuter, "In-Reply-To: <earlier@example.org>"));
    EXPECT_EQ(hpOuter.size(), 7U);
}

// What a Sealpost reader sees: the protected header, no HP-Outer, no legacy display element.
void expectOpenedHeader(const OpenedMessage& opened, bool signedToo) {
    const OpenReport& r = opened.report;
    EXPECT_EQ(r.encryption, EncryptionState::Decrypted);
    EXPECT_EQ(r.signature, signedToo ? SignatureState::Valid : SignatureState::None);
    EXPECT_EQ(r.headerProtection, "cipher");
    EXPECT_EQ(protectedValue(r, "Subject"), "Secret plans");
    EXPECT_EQ(protectedValue(r, "From"), "Alice Test <alice@example.org>");
    EXPECT_EQ(protectedValue(r, "To"), "Bob Test <bob@example.org>");
    EXPECT_EQ(protectedValue(r, "Cc"), "Carol Test <carol@example.org>");
    EXPECT_EQ(protectedValue(r, "Date"), "Thu, 15 Jan 2026 12:00:00 +0000");
    EXPECT_EQ(protectedValue(r, "Message-ID"), "<hp-cipher@example.org>");
    EXPECT_EQ(protectedValue(r, "Bcc"), "<absent>");
    EXPECT_FALSE(hasWarning(r, OpenWarning::ProtectedSubjectDiffers)) << warningList(r);
    EXPECT_FALSE(hasWarning(r, OpenWarning::ProtectedFromDiffers)) << warningList(r);
    const std::string text = opened.text();
    auto top = mime::parseEntity(text);
    ASSERT_TRUE(top);
    EXPECT_EQ(top->headerValue("Subject"), "Secret plans");
    EXPECT_EQ(top->headerValue("Cc"), "Carol Test <carol@example.org>");
    EXPECT_EQ(top->header("HP-Outer"), nullptr);
    EXPECT_EQ(top->header("Bcc"), nullptr);
    EXPECT_EQ(text.find("hp-legacy-display"), std::string::npos) << text;
    EXPECT_EQ(text.find("Subject: [...]"), std::string::npos) << text;
}

TEST(HeaderProtectionTest, SignedAndEncryptedPlainTextRoundTrip) {
    for (const auto cipher : {ContentCipher::Aes256Gcm, ContentCipher::Aes256Cbc}) {
        SCOPED_TRACE(cipher == ContentCipher::Aes256Gcm ? "GCM" : "CBC");
        const std::string out = protect(kPlain, request(true, cipher));
        expectOuterHeader(out);
        const std::string raw = decryptedPayload(out);
        auto signedPart = mime::parseEntity(raw);
        ASSERT_TRUE(signedPart);
        ASSERT_TRUE(signedPart->contentType.is("multipart", "signed"));
        ASSERT_EQ(signedPart->children.size(), 2U);
        const mime::MimeEntity& payload = signedPart->children[0];
        expectPayloadHeader(payload);
        EXPECT_EQ(payload.contentType.param("hp-legacy-display"), "1");
        EXPECT_EQ(payload.transferEncoding, "quoted-printable");
        EXPECT_EQ(decoded(payload), std::string(kLegacyElement) + mime::toCrlf(kPlainBody));
        EXPECT_TRUE(mime::isCrlfCanonical(raw));

        OpenContext ctx({"bob"});
        auto opened = ctx.open(out);
        ASSERT_TRUE(opened);
        expectOpenedHeader(*opened, true);
        const std::string topText = opened->text();
        auto top = mime::parseEntity(topText);
        ASSERT_TRUE(top);
        EXPECT_EQ(top->contentType.param("hp"), "cipher");
        EXPECT_EQ(top->contentType.param("charset"), "utf-8");
        EXPECT_EQ(decoded(*top), mime::toCrlf(kPlainBody)); // the body once, without the element
    }
}

// The legacy display element is for people: an encoded-word Subject is shown decoded when the part
// declares UTF-8, and kept encoded when the part could not hold the decoded text.
TEST(HeaderProtectionTest, LegacyDisplayDecodesEncodedWords) {
    const std::string encoded = "Subject: =?UTF-8?B?VmVydHJhZyBmw7xyIFNpZQ==?=\n";
    auto withSubject = [&](const std::string& message) {
        std::string m = message;
        m.replace(m.find("Subject: Secret plans\n"), std::string("Subject: Secret plans\n").size(), encoded);
        return m;
    };
    const std::string utf8Payload =
        decryptedPayload(protect(withSubject(kPlain), request(false, ContentCipher::Aes256Cbc)));
    auto utf8 = mime::parseEntity(utf8Payload);
    ASSERT_TRUE(utf8);
    EXPECT_EQ(decoded(*utf8).rfind("Subject: Vertrag f\xc3\xbcr Sie\r\n\r\n", 0), 0U) << decoded(*utf8);

    const std::string asciiPayload =
        decryptedPayload(protect(withSubject(kAlternative), request(false, ContentCipher::Aes256Cbc)));
    auto ascii = mime::parseEntity(asciiPayload);
    ASSERT_TRUE(ascii);
    ASSERT_FALSE(ascii->children.empty());
    EXPECT_EQ(decoded(ascii->children[0]).rfind("Subject: =?UTF-8?B?VmVydHJhZyBmw7xyIFNpZQ==?=\r\n\r\n", 0), 0U)
        << decoded(ascii->children[0]);
}

// The sender's own copy keeps the Bcc field, inside the encryption only.
TEST(HeaderProtectionTest, KeepBccKeepsItInsideOnly) {
    ProtectRequest req = request(true, ContentCipher::Aes256Cbc);
    req.keepBcc = true;
    const std::string out = protect(kPlain, req);
    expectOuterHeader(out); // no Bcc outside
    const std::string raw = decryptedPayload(out);
    auto signedPart = mime::parseEntity(raw);
    ASSERT_TRUE(signedPart);
    ASSERT_EQ(signedPart->children.size(), 2U);
    EXPECT_EQ(signedPart->children[0].headerValue("Bcc"), "hidden@example.org");

    OpenContext ctx({"bob"});
    auto opened = ctx.open(out);
    ASSERT_TRUE(opened);
    EXPECT_EQ(protectedValue(opened->report, "Bcc"), "hidden@example.org");
}

TEST(HeaderProtectionTest, EncryptOnlyMixedWithAttachment) {
    const std::string out = protect(kMixed, request(false, ContentCipher::Aes256Gcm));
    expectOuterHeader(out);
    const std::string payloadText = decryptedPayload(out);
    auto payload = mime::parseEntity(payloadText);
    ASSERT_TRUE(payload);
    expectPayloadHeader(*payload);
    ASSERT_EQ(payload->children.size(), 2U);
    EXPECT_EQ(payload->contentType.param("hp-legacy-display"), "");
    EXPECT_EQ(payload->children[0].contentType.param("hp-legacy-display"), "1");
    EXPECT_EQ(decoded(payload->children[0]),
              std::string(kLegacyElement) + "Gr\xc3\xbc\xc3\x9f" + "e, Bob.\r\nThe file is attached.");
    EXPECT_EQ(payload->children[1].contentType.param("hp-legacy-display"), "");

    OpenContext ctx({"bob"});
    auto opened = ctx.open(out);
    ASSERT_TRUE(opened);
    expectOpenedHeader(*opened, false);
    const std::string topText = opened->text();
    auto top = mime::parseEntity(topText);
    ASSERT_TRUE(top);
    ASSERT_EQ(top->children.size(), 2U);
    EXPECT_EQ(decoded(top->children[0]), "Gr\xc3\xbc\xc3\x9f"
                                         "e, Bob.\r\nThe file is attached.");
    EXPECT_EQ(top->children[0].contentType.param("charset"), "utf-8");
    EXPECT_EQ(decoded(top->children[1]), std::string("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09", 10));
}

TEST(HeaderProtectionTest, AlternativeGetsElementInBase64PlainPartOnly) {
    const std::string out = protect(kAlternative, request(true, ContentCipher::Aes256Cbc));
    const std::string signedPartText = decryptedPayload(out);
    auto signedPart = mime::parseEntity(signedPartText);
    ASSERT_TRUE(signedPart);
    ASSERT_EQ(signedPart->children.size(), 2U);
    const mime::MimeEntity& payload = signedPart->children[0];
    expectPayloadHeader(payload);
    ASSERT_EQ(payload.children.size(), 2U);
    EXPECT_EQ(payload.children[0].transferEncoding, "base64");
    EXPECT_EQ(decoded(payload.children[0]), std::string(kLegacyElement) + "Hello Bob.\r\n");
    EXPECT_EQ(payload.children[1].contentType.param("hp-legacy-display"), ""); // html left alone

    OpenContext ctx({"bob"});
    auto opened = ctx.open(out);
    ASSERT_TRUE(opened);
    expectOpenedHeader(*opened, true);
    const std::string topText = opened->text();
    auto top = mime::parseEntity(topText);
    ASSERT_TRUE(top);
    ASSERT_EQ(top->children.size(), 2U);
    EXPECT_EQ(decoded(top->children[0]), "Hello Bob.\r\n");
}

TEST(HeaderProtectionTest, StreamedOpenStripsTheElementToo) {
    const std::string out = protect(kPlain, request(true, ContentCipher::Aes256Gcm));
    OpenContext ctx({"bob"});
    base::ViewSource source(out);
    auto streamed = openMessage(source, ctx.options());
    ASSERT_TRUE(streamed);
    auto whole = ctx.open(out);
    ASSERT_TRUE(whole);
    EXPECT_EQ(streamed->text(), whole->text());
    expectOpenedHeader(*streamed, true);
}

TEST(HeaderProtectionTest, WithoutLegacyDisplayTheBodyIsUnchanged) {
    ProtectRequest req = request(false, ContentCipher::Aes256Gcm);
    req.legacyDisplay = false;
    const std::string out = protect(kPlain, req);
    expectOuterHeader(out);
    const std::string payloadText = decryptedPayload(out);
    auto payload = mime::parseEntity(payloadText);
    ASSERT_TRUE(payload);
    expectPayloadHeader(*payload);
    EXPECT_EQ(payload->contentType.param("hp-legacy-display"), "");
    EXPECT_EQ(decoded(*payload), mime::toCrlf(kPlainBody));
}

// Only the element is removed: header-like text after it stays, and text that merely looks like an
// element, in a part without the hp-legacy-display mark, is shown unchanged.
TEST(HeaderProtectionTest, OnlyTheMarkedElementIsRemoved) {
    const std::string message = std::string(kHeader) + "Content-Type: text/plain\n\nNote: keep me\n\nBody.\n";
    OpenContext ctx({"bob"});
    for (const bool legacyDisplay : {true, false}) {
        ProtectRequest req = request(false, ContentCipher::Aes256Gcm);
        req.legacyDisplay = legacyDisplay;
        auto opened = ctx.open(protect(message, req));
        ASSERT_TRUE(opened);
        const std::string topText = opened->text();
        auto top = mime::parseEntity(topText);
        ASSERT_TRUE(top);
        EXPECT_EQ(decoded(*top), "Note: keep me\r\n\r\nBody.\r\n") << legacyDisplay;
    }
}

std::string withoutCr(std::string s) {
    s.erase(std::remove(s.begin(), s.end(), '\r'), s.end());
    return s;
}

class HeaderProtectionInteropTest : public ::testing::Test {
protected:
    void SetUp() override {
        // NOLINTNEXTLINE(cert-env33-c): the point is to run the openssl tool; fixed arguments
        if (std::system("openssl version > /dev/null 2>&1") != 0) {
            GTEST_SKIP() << "openssl command line not available";
        }
        m_dir = fs::temp_directory_path() / ("sealpost-hp-" + std::to_string(::getpid()) + "-" +
                                             ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(m_dir);
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(m_dir, ec);
    }
    [[nodiscard]] std::string path(const std::string& name) const { return (m_dir / name).string(); }
    void write(const std::string& name, std::string_view data) const {
        std::ofstream out(path(name), std::ios::binary);
        out.write(data.data(), static_cast<std::streamsize>(data.size()));
    }
    [[nodiscard]] bool openssl(const std::string& args) const {
        const std::string cmd = "openssl " + args + " 2> " + path("stderr.txt");
        const bool ok = std::system(cmd.c_str()) == 0; // NOLINT(cert-env33-c): paths made by the test
        if (!ok) {
            ADD_FAILURE() << cmd << "\n" << readFile(path("stderr.txt"));
        }
        return ok;
    }
    [[nodiscard]] std::string decryptArgs(const std::string& in, const std::string& out, const std::string& who) const {
        return "cms -decrypt -binary -in " + in + " -out " + out + " -recip " + dataPath(who + ".cert.pem") +
               " -inkey " + dataPath(who + ".key.pem");
    }

    fs::path m_dir;
};

void expectPayloadText(const std::string& lf) {
    EXPECT_NE(lf.find("Subject: Secret plans\n"), std::string::npos) << lf;
    EXPECT_NE(lf.find("HP-Outer: Subject: [...]\n"), std::string::npos) << lf;
    EXPECT_NE(lf.find("hp=\"cipher\""), std::string::npos) << lf;
    EXPECT_NE(lf.find("hp-legacy-display=\"1\""), std::string::npos) << lf;
    EXPECT_NE(lf.find("\n\nSubject: Secret plans\n\n"), std::string::npos) << lf;
    EXPECT_EQ(lf.find("Bcc"), std::string::npos) << lf;
}

TEST_F(HeaderProtectionInteropTest, OpensslDecryptsThenVerifies) {
    for (const auto cipher : {ContentCipher::Aes256Gcm, ContentCipher::Aes256Cbc}) {
        write("encrypted.eml", protect(kPlain, request(true, cipher)));
        for (const char* who : {"bob", "carol"}) {
            ASSERT_TRUE(openssl(decryptArgs(path("encrypted.eml"), path("signed.mime"), who))) << who;
            ASSERT_TRUE(openssl("cms -verify -in " + path("signed.mime") + " -out " + path("content.mime") +
                                " -CAfile " + dataPath("root-ca.cert.pem") + " -attime 1780272000 -purpose smimesign"));
            expectPayloadText(withoutCr(readFile(path("content.mime"))));
        }
    }
}

TEST_F(HeaderProtectionInteropTest, OpensslDecryptsEncryptOnly) {
    write("encrypted.eml", protect(kMixed, request(false, ContentCipher::Aes256Gcm)));
    ASSERT_TRUE(openssl(decryptArgs(path("encrypted.eml"), path("payload.mime"), "bob")));
    const std::string payload = readFile(path("payload.mime"));
    EXPECT_TRUE(mime::isCrlfCanonical(payload));
    const std::string lf = withoutCr(payload);
    EXPECT_NE(lf.find("Subject: Secret plans\n"), std::string::npos) << lf;
    EXPECT_NE(lf.find("hp=\"cipher\""), std::string::npos) << lf;
    EXPECT_NE(lf.find("filename=\"plans.bin\""), std::string::npos) << lf;
    EXPECT_EQ(lf.find("Bcc"), std::string::npos) << lf;
}

// The other direction: a payload written by hand as RFC 9788 describes it, encrypted by the openssl
// tool, opens with the protected header and without the legacy display element.
TEST_F(HeaderProtectionInteropTest, OpensOpensslEncryptedPayload) {
    write("payload.mime", "From: Alice Test <alice@example.org>\r\n"
                          "To: Bob Test <bob@example.org>\r\n"
                          "Subject: Secret plans\r\n"
                          "HP-Outer: From: Alice Test <alice@example.org>\r\n"
                          "HP-Outer: To: Bob Test <bob@example.org>\r\n"
                          "HP-Outer: Subject: [...]\r\n"
                          "Content-Type: text/plain; charset=utf-8; hp=\"cipher\"; hp-legacy-display=\"1\"\r\n"
                          "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
                          "Subject: Secret plans\r\n\r\nGr=C3=BC=C3=9Fe, Bob.\r\n");
    ASSERT_TRUE(openssl("cms -encrypt -binary -aes-256-gcm -in " + path("payload.mime") + " -recip " +
                        dataPath("bob.cert.pem") + " -out " + path("encrypted.eml") +
                        " -from alice@example.org -to bob@example.org -subject '[...]'"));
    OpenContext ctx({"bob"});
    auto opened = ctx.open(readFile(path("encrypted.eml")));
    ASSERT_TRUE(opened);
    EXPECT_EQ(opened->report.encryption, EncryptionState::Decrypted);
    EXPECT_EQ(opened->report.headerProtection, "cipher");
    EXPECT_FALSE(hasWarning(opened->report, OpenWarning::ProtectedSubjectDiffers)) << warningList(opened->report);
    const std::string topText = opened->text();
    auto top = mime::parseEntity(topText);
    ASSERT_TRUE(top);
    EXPECT_EQ(top->headerValue("Subject"), "Secret plans");
    EXPECT_EQ(top->header("HP-Outer"), nullptr);
    EXPECT_EQ(top->contentType.param("hp-legacy-display"), "");
    EXPECT_EQ(decoded(*top), "Gr\xc3\xbc\xc3\x9f"
                             "e, Bob.\r\n");
}

} // namespace
} // namespace sealpost::smime
