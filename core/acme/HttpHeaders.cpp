#include "acme/HttpHeaders.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <limits>

namespace sealpost::acme {

namespace {

bool isSpace(char c) noexcept {
    return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && isSpace(s.front())) {
        s.remove_prefix(1);
    }
    while (!s.empty() && isSpace(s.back())) {
        s.remove_suffix(1);
    }
    return s;
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// Reads a token or a quoted-string value starting at `pos`; advances `pos` past it.
std::string readValue(std::string_view field, std::size_t& pos) {
    std::string value;
    if (pos < field.size() && field[pos] == '"') {
        ++pos;
        while (pos < field.size() && field[pos] != '"') {
            if (field[pos] == '\\' && pos + 1 < field.size()) {
                ++pos;
            }
            value.push_back(field[pos]);
            ++pos;
        }
        if (pos < field.size()) {
            ++pos; // closing quote
        }
        return value;
    }
    while (pos < field.size() && field[pos] != ';' && field[pos] != ',') {
        value.push_back(field[pos]);
        ++pos;
    }
    return std::string(trim(value));
}

void skipSpace(std::string_view field, std::size_t& pos) {
    while (pos < field.size() && isSpace(field[pos])) {
        ++pos;
    }
}

// Parses the parameters after "<url>" up to the next top-level comma.
void readParameters(std::string_view field, std::size_t& pos, LinkTarget& link) {
    while (true) {
        skipSpace(field, pos);
        if (pos >= field.size() || field[pos] == ',') {
            return;
        }
        if (field[pos] != ';') {
            ++pos; // junk: skip it
            continue;
        }
        ++pos;
        skipSpace(field, pos);
        const std::size_t nameStart = pos;
        while (pos < field.size() && field[pos] != '=' && field[pos] != ';' && field[pos] != ',') {
            ++pos;
        }
        std::string name = lower(trim(field.substr(nameStart, pos - nameStart)));
        std::string value;
        if (pos < field.size() && field[pos] == '=') {
            ++pos;
            skipSpace(field, pos);
            value = readValue(field, pos);
        }
        if (name.empty()) {
            continue;
        }
        if (name == "rel") {
            std::size_t start = 0;
            const std::string rels = lower(value);
            while (start < rels.size()) {
                const std::size_t end = rels.find_first_of(" \t", start);
                const std::string one = rels.substr(start, end == std::string::npos ? std::string::npos : end - start);
                if (!one.empty()) {
                    link.relations.push_back(one);
                }
                start = end == std::string::npos ? rels.size() : end + 1;
            }
        }
        link.parameters.emplace_back(std::move(name), std::move(value));
    }
}

void parseField(std::string_view field, std::vector<LinkTarget>& out) {
    std::size_t pos = 0;
    while (pos < field.size()) {
        skipSpace(field, pos);
        if (pos < field.size() && field[pos] == ',') {
            ++pos;
            continue;
        }
        if (pos >= field.size()) {
            return;
        }
        if (field[pos] != '<') {
            // Not a link: skip to the next comma.
            const std::size_t comma = field.find(',', pos);
            pos = comma == std::string_view::npos ? field.size() : comma + 1;
            continue;
        }
        const std::size_t close = field.find('>', pos);
        if (close == std::string_view::npos) {
            return;
        }
        LinkTarget link;
        link.url = std::string(field.substr(pos + 1, close - pos - 1));
        pos = close + 1;
        readParameters(field, pos, link);
        if (!link.url.empty()) {
            out.push_back(std::move(link));
        }
    }
}

bool readInt(std::string_view s, int& out) {
    if (s.empty()) {
        return false;
    }
    const auto* end = s.data() + s.size();
    const auto [ptr, ec] = std::from_chars(s.data(), end, out);
    return ec == std::errc{} && ptr == end;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
std::chrono::sys_days civilDays(int year, int month, int day) {
    return std::chrono::sys_days(std::chrono::year(year) / std::chrono::month(static_cast<unsigned>(month)) /
                                 std::chrono::day(static_cast<unsigned>(day)));
}

bool validDate(int year, int month, int day) {
    const std::chrono::year_month_day ymd(std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                                          std::chrono::day(static_cast<unsigned>(day)));
    return month >= 1 && month <= 12 && day >= 1 && ymd.ok();
}

} // namespace

bool LinkTarget::hasRelation(std::string_view relation) const {
    const std::string wanted = lower(relation);
    return std::find(relations.begin(), relations.end(), wanted) != relations.end();
}

std::vector<LinkTarget> parseLinkHeaders(std::span<const std::string> fieldValues) {
    std::vector<LinkTarget> links;
    for (const auto& field : fieldValues) {
        parseField(field, links);
    }
    return links;
}

std::vector<std::string> linksWithRelation(std::span<const LinkTarget> links, std::string_view relation) {
    std::vector<std::string> urls;
    for (const auto& link : links) {
        if (link.hasRelation(relation)) {
            urls.push_back(link.url);
        }
    }
    return urls;
}

std::optional<std::chrono::seconds> parseRetryAfter(std::string_view value, base::TimePoint now) {
    value = trim(value);
    if (!value.empty() && std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        long long seconds = 0;
        const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
        if (ec == std::errc::result_out_of_range) {
            return std::chrono::seconds(std::numeric_limits<std::int32_t>::max());
        }
        if (ec != std::errc{} || ptr != value.data() + value.size()) {
            return std::nullopt;
        }
        return std::chrono::seconds(seconds);
    }
    const auto date = parseImfFixdate(value);
    if (!date) {
        return std::nullopt;
    }
    if (*date <= now) {
        return std::chrono::seconds(0);
    }
    // Round up: waiting a little longer than asked is fine, shorter is not.
    return std::chrono::ceil<std::chrono::seconds>(*date - now);
}

std::optional<base::TimePoint> parseImfFixdate(std::string_view text) {
    // "Sun, 06 Nov 1994 08:49:37 GMT": fixed positions.
    text = trim(text);
    if (text.size() != 29 || text[3] != ',' || text[4] != ' ' || text[7] != ' ' || text[11] != ' ' || text[16] != ' ' ||
        text[19] != ':' || text[22] != ':' || text.substr(25) != " GMT") {
        return std::nullopt;
    }
    static constexpr std::array<std::string_view, 12> months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const auto month = std::find(months.begin(), months.end(), text.substr(8, 3));
    int day = 0;
    int year = 0;
    int hour = 0;
    int minute = 0;
    int second = 0;
    if (month == months.end() || !readInt(text.substr(5, 2), day) || !readInt(text.substr(12, 4), year) ||
        !readInt(text.substr(17, 2), hour) || !readInt(text.substr(20, 2), minute) ||
        !readInt(text.substr(23, 2), second)) {
        return std::nullopt;
    }
    const int monthNumber = static_cast<int>(month - months.begin()) + 1;
    if (!validDate(year, monthNumber, day) || hour > 23 || minute > 59 || second > 60) {
        return std::nullopt;
    }
    return base::TimePoint(civilDays(year, monthNumber, day)) + std::chrono::hours(hour) +
           std::chrono::minutes(minute) + std::chrono::seconds(second);
}

std::optional<base::TimePoint> parseRfc3339(std::string_view text) {
    // YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)
    if (text.size() < 20 || text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != 't') ||
        text[13] != ':' || text[16] != ':') {
        return std::nullopt;
    }
    int year = 0;
    int month = 0;
    int day = 0;
    int hour = 0;
    int minute = 0;
    int second = 0;
    if (!readInt(text.substr(0, 4), year) || !readInt(text.substr(5, 2), month) || !readInt(text.substr(8, 2), day) ||
        !readInt(text.substr(11, 2), hour) || !readInt(text.substr(14, 2), minute) ||
        !readInt(text.substr(17, 2), second)) {
        return std::nullopt;
    }
    if (!validDate(year, month, day) || hour > 23 || minute > 59 || second > 60) {
        return std::nullopt;
    }
    std::size_t pos = 19;
    std::chrono::nanoseconds fraction{0};
    if (pos < text.size() && text[pos] == '.') {
        ++pos;
        long long scale = 100'000'000;
        const std::size_t start = pos;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
            fraction += std::chrono::nanoseconds((text[pos] - '0') * scale);
            scale /= 10;
            ++pos;
        }
        if (pos == start) {
            return std::nullopt;
        }
    }
    std::chrono::minutes offset{0};
    const std::string_view zone = text.substr(pos);
    if (zone == "Z" || zone == "z") {
        // UTC
    } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
        int offsetHours = 0;
        int offsetMinutes = 0;
        if (!readInt(zone.substr(1, 2), offsetHours) || !readInt(zone.substr(4, 2), offsetMinutes) ||
            offsetHours > 23 || offsetMinutes > 59) {
            return std::nullopt;
        }
        offset = std::chrono::hours(offsetHours) + std::chrono::minutes(offsetMinutes);
        if (zone[0] == '-') {
            offset = -offset;
        }
    } else {
        return std::nullopt;
    }
    const auto local = base::TimePoint(civilDays(year, month, day)) + std::chrono::hours(hour) +
                       std::chrono::minutes(minute) + std::chrono::seconds(second);
    return local - offset + std::chrono::duration_cast<base::TimePoint::duration>(fraction);
}

std::string resolveUrl(std::string_view base, std::string_view reference) {
    if (reference.empty() || reference.front() != '/' || (reference.size() > 1 && reference[1] == '/')) {
        return std::string(reference);
    }
    const std::size_t scheme = base.find("://");
    if (scheme == std::string_view::npos) {
        return std::string(reference);
    }
    const std::size_t pathStart = base.find('/', scheme + 3);
    return std::string(base.substr(0, pathStart)) + std::string(reference);
}

} // namespace sealpost::acme
