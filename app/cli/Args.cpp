#include "Args.h"

#include <algorithm>

namespace sealpost::cli {

std::optional<Args> Args::parse(const std::vector<std::string>& argv, const std::vector<std::string>& valued,
                                const std::vector<std::string>& flags, std::string& error) {
    Args args;
    auto contains = [](const std::vector<std::string>& v, const std::string& s) {
        return std::find(v.begin(), v.end(), s) != v.end();
    };
    for (std::size_t i = 0; i < argv.size(); ++i) {
        std::string name = argv[i];
        std::optional<std::string> inlineValue;
        if (const auto eq = name.find('='); name.rfind("--", 0) == 0 && eq != std::string::npos) {
            inlineValue = name.substr(eq + 1);
            name = name.substr(0, eq);
        }
        if (contains(flags, name) && !inlineValue) {
            args.m_values[name].emplace_back();
        } else if (contains(valued, name)) {
            if (!inlineValue && i + 1 >= argv.size()) {
                error = "option " + name + " needs a value";
                return std::nullopt;
            }
            args.m_values[name].push_back(inlineValue ? *inlineValue : argv[++i]);
        } else {
            error = "unknown option: " + name;
            return std::nullopt;
        }
    }
    return args;
}

std::optional<std::string> Args::value(const std::string& name) const {
    auto it = m_values.find(name);
    if (it == m_values.end() || it->second.empty()) {
        return std::nullopt;
    }
    return it->second.back();
}

std::vector<std::string> Args::values(const std::string& name) const {
    auto it = m_values.find(name);
    return it == m_values.end() ? std::vector<std::string>{} : it->second;
}

} // namespace sealpost::cli
