// Layering rule (ARCHITECTURE.md): core/ is plain C++ usable from the CLI and the servers, so no
// file under core/ may include Qt or link it.
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <regex>
#include <string>

namespace fs = std::filesystem;

TEST(NoQtInCoreTest, NoQtIncludesOrLinks) {
    const fs::path core = fs::path(SEALPOST_SOURCE_DIR) / "core";
    ASSERT_TRUE(fs::is_directory(core));
    const std::regex qtInclude(R"(^\s*#\s*include\s*[<"](Q[A-Za-z]+|Qt[A-Za-z]*/))");
    const std::regex qtLink(R"(Qt[56]?::|find_package\s*\(\s*Qt)");
    int filesChecked = 0;
    for (const auto& entry : fs::recursive_directory_iterator(core)) {
        if (!entry.is_regular_file()) {
            continue;
        }
        const auto ext = entry.path().extension().string();
        const bool cmake = entry.path().filename() == "CMakeLists.txt";
        if (!cmake && ext != ".h" && ext != ".cpp" && ext != ".hpp") {
            continue;
        }
        ++filesChecked;
        std::ifstream in(entry.path());
        std::string line;
        for (int n = 1; std::getline(in, line); ++n) {
            EXPECT_FALSE(std::regex_search(line, cmake ? qtLink : qtInclude))
                << entry.path() << ":" << n << ": " << line;
        }
    }
    EXPECT_GT(filesChecked, 10);
}
