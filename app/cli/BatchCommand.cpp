#include "BatchCommand.h"

#include "Args.h"
#include "Commands.h"
#include "DirectoryCommands.h"
#include "Interrupt.h"
#include "OutboxCommands.h"
#include "ProfileCommands.h"
#include "base/Clock.h"
#include "directory/DirectoryLookup.h"
#include "engine/BulkSend.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace sealpost::cli {

namespace {

using json = nlohmann::ordered_json;

const char* const kHelp =
    R"(Usage: sealpost-cli [--profile DIR] [--passphrase-file F] send --batch FILE.jsonl [--account ADDR]
         [--journal F] [--no-key plain|skip] [--parallel N] [--resend-unconfirmed] [--json] [--quiet]
Sends one message per line of FILE.jsonl ({"to": ..., "subject": ..., "body" or "body_file": ...,
"attachments": [...], "id": ...}; docs/bulk-send.md), each signed by the account's identity and
encrypted when every recipient has a certificate (profile or directory).
  --account ADDR        the sending account (default: the profile's only account)
  --journal F           the resumable state (default: FILE.jsonl.journal); run the same command
                        again to continue an interrupted batch: nothing is sent twice
  --no-key plain|skip   a recipient without a certificate: send signed only (default) or skip
  --parallel N          SMTP connections and signing threads (default 4)
  --resend-unconfirmed  send again the messages an interrupted run left unconfirmed (they may
                        arrive twice)
  --json                the summary as JSON on standard output
  --quiet               no progress line on standard error
Ctrl-C finishes the messages in flight and stops (exit 130); the rest is sent by the next run.
Exit status: 0 every item was sent (or skipped with --no-key skip); 9 no failures but some
messages unconfirmed; 12 some items failed or were not attempted (run again to retry them);
3, 4, 5 the run stopped: login refused, server unreachable, certificate not trusted; 130
interrupted; 2 unusable arguments, batch file or journal.
)";

constexpr int kExitBatchIncomplete = 12;

int fail(const std::string& message) {
    std::cerr << "sealpost-cli send --batch: " << message << "\n";
    return kExitUsage;
}

int fail(const base::Error& e) {
    return fail(std::string(base::errorCodeName(e.code)) + ": " + e.detail);
}

json summaryJson(const engine::BulkSummary& s) {
    json problems = json::array();
    for (const auto& r : s.problems) {
        problems.push_back({{"line", r.line},
                            {"id", r.id.empty() ? json(nullptr) : json(r.id)},
                            {"message_id", r.messageId},
                            {"outcome", std::string(engine::bulkOutcomeName(r.outcome))},
                            {"reason", r.reason},
                            {"detail", r.detail}});
    }
    json out = {{"total", s.total},
                {"encrypted", s.encrypted},
                {"plain", s.plain},
                {"skipped", s.skipped},
                {"failed", s.failed},
                {"unconfirmed", s.unconfirmed},
                {"already_done", s.alreadyDone},
                {"not_attempted", s.notAttempted},
                {"cancelled", s.cancelled},
                {"stopped_by",
                 s.stoppedBy ? json(std::string(base::errorCodeName(s.stoppedBy->code)) + ": " + s.stoppedBy->detail)
                             : json(nullptr)},
                {"problems", std::move(problems)},
                {"problems_dropped", s.problemsDropped}};
    return out;
}

void printSummary(const engine::BulkSummary& s) {
    for (const auto& r : s.problems) {
        std::cout << "line " << r.line << (r.id.empty() ? "" : " (" + r.id + ")") << ": "
                  << engine::bulkOutcomeName(r.outcome) << ", " << r.reason << (r.detail.empty() ? "" : ": ")
                  << r.detail << "\n";
    }
    if (s.problemsDropped > 0) {
        std::cout << s.problemsDropped << " more problems not listed\n";
    }
    std::cout << s.total << " items: " << s.encrypted << " encrypted, " << s.plain << " plain (signed), " << s.skipped
              << " skipped, " << s.failed << " failed, " << s.unconfirmed << " unconfirmed, " << s.alreadyDone
              << " sent by an earlier run, " << s.notAttempted << " not attempted\n";
    if (s.stoppedBy) {
        std::cout << "stopped: " << base::errorCodeName(s.stoppedBy->code) << ": " << s.stoppedBy->detail << "\n";
    }
    if (s.cancelled) {
        std::cout << "interrupted: run the same command again to send the rest\n";
    }
    if (s.unconfirmed > 0) {
        std::cout << "unconfirmed messages may have been delivered; they are not sent again unless "
                     "--resend-unconfirmed\n";
    }
}

int exitFor(const engine::BulkSummary& s) {
    if (s.cancelled) {
        return kExitInterrupted;
    }
    if (s.stoppedBy) {
        const int code = serverExitCode(s.stoppedBy->code);
        return code == kExitUsage ? kExitBatchIncomplete : code;
    }
    if (s.failed > 0 || s.notAttempted > 0) {
        return kExitBatchIncomplete;
    }
    return s.unconfirmed > 0 ? kExitUnconfirmed : kExitOk;
}

std::optional<unsigned> parseParallel(const std::string& text) {
    unsigned n = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || ptr != text.data() + text.size() || n < 1 || n > 64) {
        return std::nullopt;
    }
    return n;
}

} // namespace

int runSendBatch(const std::vector<std::string>& args, const GlobalOptions& global) {
    if (std::find(args.begin(), args.end(), "--help") != args.end() ||
        std::find(args.begin(), args.end(), "-h") != args.end()) {
        std::cout << kHelp;
        return kExitOk;
    }
    std::string error;
    auto opts = Args::parse(args, {"--batch", "--account", "--journal", "--no-key", "--parallel"},
                            {"--resend-unconfirmed", "--json", "--quiet"}, error);
    if (!opts) {
        return fail(error + " (see --help)");
    }
    const auto batchFile = opts->value("--batch");
    if (!batchFile) {
        return fail("--batch needs a file (see --help)");
    }
    engine::BulkOptions options;
    if (const auto noKey = opts->value("--no-key")) {
        if (*noKey != "plain" && *noKey != "skip") {
            return fail("--no-key takes plain or skip");
        }
        options.noKey = *noKey == "skip" ? engine::NoKeyAction::Skip : engine::NoKeyAction::SendPlain;
    }
    if (const auto parallel = opts->value("--parallel")) {
        const auto n = parseParallel(*parallel);
        if (!n) {
            return fail("--parallel takes a number from 1 to 64");
        }
        options.parallelism = *n;
    }
    if (const auto journal = opts->value("--journal")) {
        options.journal = *journal;
    }
    options.resendUnconfirmed = opts->has("--resend-unconfirmed");

    auto db = openProfileDatabase(global, store::OpenMode::MustExist, false);
    if (!db) {
        return fail(db.error());
    }
    auto account = accountForSending(*db, opts->value("--account"), "");
    if (!account) {
        return fail(account.error());
    }
    const base::SystemClock clock;
    auto directory = profileDirectoryLookup(*db, clock);
    if (!directory) {
        return fail(directory.error());
    }
    directory::DirectoryLookup* lookup = (*directory)->lookup ? &*(*directory)->lookup : nullptr;

    const bool terminal = ::isatty(STDERR_FILENO) == 1;
    const bool showProgress = !opts->has("--quiet");
    auto lastLine = std::chrono::steady_clock::time_point{};
    if (showProgress) {
        // Redrawn on a terminal; otherwise a line every 5 s.
        options.progress = [terminal, &lastLine](const engine::BulkProgress& p) {
            const auto now = std::chrono::steady_clock::now();
            if (!terminal && now - lastLine < std::chrono::seconds(5) && p.done < p.total) {
                return;
            }
            lastLine = now;
            std::cerr << (terminal ? "\r" : "") << "send --batch: " << p.done << "/" << p.total
                      << (terminal ? "   " : "\n") << std::flush;
        };
    }
    options.cancel = &interruptFlag();
    engine::BulkSender sender(*db, clock, std::move(*account), lookup);
    auto summary = [&] {
        const InterruptGuard interrupts;
        return sender.run(*batchFile, options);
    }();
    if (showProgress && terminal) {
        std::cerr << "\n";
    }
    if (!summary) {
        return fail(summary.error());
    }
    if (opts->has("--json")) {
        std::cout << summaryJson(*summary).dump(2) << "\n";
    } else {
        printSummary(*summary);
    }
    return exitFor(*summary);
}

} // namespace sealpost::cli
