#include "store/MessageCache.h"

#include "mime/Address.h"
#include "mime/Ascii.h"
#include "mime/HeaderBlock.h"
#include "store/Statement.h"
#include "store/Transaction.h"

#include <algorithm>

namespace sealpost::store {

using base::ErrorCode;

namespace {

constexpr std::size_t kMaxHeaderBytes = 1U << 20U;
constexpr std::size_t kMaxHeaderFields = 10000;

void appendAddresses(std::string& out, std::string_view value) {
    for (const std::string& a : mime::parseAddressList(value)) {
        if (!out.empty()) {
            out += ", ";
        }
        out += a;
    }
}

std::int64_t asInt(std::uint64_t v) noexcept {
    return static_cast<std::int64_t>(v);
}

std::uint64_t asUint(std::int64_t v) noexcept {
    return v < 0 ? 0 : static_cast<std::uint64_t>(v);
}

// Binds text, or NULL when empty.
base::Result<void> bindOptionalText(Statement& st, int index, std::string_view value) {
    return value.empty() ? st.bindNull(index) : st.bindText(index, value);
}

base::Result<Statement> prepareWith(Database& db, std::string_view sql, std::int64_t a) {
    return Statement::prepare(db, sql, {a});
}

// A folder id and a UID.
base::Result<Statement> prepareWith(Database& db, std::string_view sql, std::int64_t a, std::uint64_t b) {
    return Statement::prepare(db, sql, {a, asInt(b)});
}

constexpr std::string_view kFolderColumns =
    "id, account_id, name, delimiter, special_use, uidvalidity, uidnext, last_sync";

CachedFolder readFolder(const Statement& st) {
    CachedFolder f;
    f.id = st.columnInt64(0);
    f.accountId = st.columnInt64(1);
    f.name = st.columnText(2);
    f.delimiter = st.columnIsNull(3) ? "" : st.columnText(3);
    f.specialUse = st.columnIsNull(4) ? "" : st.columnText(4);
    f.uidValidity = st.columnIsNull(5) ? 0 : asUint(st.columnInt64(5));
    f.uidNext = st.columnIsNull(6) ? 0 : asUint(st.columnInt64(6));
    f.lastSync = st.columnIsNull(7) ? 0 : st.columnInt64(7);
    return f;
}

constexpr std::string_view kMessageColumns = "uid, flags, internal_date, size, message_id, subject, from_addr, "
                                             "to_addrs, date_header, body IS NOT NULL, security";

CachedMessage readMessage(const Statement& st) {
    CachedMessage m;
    m.uid = asUint(st.columnInt64(0));
    m.flags = st.columnText(1);
    m.internalDate = st.columnIsNull(2) ? 0 : st.columnInt64(2);
    m.size = st.columnIsNull(3) ? 0 : asUint(st.columnInt64(3));
    m.summary.messageId = st.columnIsNull(4) ? "" : st.columnText(4);
    m.summary.subject = st.columnIsNull(5) ? "" : st.columnText(5);
    m.summary.from = st.columnIsNull(6) ? "" : st.columnText(6);
    m.summary.to = st.columnIsNull(7) ? "" : st.columnText(7);
    m.summary.date = st.columnIsNull(8) ? "" : st.columnText(8);
    m.hasBody = st.columnInt64(9) != 0;
    m.security = st.columnIsNull(10) ? "" : st.columnText(10);
    return m;
}

} // namespace

std::string joinFlags(std::span<const std::string> flags) {
    std::vector<std::string> sorted(flags.begin(), flags.end());
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    std::string out;
    for (const std::string& f : sorted) {
        if (!out.empty()) {
            out.push_back(' ');
        }
        out += f;
    }
    return out;
}

MessageSummary summarizeHeader(std::string_view header) {
    MessageSummary s;
    auto block = mime::scanHeaderBlock(header, {kMaxHeaderBytes, kMaxHeaderFields});
    if (!block) {
        return s;
    }
    for (const mime::HeaderField& f : block->fields) {
        if (mime::equalsIgnoreCase(f.name, "Message-ID") && s.messageId.empty()) {
            s.messageId = f.value();
        } else if (mime::equalsIgnoreCase(f.name, "Subject") && s.subject.empty()) {
            s.subject = f.value();
        } else if (mime::equalsIgnoreCase(f.name, "From") && s.from.empty()) {
            appendAddresses(s.from, f.value());
        } else if (mime::equalsIgnoreCase(f.name, "To") || mime::equalsIgnoreCase(f.name, "Cc")) {
            appendAddresses(s.to, f.value());
        } else if (mime::equalsIgnoreCase(f.name, "Date") && s.date.empty()) {
            s.date = f.value();
        }
    }
    return s;
}

base::Result<std::int64_t> MessageCache::upsertFolder(std::int64_t accountId, const mail::ImapFolder& folder) {
    // (SQLCipher 3.4's SQLite predates UPSERT.)
    for (const char* sql :
         {"INSERT OR IGNORE INTO folders (account_id, name, delimiter, special_use) VALUES (?1, ?2, ?3, ?4)",
          "UPDATE folders SET delimiter = ?3, special_use = ?4 WHERE account_id = ?1 AND name = ?2"}) {
        auto st = Statement::prepare(m_db, sql);
        if (!st) {
            return st.error();
        }
        base::Result<void> bound = st->bindInt64(1, accountId);
        if (bound) {
            bound = st->bindText(2, folder.name);
        }
        if (bound) {
            bound = bindOptionalText(*st, 3, folder.delimiter);
        }
        if (bound) {
            bound = bindOptionalText(*st, 4, folder.specialUse);
        }
        if (!bound) {
            return bound.error();
        }
        if (auto r = st->run(); !r) {
            return r.error();
        }
    }
    auto f = this->folder(accountId, folder.name);
    if (!f) {
        return f.error();
    }
    return f->id;
}

base::Result<std::vector<CachedFolder>> MessageCache::folders(std::int64_t accountId) const {
    auto st = prepareWith(m_db,
                          "SELECT " + std::string(kFolderColumns) +
                              " FROM folders WHERE account_id = ? ORDER BY special_use IS NOT 'inbox', name",
                          accountId);
    if (!st) {
        return st.error();
    }
    std::vector<CachedFolder> out;
    for (;;) {
        auto row = st->step();
        if (!row) {
            return row.error();
        }
        if (!*row) {
            return out;
        }
        out.push_back(readFolder(*st));
    }
}

base::Result<CachedFolder> MessageCache::folder(std::int64_t accountId, std::string_view name) const {
    auto st = prepareWith(
        m_db, "SELECT " + std::string(kFolderColumns) + " FROM folders WHERE account_id = ? AND name = ?", accountId);
    if (!st) {
        return st.error();
    }
    if (auto b = st->bindText(2, name); !b) {
        return b.error();
    }
    auto row = st->step();
    if (!row) {
        return row.error();
    }
    if (!*row) {
        return base::makeError(ErrorCode::NotFound, "no cached folder " + std::string(name));
    }
    return readFolder(*st);
}

base::Result<void> MessageCache::keepOnlyFolders(std::int64_t accountId, std::span<const std::string> names) {
    auto all = folders(accountId);
    if (!all) {
        return all.error();
    }
    auto tx = Transaction::begin(m_db);
    if (!tx) {
        return tx.error();
    }
    for (const CachedFolder& f : *all) {
        if (std::find(names.begin(), names.end(), f.name) != names.end()) {
            continue;
        }
        auto del = prepareWith(m_db, "DELETE FROM folders WHERE id = ?", f.id);
        if (!del) {
            return del.error();
        }
        if (auto r = del->run(); !r) {
            return r;
        }
    }
    return tx->commit();
}

base::Result<void> MessageCache::setFolderState(std::int64_t folderId, std::uint64_t uidValidity, std::uint64_t uidNext,
                                                std::int64_t lastSync) {
    auto st = Statement::prepare(m_db, "UPDATE folders SET uidvalidity = ?, uidnext = ?, last_sync = ? WHERE id = ?");
    if (!st) {
        return st.error();
    }
    base::Result<void> b = st->bindInt64(1, asInt(uidValidity));
    if (b) {
        b = st->bindInt64(2, asInt(uidNext));
    }
    if (b) {
        b = st->bindInt64(3, lastSync);
    }
    if (b) {
        b = st->bindInt64(4, folderId);
    }
    if (!b) {
        return b;
    }
    return st->run();
}

base::Result<void> MessageCache::clearFolder(std::int64_t folderId) {
    auto tx = Transaction::begin(m_db);
    if (!tx) {
        return tx.error();
    }
    for (const char* sql : {"DELETE FROM messages WHERE folder_id = ?",
                            "UPDATE folders SET uidvalidity = NULL, uidnext = NULL WHERE id = ?"}) {
        auto st = prepareWith(m_db, sql, folderId);
        if (!st) {
            return st.error();
        }
        if (auto r = st->run(); !r) {
            return r;
        }
    }
    return tx->commit();
}

base::Result<void> MessageCache::putHeader(std::int64_t folderId, const mail::MessageHeader& message) {
    const MessageSummary s = summarizeHeader(message.header);
    auto tx = Transaction::begin(m_db);
    if (!tx) {
        return tx.error();
    }
    // (SQLCipher 3.4's SQLite predates UPSERT.)
    for (const char* sql :
         {"INSERT OR IGNORE INTO messages (folder_id, uid) VALUES (?1, ?2)",
          "UPDATE messages SET flags = ?3, internal_date = ?4, size = ?5, message_id = ?6, subject = ?7, "
          "from_addr = ?8, to_addrs = ?9, date_header = ?10, header = ?11 WHERE folder_id = ?1 AND uid = ?2"}) {
        auto st = prepareWith(m_db, sql, folderId, message.uid);
        if (!st) {
            return st.error();
        }
        if (std::string_view(sql).starts_with("UPDATE")) {
            base::Result<void> b = st->bindText(3, joinFlags(message.flags));
            if (b) {
                b = message.internalDate != 0 ? st->bindInt64(4, message.internalDate) : st->bindNull(4);
            }
            if (b) {
                b = st->bindInt64(5, asInt(message.size));
            }
            int index = 6;
            for (const std::string* text : {&s.messageId, &s.subject, &s.from, &s.to, &s.date}) {
                if (b) {
                    b = bindOptionalText(*st, index, *text);
                }
                ++index;
            }
            if (b) {
                b = st->bindBlob(11, base::asBytes(message.header));
            }
            if (!b) {
                return b;
            }
        }
        if (auto r = st->run(); !r) {
            return r;
        }
    }
    return tx->commit();
}

base::Result<void> MessageCache::setFlags(std::int64_t folderId, std::uint64_t uid,
                                          std::span<const std::string> flags) {
    auto st = prepareWith(m_db, "UPDATE messages SET flags = ?3 WHERE folder_id = ?1 AND uid = ?2", folderId, uid);
    if (!st) {
        return st.error();
    }
    if (auto b = st->bindText(3, joinFlags(flags)); !b) {
        return b;
    }
    return st->run();
}

base::Result<void> MessageCache::removeMessages(std::int64_t folderId, std::span<const std::uint64_t> uids) {
    auto tx = Transaction::begin(m_db);
    if (!tx) {
        return tx.error();
    }
    auto st = Statement::prepare(m_db, "DELETE FROM messages WHERE folder_id = ? AND uid = ?");
    if (!st) {
        return st.error();
    }
    if (auto b = st->bindInt64(1, folderId); !b) {
        return b;
    }
    for (const std::uint64_t uid : uids) {
        st->reset();
        if (auto b = st->bindInt64(2, asInt(uid)); !b) {
            return b;
        }
        if (auto r = st->run(); !r) {
            return r;
        }
    }
    return tx->commit();
}

base::Result<std::vector<std::pair<std::uint64_t, std::string>>> MessageCache::flags(std::int64_t folderId) const {
    auto st = prepareWith(m_db, "SELECT uid, flags FROM messages WHERE folder_id = ? ORDER BY uid", folderId);
    if (!st) {
        return st.error();
    }
    std::vector<std::pair<std::uint64_t, std::string>> out;
    for (;;) {
        auto row = st->step();
        if (!row) {
            return row.error();
        }
        if (!*row) {
            return out;
        }
        out.emplace_back(asUint(st->columnInt64(0)), st->columnText(1));
    }
}

base::Result<std::vector<CachedMessage>> MessageCache::list(std::int64_t folderId) const {
    auto st = prepareWith(
        m_db, "SELECT " + std::string(kMessageColumns) + " FROM messages WHERE folder_id = ? ORDER BY uid", folderId);
    if (!st) {
        return st.error();
    }
    std::vector<CachedMessage> out;
    for (;;) {
        auto row = st->step();
        if (!row) {
            return row.error();
        }
        if (!*row) {
            return out;
        }
        out.push_back(readMessage(*st));
    }
}

base::Result<CachedMessage> MessageCache::message(std::int64_t folderId, std::uint64_t uid) const {
    auto st =
        prepareWith(m_db, "SELECT " + std::string(kMessageColumns) + " FROM messages WHERE folder_id = ? AND uid = ?",
                    folderId, uid);
    if (!st) {
        return st.error();
    }
    auto row = st->step();
    if (!row) {
        return row.error();
    }
    if (!*row) {
        return base::makeError(ErrorCode::NotFound, "no cached message with UID " + std::to_string(uid));
    }
    return readMessage(*st);
}

base::Result<std::vector<std::uint64_t>> MessageCache::uidsWithoutBody(std::int64_t folderId) const {
    auto st = prepareWith(m_db, "SELECT uid FROM messages WHERE folder_id = ? AND body IS NULL ORDER BY uid", folderId);
    if (!st) {
        return st.error();
    }
    std::vector<std::uint64_t> out;
    for (;;) {
        auto row = st->step();
        if (!row) {
            return row.error();
        }
        if (!*row) {
            return out;
        }
        out.push_back(asUint(st->columnInt64(0)));
    }
}

base::Result<void> MessageCache::putBody(std::int64_t folderId, std::uint64_t uid, base::ByteView raw) {
    auto st = prepareWith(m_db, "UPDATE messages SET body = ?3 WHERE folder_id = ?1 AND uid = ?2", folderId, uid);
    if (!st) {
        return st.error();
    }
    if (auto b = st->bindBlob(3, raw); !b) {
        return b;
    }
    if (auto r = st->run(); !r) {
        return r;
    }
    if (m_db.changes() == 0) {
        return base::makeError(ErrorCode::NotFound, "no cached message with UID " + std::to_string(uid));
    }
    return base::Ok{};
}

base::Result<std::optional<std::string>> MessageCache::body(std::int64_t folderId, std::uint64_t uid) const {
    auto st = prepareWith(m_db, "SELECT body FROM messages WHERE folder_id = ? AND uid = ?", folderId, uid);
    if (!st) {
        return st.error();
    }
    auto row = st->step();
    if (!row) {
        return row.error();
    }
    if (!*row) {
        return base::makeError(ErrorCode::NotFound, "no cached message with UID " + std::to_string(uid));
    }
    if (st->columnIsNull(0)) {
        return std::optional<std::string>{};
    }
    const base::Bytes b = st->columnBlob(0);
    return std::optional<std::string>(std::string(base::asString(b)));
}

base::Result<void> MessageCache::setSecurity(std::int64_t folderId, std::uint64_t uid, std::string_view json) {
    auto st = prepareWith(m_db, "UPDATE messages SET security = ?3 WHERE folder_id = ?1 AND uid = ?2", folderId, uid);
    if (!st) {
        return st.error();
    }
    if (auto b = st->bindText(3, json); !b) {
        return b;
    }
    return st->run();
}

} // namespace sealpost::store
