#include "Terminal.h"

#include <cstdio>
#include <string>
#include <termios.h>
#include <unistd.h>

namespace sealpost::cli {

std::optional<base::SecureString> readSecretFromTerminal(const std::string& prompt) {
    if (isatty(STDIN_FILENO) == 0) {
        return std::nullopt;
    }
    termios old{};
    if (tcgetattr(STDIN_FILENO, &old) != 0) {
        return std::nullopt;
    }
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    (void)std::fputs(prompt.c_str(), stderr);
    (void)std::fflush(stderr);
    (void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    std::string line;
    for (int c = 0; (c = std::getchar()) != EOF && c != '\n';) {
        line.push_back(static_cast<char>(c));
    }
    (void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    (void)std::fputs("\n", stderr);
    base::SecureString secret(line);
    base::secureWipe(line.data(), line.capacity());
    return secret;
}

bool terminalAvailable() {
    return isatty(STDIN_FILENO) != 0;
}

} // namespace sealpost::cli
