#pragma once

#include "base/Result.h"
#include "mail/ServerSettings.h"
#include "store/Database.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sealpost::store {

// A mail account: who the user is and how to reach the servers. The IMAP and SMTP settings carry
// the same user name, secret (password or OAuth token), auth method and TLS pin; the secret is
// stored only inside the encrypted profile.
struct Account {
    std::int64_t id = 0; // set by the store
    std::string address; // addr-spec; stored lower-cased
    std::string displayName;
    mail::ServerSettings imap;
    mail::ServerSettings smtp;
};

class AccountStore {
public:
    explicit AccountStore(Database& db) : m_db(db) {}

    // Adds the account and returns its id. InvalidArgument when an account with this address
    // exists, or when the address, a host or a port is missing.
    [[nodiscard]] base::Result<std::int64_t> add(const Account& account);
    // Replaces every field of the account with this address (servers, secret, pin, name).
    // NotFound when there is none.
    [[nodiscard]] base::Result<void> update(const Account& account);
    // Every account, ordered by address, secrets included.
    [[nodiscard]] base::Result<std::vector<Account>> list() const;
    // NotFound when there is no account for the address (compared case-insensitively).
    [[nodiscard]] base::Result<Account> find(std::string_view address) const;
    [[nodiscard]] base::Result<Account> findById(std::int64_t id) const;
    // Removes the account with its cached folders, messages and outbox. NotFound when absent.
    [[nodiscard]] base::Result<void> remove(std::string_view address);

private:
    [[nodiscard]] base::Result<std::vector<Account>> query(std::string_view where, std::string_view key,
                                                           std::int64_t id) const;
    Database& m_db;
};

} // namespace sealpost::store
