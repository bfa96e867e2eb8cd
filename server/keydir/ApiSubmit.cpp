#include "keydir/Address.h"
#include "keydir/ApiImpl.h"
#include "keydir/HttpRules.h"
#include "keydir/TimeFormat.h"
#include "keydir/Validation.h"

#include <algorithm>
#include <array>
#include <variant>

namespace sealpost::keydir {
namespace {

constexpr std::array<std::string_view, 4> provenances{"enrolled", "harvested", "self", "submitted"};

bool isProvenance(std::string_view value) {
    return std::find(provenances.begin(), provenances.end(), value) != provenances.end();
}

std::optional<SubmissionFormat> formatOf(const std::string& type, std::optional<std::string> smimeType) {
    if (type == "application/pem-certificate-chain" || type == "application/x-pem-file" || type == "text/plain") {
        return SubmissionFormat::PemChain;
    }
    if (type == "application/pkix-cert") {
        return SubmissionFormat::Der;
    }
    if ((type == "application/pkcs7-mime" || type == "application/x-pkcs7-mime") &&
        (!smimeType || *smimeType == "certs-only")) {
        return SubmissionFormat::CertsOnly;
    }
    return std::nullopt;
}

struct Item {
    std::string chain; // batch entries only; a single submission reads the body in place
    SubmissionFormat format = SubmissionFormat::PemChain;
    std::string provenance;
    std::optional<std::string> address;
    Validation validation;
};

Json resultJson(const Item& item, std::optional<PutOutcome> outcome) {
    if (!item.validation.accepted) {
        return Json{{"status", "rejected"},
                    {"reason", rejectReasonName(item.validation.reason)},
                    {"detail", item.validation.detail}};
    }
    return Json{{"status", outcome == PutOutcome::Inserted ? "accepted" : "unchanged"},
                {"fingerprint_sha256", item.validation.accepted->fingerprint},
                {"addresses_sha256", item.validation.accepted->addressHashes}};
}

StoredCert toStored(const AcceptedCert& cert, const std::string& provenance) {
    StoredCert stored;
    stored.fingerprint = cert.fingerprint;
    stored.leafDer = cert.leaf.der();
    for (const crypto::Certificate& c : cert.chain) {
        stored.chainDer.push_back(c.der());
    }
    stored.notBefore = toUnixSeconds(cert.leaf.notBefore());
    stored.notAfter = toUnixSeconds(cert.leaf.notAfter());
    stored.provenance = provenance;
    return stored;
}

// The query of POST /v1/certs: only "provenance=VALUE". nullopt when anything else is there.
std::optional<std::string> queryProvenance(std::string_view target) {
    const std::size_t q = target.find('?');
    if (q == std::string_view::npos || q + 1 == target.size()) {
        return std::string("submitted");
    }
    const std::string_view query = target.substr(q + 1);
    constexpr std::string_view key = "provenance=";
    if (!query.starts_with(key) || !isProvenance(query.substr(key.size()))) {
        return std::nullopt;
    }
    return std::string(query.substr(key.size()));
}

// Parses a JSON batch into items; a Response when the batch as a whole is refused.
std::variant<std::vector<Item>, Response> parseBatch(std::string_view body, const std::string& defaultProvenance) {
    const Json json = Json::parse(body.begin(), body.end(), nullptr, false);
    if (json.is_discarded() || !json.is_object() || !json.contains("submissions") || !json["submissions"].is_array()) {
        return errorResponse(400, "bad-request", "the body needs a \"submissions\" array");
    }
    const Json& entries = json["submissions"];
    if (entries.size() > maxBatchEntries) {
        return errorResponse(413, "too-large", "at most " + std::to_string(maxBatchEntries) + " submissions");
    }
    std::vector<Item> items;
    items.reserve(entries.size());
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const Json& entry = entries[i];
        const std::string where = "submission " + std::to_string(i);
        if (!entry.is_object() || !entry.contains("chain") || !entry["chain"].is_string()) {
            return errorResponse(400, "bad-request", where + " needs a \"chain\" string");
        }
        Item item;
        item.chain = entry["chain"].get<std::string>();
        item.provenance = defaultProvenance;
        if (entry.contains("provenance")) {
            const std::string* p = entry["provenance"].get_ptr<const std::string*>();
            if (p == nullptr || !isProvenance(*p)) {
                return errorResponse(400, "bad-request", where + " has an unknown provenance");
            }
            item.provenance = *p;
        }
        if (entry.contains("address")) {
            const std::string* a = entry["address"].get_ptr<const std::string*>();
            item.address = a != nullptr ? normaliseAddress(*a) : std::nullopt;
            if (!item.address) {
                return errorResponse(400, "bad-address", where + " has an address that is not well formed");
            }
        }
        items.push_back(std::move(item));
    }
    return items;
}

} // namespace

Response Api::Impl::submit(const Request& request, std::string_view client, base::TimePoint now) {
    if (auto refused = checkPost(request, "submit")) {
        return std::move(*refused);
    }
    const auto provenance = queryProvenance(request.target);
    if (!provenance) {
        return errorResponse(400, "bad-request", "the only query parameter is provenance=harvested|self|submitted");
    }
    if (!request.contentType) {
        return errorResponse(415, "unsupported-media-type", "a submission needs a Content-Type");
    }
    const std::string type = mediaType(*request.contentType);
    const bool batch = type == "application/json";
    const auto format = batch ? std::optional(SubmissionFormat::PemChain)
                              : formatOf(type, mediaParameter(*request.contentType, "smime-type"));
    if (!format) {
        return errorResponse(415, "unsupported-media-type", "not a certificate type: " + type);
    }
    std::vector<Item> items;
    if (batch) {
        auto parsed = parseBatch(request.body, *provenance);
        if (auto* refused = std::get_if<Response>(&parsed)) {
            return std::move(*refused);
        }
        items = std::move(std::get<std::vector<Item>>(parsed));
    } else {
        items.push_back(Item{{}, *format, *provenance, std::nullopt, {}});
    }
    const bool enrolled =
        std::any_of(items.begin(), items.end(), [](const Item& i) { return i.provenance == "enrolled"; });
    if (enrolled) {
        constexpr std::string_view bearer = "Bearer ";
        const std::string_view auth = request.authorization.value_or(std::string_view{});
        if (!config.publisherToken || !auth.starts_with(bearer) ||
            !secretEquals(auth.substr(bearer.size()), *config.publisherToken)) {
            return errorResponse(403, "forbidden", "provenance=enrolled needs the publisher token");
        }
    }
    if (items.size() > 1) {
        if (const int wait = clientLimiter.take(client, static_cast<double>(items.size() - 1), now); wait > 0) {
            metrics.countRateLimited(false);
            return rateLimited(wait);
        }
    }
    std::vector<std::string> hashes;
    for (Item& item : items) {
        const base::ByteView data = batch ? base::asBytes(item.chain) : base::asBytes(request.body);
        item.validation = validateSubmission(Submission{data, item.format, item.address}, config.anchors, now);
        if (item.validation.accepted) {
            const auto& h = item.validation.accepted->addressHashes;
            hashes.insert(hashes.end(), h.begin(), h.end());
        }
    }
    if (const int wait = takeAddressTokens(hashes, now); wait > 0) {
        return rateLimited(wait);
    }
    Json results = Json::array();
    std::optional<PutOutcome> lastOutcome;
    for (const Item& item : items) {
        std::optional<PutOutcome> outcome;
        if (item.validation.accepted) {
            const AcceptedCert& cert = *item.validation.accepted;
            auto put = store.put(cert.addressHashes, toStored(cert, item.provenance), toUnixSeconds(now));
            if (!put) {
                return errorResponse(503, "unavailable", "the database does not answer");
            }
            outcome = *put;
            if (*put == PutOutcome::Inserted) {
                for (const std::string& hash : cert.addressHashes) {
                    cache.invalidate(addressHashBytes(hash));
                }
            }
            metrics.countSubmission(*put == PutOutcome::Inserted ? SubmissionResult::Accepted
                                                                 : SubmissionResult::Unchanged,
                                    RejectReason::Malformed);
        } else {
            metrics.countSubmission(SubmissionResult::Rejected, item.validation.reason);
        }
        results.push_back(resultJson(item, outcome));
        lastOutcome = outcome;
    }
    auto answer = std::make_shared<Answer>();
    answer->contentType = jsonType;
    answer->cacheControl = "no-store";
    if (batch) {
        answer->body = Json{{"results", std::move(results)}}.dump();
    } else if (!items.front().validation.accepted) {
        const Validation& v = items.front().validation;
        answer->status = 422;
        answer->body = Json{{"error", "rejected"},
                            {"reason", rejectReasonName(v.reason)},
                            {"detail", v.detail},
                            {"results", std::move(results)}}
                           .dump();
    } else {
        answer->status = lastOutcome == PutOutcome::Inserted ? 201 : 200;
        answer->body = Json{{"results", std::move(results)}}.dump();
    }
    return respond(std::move(answer));
}

} // namespace sealpost::keydir
