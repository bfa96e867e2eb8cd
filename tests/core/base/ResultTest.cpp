#include "base/Result.h"

#include "base/SecureBuffer.h"

#include <gtest/gtest.h>

using namespace sealpost::base;

TEST(ResultTest, HoldsValue) {
    Result<int> r = 42;
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, 42);
}

TEST(ResultTest, HoldsErrorWithCodeAndDetail) {
    Result<int> r = makeError(ErrorCode::MalformedInput, "bad base64 at line 3");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::MalformedInput);
    EXPECT_EQ(r.error().detail, "bad base64 at line 3");
    EXPECT_EQ(errorCodeName(r.error().code), "malformed-input");
}

TEST(ResultTest, VoidResult) {
    Result<void> ok = Ok{};
    EXPECT_TRUE(ok.ok());
    Result<void> bad = makeError(ErrorCode::Io, "disk full");
    EXPECT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, ErrorCode::Io);
}

TEST(SecureStringTest, MoveLeavesSourceEmpty) {
    SecureString a("hunter2");
    SecureString b(std::move(a));
    EXPECT_EQ(b.view(), "hunter2");
    EXPECT_TRUE(a.empty()); // NOLINT(bugprone-use-after-move): the wipe on move is the contract
}

TEST(SecureWipeTest, ZeroesMemory) {
    char buf[8] = {'s', 'e', 'c', 'r', 'e', 't', '!', '!'};
    secureWipe(buf, sizeof buf);
    for (char c : buf) {
        EXPECT_EQ(c, 0);
    }
}
