#include "smime/MessageProtector.h"

#include "SmimeTestSupport.h"
#include "crypto/CmsVerifier.h"
#include "mime/Ascii.h"
#include "mime/Canonical.h"
#include "mime/MimeEntity.h"
#include "mime/TransferEncoding.h"
#include "smime/MessageOpener.h"

#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace sealpost::smime {
namespace {

using crypto::ContentCipher;
using namespace test;

// LF on purpose: the protector must produce CRLF.
constexpr std::string_view kPlainLf = "From: Alice Test <alice@example.org>\n"
                                      "To: Bob Test <bob@example.org>\n"
                                      "Subject: Round trip\n"
                                      "Date: Thu, 15 Jan 2026 12:00:00 +0000\n"
                                      "MIME-Version: 1.0\n"
                                      "Content-Type: text/plain; charset=us-ascii\n"
                                      "\n"
                                      "Hello Bob,\n"
                                      "\n"
                                      "From here on it is a round trip.\n"
                                      ".\n";

class MessageProtectorTest : public ::testing::Test {
protected:
    crypto::Identity alice = loadIdentity("alice");
    crypto::Identity bob = loadIdentity("bob");
    crypto::Identity carol = loadIdentity("carol");

    ProtectRequest signRequest(SignatureForm form) const {
        ProtectRequest r;
        r.sign = SignStep{alice, form, crypto::DigestAlgorithm::Sha256, std::nullopt};
        r.now = signTime();
        return r;
    }
    static ProtectRequest encryptRequest(std::vector<crypto::Certificate> to, ContentCipher cipher) {
        ProtectRequest r;
        r.encrypt = EncryptStep{std::move(to), crypto::EncryptOptions{cipher, crypto::RsaPadding::Pkcs1v15}};
        r.now = signTime();
        return r;
    }
    static std::string protect(std::string_view message, const ProtectRequest& request) {
        std::string out;
        base::StringSink sink(out);
        auto done = protectMessage(message, request, sink);
        EXPECT_TRUE(done) << (done ? "" : done.error().detail);
        return out;
    }
};

// The body of the opened message, decoded.
std::string openedBody(const std::string& opened) {
    auto e = mime::parseEntity(opened);
    if (!e) {
        return "<unparseable>";
    }
    auto body = mime::decodeBody(*e);
    return body ? *body : "<undecodable>";
}

const std::string kExpectedBody = "Hello Bob,\r\n\r\nFrom here on it is a round trip.\r\n.\r\n";

TEST_F(MessageProtectorTest, DetachedSignatureRoundTrip) {
    const std::string out = protect(kPlainLf, signRequest(SignatureForm::Detached));
    EXPECT_TRUE(mime::isCrlfCanonical(out));
    EXPECT_TRUE(mime::isSevenBitSafe(out));
    auto top = mime::parseEntity(out);
    ASSERT_TRUE(top);
    EXPECT_EQ(top->contentType.mimeType(), "multipart/signed");
    EXPECT_EQ(top->contentType.param("micalg"), "sha-256");
    EXPECT_EQ(top->contentType.param("protocol"), "application/pkcs7-signature");
    EXPECT_EQ(top->headerValue("Subject"), "Round trip");

    OpenContext ctx;
    auto opened = ctx.open(out);
    ASSERT_TRUE(opened);
    const OpenReport& r = opened->report;
    EXPECT_EQ(r.signature, SignatureState::Valid);
    EXPECT_EQ(r.encryption, EncryptionState::None);
    EXPECT_EQ(r.signerMatchesFrom, true);
    EXPECT_TRUE(r.coversWholeMessage);
    EXPECT_TRUE(r.warnings.empty()) << warningList(r);
    ASSERT_EQ(r.signers.size(), 1U);
    EXPECT_TRUE(r.signers[0].result.signingTime.has_value());
    EXPECT_EQ(*r.signers[0].result.signingTime, signTime());
    EXPECT_TRUE(r.signers[0].result.announcedCapabilities);
    ASSERT_TRUE(r.signers[0].result.encryptionKeyPreference.has_value());
    EXPECT_TRUE(*r.signers[0].result.encryptionKeyPreference == alice.certificate);
    EXPECT_EQ(openedBody(opened->text()), kExpectedBody);
}

TEST_F(MessageProtectorTest, OpaqueSignatureRoundTrip) {
    const std::string out = protect(kPlainLf, signRequest(SignatureForm::Opaque));
    auto top = mime::parseEntity(out);
    ASSERT_TRUE(top);
    EXPECT_EQ(top->contentType.mimeType(), "application/pkcs7-mime");
    EXPECT_EQ(top->contentType.param("smime-type"), "signed-data");
    EXPECT_EQ(out.find("round trip."), std::string::npos); // only base64 on the wire
    OpenContext ctx;
    auto opened = ctx.open(out);
    ASSERT_TRUE(opened);
    EXPECT_EQ(opened->report.signature, SignatureState::Valid);
    EXPECT_TRUE(opened->report.coversWholeMessage);
    EXPECT_EQ(openedBody(opened->text()), kExpectedBody);
}

TEST_F(MessageProtectorTest, SignedPartIsExactlyWhatIsHashed) {
    const std::string out = protect(kPlainLf, signRequest(SignatureForm::Detached));
    auto top = mime::parseEntity(out);
    ASSERT_TRUE(top);
    ASSERT_EQ(top->children.size(), 2U);
    // The canonical entity: the content header only (no transport fields), CRLF, the body.
    EXPECT_EQ(top->children[0].raw, "Content-Type: text/plain; charset=us-ascii\r\n\r\n" + kExpectedBody);
    auto der = mime::decodeBody(top->children[1]);
    ASSERT_TRUE(der);
    const std::vector<crypto::Certificate> anchors{loadCertificate("root-ca.cert.pem")};
    const crypto::VerifyOptions vo{anchors, checkTime()};
    const base::ByteView exact = base::asBytes(top->children[0].raw);
    auto verified = crypto::verifyCms(base::asBytes(*der), std::span(&exact, 1), vo);
    ASSERT_TRUE(verified);
    ASSERT_EQ(verified->signers.size(), 1U);
    EXPECT_EQ(verified->signers[0].status, crypto::SignatureStatus::Valid);
    // One byte more (the CRLF before the delimiter) is not what was signed.
    const std::string withDelimiterCrlf = std::string(top->children[0].raw) + "\r\n";
    const base::ByteView longer = base::asBytes(withDelimiterCrlf);
    auto wrong = crypto::verifyCms(base::asBytes(*der), std::span(&longer, 1), vo);
    ASSERT_TRUE(wrong);
    EXPECT_EQ(wrong->signers[0].status, crypto::SignatureStatus::Invalid);
}

TEST_F(MessageProtectorTest, TransportHeadersStayOutsideAndMimeVersionIsSingle) {
    const std::string out = protect(kPlainLf, signRequest(SignatureForm::Detached));
    auto top = mime::parseEntity(out);
    ASSERT_TRUE(top);
    int mimeVersions = 0;
    for (const auto& h : top->headers) {
        mimeVersions += mime::toLowerAscii(h.name) == "mime-version" ? 1 : 0;
    }
    EXPECT_EQ(mimeVersions, 1);
    EXPECT_EQ(top->children[0].raw.find("Subject:"), std::string::npos);
    EXPECT_EQ(top->children[0].raw.find("From: Alice"), std::string::npos);
}

struct CipherCase {
    ContentCipher cipher;
    const char* smimeType;
};

class ProtectorCipherTest : public MessageProtectorTest, public ::testing::WithParamInterface<CipherCase> {};

TEST_P(ProtectorCipherTest, EncryptRoundTrip) {
    const CipherCase& c = GetParam();
    const std::string out = protect(kPlainLf, encryptRequest({bob.certificate}, c.cipher));
    EXPECT_TRUE(mime::isCrlfCanonical(out));
    auto top = mime::parseEntity(out);
    ASSERT_TRUE(top);
    EXPECT_EQ(top->contentType.param("smime-type"), c.smimeType);
    EXPECT_EQ(out.find("round trip."), std::string::npos);

    OpenContext ctx({"bob"});
    auto opened = ctx.open(out);
    ASSERT_TRUE(opened);
    const OpenReport& r = opened->report;
    EXPECT_EQ(r.encryption, EncryptionState::Decrypted);
    EXPECT_EQ(r.cipher, c.cipher);
    EXPECT_EQ(r.signature, SignatureState::None);
    EXPECT_TRUE(r.coversWholeMessage);
    EXPECT_EQ(hasWarning(r, OpenWarning::UnauthenticatedEncryption), !crypto::isAuthenticated(c.cipher));
    const std::string openedText = opened->text();
    EXPECT_EQ(openedBody(openedText), kExpectedBody);
    EXPECT_EQ(mime::parseEntity(openedText)->headerValue("Subject"), "Round trip");

    OpenContext wrong({"alice", "carol"});
    auto failed = wrong.open(out);
    ASSERT_TRUE(failed);
    EXPECT_EQ(failed->report.encryption, EncryptionState::Failed);
}

INSTANTIATE_TEST_SUITE_P(Ciphers, ProtectorCipherTest,
                         ::testing::Values(CipherCase{ContentCipher::Aes256Gcm, "authEnveloped-data"},
                                           CipherCase{ContentCipher::Aes128Gcm, "authEnveloped-data"},
                                           CipherCase{ContentCipher::Aes256Cbc, "enveloped-data"},
                                           CipherCase{ContentCipher::Aes128Cbc, "enveloped-data"}));

TEST_F(MessageProtectorTest, OaepRecipientRoundTrip) {
    ProtectRequest req = encryptRequest({alice.certificate}, ContentCipher::Aes256Gcm);
    req.encrypt->options.rsaPadding = crypto::RsaPadding::Oaep;
    const std::string out = protect(kPlainLf, req);
    OpenContext ctx({"alice"});
    auto opened = ctx.open(out);
    ASSERT_TRUE(opened);
    EXPECT_EQ(opened->report.encryption, EncryptionState::Decrypted);
    EXPECT_EQ(openedBody(opened->text()), kExpectedBody);
}

TEST_F(MessageProtectorTest, MultipleRecipientsIncludingEcEachDecrypt) {
    const std::string out = protect(
        kPlainLf, encryptRequest({alice.certificate, bob.certificate, carol.certificate}, ContentCipher::Aes256Gcm));
    for (const char* who : {"alice", "bob", "carol"}) {
        OpenContext ctx({who});
        auto opened = ctx.open(out);
        ASSERT_TRUE(opened) << who;
        EXPECT_EQ(opened->report.encryption, EncryptionState::Decrypted) << who;
        EXPECT_EQ(openedBody(opened->text()), kExpectedBody) << who;
    }
    OpenContext nobody;
    EXPECT_EQ(nobody.open(out)->report.encryption, EncryptionState::Failed);
}

class SignThenEncryptTest : public MessageProtectorTest, public ::testing::WithParamInterface<SignatureForm> {};

TEST_P(SignThenEncryptTest, RoundTrip) {
    ProtectRequest req = signRequest(GetParam());
    req.encrypt = EncryptStep{{bob.certificate, alice.certificate}, {}};
    const std::string out = protect(kPlainLf, req);
    for (const char* who : {"alice", "bob"}) {
        OpenContext ctx({who});
        auto opened = ctx.open(out);
        ASSERT_TRUE(opened);
        const OpenReport& r = opened->report;
        EXPECT_EQ(r.encryption, EncryptionState::Decrypted);
        EXPECT_EQ(r.cipher, ContentCipher::Aes256Gcm);
        EXPECT_EQ(r.signature, SignatureState::Valid);
        EXPECT_EQ(r.signerMatchesFrom, true);
        EXPECT_TRUE(r.coversWholeMessage);
        EXPECT_TRUE(r.warnings.empty()) << warningList(r);
        ASSERT_EQ(r.parts.size(), 1U);
        EXPECT_TRUE(r.parts[0].encrypted);
        EXPECT_EQ(r.parts[0].signature, SignatureState::Valid);
        EXPECT_EQ(openedBody(opened->text()), kExpectedBody);
    }
}

INSTANTIATE_TEST_SUITE_P(Forms, SignThenEncryptTest, ::testing::Values(SignatureForm::Detached, SignatureForm::Opaque));

TEST_F(MessageProtectorTest, EcSignerRoundTrip) {
    ProtectRequest req;
    req.sign = SignStep{bob, SignatureForm::Detached, crypto::DigestAlgorithm::Sha384, std::nullopt};
    req.now = signTime();
    const std::string msg = "From: Bob Test <bob@example.org>\r\nSubject: EC\r\n\r\nHi\r\n";
    const std::string out = protect(msg, req);
    EXPECT_EQ(mime::parseEntity(out)->contentType.param("micalg"), "sha-384");
    OpenContext ctx;
    auto opened = ctx.open(out);
    ASSERT_TRUE(opened);
    EXPECT_EQ(opened->report.signature, SignatureState::Valid);
    EXPECT_EQ(opened->report.signerMatchesFrom, true);
}

TEST_F(MessageProtectorTest, EightBitTextBecomesQuotedPrintableAndVerifies) {
    const std::string msg = "From: Alice Test <alice@example.org>\n"
                            "Subject: Umlauts\n"
                            "MIME-Version: 1.0\n"
                            "Content-Type: text/plain; charset=utf-8\n"
                            "Content-Transfer-Encoding: 8bit\n"
                            "\n"
                            "Gr\xc3\xbc\xc3\x9f"
                            "e aus K\xc3\xb6ln\n";
    const std::string out = protect(msg, signRequest(SignatureForm::Detached));
    EXPECT_TRUE(mime::isSevenBitSafe(out));
    EXPECT_TRUE(mime::isCrlfCanonical(out));
    auto top = mime::parseEntity(out);
    ASSERT_TRUE(top);
    EXPECT_EQ(top->children[0].transferEncoding, "quoted-printable");
    EXPECT_EQ(top->children[0].headerValue("Content-Type"), "text/plain; charset=utf-8");
    OpenContext ctx;
    auto opened = ctx.open(out);
    ASSERT_TRUE(opened);
    EXPECT_EQ(opened->report.signature, SignatureState::Valid);
    EXPECT_EQ(openedBody(opened->text()), "Gr\xc3\xbc\xc3\x9f"
                                          "e aus K\xc3\xb6ln\r\n");
}

TEST_F(MessageProtectorTest, EightBitBinaryBecomesBase64AndVerifies) {
    std::string payload;
    for (int i = 0; i < 256; ++i) {
        payload.push_back(static_cast<char>(i));
    }
    const std::string msg = "From: Alice Test <alice@example.org>\r\n"
                            "MIME-Version: 1.0\r\n"
                            "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
                            "\r\n"
                            "--b1\r\n"
                            "Content-Type: text/plain\r\n"
                            "\r\n"
                            "see attachment\r\n"
                            "--b1\r\n"
                            "Content-Type: application/octet-stream\r\n"
                            "Content-Transfer-Encoding: binary\r\n"
                            "\r\n" +
                            payload + "\r\n--b1--\r\n";
    const std::string out = protect(msg, signRequest(SignatureForm::Detached));
    EXPECT_TRUE(mime::isSevenBitSafe(out));
    OpenContext ctx;
    auto opened = ctx.open(out);
    ASSERT_TRUE(opened);
    EXPECT_EQ(opened->report.signature, SignatureState::Valid);
    EXPECT_TRUE(opened->report.coversWholeMessage);
    ASSERT_EQ(opened->report.parts.size(), 2U);
    const std::string text = opened->text(); // the parse points into it
    auto inner = mime::parseEntity(text);
    ASSERT_TRUE(inner);
    ASSERT_EQ(inner->children.size(), 2U);
    EXPECT_EQ(inner->children[1].transferEncoding, "base64");
    auto decoded = mime::decodeBody(inner->children[1]);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(*decoded, payload);
}

TEST_F(MessageProtectorTest, OverlongLineIsReencoded) {
    const std::string msg = "From: Alice Test <alice@example.org>\r\n\r\n" + std::string(2000, 'x') + "\r\n";
    const std::string out = protect(msg, signRequest(SignatureForm::Detached));
    EXPECT_TRUE(mime::isSevenBitSafe(out));
    OpenContext ctx;
    auto opened = ctx.open(out);
    ASSERT_TRUE(opened);
    EXPECT_EQ(opened->report.signature, SignatureState::Valid);
    EXPECT_EQ(openedBody(opened->text()), std::string(2000, 'x') + "\r\n");
}

TEST_F(MessageProtectorTest, MissingContentTypeGetsTheDefault) {
    const std::string out =
        protect("From: Alice Test <alice@example.org>\r\n\r\nhi\r\n", signRequest(SignatureForm::Detached));
    auto top = mime::parseEntity(out);
    ASSERT_TRUE(top);
    EXPECT_EQ(top->children[0].contentType.mimeType(), "text/plain");
    EXPECT_EQ(top->children[0].contentType.param("charset"), "us-ascii");
}

TEST_F(MessageProtectorTest, LfMultipartIsCanonicalised) {
    const std::string msg = "From: Alice Test <alice@example.org>\n"
                            "Content-Type: multipart/alternative; boundary=\"alt\"\n"
                            "\n"
                            "--alt\n"
                            "Content-Type: text/plain\n"
                            "\n"
                            "plain\n"
                            "--alt\n"
                            "Content-Type: text/html\n"
                            "\n"
                            "<p>html</p>\n"
                            "--alt--\n";
    for (SignatureForm form : {SignatureForm::Detached, SignatureForm::Opaque}) {
        ProtectRequest req = signRequest(form);
        req.encrypt = EncryptStep{{bob.certificate}, {}};
        const std::string out = protect(msg, req);
        EXPECT_TRUE(mime::isCrlfCanonical(out));
        OpenContext ctx({"bob"});
        auto opened = ctx.open(out);
        ASSERT_TRUE(opened);
        EXPECT_EQ(opened->report.signature, SignatureState::Valid);
        EXPECT_TRUE(opened->report.coversWholeMessage);
        EXPECT_EQ(opened->report.parts.size(), 2U);
        EXPECT_TRUE(mime::isCrlfCanonical(opened->text()));
    }
}

TEST_F(MessageProtectorTest, NothingRequestedIsInvalidArgument) {
    std::string out;
    base::StringSink sink(out);
    ProtectRequest req;
    auto done = protectMessage(kPlainLf, req, sink);
    ASSERT_FALSE(done);
    EXPECT_EQ(done.error().code, base::ErrorCode::InvalidArgument);
}

TEST_F(MessageProtectorTest, NoRecipientsIsInvalidArgument) {
    std::string out;
    base::StringSink sink(out);
    auto done = protectMessage(kPlainLf, encryptRequest({}, ContentCipher::Aes256Gcm), sink);
    ASSERT_FALSE(done);
    EXPECT_EQ(done.error().code, base::ErrorCode::InvalidArgument);
}

TEST_F(MessageProtectorTest, MismatchedSignerKeyIsRejected) {
    ProtectRequest req = signRequest(SignatureForm::Detached);
    req.sign->signer.key = carol.key;
    std::string out;
    base::StringSink sink(out);
    EXPECT_FALSE(protectMessage(kPlainLf, req, sink));
}

// RFC 9788, signed-only: the message fields travel inside the signed entity and the opener reports
// them as protected; the outer header stays as it was.
constexpr std::string_view kHeaderProtected = "From: Alice Test <alice@example.org>\r\n"
                                              "To: Bob Test <bob@example.org>\r\n"
                                              "Bcc: hidden@example.org\r\n"
                                              "Subject: Protected\r\n"
                                              " and folded\r\n"
                                              "Date: Thu, 15 Jan 2026 12:00:00 +0000\r\n"
                                              "Message-ID: <hp@example.org>\r\n"
                                              "Auto-Submitted: auto-generated; type=acme\r\n"
                                              "MIME-Version: 1.0\r\n"
                                              "Content-Type: text/plain; charset=us-ascii\r\n"
                                              "\r\n"
                                              "Hello Bob.\r\n";

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

TEST_F(MessageProtectorTest, HeaderProtectionCopiesMessageFieldsIntoSignedEntity) {
    for (const auto form : {SignatureForm::Detached, SignatureForm::Opaque}) {
        ProtectRequest req = signRequest(form);
        req.protectHeaders = true;
        const std::string out = protect(kHeaderProtected, req);
        auto top = mime::parseEntity(out);
        ASSERT_TRUE(top);
        EXPECT_EQ(top->headerValue("Subject"), "Protected and folded");
        EXPECT_EQ(top->headerValue("Bcc"), "hidden@example.org"); // outer header unchanged
        if (form == SignatureForm::Detached) {
            ASSERT_EQ(top->children.size(), 2U);
            const mime::MimeEntity& inner = top->children[0];
            EXPECT_EQ(inner.contentType.param("hp"), "clear");
            EXPECT_EQ(inner.headerValue("Auto-Submitted"), "auto-generated; type=acme");
            EXPECT_EQ(inner.header("Bcc"), nullptr);
            EXPECT_EQ(inner.header("MIME-Version"), nullptr);
        }
        OpenContext ctx;
        auto opened = ctx.open(out);
        ASSERT_TRUE(opened);
        const OpenReport& r = opened->report;
        EXPECT_EQ(r.signature, SignatureState::Valid);
        EXPECT_TRUE(r.coversWholeMessage);
        EXPECT_EQ(r.headerProtection, "clear");
        ASSERT_TRUE(r.protectedHeaders);
        EXPECT_EQ(protectedValue(r, "From"), "Alice Test <alice@example.org>");
        EXPECT_EQ(protectedValue(r, "To"), "Bob Test <bob@example.org>");
        EXPECT_EQ(protectedValue(r, "Subject"), "Protected and folded");
        EXPECT_EQ(protectedValue(r, "Date"), "Thu, 15 Jan 2026 12:00:00 +0000");
        EXPECT_EQ(protectedValue(r, "Message-ID"), "<hp@example.org>");
        EXPECT_EQ(protectedValue(r, "Auto-Submitted"), "auto-generated; type=acme");
        EXPECT_EQ(protectedValue(r, "Bcc"), "<absent>");
        EXPECT_EQ(r.signerMatchesFrom, std::optional<bool>(true));
        EXPECT_FALSE(hasWarning(r, OpenWarning::ProtectedSubjectDiffers)) << warningList(r);
        EXPECT_FALSE(hasWarning(r, OpenWarning::ProtectedFromDiffers)) << warningList(r);
    }
}

TEST_F(MessageProtectorTest, HeaderProtectionAddsContentTypeWhenAbsent) {
    ProtectRequest req = signRequest(SignatureForm::Detached);
    req.protectHeaders = true;
    const std::string out = protect("From: alice@example.org\nTo: bob@example.org\nSubject: x\n\nbody\n", req);
    auto top = mime::parseEntity(out);
    ASSERT_TRUE(top);
    ASSERT_EQ(top->children.size(), 2U);
    EXPECT_EQ(top->children[0].contentType.mimeType(), "text/plain");
    EXPECT_EQ(top->children[0].contentType.param("hp"), "clear");
    EXPECT_EQ(top->children[0].headerValue("Subject"), "x");
}

TEST_F(MessageProtectorTest, WithoutHeaderProtectionMessageFieldsStayOutside) {
    const std::string out = protect(kHeaderProtected, signRequest(SignatureForm::Detached));
    auto top = mime::parseEntity(out);
    ASSERT_TRUE(top);
    ASSERT_EQ(top->children.size(), 2U);
    EXPECT_EQ(top->children[0].header("Subject"), nullptr);
    EXPECT_EQ(top->children[0].contentType.param("hp"), "");
    OpenContext ctx;
    auto opened = ctx.open(out);
    ASSERT_TRUE(opened);
    EXPECT_FALSE(opened->report.protectedHeaders);
    EXPECT_EQ(opened->report.headerProtection, "");
}

TEST_F(MessageProtectorTest, HeaderProtectionIsRefusedWithExistingHp) {
    ProtectRequest req = signRequest(SignatureForm::Detached);
    req.protectHeaders = true;
    std::string out;
    base::StringSink sink(out);
    for (const bool encrypt : {false, true}) {
        if (encrypt) {
            req.encrypt = EncryptStep{{bob.certificate}, {}};
        }
        auto hp = protectMessage("From: a@example.org\r\nContent-Type: text/plain; hp=clear\r\n\r\nx\r\n", req, sink);
        ASSERT_FALSE(hp);
        EXPECT_EQ(hp.error().code, base::ErrorCode::InvalidArgument);
    }
}

class FailingSink final : public base::ByteSink {
public:
    [[nodiscard]] bool write(base::ByteView) override { return false; }
};

TEST_F(MessageProtectorTest, SinkFailureIsAnError) {
    FailingSink sink;
    auto done = protectMessage(kPlainLf, encryptRequest({bob.certificate}, ContentCipher::Aes256Gcm), sink);
    EXPECT_FALSE(done);
    auto signedOnly = protectMessage(kPlainLf, signRequest(SignatureForm::Detached), sink);
    ASSERT_FALSE(signedOnly);
    EXPECT_EQ(signedOnly.error().code, base::ErrorCode::Io);
}

} // namespace
} // namespace sealpost::smime
