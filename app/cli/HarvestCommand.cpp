#include "HarvestCommand.h"

#include "Args.h"
#include "Commands.h"
#include "Interrupt.h"
#include "Io.h"
#include "ReportJson.h"
#include "engine/HarvestRun.h"
#include "engine/ProfileMaterial.h"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace sealpost::cli {

namespace {

const char* const kHarvestHelp =
    R"(Usage: sealpost-cli [--profile DIR] [--passphrase-file F] harvest (-i MSG.eml | --mbox FILE | --maildir DIR) [options]
Learns correspondents' certificates from signed mail into the profile. A certificate is kept only
from a single, good signature (valid chain to a trust anchor, for e-mail, content unchanged) that
covers the whole message and whose certificate names the From address: the one the signer named
as encryption-key preference, else the signer's own, plus valid certs-only attachments for the
From address. Harvesting the same mail again changes nothing.
  -i FILE            one message (.eml)
  --mbox FILE        every message of an mbox file
  --maildir DIR      every message in DIR/cur and DIR/new
  --json FILE        write the results as JSON to FILE ("-" for standard output)
  --at TIME          check certificate validity at this RFC 3339 time instead of now
  --no-system-trust  use only the profile's trust anchors, not the system's
  --quiet            no progress line
Interrupting (Ctrl-C) stops after the current message; what was harvested so far is kept.
)";

int fail(const std::string& message) {
    std::cerr << "sealpost-cli harvest: " << message << "\n";
    return kExitUsage;
}

int fail(const base::Error& e) {
    return fail(std::string(base::errorCodeName(e.code)) + ": " + e.detail);
}

std::string_view actionName(store::UpsertAction action) {
    switch (action) {
    case store::UpsertAction::Inserted: return "inserted";
    case store::UpsertAction::UpdatedAttributes: return "updated";
    case store::UpsertAction::TouchedLastSeen: return "unchanged";
    }
    return "unknown";
}

nlohmann::ordered_json resultJson(const engine::SourceMessage& m, const engine::MessageHarvest& h) {
    nlohmann::ordered_json learned = nlohmann::ordered_json::array();
    for (const auto& l : h.learned) {
        learned.push_back({{"address", l.address},
                           {"fingerprint_sha256", l.fingerprint},
                           {"source", engine::certificateSourceName(l.source)},
                           {"action", actionName(l.action)},
                           {"certificate_changed", l.certificateChanged}});
    }
    nlohmann::ordered_json ignored = nlohmann::ordered_json::array();
    for (const auto& i : h.ignored) {
        ignored.push_back({{"fingerprint_sha256", i.fingerprint},
                           {"source", engine::certificateSourceName(i.source)},
                           {"reason", i.reason}});
    }
    return {{"source", m.label},  {"message_id", h.messageId},
            {"from", h.from},     {"verdict", engine::harvestVerdictName(h.verdict)},
            {"detail", h.detail}, {"learned", learned},
            {"ignored", ignored}};
}

void printResult(const engine::SourceMessage& m, const engine::MessageHarvest& h) {
    if (h.verdict != engine::HarvestVerdict::Harvested) {
        std::cout << m.label << ": not harvested: " << engine::harvestVerdictName(h.verdict);
        if (!h.detail.empty()) {
            std::cout << " (" << h.detail << ")";
        }
        std::cout << "\n";
    }
    for (const auto& l : h.learned) {
        std::cout << m.label << ": " << actionName(l.action) << " " << l.address << " " << l.fingerprint << " ("
                  << engine::certificateSourceName(l.source) << ")"
                  << (l.certificateChanged ? " CERTIFICATE CHANGED" : "") << "\n";
    }
    for (const auto& i : h.ignored) {
        std::cout << m.label << ": ignored " << i.fingerprint << " (" << engine::certificateSourceName(i.source)
                  << "): " << i.reason << "\n";
    }
}

nlohmann::ordered_json summaryJson(const engine::HarvestSummary& s) {
    nlohmann::ordered_json verdicts = nlohmann::ordered_json::object();
    for (std::size_t i = 0; i < s.verdicts.size(); ++i) {
        verdicts[std::string(engine::harvestVerdictName(static_cast<engine::HarvestVerdict>(i)))] = s.verdicts.at(i);
    }
    return {{"messages", s.messages},
            {"certificates",
             {{"inserted", s.inserted},
              {"updated", s.updated},
              {"unchanged", s.unchanged},
              {"certificate_changed", s.certificateChanges}}},
            {"verdicts", verdicts},
            {"cancelled", s.cancelled}};
}

} // namespace

int runHarvest(const std::vector<std::string>& argv, const GlobalOptions& global) {
    if (argv.empty() || argv[0] == "--help" || argv[0] == "-h") {
        std::cout << kHarvestHelp;
        return argv.empty() ? kExitUsage : kExitOk;
    }
    std::string error;
    auto args =
        Args::parse(argv, {"-i", "--mbox", "--maildir", "--json", "--at"}, {"--no-system-trust", "--quiet"}, error);
    if (!args) {
        return fail(error + " (see --help)");
    }
    const int sources = (args->has("-i") ? 1 : 0) + (args->has("--mbox") ? 1 : 0) + (args->has("--maildir") ? 1 : 0);
    if (sources != 1) {
        return fail("give exactly one of -i, --mbox, --maildir (see --help)");
    }
    const auto jsonPath = args->value("--json");
    base::TimePoint at = std::chrono::system_clock::now();
    if (auto text = args->value("--at")) {
        auto t = parseTime(*text);
        if (!t) {
            return fail("--at: not an RFC 3339 time: " + *text + " (example: 2026-06-01T00:00:00Z)");
        }
        at = *t;
    }
    auto source = args->has("-i")       ? engine::openMessageFile(*args->value("-i"))
                  : args->has("--mbox") ? engine::openMbox(*args->value("--mbox"))
                                        : engine::openMaildir(*args->value("--maildir"));
    if (!source) {
        return fail(source.error());
    }
    auto db = openProfileDatabase(global, store::OpenMode::MustExist, false);
    if (!db) {
        return fail(db.error());
    }
    auto material = engine::loadProfileMaterial(*db, args->has("--no-system-trust") ? engine::SystemAnchors::Exclude
                                                                                    : engine::SystemAnchors::Include);
    if (!material) {
        return fail(material.error());
    }
    const base::FixedClock clock(at);
    engine::Harvester harvester(
        *db, clock, {.identities = material->identities, .trustAnchors = material->trustAnchors, .limits = {}});

    const bool jsonToStdout = jsonPath && *jsonPath == "-";
    const bool terminal = ::isatty(STDERR_FILENO) == 1;
    nlohmann::ordered_json results = nlohmann::ordered_json::array();
    engine::HarvestRunOptions options;
    options.cancel = &interruptFlag();
    options.onMessage = [&](const engine::SourceMessage& m, const engine::MessageHarvest& h) {
        if (jsonPath) {
            results.push_back(resultJson(m, h));
        }
        if (!jsonToStdout) {
            printResult(m, h);
        }
    };
    if (!args->has("--quiet") && !args->has("-i")) {
        // A progress line on standard error: redrawn on a terminal, a line every 10 s otherwise.
        options.progressInterval = terminal ? std::chrono::milliseconds(250) : std::chrono::seconds(10);
        options.onProgress = [terminal](const engine::HarvestProgress& p) {
            std::cerr << (terminal ? "\r" : "") << "harvest: " << p.messages << " messages, " << p.harvested
                      << " with certificates";
            if (p.bytesTotal > 0) {
                std::cerr << ", " << (p.bytesRead * 100 / p.bytesTotal) << "%";
            }
            std::cerr << (terminal ? "   " : "\n") << std::flush;
        };
    }
    auto summary = [&] {
        const InterruptGuard interrupts;
        return engine::harvestAll(*db, harvester, **source, options);
    }();
    if (options.onProgress && terminal) {
        std::cerr << "\n";
    }
    if (!summary) {
        return fail(summary.error());
    }
    if (jsonPath) {
        nlohmann::ordered_json out = summaryJson(*summary);
        out["results"] = std::move(results);
        const std::string text = out.dump(2) + "\n";
        if (jsonToStdout) {
            std::cout << text;
        } else {
            OutputFile file;
            if (auto o = file.open(*jsonPath); !o || !file.write(base::asBytes(text)) || !file.commit()) {
                return fail("cannot write " + *jsonPath);
            }
        }
    }
    if (!jsonToStdout) {
        std::cout << summary->messages << " messages, " << summary->count(engine::HarvestVerdict::Harvested)
                  << " with certificates: " << summary->inserted << " new, " << summary->updated << " updated, "
                  << summary->unchanged << " unchanged";
        if (summary->certificateChanges > 0) {
            std::cout << ", " << summary->certificateChanges << " CERTIFICATE CHANGES";
        }
        std::cout << (summary->cancelled ? " (interrupted)" : "") << "\n";
    }
    return summary->cancelled ? kExitInterrupted : kExitOk;
}

} // namespace sealpost::cli
