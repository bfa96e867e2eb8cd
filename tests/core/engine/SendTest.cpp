#include "engine/Send.h"

#include "../directory/DirectoryTestSupport.h"
#include "EngineTestSupport.h"
#include "directory/Address.h"
#include "engine/Compose.h"
#include "mime/TransferEncoding.h"
#include "smime/MessageOpener.h"
#include "store/AccountStore.h"
#include "store/IdentityStore.h"
#include "store/Settings.h"

#include <gtest/gtest.h>
#include <openssl/cms.h>

namespace sealpost::engine {
namespace {

using namespace test;
using Json = nlohmann::json;

const std::vector<crypto::ContentCipher> kGcm{crypto::ContentCipher::Aes256Gcm, crypto::ContentCipher::Aes256Cbc};

// The number of RecipientInfos in an encrypted message (application/pkcs7-mime, base64).
int recipientInfoCount(const std::string& message) {
    const auto blank = message.find("\r\n\r\n");
    auto der = mime::decodeBase64(message.substr(blank + 4));
    if (!der) {
        return -1;
    }
    const unsigned char* p = der->data();
    CMS_ContentInfo* cms = d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der->size()));
    if (cms == nullptr) {
        return -1;
    }
    const int n = sk_CMS_RecipientInfo_num(CMS_get0_RecipientInfos(cms));
    CMS_ContentInfo_free(cms);
    return n;
}

class SendTest : public ::testing::Test {
protected:
    store::test::TempDir m_dir;
    store::Database m_db = store::test::openOrFail(m_dir.path() / "profile.db", "pw");
    base::FixedClock m_clock{checkTime()};

    void SetUp() override {
        addIdentity(store::IdentityRole::Both);
        remember("bob", kGcm);
        remember("carol", kGcm);
    }

    void addIdentity(store::IdentityRole role) {
        auto added = store::IdentityStore(m_db, m_clock).add(loadIdentity("alice"), role);
        ASSERT_TRUE(added.ok()) << added.error().detail;
    }

    void remember(const std::string& who, std::optional<std::vector<crypto::ContentCipher>> capabilities) {
        rememberCorrespondent(m_db, m_clock, who, std::move(capabilities));
    }

    static Draft draft(std::vector<std::string> to, std::vector<std::string> cc = {},
                       std::vector<std::string> bcc = {}) {
        Draft d;
        d.from = "alice@example.org";
        d.fromName = "Alice Test";
        d.to = std::move(to);
        d.cc = std::move(cc);
        d.bcc = std::move(bcc);
        d.subject = "Quarterly numbers";
        d.body = "Hello,\nthe numbers are attached.\n";
        return d;
    }

    SendPlan plan(const Draft& d, SendPolicy policy = SendPolicy::EncryptWhenPossible,
                  const SendOverrides& overrides = {}, directory::DirectoryLookup* lookup = nullptr) {
        auto p = planSend(m_db, m_clock, d, policy, overrides, lookup, {});
        EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().detail);
        return p.ok() ? std::move(*p) : SendPlan{};
    }

    OutgoingMessage build(const Draft& d, const SendPlan& p) {
        auto out = buildOutgoing(m_db, m_clock, d, p);
        EXPECT_TRUE(out.ok()) << (out.ok() ? "" : out.error().detail);
        return out.ok() ? std::move(*out) : OutgoingMessage{};
    }

    static smime::OpenReport openAs(const std::string& message, const std::string& who, std::string* text = nullptr) {
        const smime::test::OpenContext context({who});
        auto opened = context.open(message);
        EXPECT_TRUE(opened.ok()) << (opened.ok() ? "" : opened.error().detail);
        if (!opened.ok()) {
            return {};
        }
        if (text != nullptr) {
            *text = opened->text();
        }
        return opened->report;
    }
};

bool hasWarning(const SendPlan& p, std::string_view code) {
    return std::find(p.warnings.begin(), p.warnings.end(), code) != p.warnings.end();
}

TEST_F(SendTest, EveryRecipientWithAKeyMeansSignedAndEncryptedWithGcm) {
    const SendPlan p = plan(draft({"Bob@Example.org"}, {"carol@example.org"}));
    EXPECT_TRUE(p.sign);
    EXPECT_TRUE(p.encrypt);
    EXPECT_EQ(p.reason, "all-recipients-have-keys");
    EXPECT_EQ(p.cipher, crypto::ContentCipher::Aes256Gcm);
    EXPECT_FALSE(p.refusal.has_value());
    ASSERT_EQ(p.recipients.size(), 2U);
    EXPECT_EQ(p.recipients[0].address, "bob@example.org") << "normalised";
    EXPECT_EQ(p.recipients[0].field, RecipientField::To);
    EXPECT_EQ(p.recipients[0].status, RecipientStatus::Encrypt);
    EXPECT_EQ(p.recipients[0].reason, "only-candidate");
    EXPECT_EQ(p.recipients[0].source, RecipientSource::Store);
    EXPECT_EQ(p.recipients[0].fingerprint, loadCertificate("bob.cert.pem").sha256Fingerprint());
    EXPECT_TRUE(p.recipients[0].gcm);
    EXPECT_EQ(p.recipients[1].field, RecipientField::Cc);
}

TEST_F(SendTest, CbcUnlessEveryRecipientIncludingBccAnnouncedGcm) {
    store::test::TempDir dir;
    store::Database db = store::test::openOrFail(dir.path() / "p.db", "pw");
    ASSERT_TRUE(store::IdentityStore(db, m_clock).add(loadIdentity("alice"), store::IdentityRole::Both).ok());
    using Caps = std::optional<std::vector<crypto::ContentCipher>>;
    for (const auto& [who, caps] :
         {std::pair{std::string("bob"), Caps(kGcm)}, std::pair{std::string("carol"), Caps()}}) {
        ASSERT_TRUE(store::CorrespondentStore(db, m_clock)
                        .remember({.address = who + "@example.org",
                                   .cert = loadCertificate(who + ".cert.pem"),
                                   .provenance = {store::ProvenanceKind::Imported, ""},
                                   .seenAt = signTime(),
                                   .signingTime = signTime(),
                                   .capabilities = caps})
                        .ok());
    }
    auto p = planSend(db, m_clock, draft({"bob@example.org"}, {}, {"carol@example.org"}),
                      SendPolicy::EncryptWhenPossible, {}, nullptr, {});
    ASSERT_TRUE(p.ok());
    EXPECT_TRUE(p->encrypt);
    EXPECT_TRUE(p->recipients[0].gcm);
    EXPECT_FALSE(p->recipients[1].gcm);
    EXPECT_EQ(p->cipher, crypto::ContentCipher::Aes256Cbc) << "carol (Bcc) announced nothing: NSS and gpgsm lack GCM";
    auto onlyBob = planSend(db, m_clock, draft({"bob@example.org"}), SendPolicy::EncryptWhenPossible, {}, nullptr, {});
    ASSERT_TRUE(onlyBob.ok());
    EXPECT_EQ(onlyBob->cipher, crypto::ContentCipher::Aes256Gcm);
}

TEST_F(SendTest, OneRecipientWithoutKeyMeansSignedOnlyForEveryone) {
    const SendPlan p = plan(draft({"bob@example.org", "erin@example.org"}));
    EXPECT_TRUE(p.sign);
    EXPECT_FALSE(p.encrypt) << "all or nothing";
    EXPECT_EQ(p.reason, "recipient-without-key");
    ASSERT_EQ(p.recipients.size(), 2U);
    EXPECT_EQ(p.recipients[0].status, RecipientStatus::Encrypt);
    EXPECT_EQ(p.recipients[1].status, RecipientStatus::NoKey);
    EXPECT_EQ(p.recipients[1].reason, "no-certificate");
    EXPECT_EQ(p.recipients[1].source, RecipientSource::None);
    EXPECT_FALSE(p.recipients[1].fingerprint.has_value());
    EXPECT_FALSE(p.refusal.has_value());
}

TEST_F(SendTest, PoliciesDecideWhatIsAllowed) {
    EXPECT_EQ(plan(draft({"bob@example.org"}), SendPolicy::SignOnly).reason, "policy-sign-only");
    EXPECT_FALSE(plan(draft({"bob@example.org"}), SendPolicy::SignOnly).encrypt);
    const SendPlan required = plan(draft({"bob@example.org", "erin@example.org"}), SendPolicy::RequireEncryption);
    EXPECT_EQ(required.refusal, "encryption-required");
    EXPECT_FALSE(plan(draft({"bob@example.org"}), SendPolicy::RequireEncryption).refusal.has_value());
    EXPECT_EQ(
        plan(draft({"bob@example.org"}), SendPolicy::RequireEncryption, {.forcePlain = true, .removeRecipients = {}})
            .refusal,
        "encryption-required");
    auto refused = buildOutgoing(m_db, m_clock, draft({"erin@example.org"}), required);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, base::ErrorCode::InvalidArgument);
}

TEST_F(SendTest, OverridesForcePlainAndRemoveRecipients) {
    const SendPlan plain =
        plan(draft({"bob@example.org"}), SendPolicy::EncryptWhenPossible, {.forcePlain = true, .removeRecipients = {}});
    EXPECT_FALSE(plain.encrypt);
    EXPECT_TRUE(plain.sign) << "still signed";
    EXPECT_EQ(plain.reason, "forced-plain");
    const SendPlan removed = plan(draft({"bob@example.org", "erin@example.org"}), SendPolicy::EncryptWhenPossible,
                                  {.forcePlain = false, .removeRecipients = {"Erin@example.org"}});
    EXPECT_TRUE(removed.encrypt);
    ASSERT_EQ(removed.recipients.size(), 1U);
    const OutgoingMessage out = build(draft({"bob@example.org", "erin@example.org"}), removed);
    ASSERT_EQ(out.copies.size(), 1U);
    EXPECT_EQ(out.copies[0].envelopeTo, std::vector<std::string>{"bob@example.org"});
    std::string text;
    openAs(out.copies[0].raw, "bob", &text);
    EXPECT_EQ(text.find("erin@example.org"), std::string::npos) << "a removed recipient is not named";
    EXPECT_EQ(plan(draft({"bob@example.org"}), SendPolicy::EncryptWhenPossible,
                   {.forcePlain = false, .removeRecipients = {"bob@example.org"}})
                  .refusal,
              "no-recipients");
}

TEST_F(SendTest, WithoutIdentityNothingIsSignedOrEncryptedAndTheMessageGoesAsComposed) {
    store::test::TempDir dir;
    store::Database db = store::test::openOrFail(dir.path() / "p.db", "pw");
    Draft d = draft({"bob@example.org"});
    d.subject = "Grüße aus Köln";
    d.attachments.push_back({"Übersicht.pdf", "", "%PDF-1.4 binary\x01\x02"});
    auto p = planSend(db, m_clock, d, SendPolicy::EncryptWhenPossible, {}, nullptr, {});
    ASSERT_TRUE(p.ok());
    EXPECT_FALSE(p->sign);
    EXPECT_FALSE(p->encrypt);
    EXPECT_TRUE(hasWarning(*p, "no-signing-identity"));
    auto out = buildOutgoing(db, m_clock, d, *p);
    ASSERT_TRUE(out.ok()) << out.error().detail;
    const std::string& raw = out->copies.at(0).raw;
    EXPECT_NE(raw.find("From: Alice Test <alice@example.org>\r\n"), std::string::npos) << raw;
    EXPECT_NE(raw.find("Subject: =?UTF-8?B?"), std::string::npos);
    EXPECT_NE(raw.find("Date: Mon, 01 Jun 2026 00:00:00 +0000\r\n"), std::string::npos);
    EXPECT_NE(raw.find("Message-ID: " + out->messageId + "\r\n"), std::string::npos);
    EXPECT_TRUE(out->messageId.ends_with("@example.org>"));
    EXPECT_NE(raw.find("multipart/mixed"), std::string::npos);
    EXPECT_NE(raw.find("filename*=utf-8''%C3%9Cbersicht.pdf"), std::string::npos);
    EXPECT_NE(raw.find("Content-Type: application/pdf"), std::string::npos);
    EXPECT_EQ(raw.find("application/pkcs7"), std::string::npos);
    EXPECT_EQ(out->sentCopy, raw) << "no Bcc: the Sent copy is the message";
    const smime::test::OpenContext context;
    auto opened = context.open(raw);
    ASSERT_TRUE(opened.ok());
    EXPECT_EQ(opened->report.signature, smime::SignatureState::None);
}

TEST_F(SendTest, SigningOnlyIdentityMeansNoEncryption) {
    store::test::TempDir dir;
    store::Database db = store::test::openOrFail(dir.path() / "p.db", "pw");
    ASSERT_TRUE(store::IdentityStore(db, m_clock).add(loadIdentity("alice"), store::IdentityRole::Signing).ok());
    ASSERT_TRUE(store::CorrespondentStore(db, m_clock)
                    .remember({.address = "bob@example.org",
                               .cert = loadCertificate("bob.cert.pem"),
                               .provenance = {store::ProvenanceKind::Imported, ""},
                               .seenAt = signTime(),
                               .signingTime = std::nullopt,
                               .capabilities = std::nullopt})
                    .ok());
    auto p = planSend(db, m_clock, draft({"bob@example.org"}), SendPolicy::EncryptWhenPossible, {}, nullptr, {});
    ASSERT_TRUE(p.ok());
    EXPECT_TRUE(p->sign);
    EXPECT_FALSE(p->encrypt);
    EXPECT_EQ(p->reason, "no-encryption-certificate-of-sender");
}

TEST_F(SendTest, AReplyToEncryptedMailIsRefusedWhenItWouldGoPlainAndNeverQuotesInTheClear) {
    Draft d = draft({"bob@example.org", "erin@example.org"});
    d.reply = ReplyContext{.inReplyTo = "<orig@example.org>",
                           .references = {"<orig@example.org>"},
                           .originalEncrypted = true,
                           .quotedText = "the secret plan\nsecond line",
                           .originalFrom = "Bob <bob@example.org>",
                           .originalDate = "Sun, 31 May 2026 10:00:00 +0000"};
    EXPECT_EQ(plan(d).refusal, "reply-to-encrypted-would-go-plain");
    const SendPlan forced = plan(d, SendPolicy::EncryptWhenPossible, {.forcePlain = true, .removeRecipients = {}});
    EXPECT_FALSE(forced.refusal.has_value());
    EXPECT_TRUE(hasWarning(forced, "quote-dropped"));
    const OutgoingMessage out = build(d, forced);
    std::string text;
    const auto report = openAs(out.copies.at(0).raw, "bob", &text);
    EXPECT_EQ(report.signature, smime::SignatureState::Valid);
    EXPECT_EQ(report.headerProtection, "clear");
    EXPECT_EQ(text.find("secret plan"), std::string::npos) << "decrypted text never goes out in the clear";
    EXPECT_NE(text.find("In-Reply-To: <orig@example.org>"), std::string::npos);

    Draft encrypted = d;
    encrypted.to = {"bob@example.org"};
    const SendPlan p = plan(encrypted);
    ASSERT_TRUE(p.encrypt);
    EXPECT_FALSE(hasWarning(p, "quote-dropped"));
    const OutgoingMessage sent = build(encrypted, p);
    text.clear();
    openAs(sent.copies.at(0).raw, "bob", &text);
    EXPECT_NE(text.find("On Sun, 31 May 2026 10:00:00 +0000, Bob <bob@example.org> wrote:\r\n> the secret plan\r\n"
                        "> second line"),
              std::string::npos)
        << text;
}

TEST_F(SendTest, EncryptedMessageRoundTripsForRecipientAndSender) {
    const Draft d = draft({"bob@example.org"});
    const SendPlan p = plan(d);
    const OutgoingMessage out = build(d, p);
    ASSERT_EQ(out.copies.size(), 1U);
    EXPECT_EQ(out.copies[0].copy, "");
    EXPECT_EQ(out.envelopeFrom, "alice@example.org");
    EXPECT_NE(out.copies[0].raw.find("application/pkcs7-mime"), std::string::npos);
    EXPECT_EQ(out.copies[0].raw.find("the numbers are attached"), std::string::npos) << "encrypted";
    EXPECT_NE(out.copies[0].raw.find("Subject: [...]\r\n"), std::string::npos) << "the outer Subject is obscured";
    EXPECT_EQ(out.copies[0].raw.find("Quarterly numbers"), std::string::npos);
    for (const std::string who : {"bob", "alice"}) {
        std::string text;
        const auto report = openAs(out.copies[0].raw, who, &text);
        EXPECT_EQ(report.encryption, smime::EncryptionState::Decrypted) << who;
        EXPECT_EQ(report.cipher, crypto::ContentCipher::Aes256Gcm);
        EXPECT_EQ(report.signature, smime::SignatureState::Valid) << who;
        EXPECT_EQ(report.signerMatchesFrom, true);
        EXPECT_EQ(report.headerProtection, "cipher");
        EXPECT_NE(text.find("Subject: Quarterly numbers"), std::string::npos) << "the protected Subject";
        EXPECT_NE(text.find("the numbers are attached"), std::string::npos);
    }
    EXPECT_EQ(openAs(out.copies[0].raw, "carol").encryption, smime::EncryptionState::Failed);
}

TEST_F(SendTest, BccRecipientsGetSeparateCopiesAndAreNeverNamedOnTheWire) {
    const Draft d = draft({"bob@example.org"}, {}, {"carol@example.org"});
    const SendPlan p = plan(d);
    ASSERT_TRUE(p.encrypt);
    EXPECT_TRUE(hasWarning(p, "bcc-separate-copies"));
    const OutgoingMessage out = build(d, p);
    ASSERT_EQ(out.copies.size(), 2U);
    const OutgoingCopy& main = out.copies[0];
    const OutgoingCopy& bcc = out.copies[1];
    EXPECT_EQ(main.copy, "");
    EXPECT_EQ(main.envelopeTo, std::vector<std::string>{"bob@example.org"});
    EXPECT_EQ(bcc.copy, "bcc:carol@example.org");
    EXPECT_EQ(bcc.envelopeTo, std::vector<std::string>{"carol@example.org"});
    EXPECT_EQ(recipientInfoCount(main.raw), 2) << "bob and the sender, not carol";
    EXPECT_EQ(recipientInfoCount(bcc.raw), 2) << "carol and the sender";
    EXPECT_EQ(openAs(main.raw, "carol").encryption, smime::EncryptionState::Failed);
    EXPECT_EQ(openAs(bcc.raw, "bob").encryption, smime::EncryptionState::Failed);
    for (const auto& [copy, who] : {std::pair{&main, "bob"}, std::pair{&bcc, "carol"}}) {
        std::string text;
        const auto report = openAs(copy->raw, who, &text);
        EXPECT_EQ(report.encryption, smime::EncryptionState::Decrypted) << who;
        EXPECT_EQ(report.signature, smime::SignatureState::Valid) << who;
        EXPECT_EQ(text.find("Bcc:"), std::string::npos) << who << ": " << text;
        EXPECT_EQ(text.find("carol@example.org"), std::string::npos) << who;
        EXPECT_EQ(copy->raw.find("Bcc:"), std::string::npos);
    }
    EXPECT_EQ(recipientInfoCount(out.sentCopy), 1) << "the Sent copy is for the sender only";
    EXPECT_EQ(openAs(out.sentCopy, "bob").encryption, smime::EncryptionState::Failed);
    std::string sent;
    EXPECT_EQ(openAs(out.sentCopy, "alice", &sent).encryption, smime::EncryptionState::Decrypted);
    EXPECT_NE(sent.find("Bcc: carol@example.org"), std::string::npos) << "the Sent copy keeps Bcc, inside";
    EXPECT_EQ(out.sentCopy.find("carol@example.org"), std::string::npos) << "never outside the encryption";
}

TEST_F(SendTest, OnlyBccRecipientsMeansNoMainCopy) {
    const Draft d = draft({}, {}, {"bob@example.org", "carol@example.org"});
    const OutgoingMessage out = build(d, plan(d));
    ASSERT_EQ(out.copies.size(), 2U);
    EXPECT_EQ(out.copies[0].copy, "bcc:bob@example.org");
    EXPECT_EQ(out.copies[1].copy, "bcc:carol@example.org");
}

TEST_F(SendTest, SignedOnlyWithBccGoesAsOneCopyWithHeaderProtection) {
    const Draft d = draft({"erin@example.org"}, {}, {"carol@example.org"});
    const SendPlan p = plan(d);
    ASSERT_FALSE(p.encrypt);
    const OutgoingMessage out = build(d, p);
    ASSERT_EQ(out.copies.size(), 1U);
    EXPECT_EQ(out.copies[0].envelopeTo, (std::vector<std::string>{"erin@example.org", "carol@example.org"}));
    EXPECT_EQ(out.copies[0].raw.find("Bcc:"), std::string::npos);
    const auto report = openAs(out.copies[0].raw, "bob");
    EXPECT_EQ(report.signature, smime::SignatureState::Valid);
    EXPECT_EQ(report.signerMatchesFrom, true);
    EXPECT_EQ(report.headerProtection, "clear");
    EXPECT_NE(out.sentCopy.find("Bcc: carol@example.org"), std::string::npos);
    EXPECT_EQ(openAs(out.sentCopy, "alice").signature, smime::SignatureState::Valid);
}

TEST_F(SendTest, RawDraftKeepsItsHeaderAndGetsWhatItLacks) {
    Draft d;
    d.raw = "From: Alice <alice@example.org>\nTo: erin@example.org\nBcc: carol@example.org\nSubject: raw\n\nbody\n";
    store::test::TempDir dir;
    store::Database db = store::test::openOrFail(dir.path() / "p.db", "pw");
    auto p = planSend(db, m_clock, d, SendPolicy::EncryptWhenPossible, {}, nullptr, {});
    ASSERT_TRUE(p.ok()) << p.error().detail;
    ASSERT_EQ(p->recipients.size(), 2U);
    EXPECT_EQ(p->recipients[1].field, RecipientField::Bcc);
    auto out = buildOutgoing(db, m_clock, d, *p);
    ASSERT_TRUE(out.ok()) << out.error().detail;
    const std::string& raw = out->copies.at(0).raw;
    EXPECT_TRUE(raw.starts_with("Date: Mon, 01 Jun 2026 00:00:00 +0000\nMessage-ID: " + out->messageId + "\n")) << raw;
    EXPECT_TRUE(raw.ends_with("From: Alice <alice@example.org>\nTo: erin@example.org\nSubject: raw\n\nbody\n"))
        << "unchanged but for the Bcc field";
    EXPECT_NE(out->sentCopy.find("Bcc: carol@example.org\n"), std::string::npos);

    SendOverrides dropCarol;
    dropCarol.removeRecipients = {"carol@example.org"};
    auto dropped = planSend(db, m_clock, d, SendPolicy::EncryptWhenPossible, dropCarol, nullptr, {});
    ASSERT_TRUE(dropped.ok());
    auto without = buildOutgoing(db, m_clock, d, *dropped);
    ASSERT_TRUE(without.ok()) << without.error().detail;
    EXPECT_EQ(without->sentCopy.find("carol"), std::string::npos) << "a removed recipient is not named";
    EXPECT_NE(without->sentCopy.find("\nTo: erin@example.org\nSubject: raw\n"), std::string::npos) << without->sentCopy;

    Draft broken;
    broken.raw = "Subject: no from\n\nx\n";
    auto bad = planSend(db, m_clock, broken, SendPolicy::EncryptWhenPossible, {}, nullptr, {});
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, base::ErrorCode::MalformedInput);
}

TEST_F(SendTest, MalformedRecipientIsAnError) {
    auto p = planSend(m_db, m_clock, draft({"not an address"}), SendPolicy::EncryptWhenPossible, {}, nullptr, {});
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.error().code, base::ErrorCode::InvalidArgument);
    EXPECT_NE(p.error().detail.find("not an address"), std::string::npos);
}

TEST_F(SendTest, TheDirectorySaysWhyThereIsNoKey) {
    directory::test::DirectoryStub stub;
    directory::ClientOptions options;
    options.baseUrl = stub.url();
    directory::DirectoryClient client(options);
    const std::vector<crypto::Certificate> anchors{loadCertificate("root-ca.cert.pem")};
    stub.answerJson(200,
                    {{"results",
                      {{{"address", "dave@example.org"},
                        {"address_sha256", directory::addressHash("dave@example.org")},
                        {"certificates", {directory::test::certEntry(loadCertificate("dave-untrusted.cert.pem"), {})}}},
                       {{"address", "erin@example.org"},
                        {"address_sha256", directory::addressHash("erin@example.org")},
                        {"certificates", Json::array()}}}}});
    directory::DirectoryLookup lookup(m_db, m_clock, &client, anchors);
    const SendPlan p = plan(draft({"bob@example.org", "dave@example.org", "erin@example.org"}),
                            SendPolicy::EncryptWhenPossible, {}, &lookup);
    ASSERT_EQ(p.recipients.size(), 3U);
    EXPECT_EQ(p.recipients[0].status, RecipientStatus::Encrypt);
    EXPECT_EQ(p.recipients[1].status, RecipientStatus::AvailableButUnverified);
    EXPECT_EQ(p.recipients[1].reason, "directory-rejected");
    EXPECT_FALSE(p.recipients[1].detail.empty());
    EXPECT_EQ(p.recipients[2].status, RecipientStatus::NoKey);
    EXPECT_EQ(p.recipients[2].reason, "directory-not-found");
    EXPECT_FALSE(p.encrypt);
    EXPECT_EQ(stub.requests().size(), 1U) << "one batch";

    directory::ClientOptions down;
    down.baseUrl = "http://127.0.0.1:1";
    directory::DirectoryClient unreachable(down);
    directory::DirectoryLookup offline(m_db, m_clock, &unreachable, anchors);
    const SendPlan q = plan(draft({"frank@example.org"}), SendPolicy::EncryptWhenPossible, {}, &offline);
    EXPECT_EQ(q.recipients.at(0).reason, "directory-unreachable");
}

TEST_F(SendTest, DirectoryCertificateIsUsedAndSaysSo) {
    directory::test::DirectoryStub stub;
    directory::ClientOptions options;
    options.baseUrl = stub.url();
    directory::DirectoryClient client(options);
    const std::vector<crypto::Certificate> anchors{loadCertificate("root-ca.cert.pem")};
    const crypto::Identity erin = issueIdentity("erin@example.org", "digitalSignature,keyEncipherment");
    stub.answerJson(
        200, {{"results",
               {{{"address", "erin@example.org"},
                 {"address_sha256", directory::addressHash("erin@example.org")},
                 {"certificates",
                  {directory::test::certEntry(erin.certificate, {loadCertificate("intermediate-ca.cert.pem")})}}}}}});
    directory::DirectoryLookup lookup(m_db, m_clock, &client, anchors);
    const SendPlan p = plan(draft({"erin@example.org"}), SendPolicy::EncryptWhenPossible, {}, &lookup);
    ASSERT_EQ(p.recipients.size(), 1U);
    EXPECT_EQ(p.recipients[0].status, RecipientStatus::Encrypt);
    EXPECT_EQ(p.recipients[0].source, RecipientSource::Directory);
    EXPECT_TRUE(p.encrypt);
    EXPECT_EQ(p.cipher, crypto::ContentCipher::Aes256Cbc) << "the directory announces no capabilities";
}

TEST_F(SendTest, QueueingStoresEveryCopyOnceAndTheMainCopyCarriesTheSentCopy) {
    store::Account account;
    account.address = "alice@example.org";
    account.imap.host = account.smtp.host = "127.0.0.1";
    account.imap.port = 993;
    account.smtp.port = 587;
    auto accountId = store::AccountStore(m_db).add(account);
    ASSERT_TRUE(accountId.ok());
    const Draft d = draft({"bob@example.org"}, {}, {"carol@example.org"});
    const OutgoingMessage out = build(d, plan(d));
    auto queued = queueOutgoing(m_db, m_clock, *accountId, out);
    ASSERT_TRUE(queued.ok()) << queued.error().detail;
    ASSERT_EQ(queued->size(), 2U);
    EXPECT_TRUE(queued->at(0).added && queued->at(1).added);
    auto again = queueOutgoing(m_db, m_clock, *accountId, out);
    ASSERT_TRUE(again.ok());
    EXPECT_FALSE(again->at(0).added || again->at(1).added) << "idempotent by Message-ID and copy";
    store::Outbox outbox(m_db, m_clock);
    auto main = outbox.findByMessageId(out.messageId);
    ASSERT_TRUE(main.ok());
    EXPECT_EQ(main->copy, "");
    EXPECT_TRUE(main->filedInSent());
    auto stored = outbox.get(main->id);
    ASSERT_TRUE(stored.ok());
    EXPECT_EQ(stored->raw, out.copies[0].raw);
    EXPECT_EQ(stored->sentCopy, out.sentCopy);
    auto copies = outbox.copiesOf(out.messageId);
    ASSERT_TRUE(copies.ok());
    ASSERT_EQ(copies->size(), 2U);
    EXPECT_EQ(copies->at(1).copy, "bcc:carol@example.org");
    EXPECT_FALSE(copies->at(1).filedInSent()) << "a Bcc copy is never filed in Sent";
}

TEST_F(SendTest, PolicyIsStoredPerAccount) {
    auto fresh = loadSendPolicy(m_db, "alice@example.org");
    ASSERT_TRUE(fresh.ok());
    EXPECT_EQ(*fresh, SendPolicy::EncryptWhenPossible);
    ASSERT_TRUE(saveSendPolicy(m_db, "Alice@Example.org", SendPolicy::RequireEncryption).ok());
    EXPECT_EQ(*loadSendPolicy(m_db, "alice@example.org"), SendPolicy::RequireEncryption);
    EXPECT_EQ(*loadSendPolicy(m_db, "bob@example.org"), SendPolicy::EncryptWhenPossible);
    auto stored = store::Settings(m_db).get("send.policy.alice@example.org");
    ASSERT_TRUE(stored.ok() && stored->has_value());
    EXPECT_EQ(**stored, "require-encryption");
    EXPECT_EQ(parseSendPolicy("sign-only"), SendPolicy::SignOnly);
    EXPECT_FALSE(parseSendPolicy("encrypt").has_value());
}

} // namespace
} // namespace sealpost::engine
