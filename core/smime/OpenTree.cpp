#include "smime/OpenTree.h"

#include <algorithm>

namespace sealpost::smime {

namespace {

int severity(SignatureState s) noexcept {
    switch (s) {
    case SignatureState::None: return 0;
    case SignatureState::Valid: return 1;
    case SignatureState::Expired: return 2;
    case SignatureState::Untrusted: return 3;
    case SignatureState::Error: return 4;
    case SignatureState::Invalid: return 5;
    }
    return 5;
}

} // namespace

SignatureState worse(SignatureState a, SignatureState b) noexcept {
    return severity(a) >= severity(b) ? a : b;
}

void addWarning(OpenReport& report, OpenWarning w) {
    if (std::find(report.warnings.begin(), report.warnings.end(), w) == report.warnings.end()) {
        report.warnings.push_back(w);
    }
}

} // namespace sealpost::smime
