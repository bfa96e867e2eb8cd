#include "ReportJson.h"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string_view>
#include <system_error>

namespace sealpost::cli {

std::string formatTime(base::TimePoint t) {
    const std::time_t tt = std::chrono::system_clock::to_time_t(t);
    std::tm tmv{};
    gmtime_r(&tt, &tmv);
    char buf[32];
    if (std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tmv) == 0) {
        return {};
    }
    return buf;
}

namespace {

// The number of `width` digits at text[pos], or nullopt.
std::optional<int> digitsAt(std::string_view text, std::size_t pos, std::size_t width) {
    if (pos + width > text.size()) {
        return std::nullopt;
    }
    int value = 0;
    const char* begin = text.data() + pos;
    const auto [end, ec] = std::from_chars(begin, begin + width, value);
    if (ec != std::errc() || end != begin + width) {
        return std::nullopt;
    }
    return value;
}

} // namespace

std::optional<base::TimePoint> parseTime(const std::string& text) {
    // YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)
    const std::string_view t(text);
    if (t.size() < 20 || t[4] != '-' || t[7] != '-' || (t[10] != 'T' && t[10] != 't') || t[13] != ':' || t[16] != ':') {
        return std::nullopt;
    }
    const auto y = digitsAt(t, 0, 4), mo = digitsAt(t, 5, 2), d = digitsAt(t, 8, 2);
    const auto h = digitsAt(t, 11, 2), mi = digitsAt(t, 14, 2), s = digitsAt(t, 17, 2);
    if (!y || !mo || !d || !h || !mi || !s || *mo < 1 || *mo > 12 || *d < 1 || *d > 31 || *h > 23 || *mi > 59 ||
        *s > 60) {
        return std::nullopt;
    }
    std::string_view zone = t.substr(19);
    if (!zone.empty() && zone[0] == '.') { // fractional seconds: ignored
        const auto end = zone.find_first_not_of("0123456789", 1);
        zone = end == std::string_view::npos ? std::string_view() : zone.substr(end);
    }
    long offset = 0;
    if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
        const auto zh = digitsAt(zone, 1, 2), zm = digitsAt(zone, 4, 2);
        if (!zh || !zm) {
            return std::nullopt;
        }
        offset = (*zh * 60L + *zm) * 60L * (zone[0] == '-' ? -1 : 1);
    } else if (zone != "Z" && zone != "z") {
        return std::nullopt;
    }
    std::tm tmv{};
    tmv.tm_year = *y - 1900;
    tmv.tm_mon = *mo - 1;
    tmv.tm_mday = *d;
    tmv.tm_hour = *h;
    tmv.tm_min = *mi;
    tmv.tm_sec = *s;
    return std::chrono::system_clock::from_time_t(timegm(&tmv) - offset);
}

nlohmann::ordered_json reportToJson(const smime::OpenReport& r) {
    using json = nlohmann::ordered_json;
    json j;
    j["encryption"] = smime::encryptionStateName(r.encryption);
    j["cipher"] =
        r.cipher ? json(crypto::cipherName(*r.cipher)) : (r.cipherOid.empty() ? json(nullptr) : json(r.cipherOid));
    if (r.encryption == smime::EncryptionState::Failed) {
        j["decryption_error"] = r.decryptionErrorDetail;
    }
    j["signature"] = smime::signatureStateName(r.signature);
    json signers = json::array();
    for (const auto& s : r.signers) {
        json sj;
        sj["email"] = s.emails.empty() ? json(nullptr) : json(s.emails.front());
        sj["emails"] = s.emails;
        sj["subject"] = s.subject;
        sj["status"] = smime::signatureStateName(smime::toSignatureState(s.result.status));
        sj["problem"] = smime::signerProblemName(s.result.problem);
        if (!s.result.detail.empty()) {
            sj["detail"] = s.result.detail;
        }
        sj["signing_time"] = s.result.signingTime ? json(formatTime(*s.result.signingTime)) : json(nullptr);
        sj["matches_from"] = s.matchesFrom;
        sj["covers_whole_message"] = s.coversWholeMessage;
        sj["fingerprint_sha256"] =
            s.result.certificate ? json(s.result.certificate->sha256Fingerprint()) : json(nullptr);
        json caps = json::array();
        for (auto c : s.result.capabilities) {
            caps.push_back(crypto::cipherName(c));
        }
        sj["capabilities"] = s.result.announcedCapabilities ? caps : json(nullptr);
        signers.push_back(std::move(sj));
    }
    j["signers"] = std::move(signers);
    j["signer_matches_from"] = r.signerMatchesFrom ? json(*r.signerMatchesFrom) : json(nullptr);
    j["from"] = r.fromAddress.empty() ? json(nullptr) : json(r.fromAddress);
    j["covers_whole_message"] = r.coversWholeMessage;
    if (r.protectedHeaders) {
        json ph = json::object();
        for (const auto& [name, value] : *r.protectedHeaders) {
            if (!ph.contains(name)) {
                ph[name] = value;
            }
        }
        j["protected_headers"] = std::move(ph);
        j["header_protection"] = r.headerProtection.empty() ? json(nullptr) : json(r.headerProtection);
    } else {
        j["protected_headers"] = nullptr;
    }
    json warnings = json::array();
    for (auto w : r.warnings) {
        warnings.push_back(smime::warningName(w));
    }
    j["warnings"] = std::move(warnings);
    json parts = json::array();
    for (const auto& p : r.parts) {
        parts.push_back({{"path", p.path},
                         {"content_type", p.contentType},
                         {"encrypted", p.encrypted},
                         {"signature", smime::signatureStateName(p.signature)}});
    }
    j["parts"] = std::move(parts);
    return j;
}

} // namespace sealpost::cli
