#include "crypto/OpenSslError.h"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/x509.h>

namespace sealpost::crypto {
namespace {

void provokeError() {
    const unsigned char garbage[] = {0x30, 0x03, 0x02, 0x01};
    const unsigned char* p = garbage;
    X509* cert = d2i_X509(nullptr, &p, sizeof garbage);
    ASSERT_EQ(cert, nullptr);
}

TEST(OpenSslErrorTest, DrainEmptiesTheQueue) {
    ERR_clear_error();
    EXPECT_EQ(drainOpenSslErrors(), "");
    provokeError();
    ASSERT_NE(ERR_peek_error(), 0u);
    const std::string text = drainOpenSslErrors();
    EXPECT_NE(text.find("asn1"), std::string::npos) << text;
    EXPECT_NE(text.find("; "), std::string::npos) << "several entries are joined: " << text;
    EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(OpenSslErrorTest, ClearDiscards) {
    provokeError();
    clearOpenSslErrors();
    EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(OpenSslErrorTest, ErrorCarriesCodeWhatAndQueue) {
    ERR_clear_error();
    const base::Error plain = openSslError(base::ErrorCode::CryptoFailure, "nothing queued");
    EXPECT_EQ(plain.code, base::ErrorCode::CryptoFailure);
    EXPECT_EQ(plain.detail, "nothing queued");

    provokeError();
    const base::Error e = openSslError(base::ErrorCode::MalformedInput, "bad certificate");
    EXPECT_EQ(e.code, base::ErrorCode::MalformedInput);
    EXPECT_EQ(e.detail.rfind("bad certificate (", 0), 0u) << e.detail;
    EXPECT_EQ(e.detail.back(), ')');
    EXPECT_EQ(ERR_peek_error(), 0u);
}

} // namespace
} // namespace sealpost::crypto
