#include "engine/SentFiler.h"

#include "mail/ImapClient.h"
#include "mime/Canonical.h"
#include "store/AccountStore.h"

#include <map>
#include <memory>
#include <string>

namespace sealpost::engine {

namespace {

struct AccountConnection {
    std::unique_ptr<mail::ImapClient> imap;
    std::string sentFolder; // found on first use
};

base::Result<std::string> findSentFolder(mail::ImapClient& imap) {
    auto folders = imap.listFolders();
    if (!folders) {
        return folders.error();
    }
    const mail::ImapFolder* byName = nullptr;
    for (const auto& f : *folders) {
        if (f.specialUse == "sent" && f.selectable) {
            return f.name;
        }
        if (f.name == "Sent" && f.selectable) {
            byName = &f;
        }
    }
    if (byName != nullptr) {
        return byName->name;
    }
    return base::makeError(base::ErrorCode::NotFound,
                           "the account has no Sent folder (none marked \\Sent or named Sent)");
}

} // namespace

FileInSent imapSentFiler(store::Database& db, const std::atomic<bool>* cancel) {
    auto connections = std::make_shared<std::map<std::int64_t, AccountConnection>>();
    return [&db, cancel, connections](const store::OutboxMessage& message) -> base::Result<void> {
        auto& conn = (*connections)[message.accountId];
        if (!conn.imap) {
            auto account = store::AccountStore(db).findById(message.accountId);
            if (!account) {
                return account.error();
            }
            conn.imap = std::make_unique<mail::ImapClient>(account->imap);
            conn.imap->setCancelFlag(cancel);
        }
        if (conn.sentFolder.empty()) {
            auto sent = findSentFolder(*conn.imap);
            if (!sent) {
                return sent.error();
            }
            conn.sentFolder = std::move(sent).value();
        }
        auto there = conn.imap->searchHeader(conn.sentFolder, "Message-ID", message.messageId);
        if (!there) {
            return there.error();
        }
        if (!there->empty()) {
            return base::Ok{};
        }
        const std::string crlf = mime::toCrlf(message.hasSentCopy ? message.sentCopy : message.raw);
        const std::string seen = "\\Seen";
        auto appended = conn.imap->append(conn.sentFolder, base::asBytes(crlf), std::span<const std::string>(&seen, 1));
        if (!appended) {
            return appended.error();
        }
        return base::Ok{};
    };
}

} // namespace sealpost::engine
