#include "store/Settings.h"

#include "StoreTestSupport.h"

#include <gtest/gtest.h>

using namespace sealpost;
using namespace sealpost::store;

namespace {

class SettingsTest : public ::testing::Test {
protected:
    test::TempDir m_dir;
    Database m_db = test::openOrFail(m_dir.path() / "profile.db", "pass");
};

} // namespace

TEST_F(SettingsTest, UnsetKeyIsNullopt) {
    auto value = Settings(m_db).get("directory.url");
    ASSERT_TRUE(value.ok());
    EXPECT_FALSE(value->has_value());
}

TEST_F(SettingsTest, SetReplacesAndRemoveForgets) {
    Settings settings(m_db);
    ASSERT_TRUE(settings.set("directory.url", "https://a.example").ok());
    ASSERT_TRUE(settings.set("directory.url", "https://b.example").ok());
    auto value = settings.get("directory.url");
    ASSERT_TRUE(value.ok() && value->has_value());
    EXPECT_EQ(**value, "https://b.example");
    EXPECT_EQ(test::queryText(m_db, "SELECT COUNT(*) FROM settings"), "1");
    auto removed = settings.remove("directory.url");
    ASSERT_TRUE(removed.ok());
    EXPECT_TRUE(*removed);
    auto again = settings.remove("directory.url");
    ASSERT_TRUE(again.ok());
    EXPECT_FALSE(*again);
    EXPECT_FALSE(settings.get("directory.url")->has_value());
}

TEST_F(SettingsTest, DirectoryDefaultsAreNoUrlAndPublishingOn) {
    auto defaults = loadDirectorySettings(m_db);
    ASSERT_TRUE(defaults.ok());
    EXPECT_FALSE(defaults->url.has_value());
    EXPECT_TRUE(defaults->publishHarvested);
    EXPECT_FALSE(defaults->caFile.has_value());
}

TEST_F(SettingsTest, DirectorySettingsAreReadTyped) {
    Settings settings(m_db);
    ASSERT_TRUE(settings.set(kDirectoryUrlKey, "https://keys.example.net").ok());
    ASSERT_TRUE(settings.set(kDirectoryPublishHarvestedKey, "off").ok());
    ASSERT_TRUE(settings.set(kDirectoryCaFileKey, "/etc/private-ca.pem").ok());
    auto loaded = loadDirectorySettings(m_db);
    ASSERT_TRUE(loaded.ok());
    EXPECT_EQ(loaded->url.value_or(""), "https://keys.example.net");
    EXPECT_FALSE(loaded->publishHarvested);
    EXPECT_EQ(loaded->caFile.value_or(""), "/etc/private-ca.pem");
}

TEST_F(SettingsTest, SurvivesReopening) {
    const auto file = m_dir.path() / "other.db";
    {
        Database db = test::openOrFail(file, "pass");
        ASSERT_TRUE(Settings(db).set("k", "v").ok());
    }
    Database db = test::openOrFail(file, "pass", OpenMode::MustExist);
    EXPECT_EQ(Settings(db).get("k")->value_or(""), "v");
}
