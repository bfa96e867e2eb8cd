#include "keydir/ResponseCache.h"

#include "keydir/Address.h"

#include <gtest/gtest.h>
#include <string>

namespace sealpost::keydir {
namespace {

const base::TimePoint t0 = std::chrono::system_clock::from_time_t(1780272000);

HashKey keyOf(const std::string& address) {
    return addressHashBytes(addressHash(address));
}

std::shared_ptr<const Answer> answerWith(const std::string& body) {
    auto a = std::make_shared<Answer>();
    a->body = body;
    return a;
}

TEST(ResponseCacheTest, KeepsEachRepresentationForItsTtl) {
    ResponseCache cache(1024, std::chrono::milliseconds(2000));
    const HashKey alice = keyOf("alice@example.org");
    cache.store(alice, Representation::CertsJson, answerWith("json"), t0);
    EXPECT_EQ(cache.find(alice, Representation::CertsJson, t0)->body, "json");
    EXPECT_EQ(cache.find(alice, Representation::CertsOnly, t0), nullptr);
    EXPECT_EQ(cache.find(keyOf("bob@example.org"), Representation::CertsJson, t0), nullptr);
    cache.store(alice, Representation::CertsOnly, answerWith("der"), t0 + std::chrono::seconds(1));
    EXPECT_EQ(cache.find(alice, Representation::CertsJson, t0 + std::chrono::milliseconds(1999))->body, "json");
    EXPECT_EQ(cache.find(alice, Representation::CertsJson, t0 + std::chrono::milliseconds(2000)), nullptr);
    EXPECT_EQ(cache.find(alice, Representation::CertsOnly, t0 + std::chrono::milliseconds(2000))->body, "der");
}

TEST(ResponseCacheTest, InvalidateDropsEveryRepresentation) {
    ResponseCache cache(1024, std::chrono::milliseconds(2000));
    const HashKey alice = keyOf("alice@example.org");
    cache.store(alice, Representation::CertsJson, answerWith("json"), t0);
    cache.store(alice, Representation::CanEncrypt, answerWith("can"), t0);
    cache.invalidate(alice);
    EXPECT_EQ(cache.find(alice, Representation::CertsJson, t0), nullptr);
    EXPECT_EQ(cache.find(alice, Representation::CanEncrypt, t0), nullptr);
}

TEST(ResponseCacheTest, StaysBounded) {
    ResponseCache cache(256, std::chrono::milliseconds(2000));
    for (int i = 0; i < 10000; ++i) {
        cache.store(keyOf("user" + std::to_string(i) + "@example.org"), Representation::CertsJson, answerWith("x"), t0);
    }
    EXPECT_LE(cache.size(), 256u);
    // The newest entry is always there.
    EXPECT_NE(cache.find(keyOf("user9999@example.org"), Representation::CertsJson, t0), nullptr);
}

TEST(ResponseCacheTest, ZeroTtlCachesNothing) {
    ResponseCache cache(256, std::chrono::milliseconds(0));
    const HashKey alice = keyOf("alice@example.org");
    cache.store(alice, Representation::CertsJson, answerWith("json"), t0);
    EXPECT_EQ(cache.find(alice, Representation::CertsJson, t0), nullptr);
    EXPECT_EQ(cache.size(), 0u);
}

} // namespace
} // namespace sealpost::keydir
