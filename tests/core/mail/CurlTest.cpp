#include "mail/Curl.h"

#include <gtest/gtest.h>

namespace sealpost::mail {
namespace {

using base::ErrorCode;
using detail::curlFailure;
using detail::CurlHandle;
using detail::TlsObservation;

TEST(ServerSettingsTest, NamesRoundTrip) {
    for (const auto s : {Security::ImplicitTls, Security::StartTls, Security::Plain}) {
        EXPECT_EQ(parseSecurity(securityName(s)), s);
    }
    for (const auto m : {AuthMethod::Plain, AuthMethod::Login, AuthMethod::XOAuth2}) {
        EXPECT_EQ(parseAuthMethod(authMethodName(m)), m);
    }
    EXPECT_FALSE(parseSecurity("ssl"));
    EXPECT_FALSE(parseAuthMethod("cram-md5"));
}

TEST(ServerSettingsTest, LoopbackHosts) {
    EXPECT_TRUE(isLoopbackHost("localhost"));
    EXPECT_TRUE(isLoopbackHost("127.0.0.1"));
    EXPECT_TRUE(isLoopbackHost("127.8.9.10"));
    EXPECT_TRUE(isLoopbackHost("::1"));
    EXPECT_FALSE(isLoopbackHost("128.0.0.1"));
    EXPECT_FALSE(isLoopbackHost("localhost.example.org"));
    EXPECT_FALSE(isLoopbackHost("127.0.0.1.example.org"));
    EXPECT_FALSE(isLoopbackHost(""));
}

TEST(CurlHandleTest, RefusesPlaintextUnlessAllowedAndLoopback) {
    ServerSettings s;
    s.host = "mail.example.org";
    s.port = 143;
    s.security = Security::Plain;
    s.allowPlaintext = true;
    CurlHandle remote;
    auto r = remote.configure(s, "imap");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);

    s.host = "127.0.0.1";
    s.allowPlaintext = false;
    CurlHandle notAllowed;
    EXPECT_FALSE(notAllowed.configure(s, "imap"));

    s.allowPlaintext = true;
    CurlHandle local;
    ASSERT_TRUE(local.configure(s, "imap"));
    EXPECT_EQ(local.baseUrl(), "imap://127.0.0.1:143/");
}

TEST(CurlHandleTest, UrlFollowsSecurity) {
    ServerSettings s;
    s.host = "::1";
    s.port = 993;
    CurlHandle tls;
    ASSERT_TRUE(tls.configure(s, "imap"));
    EXPECT_EQ(tls.baseUrl(), "imaps://[::1]:993/");
    s.host = "mail.example.org";
    s.port = 587;
    s.security = Security::StartTls;
    CurlHandle starttls;
    ASSERT_TRUE(starttls.configure(s, "smtp"));
    EXPECT_EQ(starttls.baseUrl(), "smtp://mail.example.org:587/");
    s.port = 0;
    CurlHandle noPort;
    EXPECT_FALSE(noPort.configure(s, "smtp"));
}

TEST(CurlHandleTest, ClosedPortIsUnreachable) {
    ServerSettings s;
    s.host = "127.0.0.1";
    s.port = 1; // nothing listens there
    CurlHandle h;
    ASSERT_TRUE(h.configure(s, "imap"));
    ASSERT_EQ(curl_easy_setopt(h.get(), CURLOPT_URL, h.baseUrl().c_str()), CURLE_OK);
    auto r = h.perform("connect");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::Unreachable) << r.error().detail;
    EXPECT_NE(r.error().detail.find("connect"), std::string::npos);
}

TEST(CurlFailureTest, MapsWhatTheUserCanActOn) {
    const TlsObservation none;
    EXPECT_EQ(curlFailure(CURLE_COULDNT_RESOLVE_HOST, "x", "", 0, none).code, ErrorCode::Unreachable);
    EXPECT_EQ(curlFailure(CURLE_COULDNT_CONNECT, "x", "", 0, none).code, ErrorCode::Unreachable);
    EXPECT_EQ(curlFailure(CURLE_OPERATION_TIMEDOUT, "x", "", 0, none).code, ErrorCode::Unreachable);
    EXPECT_EQ(curlFailure(CURLE_LOGIN_DENIED, "x", "", 535, none).code, ErrorCode::AuthFailed);
    EXPECT_EQ(curlFailure(CURLE_USE_SSL_FAILED, "x", "", 0, none).code, ErrorCode::ProtocolError);
    EXPECT_EQ(curlFailure(CURLE_SSL_CONNECT_ERROR, "x", "", 0, none).code, ErrorCode::ProtocolError);
    EXPECT_EQ(curlFailure(CURLE_WEIRD_SERVER_REPLY, "x", "", 0, none).code, ErrorCode::ProtocolError);
    // SMTP: the reply code decides.
    EXPECT_EQ(curlFailure(CURLE_SEND_ERROR, "RCPT TO", "", 550, none).code, ErrorCode::PermanentFailure);
    EXPECT_EQ(curlFailure(CURLE_SEND_ERROR, "RCPT TO", "", 451, none).code, ErrorCode::TemporaryFailure);
    EXPECT_EQ(curlFailure(CURLE_RECV_ERROR, "DATA", "", 0, none).code, ErrorCode::TemporaryFailure);
    EXPECT_EQ(curlFailure(CURLE_GOT_NOTHING, "DATA", "", 0, none).code, ErrorCode::TemporaryFailure);
    const auto e = curlFailure(CURLE_SEND_ERROR, "RCPT TO", "bad recipient", 550, none);
    EXPECT_EQ(e.detail, "RCPT TO: bad recipient (server reply 550)");
}

TEST(CurlFailureTest, CertificateProblemsNameTheCertificate) {
    TlsObservation seen;
    seen.leafSha256 = "ab12";
    seen.verifyError = "self-signed certificate";
    auto e = curlFailure(CURLE_PEER_FAILED_VERIFICATION, "connect", "", 0, seen);
    EXPECT_EQ(e.code, ErrorCode::UntrustedServer);
    EXPECT_NE(e.detail.find("ab12"), std::string::npos);
    EXPECT_NE(e.detail.find("self-signed"), std::string::npos);
    // OpenSSL may report a rejected chain as a handshake failure: still a certificate problem.
    EXPECT_EQ(curlFailure(CURLE_SSL_CONNECT_ERROR, "connect", "", 0, seen).code, ErrorCode::UntrustedServer);
    seen.verifyError.clear();
    seen.pinnedSha256 = "cd34";
    seen.pinMismatch = true;
    e = curlFailure(CURLE_PEER_FAILED_VERIFICATION, "connect", "", 0, seen);
    EXPECT_EQ(e.code, ErrorCode::UntrustedServer);
    EXPECT_NE(e.detail.find("not the pinned one (cd34)"), std::string::npos);
    // A timeout after the certificate arrived is a dropped connection, not an unreachable host.
    EXPECT_EQ(curlFailure(CURLE_OPERATION_TIMEDOUT, "x", "", 0, seen).code, ErrorCode::TemporaryFailure);
}

} // namespace
} // namespace sealpost::mail
