#include "store/AccountStore.h"

#include "mime/Ascii.h"
#include "store/Statement.h"

#include <chrono>

namespace sealpost::store {

using base::ErrorCode;

namespace {

using Value = Statement::Value;

base::Result<void> checkComplete(const Account& a) {
    if (a.address.find('@') == std::string::npos) {
        return base::makeError(ErrorCode::InvalidArgument, "not a mail address: " + a.address);
    }
    for (const auto* s : {&a.imap, &a.smtp}) {
        if (s->host.empty() || s->port <= 0 || s->port > 65535) {
            return base::makeError(ErrorCode::InvalidArgument,
                                   "account " + a.address + ": server host or port missing");
        }
    }
    return base::Ok{};
}

constexpr std::string_view kColumns =
    "id, address, display_name, imap_host, imap_port, imap_security, smtp_host, smtp_port, smtp_security, "
    "username, auth_method, secret, tls_pin_sha256";

} // namespace

base::Result<std::int64_t> AccountStore::add(const Account& account) {
    if (auto ok = checkComplete(account); !ok) {
        return ok.error();
    }
    const std::string address = mime::toLowerAscii(account.address);
    if (auto existing = find(address); existing) {
        return base::makeError(ErrorCode::InvalidArgument, "an account for " + address + " exists already");
    } else if (existing.error().code != ErrorCode::NotFound) {
        return existing.error();
    }
    auto insert = Statement::prepare(
        m_db, "INSERT INTO accounts (address, display_name, imap_host, imap_port, imap_security, smtp_host, smtp_port, "
              "smtp_security, username, auth_method, secret, tls_pin_sha256, created) "
              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!insert) {
        return insert.error();
    }
    const auto& i = account.imap;
    const auto& s = account.smtp;
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
    const Value pin = i.pinnedSha256.empty() ? Value(nullptr) : Value(std::string_view(i.pinnedSha256));
    if (auto b =
            insert->bindAll({address, account.displayName, i.host, std::int64_t{i.port}, mail::securityName(i.security),
                             s.host, std::int64_t{s.port}, mail::securityName(s.security), i.username,
                             mail::authMethodName(i.auth), i.secret, pin, std::int64_t{now.count()}});
        !b) {
        return b.error();
    }
    if (auto done = insert->run(); !done) {
        return done.error();
    }
    return m_db.lastInsertRowId();
}

base::Result<void> AccountStore::update(const Account& account) {
    if (auto ok = checkComplete(account); !ok) {
        return ok.error();
    }
    auto change = Statement::prepare(
        m_db, "UPDATE accounts SET display_name = ?, imap_host = ?, imap_port = ?, imap_security = ?, smtp_host = ?, "
              "smtp_port = ?, smtp_security = ?, username = ?, auth_method = ?, secret = ?, tls_pin_sha256 = ? "
              "WHERE address = ?");
    if (!change) {
        return change.error();
    }
    const auto& i = account.imap;
    const auto& s = account.smtp;
    const std::string address = mime::toLowerAscii(account.address);
    const Value pin = i.pinnedSha256.empty() ? Value(nullptr) : Value(std::string_view(i.pinnedSha256));
    if (auto b = change->bindAll({account.displayName, i.host, std::int64_t{i.port}, mail::securityName(i.security),
                                  s.host, std::int64_t{s.port}, mail::securityName(s.security), i.username,
                                  mail::authMethodName(i.auth), i.secret, pin, address});
        !b) {
        return b.error();
    }
    if (auto done = change->run(); !done) {
        return done.error();
    }
    if (m_db.changes() == 0) {
        return base::makeError(ErrorCode::NotFound, "no account for " + address);
    }
    return base::Ok{};
}

base::Result<std::vector<Account>> AccountStore::query(std::string_view where, std::string_view key,
                                                       std::int64_t id) const {
    auto select = Statement::prepare(m_db, "SELECT " + std::string(kColumns) + " FROM accounts " + std::string(where) +
                                               " ORDER BY address");
    if (!select) {
        return select.error();
    }
    if (where.find("address") != std::string_view::npos) {
        if (auto b = select->bindText(1, key); !b) {
            return b.error();
        }
    } else if (where.find("id") != std::string_view::npos) {
        if (auto b = select->bindInt64(1, id); !b) {
            return b.error();
        }
    }
    std::vector<Account> out;
    for (;;) {
        auto row = select->step();
        if (!row) {
            return row.error();
        }
        if (!*row) {
            return out;
        }
        Account a;
        a.id = select->columnInt64(0);
        a.address = select->columnText(1);
        a.displayName = select->columnText(2);
        a.imap.host = select->columnText(3);
        a.imap.port = static_cast<int>(select->columnInt64(4));
        a.imap.security = mail::parseSecurity(select->columnText(5)).value_or(mail::Security::ImplicitTls);
        a.smtp.host = select->columnText(6);
        a.smtp.port = static_cast<int>(select->columnInt64(7));
        a.smtp.security = mail::parseSecurity(select->columnText(8)).value_or(mail::Security::ImplicitTls);
        for (auto* s : {&a.imap, &a.smtp}) {
            s->username = select->columnText(9);
            s->auth = mail::parseAuthMethod(select->columnText(10)).value_or(mail::AuthMethod::Plain);
            s->secret = select->columnText(11);
            s->pinnedSha256 = select->columnIsNull(12) ? std::string() : select->columnText(12);
            // Plaintext was allowed when the account was added; the store keeps no separate flag.
            s->allowPlaintext = s->security == mail::Security::Plain;
        }
        out.push_back(std::move(a));
    }
}

base::Result<std::vector<Account>> AccountStore::list() const {
    return query("", {}, 0);
}

base::Result<Account> AccountStore::find(std::string_view address) const {
    const std::string key = mime::toLowerAscii(address);
    auto found = query("WHERE address = ?", key, 0);
    if (!found) {
        return found.error();
    }
    if (found->empty()) {
        return base::makeError(ErrorCode::NotFound, "no account for " + key);
    }
    return std::move(found->front());
}

base::Result<Account> AccountStore::findById(std::int64_t id) const {
    auto found = query("WHERE id = ?", {}, id);
    if (!found) {
        return found.error();
    }
    if (found->empty()) {
        return base::makeError(ErrorCode::NotFound, "no account with id " + std::to_string(id));
    }
    return std::move(found->front());
}

base::Result<void> AccountStore::remove(std::string_view address) {
    const std::string key = mime::toLowerAscii(address);
    auto del = Statement::prepare(m_db, "DELETE FROM accounts WHERE address = ?");
    if (!del) {
        return del.error();
    }
    if (auto b = del->bindText(1, key); !b) {
        return b.error();
    }
    if (auto done = del->run(); !done) {
        return done.error();
    }
    if (m_db.changes() == 0) {
        return base::makeError(ErrorCode::NotFound, "no account for " + key);
    }
    return base::Ok{};
}

} // namespace sealpost::store
