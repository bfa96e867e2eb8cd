// Differential check against an independent MIME implementation: on well-formed mail (the
// golden fixtures) mimetic and core/mime must see the same tree. core/mime does not use
// mimetic's parsers (see docs/design-notes.md for the inputs they get wrong), but where both
// are on safe ground they must agree.
#include "mime/MimeEntity.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <iterator>
#include <mimetic/mimetic.h>
#include <sstream>

namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

// "type/subtype[children...]" for both trees.
std::string shape(const sealpost::mime::MimeEntity& e) {
    std::string out = e.contentType.mimeType();
    if (e.isMultipart()) {
        out += "[";
        for (const auto& c : e.children) {
            out += shape(c) + ";";
        }
        out += "]";
    }
    return out;
}

std::string shape(const mimetic::MimeEntity& e) {
    const auto& ct = e.header().contentType();
    std::string out = lower(ct.type()) + "/" + lower(ct.subtype());
    if (ct.isMultipart()) {
        out += "[";
        for (const mimetic::MimeEntity* c : e.body().parts()) {
            out += shape(*c) + ";";
        }
        out += "]";
    }
    return out;
}

} // namespace

TEST(MimeticCrossCheckTest, SameTreeOnGoldenMessages) {
    int compared = 0;
    for (const auto& entry : std::filesystem::directory_iterator(SEALPOST_TEST_DATA_DIR)) {
        if (entry.path().extension() != ".eml") {
            continue;
        }
        std::ifstream in(entry.path(), std::ios::binary);
        const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
        auto ours = sealpost::mime::parseEntity(text);
        ASSERT_TRUE(ours.ok()) << entry.path();
        std::istringstream stream(text);
        mimetic::MimeEntity theirs(stream);
        EXPECT_EQ(shape(*ours), shape(theirs)) << entry.path();
        ++compared;
    }
    EXPECT_GE(compared, 10);
}
