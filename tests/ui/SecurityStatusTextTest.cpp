#include "SecurityStatusText.h"

#include <gtest/gtest.h>

using namespace sealpost;

namespace {

smime::OpenReport signedReport() {
    smime::OpenReport r;
    r.signature = smime::SignatureState::Valid;
    r.coversWholeMessage = true;
    r.signerMatchesFrom = true;
    smime::SignerReport s;
    s.emails = {"alice@example.org"};
    s.coversWholeMessage = true;
    r.signers.push_back(s);
    return r;
}

} // namespace

TEST(SecurityStatusTextTest, ValidWholeSignatureNamesTheSigner) {
    EXPECT_EQ(ui::SecurityStatusText::headline(signedReport()), "Signed by alice@example.org, not encrypted");
}

TEST(SecurityStatusTextTest, PartialSignatureIsNotCalledSigned) {
    auto r = signedReport();
    r.coversWholeMessage = false;
    EXPECT_FALSE(ui::SecurityStatusText::headline(r).startsWith("Signed"));
}

TEST(SecurityStatusTextTest, SignerNotFromIsNotCalledSigned) {
    auto r = signedReport();
    r.signerMatchesFrom = false;
    EXPECT_FALSE(ui::SecurityStatusText::headline(r).startsWith("Signed"));
}

TEST(SecurityStatusTextTest, EveryWarningHasText) {
    for (int w = 0; w <= static_cast<int>(smime::OpenWarning::NestingLimitReached); ++w) {
        EXPECT_NE(ui::SecurityStatusText::warning(static_cast<smime::OpenWarning>(w)), "Unknown problem.") << w;
    }
}
