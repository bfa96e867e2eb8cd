// MIME parser benchmarks (core/mime): parseEntity on a large multipart/mixed message (a text
// part, an alternative with text and HTML, and base64 attachments; ~10 MiB) and on a message
// with many small parts (header parsing dominates).

#include "BenchSupport.h"
#include "mime/MimeEntity.h"

#include <string>

namespace sealpost::bench {
namespace {

// base64-looking lines (76 characters + CRLF) of `size` bytes in total, rounded down to lines.
std::string base64Lines(std::size_t size) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve(size);
    std::size_t k = 0;
    while (out.size() + 78 <= size) {
        for (int i = 0; i < 76; ++i) {
            out += kAlphabet[(k++ * 7) % 64];
        }
        out += "\r\n";
    }
    return out;
}

// A multipart/mixed message: text, multipart/alternative (text + html), then `attachments`
// base64 attachments of `attachmentSize` bytes each.
std::string multipartMessage(int attachments, std::size_t attachmentSize) {
    std::string m = "From: Alice Test <alice@example.org>\r\n"
                    "To: Bob Test <bob@example.org>\r\n"
                    "Subject: large multipart benchmark\r\n"
                    "Date: Thu, 15 Jan 2026 12:00:00 +0000\r\n"
                    "Message-ID: <multipart@sealpost.test>\r\n"
                    "MIME-Version: 1.0\r\n"
                    "Content-Type: multipart/mixed;\r\n boundary=\"outer-boundary-3f1c\"\r\n"
                    "\r\n"
                    "This is a multi-part message in MIME format.\r\n"
                    "--outer-boundary-3f1c\r\n"
                    "Content-Type: multipart/alternative; boundary=\"inner-boundary-77aa\"\r\n"
                    "\r\n"
                    "--inner-boundary-77aa\r\n"
                    "Content-Type: text/plain; charset=us-ascii\r\n"
                    "\r\n" +
                    textBody(8 << 10) +
                    "\r\n--inner-boundary-77aa\r\n"
                    "Content-Type: text/html; charset=us-ascii\r\n"
                    "\r\n"
                    "<html><body><pre>\r\n" +
                    textBody(16 << 10) +
                    "</pre></body></html>\r\n"
                    "\r\n--inner-boundary-77aa--\r\n";
    const std::string attachment = base64Lines(attachmentSize);
    for (int i = 0; i < attachments; ++i) {
        m += "\r\n--outer-boundary-3f1c\r\n"
             "Content-Type: application/octet-stream; name=\"file" +
             std::to_string(i) +
             ".bin\"\r\n"
             "Content-Transfer-Encoding: base64\r\n"
             "Content-Disposition: attachment; filename=\"file" +
             std::to_string(i) + ".bin\"\r\n\r\n" + attachment;
    }
    m += "\r\n--outer-boundary-3f1c--\r\n";
    return m;
}

void runParse(benchmark::State& state, const std::string& message) {
    mime::ParseLimits limits;
    for (auto _ : state) {
        auto parsed = mime::parseEntity(message, limits);
        if (!parsed) {
            state.SkipWithError(parsed.error().detail.c_str());
            break;
        }
        benchmark::DoNotOptimize(parsed->children.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(message.size()));
}

// range(0) attachments of 1 MiB each: 10 -> ~10 MiB message.
void BM_ParseEntityLargeMultipart(benchmark::State& state) {
    runParse(state, multipartMessage(static_cast<int>(state.range(0)), 1 << 20));
}
BENCHMARK(BM_ParseEntityLargeMultipart)->Arg(10)->Unit(benchmark::kMillisecond);

// range(0) attachments of 2 KiB each: parsing headers and boundaries dominates.
void BM_ParseEntityManyParts(benchmark::State& state) {
    runParse(state, multipartMessage(static_cast<int>(state.range(0)), 2 << 10));
}
BENCHMARK(BM_ParseEntityManyParts)->Arg(1000)->Unit(benchmark::kMillisecond);

} // namespace
} // namespace sealpost::bench
