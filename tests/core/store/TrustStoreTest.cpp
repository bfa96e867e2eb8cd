#include "store/TrustStore.h"

#include "StoreTestSupport.h"

#include <gtest/gtest.h>

using namespace sealpost;
using namespace sealpost::store;

namespace {

crypto::Certificate certificate(const char* name) {
    const std::string pem = test::readFile(std::filesystem::path(SEALPOST_TEST_DATA_DIR) / name);
    auto certs = crypto::Certificate::parseAll(base::asBytes(pem));
    EXPECT_TRUE(certs.ok());
    return certs->front();
}

} // namespace

TEST(TrustStoreTest, AddListRemoveSurviveReopen) {
    test::TempDir dir;
    const auto file = dir.path() / "profile.db";
    const auto root = certificate("root-ca.cert.pem");
    const auto intermediate = certificate("intermediate-ca.cert.pem");
    {
        Database db = test::openOrFail(file, "pass");
        TrustStore trust(db);
        EXPECT_TRUE(*trust.add(root));
        EXPECT_FALSE(*trust.add(root)); // already there: nothing changes
        EXPECT_TRUE(*trust.add(intermediate));
    }
    Database db = test::openOrFail(file, "pass", OpenMode::MustExist);
    TrustStore trust(db);
    auto anchors = trust.list();
    ASSERT_TRUE(anchors.ok());
    ASSERT_EQ(anchors->size(), 2U);
    EXPECT_TRUE(std::any_of(anchors->begin(), anchors->end(), [&](const auto& c) { return c == root; }));
    EXPECT_TRUE(*trust.remove(root.sha256Fingerprint()));
    EXPECT_FALSE(*trust.remove(root.sha256Fingerprint()));
    anchors = trust.list();
    ASSERT_EQ(anchors->size(), 1U);
    EXPECT_TRUE(anchors->front() == intermediate);
}
