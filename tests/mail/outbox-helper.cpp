// Test helper for outbox-test.sh: queues many generated messages in one process (opening the
// profile once instead of a hundred times, as a hundred `send` runs would).
//   outbox-helper queue DB PASSPHRASE_FILE PREFIX N   queues N messages alice -> bob with
//                                                  Message-IDs <PREFIX-i@example.org>
//   outbox-helper interrupt DB PASSPHRASE_FILE MESSAGE-ID
//                                                  leaves the queued message as a process killed
//                                                  right after the end of data would: 'sending',
//                                                  data_complete, owned by a process that is gone
#include "base/Clock.h"
#include "base/SecureBuffer.h"
#include "mail/Envelope.h"
#include "store/AccountStore.h"
#include "store/Database.h"
#include "store/Outbox.h"
#include "store/Transaction.h"

#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

using namespace sealpost;

namespace {

int toInt(const std::string& text) {
    try {
        return std::stoi(text);
    } catch (...) {
        return 0;
    }
}

int die(const std::string& what) {
    std::cerr << "outbox-helper: " << what << "\n";
    return 1;
}

// Claims the queued message for a process that is gone and marks its end of data as sent.
int interrupt(store::Database& db, std::string_view messageId) {
    const base::SystemClock clock;
    store::Outbox outbox(db, clock);
    auto message = outbox.findByMessageId(messageId);
    if (!message) {
        return die(message.error().detail);
    }
    auto claimed = outbox.claim(message->id, "0:0"); // pid 0: no process, so its owner is gone
    if (!claimed || !*claimed) {
        return die(std::string(messageId) + " is not queued");
    }
    auto marked = outbox.markDataComplete(message->id);
    return marked ? 0 : die(marked.error().detail);
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        return die("usage: queue DB PASSFILE PREFIX N | interrupt DB PASSFILE MESSAGE-ID");
    }
    const std::string command = argv[1];
    std::ifstream pw(argv[3]);
    std::string pass((std::istreambuf_iterator<char>(pw)), std::istreambuf_iterator<char>());
    while (!pass.empty() && (pass.back() == '\n' || pass.back() == '\r')) {
        pass.pop_back();
    }
    auto db = store::Database::open(argv[2], base::SecureString(pass), store::OpenMode::MustExist);
    if (!db) {
        return die(db.error().detail);
    }
    if (command == "queue" && argc == 6) {
        const std::string prefix = argv[4];
        const int n = toInt(argv[5]);
        auto account = store::AccountStore(*db).find("alice@example.org");
        if (!account) {
            return die(account.error().detail);
        }
        const base::SystemClock clock;
        store::Outbox outbox(*db, clock);
        auto tx = store::Transaction::begin(*db);
        if (!tx) {
            return die(tx.error().detail);
        }
        for (int i = 0; i < n; ++i) {
            const std::string id = "<" + prefix + "-" + std::to_string(i) + "@example.org>";
            std::string message = "From: Alice <alice@example.org>\nTo: bob@example.org\nSubject: ";
            message += prefix + " " + std::to_string(i);
            message += "\nDate: Tue, 24 Nov 2026 00:00:00 +0000\nMessage-ID: ";
            message += id;
            message += "\n\nmessage " + std::to_string(i) + "\n";
            auto envelope = mail::envelopeOf(message);
            if (!envelope) {
                return die(envelope.error().detail);
            }
            auto queued = outbox.queue(account->id, id, message, envelope->from, envelope->recipients);
            if (!queued) {
                return die(queued.error().detail);
            }
        }
        auto committed = tx->commit();
        return committed ? 0 : die(committed.error().detail);
    }
    if (command == "interrupt" && argc == 5) {
        try {
            return interrupt(*db, argv[4]);
        } catch (...) { // a Result accessed on the wrong side; main must not throw
            return 1;
        }
    }
    return die("unknown command " + command);
}
