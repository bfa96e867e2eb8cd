#pragma once

#include "engine/OutboxRunner.h"
#include "store/Database.h"

#include <atomic>

namespace sealpost::engine {

// The Sent step of the outbox over IMAP: files an accepted message in its account's Sent folder
// (the one marked \Sent, else one named "Sent"), unless a message with the same Message-ID is
// there already, so running it again after a crash files nothing twice. One IMAP connection per
// account, kept for the life of the returned function; `db` must outlive it.
[[nodiscard]] FileInSent imapSentFiler(store::Database& db, const std::atomic<bool>* cancel = nullptr);

} // namespace sealpost::engine
