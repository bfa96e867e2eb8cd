#pragma once

#include "smime/OpenReport.h"

#include <QCoreApplication>
#include <QString>
#include <QStringList>

namespace sealpost::ui {

// Turns the engine's status codes into the words a person reads. Core produces no user-facing
// text; this is where it becomes translatable.
class SecurityStatusText {
    Q_DECLARE_TR_FUNCTIONS(SecurityStatusText)

public:
    // One line for the banner above a message, e.g. "Signed by alice@example.org and encrypted".
    // Says "not signed" unless the signature is valid, covers everything shown and matches From.
    [[nodiscard]] static QString headline(const smime::OpenReport& report);
    // One sentence per warning.
    [[nodiscard]] static QStringList warnings(const smime::OpenReport& report);
    [[nodiscard]] static QString warning(smime::OpenWarning w);
};

} // namespace sealpost::ui
