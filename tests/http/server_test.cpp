// Tests of the HTTP listener (include/ofbridge/http/server.h) over real loopback sockets: framing
// (keep-alive, HTTP/1.0, chunked, pipelining, 100-continue), limits (413, 431, smuggling-shaped
// framing), timeouts (slowloris, idle), asynchronous replies, graceful stop and the connection cap.
// Timeouts are shortened to a few hundred milliseconds so the suite stays fast.
#include "ofbridge/http/server.h"

#include "test_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace ofbridge::http {
namespace {

using namespace std::chrono_literals;
using test::HttpResponse;
using test::make_post;
using test::TestClient;
using Clock = std::chrono::steady_clock;

std::chrono::milliseconds elapsed_since(Clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

// Echoes the request back (body as body, the rest in X-* headers), optionally from another
// thread after a delay, or misbehaves on purpose (throws, drops or holds the Responder).
class TestHandler : public Handler {
public:
    enum class Mode { Echo, Throw, Drop, Hold };

    explicit TestHandler(Mode mode = Mode::Echo, std::chrono::milliseconds delay = 0ms)
        : mode_(mode), delay_(delay) {}
    ~TestHandler() override {
        for (auto& t : repliers_) t.join();
    }
    TestHandler(const TestHandler&) = delete;
    TestHandler& operator=(const TestHandler&) = delete;

    void handle(Request request, Responder respond) override {
        Response response;
        response.body = request.body;
        response.headers = {{"X-Method", request.method},
                            {"X-Target", request.target},
                            {"X-Version", std::to_string(request.version)},
                            {"X-Host", request.host},
                            {"X-Remote", request.remote_address},
                            {"X-Soap-Action", request.soap_action}};
        {
            std::lock_guard lock(mutex_);
            last_request_ = std::move(request);
            ++received_;
            if (mode_ == Mode::Hold) held_.push_back(respond);
            if (mode_ == Mode::Echo && delay_ > 0ms) {
                repliers_.emplace_back([respond, response, delay = delay_] {
                    std::this_thread::sleep_for(delay);
                    respond(response);
                });
            }
        }
        received_cv_.notify_all();
        switch (mode_) {
            case Mode::Throw:
                throw std::runtime_error("handler failure");
            case Mode::Echo:
                if (delay_ == 0ms) respond(std::move(response));
                break;
            case Mode::Drop:
            case Mode::Hold:
                break;
        }
    }

    bool wait_for_requests(int count, std::chrono::milliseconds timeout = 2s) {
        std::unique_lock lock(mutex_);
        return received_cv_.wait_for(lock, timeout, [&] { return received_ >= count; });
    }
    Request last_request() {
        std::lock_guard lock(mutex_);
        return last_request_;
    }
    std::vector<Responder> held() {
        std::lock_guard lock(mutex_);
        return held_;
    }

private:
    const Mode mode_;
    const std::chrono::milliseconds delay_;
    std::mutex mutex_;
    std::condition_variable received_cv_;
    int received_ = 0;
    Request last_request_;
    std::vector<Responder> held_;
    std::vector<std::thread> repliers_;
};

ServerOptions test_options() {
    ServerOptions options;
    options.port = 0;
    options.read_timeout = 2s;
    options.idle_timeout = 2s;
    options.shutdown_grace = 2s;
    return options;
}

// A Server listening on a free loopback port, served by a background thread.
class RunningServer {
public:
    RunningServer(ServerOptions options, Handler& handler) : server_(std::move(options), handler) {
        address_ = server_.listen();
        port_ = static_cast<std::uint16_t>(std::stoul(address_.substr(address_.rfind(':') + 1)));
        thread_ = std::thread([this] {
            server_.run();
            std::lock_guard lock(mutex_);
            finished_ = true;
            finished_cv_.notify_all();
        });
    }
    ~RunningServer() { stop_and_join(); }
    RunningServer(const RunningServer&) = delete;
    RunningServer& operator=(const RunningServer&) = delete;

    std::uint16_t port() const { return port_; }
    const std::string& address() const { return address_; }
    void stop() { server_.stop(); }

    // Waits for run() to return; true if it did within the timeout.
    bool wait_finished(std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        return finished_cv_.wait_for(lock, timeout, [&] { return finished_; });
    }
    void stop_and_join() {
        if (!thread_.joinable()) return;
        server_.stop();
        thread_.join();
    }

private:
    Server server_;
    std::string address_;
    std::uint16_t port_ = 0;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable finished_cv_;
    bool finished_ = false;
};

std::string chunked_post(const std::vector<std::string>& chunks,
                         std::string_view extra_headers = {}) {
    std::string request =
        "POST /chunked HTTP/1.1\r\nHost: test.local\r\nTransfer-Encoding: chunked\r\n";
    request += extra_headers;
    request += "\r\n";
    for (const auto& chunk : chunks) {
        char size[32];
        std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
        request += size;
        request += chunk;
        request += "\r\n";
    }
    request += "0\r\n\r\n";
    return request;
}

// --- basic exchange -------------------------------------------------------------------------

TEST(HttpServer, SimplePostIsHandledAndEchoed) {
    TestHandler handler;
    RunningServer server(test_options(), handler);
    TestClient client(server.port());
    ASSERT_TRUE(client.send(
        make_post("/index.php/api/v2_soap/", "<Envelope/>",
                  "Content-Type: text/xml\r\nSOAPAction: \"urn:Action\"\r\nX-Custom: yes\r\n")));
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->version, "HTTP/1.1");
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "<Envelope/>");
    EXPECT_EQ(response->header("Server"), "ofbridge");
    EXPECT_EQ(response->header("Content-Length"), "11");
    EXPECT_EQ(response->header("Content-Type"), "text/plain; charset=utf-8");
    EXPECT_EQ(response->header("X-Method"), "POST");
    EXPECT_EQ(response->header("X-Target"), "/index.php/api/v2_soap/");
    EXPECT_EQ(response->header("X-Host"), "test.local");
    EXPECT_EQ(response->header("X-Remote"), "127.0.0.1");
    EXPECT_EQ(response->header("X-Soap-Action"), "\"urn:Action\"");

    const Request seen = handler.last_request();
    EXPECT_EQ(seen.content_type, "text/xml");
    EXPECT_FALSE(seen.tls);
    bool found_custom = false;
    for (const auto& [name, value] : seen.headers)
        found_custom |= (name == "X-Custom" && value == "yes");
    EXPECT_TRUE(found_custom);
}

TEST(HttpServer, ListenReportsRealPortAndAcceptsLocalhostAndIpv6) {
    TestHandler handler;
    auto options = test_options();
    options.host = "localhost";
    RunningServer v4(options, handler);
    EXPECT_EQ(v4.address().rfind("127.0.0.1:", 0), 0U) << v4.address();
    EXPECT_NE(v4.port(), 0);

    options.host = "::1";
    std::optional<RunningServer> v6;
    try {
        v6.emplace(options, handler);
    } catch (const std::system_error&) {
        GTEST_SKIP() << "no IPv6 loopback here";
    }
    EXPECT_EQ(v6->address().rfind("[::1]:", 0), 0U) << v6->address();
    TestClient client(v6->port(), "::1");
    ASSERT_TRUE(client.send(make_post("/", "six")));
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->body, "six");
    EXPECT_EQ(response->header("X-Remote"), "::1");
}

TEST(HttpServer, ListenOnABusyPortThrowsNamingTheAddress) {
    TestHandler handler;
    RunningServer first(test_options(), handler);
    auto options = test_options();
    options.port = first.port();
    Server second(options, handler);
    try {
        second.listen();
        FAIL() << "listen on a busy port succeeded";
    } catch (const std::system_error& e) {
        EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(first.port())),
                  std::string::npos)
            << e.what();
    }
}

TEST(HttpServer, KeepAliveServesThreeRequestsOnOneConnection) {
    TestHandler handler;
    RunningServer server(test_options(), handler);
    TestClient client(server.port());
    for (int i = 0; i < 3; ++i) {
        const std::string body = "request " + std::to_string(i);
        ASSERT_TRUE(client.send(make_post("/", body)));
        auto response = client.read_response();
        ASSERT_TRUE(response) << "request " << i;
        EXPECT_EQ(response->status, 200);
        EXPECT_EQ(response->body, body);
        EXPECT_NE(response->header("Connection"), "close");
    }
}

TEST(HttpServer, PipelinedRequestsAreAnsweredInOrder) {
    TestHandler handler;
    RunningServer server(test_options(), handler);
    TestClient client(server.port());
    ASSERT_TRUE(client.send(make_post("/a", "first") + make_post("/b", "second")));
    auto first = client.read_response();
    auto second = client.read_response();
    ASSERT_TRUE(first && second);
    EXPECT_EQ(first->body, "first");
    EXPECT_EQ(second->body, "second");
}

TEST(HttpServer, Http10ClosesUnlessKeepAliveIsAsked) {
    TestHandler handler;
    RunningServer server(test_options(), handler);
    {
        TestClient client(server.port());
        ASSERT_TRUE(client.send("POST /old HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi"));
        auto response = client.read_response();
        ASSERT_TRUE(response);
        EXPECT_EQ(response->version, "HTTP/1.0");
        EXPECT_EQ(response->body, "hi");
        EXPECT_EQ(response->header("X-Version"), "10");
        EXPECT_TRUE(client.wait_closed(1s));
    }
    {
        TestClient client(server.port());
        for (int i = 0; i < 2; ++i) {
            ASSERT_TRUE(client.send(
                "POST /old HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nka"));
            auto response = client.read_response();
            ASSERT_TRUE(response) << "request " << i;
            EXPECT_EQ(response->body, "ka");
            EXPECT_EQ(response->header("Connection"), "keep-alive");
        }
    }
}

TEST(HttpServer, ChunkedRequestBodyIsAssembled) {
    TestHandler handler;
    RunningServer server(test_options(), handler);
    TestClient client(server.port());
    ASSERT_TRUE(
        client.send(chunked_post({"<Env", "elope>", std::string(3000, 'x'), "</Envelope>"})));
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "<Envelope>" + std::string(3000, 'x') + "</Envelope>");
}

TEST(HttpServer, ExpectContinueIsAnsweredBeforeTheBodyIsSent) {
    TestHandler handler;
    RunningServer server(test_options(), handler);
    TestClient client(server.port());
    const auto start = Clock::now();
    ASSERT_TRUE(client.send(
        "POST /soap HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
    auto interim = client.read_response(500ms);
    ASSERT_TRUE(interim) << "no 100 Continue within 500 ms";
    EXPECT_EQ(interim->version, "HTTP/1.1");
    EXPECT_EQ(interim->status, 100);
    ASSERT_TRUE(client.send("hello"));
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "hello");
    EXPECT_LT(elapsed_since(start), 500ms);
}

TEST(HttpServer, UnknownExpectationIs417) {
    TestHandler handler;
    RunningServer server(test_options(), handler);
    TestClient client(server.port());
    ASSERT_TRUE(client.send(make_post("/", "x", "Expect: something-else\r\n")));
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 417);
}

// --- limits and framing ---------------------------------------------------------------------

ServerOptions small_limits() {
    auto options = test_options();
    options.max_body_bytes = 1024;
    options.max_header_bytes = 1024;
    return options;
}

TEST(HttpServer, BodyAboveLimitByContentLengthIs413BeforeTheBodyIsRead) {
    TestHandler handler;
    RunningServer server(small_limits(), handler);
    {
        TestClient client(server.port());
        ASSERT_TRUE(
            client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000000\r\n\r\n"));
        auto response = client.read_response(1s);
        ASSERT_TRUE(response);
        EXPECT_EQ(response->status, 413);
        EXPECT_EQ(response->header("Connection"), "close");
        EXPECT_TRUE(client.wait_closed(2s));
    }
    {  // with Expect: the 413 comes instead of the 100
        TestClient client(server.port());
        ASSERT_TRUE(client.send(
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\nExpect: 100-continue\r\n\r\n"));
        auto response = client.read_response(1s);
        ASSERT_TRUE(response);
        EXPECT_EQ(response->status, 413);
    }
    {  // a body exactly at the limit is fine
        TestClient client(server.port());
        ASSERT_TRUE(client.send(make_post("/", std::string(1024, 'b'))));
        auto response = client.read_response();
        ASSERT_TRUE(response);
        EXPECT_EQ(response->status, 200);
    }
}

TEST(HttpServer, ChunkedBodyAboveLimitIs413) {
    TestHandler handler;
    RunningServer server(small_limits(), handler);
    TestClient client(server.port());
    ASSERT_TRUE(client.send(
        chunked_post({std::string(600, 'a'), std::string(600, 'b'), std::string(600, 'c')})));
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 413);
    EXPECT_TRUE(client.wait_closed(2s));
}

TEST(HttpServer, HeaderAboveLimitIs431) {
    TestHandler handler;
    RunningServer server(small_limits(), handler);
    TestClient client(server.port());
    ASSERT_TRUE(client.send(make_post("/", "x", "X-Padding: " + std::string(4096, 'p') + "\r\n")));
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 431);
    EXPECT_TRUE(client.wait_closed(2s));
}

TEST(HttpServer, ContentLengthWithTransferEncodingIs400InEitherOrder) {
    TestHandler handler;
    RunningServer server(test_options(), handler);
    const std::string orders[] = {
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: "
        "chunked\r\n\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: "
        "5\r\n\r\n0\r\n\r\n",
    };
    for (const auto& request : orders) {
        TestClient client(server.port());
        ASSERT_TRUE(client.send(request));
        auto response = client.read_response();
        ASSERT_TRUE(response);
        EXPECT_EQ(response->status, 400);
        EXPECT_TRUE(client.wait_closed(2s));
    }
    EXPECT_FALSE(handler.wait_for_requests(1, 0ms));
}

TEST(HttpServer, AmbiguousFramingIsRejected) {
    TestHandler handler;
    RunningServer server(test_options(), handler);
    struct Case {
        std::string request;
        int status;
    };
    const Case cases[] = {
        {"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nabc",
         400},  // chunked not final
        {"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501},
        {"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400},
        {"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400},
        {"GARBAGE\r\n\r\n", 400},
    };
    for (const auto& c : cases) {
        TestClient client(server.port());
        ASSERT_TRUE(client.send(c.request));
        auto response = client.read_response();
        ASSERT_TRUE(response) << c.request;
        EXPECT_EQ(response->status, c.status) << c.request;
    }
    EXPECT_FALSE(handler.wait_for_requests(1, 0ms));
}

// --- timeouts -------------------------------------------------------------------------------

TEST(HttpServer, SlowlorisIsClosedAfterTheReadTimeout) {
    TestHandler handler;
    auto options = test_options();
    options.read_timeout = 300ms;
    RunningServer server(options, handler);
    // Trickled header bytes, then a trickled body: each read makes progress, but the request's
    // single deadline holds.
    const std::string starts[] = {"POST / HTTP/1.1\r\n",
                                  "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"};
    for (const auto& start_bytes : starts) {
        TestClient client(server.port());
        const auto start = Clock::now();
        ASSERT_TRUE(client.send(start_bytes));
        bool closed = false;
        while (!closed && elapsed_since(start) < 2s) {
            client.send("X");
            closed = client.wait_closed(50ms);
        }
        EXPECT_TRUE(closed) << start_bytes;
        EXPECT_GE(elapsed_since(start), 250ms) << start_bytes;
        EXPECT_LT(elapsed_since(start), 1000ms) << start_bytes;
    }
    EXPECT_FALSE(handler.wait_for_requests(1, 0ms));
}

TEST(HttpServer, ConnectionWithoutAFirstByteIsClosedAfterTheReadTimeout) {
    TestHandler handler;
    auto options = test_options();
    options.read_timeout = 300ms;
    RunningServer server(options, handler);
    TestClient client(server.port());
    const auto start = Clock::now();
    EXPECT_TRUE(client.wait_closed(2s));
    EXPECT_GE(elapsed_since(start), 250ms);
    EXPECT_LT(elapsed_since(start), 1000ms);
}

TEST(HttpServer, IdleKeepAliveConnectionIsClosedAfterTheIdleTimeout) {
    TestHandler handler;
    auto options = test_options();
    options.idle_timeout = 300ms;
    RunningServer server(options, handler);
    TestClient client(server.port());
    ASSERT_TRUE(client.send(make_post("/", "x")));
    ASSERT_TRUE(client.read_response());
    const auto start = Clock::now();
    EXPECT_TRUE(client.wait_closed(2s));
    EXPECT_GE(elapsed_since(start), 250ms);
    EXPECT_LT(elapsed_since(start), 1000ms);
}

// --- asynchronous handlers ------------------------------------------------------------------

TEST(HttpServer, ResponderMayBeCalledFromAnotherThreadLater) {
    TestHandler handler(TestHandler::Mode::Echo, 100ms);
    RunningServer server(test_options(), handler);
    TestClient client(server.port());
    const auto start = Clock::now();
    ASSERT_TRUE(client.send(make_post("/", "later")));
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->body, "later");
    EXPECT_GE(elapsed_since(start), 90ms);
    ASSERT_TRUE(client.send(make_post("/", "again")));  // the connection stays usable
    auto second = client.read_response();
    ASSERT_TRUE(second);
    EXPECT_EQ(second->body, "again");
}

TEST(HttpServer, ThrowingOrDroppingHandlerAnswers500) {
    for (auto mode : {TestHandler::Mode::Throw, TestHandler::Mode::Drop}) {
        TestHandler handler(mode);
        RunningServer server(test_options(), handler);
        TestClient client(server.port());
        ASSERT_TRUE(client.send(make_post("/", "x")));
        auto response = client.read_response();
        ASSERT_TRUE(response);
        EXPECT_EQ(response->status, 500);
    }
}

class FixedHandler : public Handler {
public:
    explicit FixedHandler(Response response) : response_(std::move(response)) {}
    void handle(Request, Responder respond) override {
        respond(response_);
        respond(Response{});  // a second call is ignored
    }

private:
    Response response_;
};

TEST(HttpServer, InvalidStatusAndHeaderInjectionAreNeutralised) {
    Response odd;
    odd.status = 42;
    FixedHandler bad_status(odd);
    {
        RunningServer server(test_options(), bad_status);
        TestClient client(server.port());
        ASSERT_TRUE(client.send(make_post("/", "x")));
        auto response = client.read_response();
        ASSERT_TRUE(response);
        EXPECT_EQ(response->status, 500);
    }
    Response injected;
    injected.status = 202;
    injected.content_type = "text/xml; charset=utf-8";
    injected.body = "ok";
    injected.headers = {
        {"X-Good", "1"}, {"X-Evil", "a\r\nSet-Cookie: x=1"}, {"Content-Length", "99"}};
    FixedHandler injecting(injected);
    {
        RunningServer server(test_options(), injecting);
        TestClient client(server.port());
        ASSERT_TRUE(client.send(make_post("/", "x")));
        auto response = client.read_response();
        ASSERT_TRUE(response);
        EXPECT_EQ(response->status, 202);
        EXPECT_EQ(response->body, "ok");
        EXPECT_EQ(response->header("Content-Type"), "text/xml; charset=utf-8");
        EXPECT_EQ(response->header("X-Good"), "1");
        EXPECT_FALSE(response->has_header("X-Evil"));
        EXPECT_FALSE(response->has_header("Set-Cookie"));
        EXPECT_EQ(response->header("Content-Length"), "2");
    }
}

// --- stop() ---------------------------------------------------------------------------------

TEST(HttpServer, StopClosesIdleConnectionsAndReturnsQuickly) {
    TestHandler handler;
    RunningServer server(test_options(), handler);
    TestClient used(server.port());
    ASSERT_TRUE(used.send(make_post("/", "x")));
    ASSERT_TRUE(used.read_response());
    TestClient silent(server.port());  // connected, never sends anything
    std::this_thread::sleep_for(20ms);

    const auto start = Clock::now();
    server.stop();
    EXPECT_TRUE(server.wait_finished(1s));
    EXPECT_LT(elapsed_since(start), 500ms);
    EXPECT_TRUE(used.wait_closed(1s));
    EXPECT_TRUE(silent.wait_closed(1s));
    EXPECT_THROW(TestClient late(server.port()), std::system_error);  // no longer accepting
}

TEST(HttpServer, StopLetsAnInFlightRequestDeliverItsReply) {
    TestHandler handler(TestHandler::Mode::Echo, 300ms);
    RunningServer server(test_options(), handler);
    TestClient client(server.port());
    ASSERT_TRUE(client.send(make_post("/", "in flight")));
    ASSERT_TRUE(handler.wait_for_requests(1));
    server.stop();
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "in flight");
    EXPECT_EQ(response->header("Connection"), "close");
    EXPECT_TRUE(client.wait_closed(1s));
    client.close();  // the server lingers (discarding input) until the client closes too
    EXPECT_TRUE(server.wait_finished(500ms));
}

TEST(HttpServer, StopForcesConnectionsClosedAfterTheGracePeriod) {
    TestHandler handler(TestHandler::Mode::Hold);
    auto options = test_options();
    options.shutdown_grace = 200ms;
    std::vector<Responder> held;
    {
        RunningServer server(options, handler);
        TestClient client(server.port());
        ASSERT_TRUE(client.send(make_post("/", "never answered")));
        ASSERT_TRUE(handler.wait_for_requests(1));
        const auto start = Clock::now();
        server.stop();
        EXPECT_TRUE(server.wait_finished(2s));
        EXPECT_GE(elapsed_since(start), 150ms);
        EXPECT_LT(elapsed_since(start), 1000ms);
        EXPECT_TRUE(client.wait_closed(1s));
        held = handler.held();
    }
    // The Server is gone; a late answer (e.g. from a database thread) must do nothing.
    ASSERT_EQ(held.size(), 1U);
    held.front()(Response{});
}

TEST(HttpServer, StopForcesAHalfReadRequestClosedAfterTheGracePeriod) {
    TestHandler handler;
    auto options = test_options();
    options.shutdown_grace = 200ms;
    RunningServer server(options, handler);
    TestClient client(server.port());
    ASSERT_TRUE(client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\npartial"));
    std::this_thread::sleep_for(50ms);
    const auto start = Clock::now();
    server.stop();
    EXPECT_TRUE(server.wait_finished(2s));
    EXPECT_GE(elapsed_since(start), 150ms);
    EXPECT_LT(elapsed_since(start), 1000ms);
    EXPECT_TRUE(client.wait_closed(1s));
}

// --- connection cap -------------------------------------------------------------------------

TEST(HttpServer, ConnectionsAboveTheCapGet503) {
    TestHandler handler;
    auto options = test_options();
    options.max_connections = 2;
    RunningServer server(options, handler);
    std::optional<TestClient> first(std::in_place, server.port());
    TestClient second(server.port());
    for (TestClient* client : {&*first, &second}) {
        ASSERT_TRUE(client->send(make_post("/", "x")));
        auto response = client->read_response();
        ASSERT_TRUE(response);
        EXPECT_EQ(response->status, 200);
    }

    TestClient third(server.port());
    ASSERT_TRUE(third.send(make_post("/", "x")));
    auto busy = third.read_response();
    ASSERT_TRUE(busy);
    EXPECT_EQ(busy->status, 503);
    EXPECT_EQ(busy->header("Retry-After"), "1");
    EXPECT_TRUE(third.wait_closed(1s));

    first.reset();  // frees a slot once the server notices the close
    bool served = false;
    const auto start = Clock::now();
    while (!served && elapsed_since(start) < 2s) {
        TestClient next(server.port());
        ASSERT_TRUE(next.send(make_post("/", "x")));
        auto response = next.read_response();
        served = response && response->status == 200;
        if (!served) std::this_thread::sleep_for(20ms);
    }
    EXPECT_TRUE(served);
}

}  // namespace
}  // namespace ofbridge::http
