#include "crypto/KeyGen.h"

#include "crypto/Jose.h"

#include <gtest/gtest.h>

namespace sealpost::crypto {
namespace {

TEST(KeyGenTest, NamesRoundTrip) {
    for (const KeySpec spec : {KeySpec::Rsa2048, KeySpec::Rsa3072, KeySpec::Rsa4096, KeySpec::P256, KeySpec::P384}) {
        const auto parsed = parseKeySpec(keySpecName(spec));
        ASSERT_TRUE(parsed.has_value()) << keySpecName(spec);
        EXPECT_EQ(*parsed, spec);
    }
    EXPECT_FALSE(parseKeySpec("rsa1024").has_value());
    EXPECT_FALSE(parseKeySpec("P256").has_value());
    EXPECT_FALSE(parseKeySpec("").has_value());
}

TEST(KeyGenTest, GeneratesEachSpecWithTheRightParameters) {
    struct Case {
        KeySpec spec;
        KeyType type;
        int bits;
    };
    for (const Case c : {Case{KeySpec::Rsa2048, KeyType::Rsa, 2048}, Case{KeySpec::Rsa3072, KeyType::Rsa, 3072},
                         Case{KeySpec::P256, KeyType::Ec, 256}, Case{KeySpec::P384, KeyType::Ec, 384}}) {
        auto key = generateKey(c.spec);
        ASSERT_TRUE(key) << key.error().detail;
        EXPECT_EQ(key->type(), c.type);
        EXPECT_EQ(key->bits(), c.bits);
        const auto spec = keySpecOf(PublicKey::of(*key));
        ASSERT_TRUE(spec.has_value());
        EXPECT_EQ(*spec, c.spec);
    }
}

TEST(KeyGenTest, TwoKeysDiffer) {
    auto a = generateKey(KeySpec::P256);
    auto b = generateKey(KeySpec::P256);
    ASSERT_TRUE(a && b);
    EXPECT_FALSE(PublicKey::of(*a).sameAs(PublicKey::of(*b)));
}

TEST(KeyGenTest, SpkiRoundTripKeepsTheKey) {
    for (const KeySpec spec : {KeySpec::Rsa2048, KeySpec::P384}) {
        auto key = generateKey(spec);
        ASSERT_TRUE(key);
        const PublicKey pub = PublicKey::of(*key);
        auto der = pub.spkiDer();
        ASSERT_TRUE(der);
        auto back = PublicKey::fromSpkiDer(*der);
        ASSERT_TRUE(back) << back.error().detail;
        EXPECT_TRUE(back->sameAs(pub));
        EXPECT_EQ(*jwkThumbprint(*back), *jwkThumbprint(pub));
    }
}

TEST(KeyGenTest, SpkiParserRefusesGarbageAndTrailingBytes) {
    auto key = generateKey(KeySpec::P256);
    ASSERT_TRUE(key);
    auto der = PublicKey::of(*key).spkiDer();
    ASSERT_TRUE(der);
    base::Bytes trailing = *der;
    trailing.push_back(0);
    EXPECT_EQ(PublicKey::fromSpkiDer(trailing).error().code, base::ErrorCode::MalformedInput);
    base::Bytes truncated(der->begin(), der->end() - 1);
    EXPECT_EQ(PublicKey::fromSpkiDer(truncated).error().code, base::ErrorCode::MalformedInput);
    EXPECT_EQ(PublicKey::fromSpkiDer({}).error().code, base::ErrorCode::MalformedInput);
}

} // namespace
} // namespace sealpost::crypto
