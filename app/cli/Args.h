#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sealpost::cli {

// Command-line options of one sub-command: "--name value", "--flag", repeated options kept in
// order. Unknown options and missing values are errors the caller reports.
class Args {
public:
    // `valued` lists options that take a value, `flags` those that don't.
    static std::optional<Args> parse(const std::vector<std::string>& argv, const std::vector<std::string>& valued,
                                     const std::vector<std::string>& flags, std::string& error);

    [[nodiscard]] bool has(const std::string& name) const { return m_values.count(name) > 0; }
    [[nodiscard]] std::optional<std::string> value(const std::string& name) const;
    [[nodiscard]] std::vector<std::string> values(const std::string& name) const;

private:
    std::map<std::string, std::vector<std::string>> m_values;
};

} // namespace sealpost::cli
