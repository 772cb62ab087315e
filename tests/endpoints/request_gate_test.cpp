// The backpressure bound and the deadline (request_gate.h): refusals beyond the count and the
// bytes, shares released when a request's completion is gone, the first answer wins, and the
// deadline's 503 carries Retry-After. Waits on futures only; the deadline is short but never
// timed.
#include "ofbridge/endpoints/request_gate.h"

#include <gtest/gtest.h>

#include <future>
#include <memory>

namespace ofbridge::endpoints {
namespace {

http::Response reply(unsigned status, std::string body = {}) {
    http::Response r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

std::string header(const http::Response& r, const std::string& name) {
    for (const auto& [field, value] : r.headers)
        if (field == name) return value;
    return {};
}

RequestGateOptions bounded(std::size_t requests, std::size_t bytes) {
    RequestGateOptions o;
    o.max_requests = requests;
    o.max_bytes = bytes;
    o.deadline = std::chrono::milliseconds(0);  // none
    return o;
}

http::Responder ignore() {
    return [](http::Response) {};
}

std::function<http::Response()> timeout() {
    return [] { return reply(503, "late"); };
}

TEST(RequestGate, RefusesBeyondTheCountUntilAShareIsReleased) {
    RequestGate gate(bounded(2, 1 << 20));
    auto first = gate.admit(10, ignore(), timeout());
    auto second = gate.admit(10, ignore(), timeout());
    ASSERT_TRUE(first);
    ASSERT_TRUE(second);
    EXPECT_FALSE(gate.admit(10, ignore(), timeout()));
    EXPECT_EQ(gate.stats().refused, 1u);
    EXPECT_EQ(gate.stats().pending_requests, 2u);
    first(reply(200));  // answered, but the writer still holds the completion: still counted
    EXPECT_FALSE(gate.admit(10, ignore(), timeout()));
    first = nullptr;  // the completion is gone
    EXPECT_EQ(gate.stats().pending_requests, 1u);
    EXPECT_TRUE(gate.admit(10, ignore(), timeout()));
}

TEST(RequestGate, RefusesBeyondTheBytesButNeverABigBodyAlone) {
    RequestGate gate(bounded(100, 1000));
    auto big = gate.admit(5000, ignore(), timeout());  // nothing else waits: admitted
    ASSERT_TRUE(big);
    EXPECT_FALSE(gate.admit(1, ignore(), timeout()));
    big = nullptr;
    auto a = gate.admit(600, ignore(), timeout());
    ASSERT_TRUE(a);
    EXPECT_FALSE(gate.admit(500, ignore(), timeout()));
    EXPECT_TRUE(gate.admit(400, ignore(), timeout()));
    EXPECT_EQ(gate.stats().pending_bytes, 600u);  // the last one was released at once
}

TEST(RequestGate, TheFirstAnswerWinsAndA503GetsRetryAfter) {
    RequestGate gate(bounded(10, 1 << 20));
    std::vector<http::Response> sent;
    auto respond = gate.admit(
        10, [&](http::Response r) { sent.push_back(std::move(r)); }, timeout());
    respond(reply(503, "storage"));
    respond(reply(200, "late success"));
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].body, "storage");
    EXPECT_EQ(header(sent[0], "Retry-After"), "1");
}

TEST(RequestGate, ARequestNotAnsweredByItsDeadlineGets503WithRetryAfter) {
    RequestGateOptions o = bounded(10, 1 << 20);
    o.deadline = std::chrono::milliseconds(20);
    RequestGate gate(o);
    std::promise<http::Response> answered;
    auto respond = gate.admit(
        10, [&](http::Response r) { answered.set_value(std::move(r)); }, timeout());
    const auto r = answered.get_future().get();  // sent by the deadline
    EXPECT_EQ(r.status, 503u);
    EXPECT_EQ(r.body, "late");
    EXPECT_EQ(header(r, "Retry-After"), "1");
    EXPECT_EQ(gate.stats().deadline_passed, 1u);
    respond(reply(200));  // the durable outcome afterwards is dropped (no second set_value)
    EXPECT_EQ(gate.stats().pending_requests, 1u);  // still held by the writer's completion
    respond = nullptr;
    EXPECT_EQ(gate.stats().pending_requests, 0u);
}

}  // namespace
}  // namespace ofbridge::endpoints
