#pragma once

// Fakes for unit tests of the ACME client: a scripted transport, a clock that only moves when
// told, and a sleeper that records what it was asked and moves that clock instead of sleeping.

#include "acme/HttpTransport.h"
#include "acme/Sleeper.h"
#include "base/Clock.h"

#include <deque>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace sealpost::acme::test {

class ManualClock final : public base::Clock {
public:
    explicit ManualClock(base::TimePoint start) : m_now(start) {}
    [[nodiscard]] base::TimePoint now() const override { return m_now; }
    void advance(std::chrono::milliseconds d) { m_now += d; }

private:
    base::TimePoint m_now;
};

class RecordingSleeper final : public Sleeper {
public:
    explicit RecordingSleeper(ManualClock& clock) : m_clock(clock) {}
    [[nodiscard]] bool sleepFor(std::chrono::milliseconds duration, std::stop_token stop) override {
        durations.push_back(duration);
        if (onSleep) {
            onSleep();
        }
        if (stop.stop_requested()) {
            return false;
        }
        m_clock.advance(duration);
        return true;
    }
    std::vector<std::chrono::milliseconds> durations;
    std::function<void()> onSleep;

private:
    ManualClock& m_clock;
};

// Answers requests from a script, in order; every answer carries a fresh Replay-Nonce unless the
// script sets one. Running out of script is a transport error the test will see.
class ScriptedTransport final : public HttpTransport {
public:
    [[nodiscard]] base::Result<HttpResponse> send(const HttpRequest& request, std::stop_token stop) override {
        requests.push_back(request);
        if (stop.stop_requested()) {
            return base::makeError(base::ErrorCode::Cancelled, "cancelled");
        }
        if (script.empty()) {
            return base::makeError(base::ErrorCode::Unreachable, "script exhausted at " + request.url);
        }
        HttpResponse response = std::move(script.front());
        script.pop_front();
        if (!response.header("Replay-Nonce")) {
            response.headers.emplace_back("Replay-Nonce", "nonce-" + std::to_string(++m_nonces));
        }
        return response;
    }

    void add(int status, std::string body, std::vector<std::pair<std::string, std::string>> headers = {}) {
        script.push_back(HttpResponse{status, std::move(headers), std::move(body)});
    }

    std::deque<HttpResponse> script;
    std::vector<HttpRequest> requests;

private:
    int m_nonces = 0;
};

} // namespace sealpost::acme::test
