#include "smime/MessageOpener.h"

#include "SmimeTestSupport.h"
#include "mime/Ascii.h"
#include "mime/Canonical.h"
#include "mime/MimeEntity.h"
#include "mime/TransferEncoding.h"
#include "smime/MessageProtector.h"

#include <algorithm>
#include <gtest/gtest.h>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace sealpost::smime {
namespace {

using crypto::ContentCipher;
using namespace test;

// ---------------------------------------------------------------- golden files (tests/data/README.md)

struct Golden {
    std::string file;
    std::vector<std::string> decryptsWith; // any one is enough; empty: not encrypted
    EncryptionState encryption = EncryptionState::None;
    std::optional<ContentCipher> cipher;
    SignatureState signature = SignatureState::None;
    std::string signer; // "" when nothing is signed or no signer could be read
    std::optional<bool> matchesFrom;
    bool whole = false;
    std::string subject;
    std::set<OpenWarning> warnings;
    bool headerProtected = false;

    friend void PrintTo(const Golden& g, std::ostream* os) { *os << g.file; }
};

using E = EncryptionState;
using S = SignatureState;
using W = OpenWarning;

const std::vector<Golden>& goldens() {
    static const std::vector<Golden> all = {
        {"plain", {}, E::None, {}, S::None, "", {}, false, "Plain message", {}},
        {"signed-detached", {}, E::None, {}, S::Valid, "alice@example.org", true, true, "Signed (detached)", {}},
        {"signed-opaque", {}, E::None, {}, S::Valid, "alice@example.org", true, true, "Signed (opaque)", {}},
        {"encrypted-cbc-bob",
         {"bob"},
         E::Decrypted,
         ContentCipher::Aes256Cbc,
         S::None,
         "",
         {},
         true,
         "Encrypted (CBC, to Bob)",
         {W::UnauthenticatedEncryption}},
        {"encrypted-gcm-alice",
         {"alice"},
         E::Decrypted,
         ContentCipher::Aes256Gcm,
         S::None,
         "",
         {},
         true,
         "Encrypted (GCM, to Alice)",
         {}},
        {"encrypted-oaep-alice",
         {"alice"},
         E::Decrypted,
         ContentCipher::Aes256Cbc,
         S::None,
         "",
         {},
         true,
         "Encrypted (RSA-OAEP, to Alice)",
         {W::UnauthenticatedEncryption}},
        {"encrypted-multi",
         {"alice", "bob", "carol"},
         E::Decrypted,
         ContentCipher::Aes256Gcm,
         S::None,
         "",
         {},
         true,
         "Encrypted (three recipients)",
         {}},
        {"signed-then-encrypted",
         {"alice", "bob"},
         E::Decrypted,
         ContentCipher::Aes256Gcm,
         S::Valid,
         "alice@example.org",
         true,
         true,
         "Signed then encrypted",
         {}},
        {"encrypted-then-signed",
         {"bob"},
         E::Decrypted,
         ContentCipher::Aes256Gcm,
         S::Valid,
         "alice@example.org",
         true,
         true,
         "Encrypted then signed",
         {}},
        {"triple-wrapped",
         {"bob"},
         E::Decrypted,
         ContentCipher::Aes256Gcm,
         S::Valid,
         "alice@example.org",
         true,
         true,
         "Triple wrapped",
         {}},
        {"signed-from-mismatch",
         {},
         E::None,
         {},
         S::Valid,
         "alice@example.org",
         false,
         true,
         "Signed, From does not match signer",
         {W::SignerDoesNotMatchFrom}},
        {"signed-expired",
         {},
         E::None,
         {},
         S::Expired,
         "eve@example.org",
         true,
         true,
         "Signed with expired certificate",
         {}},
        {"signed-untrusted",
         {},
         E::None,
         {},
         S::Untrusted,
         "dave@example.org",
         true,
         true,
         "Signed by untrusted root",
         {}},
        {"signed-noemail-usage",
         {},
         E::None,
         {},
         S::Untrusted,
         "mallory@example.org",
         true,
         true,
         "Signed without emailProtection EKU",
         {}},
        {"signed-tampered", {}, E::None, {}, S::Invalid, "alice@example.org", true, true, "Signed (tampered)", {}},
        {"signed-partial",
         {},
         E::None,
         {},
         S::Valid,
         "alice@example.org",
         true,
         false,
         "Partially signed",
         {W::SignedPartInsideUnprotectedContent}},
        {"signed-three-parts",
         {},
         E::None,
         {},
         S::Error,
         "",
         {},
         false,
         "Signed with extra third part",
         {W::MultipartSignedPartCount, W::SignedPartInsideUnprotectedContent}},
        {"signed-header-protected",
         {},
         E::None,
         {},
         S::Valid,
         "alice@example.org",
         true,
         true,
         "Protected subject",
         {},
         true},
        {"encrypted-header-protected",
         {"bob"},
         E::Decrypted,
         ContentCipher::Aes256Gcm,
         S::Valid,
         "alice@example.org",
         true,
         true,
         "Secret subject",
         {}, // the outer "[...]" is hp="cipher" doing its job, not a mismatch
         true},
    };
    return all;
}

// What a correct client shows: the outer transport header, or with RFC 9788 header protection only
// the protected fields, then the innermost entity's content header and body.
std::string expectedOpened(const std::string& eml, const std::string& payload, bool headerProtected) {
    auto top = mime::parseEntity(eml);
    auto inner = mime::parseEntity(payload);
    if (!top || !inner) {
        return "<unparseable fixture>";
    }
    auto isContent = [](std::string_view name) {
        return name.size() > 8 && mime::toLowerAscii(name.substr(0, 8)) == "content-";
    };
    std::string protectedLines;
    if (headerProtected) {
        for (const auto& h : inner->headers) {
            if (!isContent(h.name) && mime::toLowerAscii(h.name) != "hp-outer") {
                protectedLines += std::string(h.name) + ": " + h.value() + "\r\n";
            }
        }
    }
    std::string out;
    for (const auto& h : top->headers) {
        const std::string lower = mime::toLowerAscii(h.name);
        if (!headerProtected && !isContent(h.name) && lower != "mime-version") {
            out += std::string(h.name) + ":" + std::string(h.rawValue) + "\r\n";
        }
    }
    out += protectedLines + "MIME-Version: 1.0\r\n";
    for (const auto& h : inner->headers) {
        if (isContent(h.name)) {
            out += std::string(h.name) + ":" + std::string(h.rawValue) + "\r\n";
        }
    }
    return out + "\r\n" + std::string(inner->body);
}

std::vector<std::string> subjectsOf(const std::string& message) {
    std::vector<std::string> subjects;
    auto parsed = mime::parseEntity(message);
    if (parsed) {
        for (const auto& h : parsed->headers) {
            if (mime::toLowerAscii(h.name) == "subject") {
                subjects.push_back(h.value());
            }
        }
    }
    return subjects;
}

class GoldenMessageTest : public ::testing::TestWithParam<Golden> {};

TEST_P(GoldenMessageTest, ReportMatchesTheExpectationTable) {
    const Golden& g = GetParam();
    const std::string eml = readData(g.file + ".eml");
    // The first listed key: with all three keys, the opener would pick any.
    OpenContext ctx(g.decryptsWith.empty() ? std::vector<std::string>{} : std::vector<std::string>{g.decryptsWith[0]});
    auto opened = ctx.open(eml);
    ASSERT_TRUE(opened) << opened.error().detail;
    const OpenReport& r = opened->report;

    EXPECT_EQ(r.encryption, g.encryption) << encryptionStateName(r.encryption);
    EXPECT_EQ(r.cipher, g.cipher);
    EXPECT_EQ(r.signature, g.signature) << signatureStateName(r.signature);
    if (g.signer.empty()) {
        EXPECT_TRUE(r.signers.empty());
    } else {
        ASSERT_FALSE(r.signers.empty());
        for (const SignerReport& s : r.signers) {
            EXPECT_NE(std::find(s.emails.begin(), s.emails.end(), g.signer), s.emails.end());
        }
    }
    EXPECT_EQ(r.signerMatchesFrom, g.matchesFrom);
    EXPECT_EQ(r.coversWholeMessage, g.whole);
    const std::set<OpenWarning> warnings(r.warnings.begin(), r.warnings.end());
    EXPECT_EQ(warnings, g.warnings) << warningList(r);
    EXPECT_EQ(r.warnings.size(), warnings.size()) << "duplicate warnings: " << warningList(r);

    EXPECT_EQ(subjectsOf(opened->text()), std::vector<std::string>{g.subject});
    if (g.headerProtected) {
        ASSERT_TRUE(r.protectedHeaders.has_value());
        auto subject = std::find_if(r.protectedHeaders->begin(), r.protectedHeaders->end(),
                                    [](const auto& f) { return f.first == "Subject"; });
        ASSERT_NE(subject, r.protectedHeaders->end());
        EXPECT_EQ(subject->second, g.subject);
        EXPECT_EQ(r.headerProtection, g.encryption == E::Decrypted ? "cipher" : "clear");
        EXPECT_EQ(r.fromAddress, "alice@example.org");
    } else {
        EXPECT_FALSE(r.protectedHeaders.has_value());
        EXPECT_EQ(r.headerProtection, "");
    }
}

TEST_P(GoldenMessageTest, OpenedMessageIsTheInnermostEntity) {
    const Golden& g = GetParam();
    if (g.file == "signed-partial" || g.file == "signed-three-parts") {
        GTEST_SKIP() << "multipart/mixed results, checked by their own tests";
    }
    const std::string eml = readData(g.file + ".eml");
    std::string payload;
    if (g.file == "signed-tampered") {
        // No payload file: it is signed-detached's entity with 100 changed to 900.
        payload = readData("parts/signed-detached.payload.mime");
        payload.replace(payload.find("100 EUR"), 3, "900");
    } else {
        payload = readData("parts/" + g.file + ".payload.mime");
    }
    OpenContext ctx(g.decryptsWith);
    auto opened = ctx.open(eml);
    ASSERT_TRUE(opened) << opened.error().detail;
    if (g.file == "plain") {
        EXPECT_EQ(opened->text(), eml);
        return;
    }
    EXPECT_EQ(opened->text(), expectedOpened(eml, payload, g.headerProtected));
}

TEST_P(GoldenMessageTest, PartsCarryTheirProtection) {
    const Golden& g = GetParam();
    if (g.file == "signed-partial" || g.file == "signed-three-parts") {
        GTEST_SKIP() << "checked by their own tests";
    }
    OpenContext ctx(g.decryptsWith);
    auto opened = ctx.open(readData(g.file + ".eml"));
    ASSERT_TRUE(opened);
    ASSERT_EQ(opened->report.parts.size(), 1U);
    const PartReport& part = opened->report.parts.front();
    EXPECT_EQ(part.path, "");
    EXPECT_EQ(part.contentType, "text/plain");
    EXPECT_EQ(part.encrypted, g.encryption == E::Decrypted);
    EXPECT_EQ(part.signature, g.signature);
}

TEST_P(GoldenMessageTest, EveryListedKeyDecrypts) {
    const Golden& g = GetParam();
    for (const std::string& key : g.decryptsWith) {
        OpenContext ctx({key});
        auto opened = ctx.open(readData(g.file + ".eml"));
        ASSERT_TRUE(opened);
        EXPECT_EQ(opened->report.encryption, E::Decrypted) << key;
        EXPECT_EQ(opened->report.signature, g.signature) << key;
    }
}

TEST_P(GoldenMessageTest, WithoutTheRightKeyDecryptionFails) {
    const Golden& g = GetParam();
    if (g.decryptsWith.empty()) {
        GTEST_SKIP() << "not encrypted";
    }
    std::vector<std::string> others;
    for (const char* k : {"alice", "bob", "carol"}) {
        if (std::find(g.decryptsWith.begin(), g.decryptsWith.end(), k) == g.decryptsWith.end()) {
            others.emplace_back(k);
        }
    }
    for (const auto& keys : std::vector<std::vector<std::string>>{{}, others}) {
        OpenContext ctx(keys);
        auto opened = ctx.open(readData(g.file + ".eml"));
        ASSERT_TRUE(opened) << opened.error().detail;
        const OpenReport& r = opened->report;
        EXPECT_EQ(r.encryption, E::Failed);
        EXPECT_FALSE(r.decryptionErrorDetail.empty());
        EXPECT_TRUE(hasWarning(r, W::DecryptionFailed));
        // The outer, unencrypted header is not a protected header section.
        EXPECT_FALSE(r.protectedHeaders.has_value());
        for (const PartReport& p : r.parts) {
            EXPECT_FALSE(p.encrypted);
        }
        if (g.file == "encrypted-then-signed" || g.file == "triple-wrapped") {
            EXPECT_EQ(r.signature, S::Valid); // the outer signature is over the ciphertext
        } else {
            EXPECT_EQ(r.signature, S::None);
            EXPECT_FALSE(r.signerMatchesFrom.has_value());
        }
        EXPECT_EQ(opened->text().find("Hello Bob"), std::string::npos);
        EXPECT_EQ(opened->text().find("Hello Alice"), std::string::npos);
    }
}

INSTANTIATE_TEST_SUITE_P(TestData, GoldenMessageTest, ::testing::ValuesIn(goldens()),
                         [](const ::testing::TestParamInfo<Golden>& param) {
                             std::string name = param.param.file;
                             std::replace(name.begin(), name.end(), '-', '_');
                             return name;
                         });

TEST(MessageOpenerTest, SignedPartialMarksOnlyTheSignedPart) {
    OpenContext ctx;
    auto opened = ctx.open(readData("signed-partial.eml"));
    ASSERT_TRUE(opened);
    const OpenReport& r = opened->report;
    ASSERT_EQ(r.parts.size(), 2U);
    EXPECT_EQ(r.parts[0].path, "1");
    EXPECT_EQ(r.parts[0].signature, S::None);
    EXPECT_EQ(r.parts[1].path, "2");
    EXPECT_EQ(r.parts[1].signature, S::Valid);
    ASSERT_EQ(r.signers.size(), 1U);
    EXPECT_FALSE(r.signers[0].coversWholeMessage);
    EXPECT_FALSE(r.protectedHeaders.has_value());
    // The signed part is replaced by its content; the unsigned text stays where it was.
    const std::string payload = readData("parts/signed-partial.payload.mime");
    EXPECT_NE(opened->text().find(payload), std::string::npos);
    EXPECT_NE(opened->text().find("I owe you 1000 EUR"), std::string::npos);
    EXPECT_EQ(opened->text().find("application/pkcs7-signature"), std::string::npos);
    const std::string text = opened->text(); // the parse points into it
    auto reparsed = mime::parseEntity(text);
    ASSERT_TRUE(reparsed);
    EXPECT_EQ(reparsed->contentType.mimeType(), "multipart/mixed");
    EXPECT_EQ(reparsed->children.size(), 2U);
}

TEST(MessageOpenerTest, ThirdPartOfMultipartSignedIsShownUnsigned) {
    OpenContext ctx;
    auto opened = ctx.open(readData("signed-three-parts.eml"));
    ASSERT_TRUE(opened);
    const OpenReport& r = opened->report;
    EXPECT_EQ(r.signature, S::Error);
    EXPECT_FALSE(r.coversWholeMessage);
    EXPECT_FALSE(r.protectedHeaders.has_value());
    ASSERT_EQ(r.parts.size(), 2U);
    EXPECT_EQ(r.parts[0].signature, S::Error);
    EXPECT_EQ(r.parts[1].signature, S::None);
    for (const PartReport& p : r.parts) {
        EXPECT_NE(p.signature, S::Valid);
    }
    // Both displayable parts are still there, in a multipart/mixed; the signature is not.
    const std::string text = opened->text(); // the parse points into it
    auto reparsed = mime::parseEntity(text);
    ASSERT_TRUE(reparsed);
    EXPECT_EQ(reparsed->contentType.mimeType(), "multipart/mixed");
    ASSERT_EQ(reparsed->children.size(), 2U);
    EXPECT_EQ(reparsed->headerValue("Subject"), "Signed with extra third part");
    EXPECT_EQ(opened->text().find("application/pkcs7-signature"), std::string::npos);
}

// ---------------------------------------------------------------- constructed attacks

constexpr std::string_view kMixedHead = "From: Alice Test <alice@example.org>\r\n"
                                        "To: Bob Test <bob@example.org>\r\n"
                                        "Subject: Constructed\r\n"
                                        "MIME-Version: 1.0\r\n"
                                        "Content-Type: multipart/mixed; boundary=\"outer-boundary\"\r\n"
                                        "\r\n";

std::string mixed(const std::vector<std::string>& parts) {
    std::string out(kMixedHead);
    for (const auto& p : parts) {
        out += "--outer-boundary\r\n" + p + "\r\n";
    }
    return out + "--outer-boundary--\r\n";
}

const std::string kUnsignedText = "Content-Type: text/plain; charset=utf-8\r\n\r\nI owe you 1000 EUR.\r\n";

// The S/MIME entity of a fixture without its transport header.
std::string smimeEntityOf(const std::string& eml) {
    auto top = mime::parseEntity(eml);
    std::string out;
    for (const auto& h : top->headers) {
        if (mime::toLowerAscii(h.name).rfind("content-", 0) == 0) {
            out += std::string(h.name) + ":" + std::string(h.rawValue) + "\r\n";
        }
    }
    return out + "\r\n" + std::string(top->body);
}

void expectNothingSigned(const OpenReport& r) {
    EXPECT_EQ(r.signature, S::None);
    EXPECT_TRUE(r.signers.empty());
    EXPECT_FALSE(r.signerMatchesFrom.has_value());
    EXPECT_FALSE(r.coversWholeMessage);
    for (const PartReport& p : r.parts) {
        EXPECT_EQ(p.signature, S::None) << p.path;
        EXPECT_FALSE(p.encrypted) << p.path;
    }
}

TEST(MessageOpenerTest, SignedMessageForwardedAsRfc822IsNotSigned) {
    OpenContext ctx;
    const std::string msg =
        mixed({kUnsignedText, "Content-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n" +
                                  readData("signed-detached.eml")});
    auto opened = ctx.open(msg);
    ASSERT_TRUE(opened);
    expectNothingSigned(opened->report);
    EXPECT_EQ(opened->text(), msg);
}

TEST(MessageOpenerTest, SignedMessageAsOctetStreamAttachmentIsNotSigned) {
    OpenContext ctx;
    const std::string eml = readData("signed-detached.eml");
    const std::string msg = mixed({kUnsignedText, "Content-Type: application/octet-stream; name=\"mail.eml\"\r\n"
                                                  "Content-Transfer-Encoding: base64\r\n"
                                                  "Content-Disposition: attachment\r\n\r\n" +
                                                      mime::encodeBase64(base::asBytes(eml))});
    auto opened = ctx.open(msg);
    ASSERT_TRUE(opened);
    expectNothingSigned(opened->report);
}

TEST(MessageOpenerTest, SignedMessageAsSoleRfc822BodyIsNotSigned) {
    OpenContext ctx;
    const std::string msg = "From: Eve <eve@example.org>\r\nSubject: fwd\r\nMIME-Version: 1.0\r\n"
                            "Content-Type: message/rfc822\r\n\r\n" +
                            readData("signed-detached.eml");
    auto opened = ctx.open(msg);
    ASSERT_TRUE(opened);
    expectNothingSigned(opened->report);
}

TEST(MessageOpenerTest, OpaqueSignedAttachmentNextToTextIsOnlyPartial) {
    OpenContext ctx;
    const std::string msg = mixed({kUnsignedText, smimeEntityOf(readData("signed-opaque.eml"))});
    auto opened = ctx.open(msg);
    ASSERT_TRUE(opened);
    const OpenReport& r = opened->report;
    EXPECT_FALSE(r.coversWholeMessage);
    EXPECT_TRUE(hasWarning(r, W::SignedPartInsideUnprotectedContent));
    ASSERT_EQ(r.parts.size(), 2U);
    EXPECT_EQ(r.parts[0].signature, S::None);
    EXPECT_EQ(r.parts[1].signature, S::Valid);
}

// EFAIL: plaintext placed next to parts anyone could have written would let an attacker's part
// exfiltrate or frame it. A nested encrypted part is not decrypted; it stays an attachment.
TEST(MessageOpenerTest, EncryptedPartInsidePlainMixedIsNotDecrypted) {
    OpenContext ctx({"alice"});
    const std::string encrypted = smimeEntityOf(readData("encrypted-gcm-alice.eml"));
    const std::string msg = mixed({kUnsignedText, encrypted});
    auto opened = ctx.open(msg);
    ASSERT_TRUE(opened);
    const OpenReport& r = opened->report;
    EXPECT_EQ(r.encryption, E::None);
    EXPECT_FALSE(r.cipher.has_value());
    EXPECT_TRUE(hasWarning(r, W::EncryptedPartInsideUnprotectedContent));
    EXPECT_FALSE(hasWarning(r, W::DecryptionFailed));
    EXPECT_FALSE(r.coversWholeMessage);
    EXPECT_FALSE(r.protectedHeaders.has_value());
    ASSERT_EQ(r.parts.size(), 2U);
    EXPECT_FALSE(r.parts[0].encrypted);
    EXPECT_FALSE(r.parts[1].encrypted);
    EXPECT_EQ(r.parts[1].contentType, "application/pkcs7-mime");
    // Shown exactly as received: the ciphertext as an attachment, no plaintext anywhere.
    EXPECT_EQ(opened->text(), msg);
    EXPECT_EQ(opened->text().find("Hello Alice"), std::string::npos);
}

TEST(MessageOpenerTest, EncryptedPartWithoutSmimeTypeInsidePlainMixedIsNotDecrypted) {
    OpenContext ctx({"alice"});
    std::string encrypted = smimeEntityOf(readData("encrypted-gcm-alice.eml"));
    const std::size_t param = encrypted.find("smime-type=");
    ASSERT_NE(param, std::string::npos);
    encrypted.replace(param, encrypted.find_first_of(";\r", param) - param, "x-none=1");
    const std::string msg = mixed({kUnsignedText, encrypted});
    auto opened = ctx.open(msg);
    ASSERT_TRUE(opened);
    EXPECT_EQ(opened->report.encryption, E::None);
    EXPECT_TRUE(hasWarning(opened->report, W::EncryptedPartInsideUnprotectedContent));
    EXPECT_EQ(opened->text(), msg);
}

TEST(MessageOpenerTest, EncryptedPartInsideSignedMixedIsNotDecrypted) {
    // Signed by Alice, but the signature covers only the ciphertext: still not mixed with the text.
    const crypto::Identity alice = loadIdentity("alice");
    ProtectRequest req;
    req.sign = SignStep{alice, SignatureForm::Detached, crypto::DigestAlgorithm::Sha256, std::nullopt};
    req.now = signTime();
    const std::string inner = mixed({kUnsignedText, smimeEntityOf(readData("encrypted-gcm-alice.eml"))});
    std::string signedMsg;
    base::StringSink sink(signedMsg);
    ASSERT_TRUE(protectMessage(inner, req, sink));
    OpenContext ctx({"alice"});
    auto opened = ctx.open(signedMsg);
    ASSERT_TRUE(opened);
    EXPECT_EQ(opened->report.encryption, E::None);
    EXPECT_EQ(opened->report.signature, S::Valid);
    EXPECT_TRUE(hasWarning(opened->report, W::EncryptedPartInsideUnprotectedContent));
    EXPECT_EQ(opened->text().find("Hello Alice"), std::string::npos);
}

TEST(MessageOpenerTest, UndecryptableTopLayerIsShownWithItsCiphertext) {
    // The input is released once the outer layer is decoded; the undecryptable part is shown from
    // its CMS encoded again.
    OpenContext ctx({"carol"});
    const std::string eml = readData("encrypted-gcm-alice.eml");
    auto opened = ctx.open(eml);
    ASSERT_TRUE(opened);
    EXPECT_EQ(opened->report.encryption, E::Failed);
    const std::string text = opened->text(); // the parse points into it
    auto reparsed = mime::parseEntity(text);
    ASSERT_TRUE(reparsed);
    EXPECT_EQ(reparsed->contentType.mimeType(), "application/pkcs7-mime");
    EXPECT_EQ(reparsed->headerValue("Subject"), "Encrypted (GCM, to Alice)");
    auto der = mime::decodeBody(*reparsed);
    ASSERT_TRUE(der);
    OpenContext alice({"alice"});
    const std::string again = "Subject: again\r\n" + smimeEntityOf(opened->text());
    auto reopened = alice.open(again);
    ASSERT_TRUE(reopened);
    EXPECT_EQ(reopened->report.encryption, E::Decrypted);
}

TEST(MessageOpenerTest, OpenedMessageStreamsTheSameBytesAsText) {
    OpenContext ctx({"bob"});
    auto opened = ctx.open(readData("triple-wrapped.eml"));
    ASSERT_TRUE(opened);
    std::string streamed;
    base::StringSink sink(streamed);
    ASSERT_TRUE(opened->writeTo(sink));
    EXPECT_EQ(streamed, opened->text());
    EXPECT_EQ(streamed.size(), opened->size());
    EXPECT_GT(opened->pieces().size(), 1U);
}

TEST(MessageOpenerTest, GarbledSignatureBase64IsAnErrorButTheMessageOpens) {
    std::string eml = readData("signed-detached.eml");
    const std::size_t sig = eml.find("MIIJ");
    ASSERT_NE(sig, std::string::npos);
    eml[sig + 10] = '!';
    OpenContext ctx;
    auto opened = ctx.open(eml);
    ASSERT_TRUE(opened);
    const OpenReport& r = opened->report;
    EXPECT_EQ(r.signature, S::Error);
    EXPECT_TRUE(hasWarning(r, W::BrokenSmimePart));
    EXPECT_FALSE(r.signerMatchesFrom.value_or(false));
    ASSERT_EQ(r.parts.size(), 1U);
    EXPECT_EQ(r.parts[0].signature, S::Error);
    EXPECT_NE(opened->text().find("Please pay the invoice of 100 EUR"), std::string::npos);
}

TEST(MessageOpenerTest, TruncatedSignatureIsAnErrorButTheMessageOpens) {
    std::string eml = readData("signed-detached.eml");
    const std::size_t sig = eml.find("MIIJ");
    // Drop four base64 characters: still decodable, but no longer DER.
    eml.erase(sig + 100, 4);
    OpenContext ctx;
    auto opened = ctx.open(eml);
    ASSERT_TRUE(opened);
    EXPECT_EQ(opened->report.signature, S::Error);
    EXPECT_TRUE(hasWarning(opened->report, W::BrokenSmimePart));
    EXPECT_NE(opened->text().find("Please pay the invoice of 100 EUR"), std::string::npos);
}

TEST(MessageOpenerTest, GarbledOpaqueSignatureKeepsTheEntityAsAttachment) {
    std::string eml = readData("signed-opaque.eml");
    const std::size_t body = eml.find("\r\n\r\n");
    eml[body + 20] = '!';
    OpenContext ctx;
    auto opened = ctx.open(eml);
    ASSERT_TRUE(opened);
    EXPECT_NE(opened->report.signature, S::Valid);
    EXPECT_TRUE(hasWarning(opened->report, W::BrokenSmimePart));
    EXPECT_FALSE(opened->report.protectedHeaders.has_value());
}

TEST(MessageOpenerTest, DeeplyNestedMultipartIsACleanError) {
    std::string msg = "From: a@example.org\r\nMIME-Version: 1.0\r\n";
    constexpr int kDepth = 1000;
    for (int i = 0; i < kDepth; ++i) {
        msg += "Content-Type: multipart/mixed; boundary=\"b" + std::to_string(i) + "\"\r\n\r\n--b" + std::to_string(i) +
               "\r\n";
    }
    msg += "Content-Type: text/plain\r\n\r\nbottom\r\n";
    for (int i = kDepth - 1; i >= 0; --i) {
        msg += "--b" + std::to_string(i) + "--\r\n";
    }
    OpenContext ctx;
    auto opened = ctx.open(msg);
    ASSERT_FALSE(opened);
    EXPECT_EQ(opened.error().code, base::ErrorCode::LimitExceeded);
}

TEST(MessageOpenerTest, DeeplyNestedSignatureLayersStopAtTheLayerLimit) {
    std::string msg = "From: Alice Test <alice@example.org>\r\nMIME-Version: 1.0\r\n"
                      "Content-Type: text/plain\r\n\r\nbottom\r\n";
    const crypto::Identity alice = loadIdentity("alice");
    for (int i = 0; i < 10; ++i) {
        ProtectRequest req;
        req.sign = SignStep{alice, SignatureForm::Opaque, crypto::DigestAlgorithm::Sha256, std::nullopt};
        req.now = signTime();
        std::string out;
        base::StringSink sink(out);
        auto done = protectMessage(msg, req, sink);
        ASSERT_TRUE(done) << i << ": " << done.error().detail;
        msg = std::move(out);
    }
    OpenContext ctx;
    auto opened = ctx.open(msg);
    ASSERT_TRUE(opened);
    EXPECT_TRUE(hasWarning(opened->report, W::NestingLimitReached));
    EXPECT_EQ(opened->report.signers.size(), 8U);
}

TEST(MessageOpenerTest, SignerMatchingIsAgainstTheAddressNotTheDisplayName) {
    std::string eml = readData("signed-detached.eml");
    const std::string from = "From: Alice Test <alice@example.org>";
    eml.replace(eml.find(from), from.size(), "From: \"alice@example.org\" <carol@example.org>");
    OpenContext ctx;
    auto opened = ctx.open(eml);
    ASSERT_TRUE(opened);
    EXPECT_EQ(opened->report.signature, S::Valid);
    EXPECT_EQ(opened->report.signerMatchesFrom, false);
    EXPECT_EQ(opened->report.fromAddress, "carol@example.org");
    EXPECT_TRUE(hasWarning(opened->report, W::SignerDoesNotMatchFrom));
}

TEST(MessageOpenerTest, SeveralFromAddressesNeverMatch) {
    std::string eml = readData("signed-detached.eml");
    const std::string from = "From: Alice Test <alice@example.org>";
    eml.replace(eml.find(from), from.size(), "From: alice@example.org, carol@example.org");
    OpenContext ctx;
    auto opened = ctx.open(eml);
    ASSERT_TRUE(opened);
    EXPECT_EQ(opened->report.signerMatchesFrom, false);
    EXPECT_TRUE(hasWarning(opened->report, W::MultipleFromAddresses));
    EXPECT_TRUE(hasWarning(opened->report, W::SignerDoesNotMatchFrom));
}

// Files stored with LF (mbox, Maildir on Unix) no longer hold the CRLF bytes that were signed.
// Decision: the opener verifies the exact bytes first and, only when the signed part contains no
// CR at all, once more in CRLF form, which is what RFC 8551 3.1.1 says was signed. A part that
// differs in anything but line ends still fails.
std::string toLf(std::string s) {
    s.erase(std::remove(s.begin(), s.end(), '\r'), s.end());
    return s;
}

TEST(MessageOpenerTest, LfStoredSignedMessageStillVerifies) {
    OpenContext ctx;
    auto opened = ctx.open(toLf(readData("signed-detached.eml")));
    ASSERT_TRUE(opened);
    EXPECT_EQ(opened->report.signature, S::Valid);
    EXPECT_TRUE(opened->report.coversWholeMessage);
    EXPECT_EQ(opened->report.signerMatchesFrom, true);
    EXPECT_NE(opened->text().find("Please pay the invoice of 100 EUR"), std::string::npos);
}

TEST(MessageOpenerTest, LfStoredTamperedMessageIsStillInvalid) {
    OpenContext ctx;
    auto opened = ctx.open(toLf(readData("signed-tampered.eml")));
    ASSERT_TRUE(opened);
    EXPECT_EQ(opened->report.signature, S::Invalid);
}

TEST(MessageOpenerTest, LfStoredEncryptedHeaderProtectedMessageOpens) {
    OpenContext ctx({"bob"});
    auto opened = ctx.open(toLf(readData("encrypted-header-protected.eml")));
    ASSERT_TRUE(opened);
    EXPECT_EQ(opened->report.encryption, E::Decrypted);
    EXPECT_EQ(opened->report.signature, S::Valid);
    EXPECT_EQ(subjectsOf(opened->text()), std::vector<std::string>{"Secret subject"});
}

TEST(MessageOpenerTest, UnprotectedOuterFieldsAreNotMergedIntoProtectedHeaders) {
    std::string eml = readData("signed-header-protected.eml");
    eml.insert(0, "Reply-To: Eve <eve@example.org>\r\nCc: eve@example.org\r\n");
    OpenContext ctx;
    auto opened = ctx.open(eml);
    ASSERT_TRUE(opened);
    EXPECT_EQ(opened->report.signature, S::Valid);
    EXPECT_EQ(opened->text().find("eve@example.org"), std::string::npos) << opened->text();
    EXPECT_EQ(subjectsOf(opened->text()), std::vector<std::string>{"Protected subject"});
}

TEST(MessageOpenerTest, BadInnerSignatureIsNotHiddenByAGoodOuterOne) {
    const crypto::Identity alice = loadIdentity("alice");
    ProtectRequest req;
    req.sign = SignStep{alice, SignatureForm::Detached, crypto::DigestAlgorithm::Sha256, std::nullopt};
    req.now = signTime();
    std::string inner;
    base::StringSink innerSink(inner);
    ASSERT_TRUE(protectMessage("From: Alice Test <alice@example.org>\r\n\r\nPay 100 EUR\r\n", req, innerSink));
    inner.replace(inner.find("100"), 3, "900");
    req.sign->form = SignatureForm::Opaque;
    std::string outer;
    base::StringSink outerSink(outer);
    ASSERT_TRUE(protectMessage(inner, req, outerSink));
    OpenContext ctx;
    auto opened = ctx.open(outer);
    ASSERT_TRUE(opened);
    EXPECT_EQ(opened->report.signature, S::Invalid);
    ASSERT_EQ(opened->report.parts.size(), 1U);
    EXPECT_EQ(opened->report.parts[0].signature, S::Invalid);
}

TEST(MessageOpenerTest, GarbageIsNotAnError) {
    OpenContext ctx;
    auto opened = ctx.open("this is not a mail at all");
    ASSERT_TRUE(opened);
    EXPECT_EQ(opened->report.signature, S::None);
    EXPECT_EQ(opened->report.encryption, E::None);
    EXPECT_FALSE(opened->report.coversWholeMessage);
}

TEST(MessageOpenerTest, CertsOnlyIsAnAttachment) {
    const std::string p7c = readData("certs-only.p7c");
    const std::string msg = "From: Alice Test <alice@example.org>\r\nMIME-Version: 1.0\r\n"
                            "Content-Type: application/pkcs7-mime; smime-type=certs-only\r\n"
                            "Content-Transfer-Encoding: base64\r\n\r\n" +
                            mime::encodeBase64(base::asBytes(p7c));
    OpenContext ctx;
    auto opened = ctx.open(msg);
    ASSERT_TRUE(opened);
    expectNothingSigned(opened->report);
}

TEST(MessageOpenerTest, CertsOnlyWithoutSmimeTypeIsNotSigned) {
    // SignedData without signerInfos: nothing is signed, whatever the label says.
    const std::string p7c = readData("certs-only.p7c");
    const std::string msg = "From: Alice Test <alice@example.org>\r\nMIME-Version: 1.0\r\n"
                            "Content-Type: application/pkcs7-mime\r\n"
                            "Content-Transfer-Encoding: base64\r\n\r\n" +
                            mime::encodeBase64(base::asBytes(p7c));
    OpenContext ctx;
    auto opened = ctx.open(msg);
    ASSERT_TRUE(opened);
    EXPECT_NE(opened->report.signature, S::Valid);
    EXPECT_FALSE(opened->report.signerMatchesFrom.value_or(false));
}

} // namespace
} // namespace sealpost::smime
