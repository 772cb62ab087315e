// Tests of the HTTP listener (include/ofbridge/http/server.h) over real loopback sockets: framing
// (keep-alive, HTTP/1.0, chunked, pipelining, 100-continue), limits (413, 431, smuggling-shaped
// framing), timeouts (slowloris, idle, unread replies), asynchronous replies, graceful stop, the
// connection cap, requests refused on their head, the server-wide body budget and gzip bodies.
// Timeouts under test are shortened to a few hundred milliseconds and the others made long, so a
// test sees the one it names; waits are bounded generously and nothing asserts on elapsed time.
#include "ofbridge/http/server.h"

#include "test_client.h"

#include <gtest/gtest.h>
#include <zlib.h>

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
// Echoes the request back (body as body, the rest in X-* headers), or misbehaves on purpose
// (throws, drops or holds the Responder; a held one can be answered later with the echo).
class TestHandler : public Handler {
public:
    enum class Mode { Echo, Throw, Drop, Hold };

    explicit TestHandler(Mode mode = Mode::Echo) : mode_(mode) {}
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
            if (mode_ == Mode::Hold) {
                held_.push_back(respond);
                held_echoes_.push_back(response);
            }
        }
        received_cv_.notify_all();
        switch (mode_) {
            case Mode::Throw:
                throw std::runtime_error("handler failure");
            case Mode::Echo:
                respond(std::move(response));
                break;
            case Mode::Drop:
            case Mode::Hold:
                break;
        }
    }

    bool wait_for_requests(int count, std::chrono::milliseconds timeout = 10s) {
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
    // Answers the first held request with its echo, from a thread of its own.
    void answer_held_from_another_thread() {
        Responder respond;
        Response echo;
        {
            std::lock_guard lock(mutex_);
            respond = held_.at(0);
            echo = held_echoes_.at(0);
        }
        std::thread([&] { respond(echo); }).join();
    }
    int received() {
        std::lock_guard lock(mutex_);
        return received_;
    }

private:
    const Mode mode_;
    std::mutex mutex_;
    std::condition_variable received_cv_;
    int received_ = 0;
    Request last_request_;
    std::vector<Responder> held_;
    std::vector<Response> held_echoes_;
};

// Collects the listener's log lines so a test can wait for one.
class LogSink {
public:
    std::function<void(std::string_view)> sink() {
        return [this](std::string_view line) {
            std::lock_guard lock(mutex_);
            lines_.emplace_back(line);
            cv_.notify_all();
        };
    }
    bool wait_for(std::string_view fragment, std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, timeout, [&] {
            for (const auto& line : lines_)
                if (line.find(fragment) != std::string::npos) return true;
            return false;
        });
    }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<std::string> lines_;
};

ServerOptions test_options() {
    ServerOptions options;
    options.port = 0;
    options.read_timeout = 2s;
    options.idle_timeout = 2s;
    options.shutdown_grace = 2s;
    return options;
}

// Long enough never to fire during a test that is about another timeout.
constexpr auto kNever = std::chrono::milliseconds(60s);

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
    ASSERT_TRUE(client.send(
        "POST /soap HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
    // The body has not been sent: only an interim answer can arrive now.
    auto interim = client.read_response(10s);
    ASSERT_TRUE(interim) << "no 100 Continue";
    EXPECT_EQ(interim->version, "HTTP/1.1");
    EXPECT_EQ(interim->status, 100);
    ASSERT_TRUE(client.send("hello"));
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "hello");
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
    options.idle_timeout = kNever;
    RunningServer server(options, handler);
    // Trickled header bytes, then a trickled body: each read makes progress, but the request's
    // single deadline holds, so the server closes while bytes keep arriving.
    const std::string starts[] = {"POST / HTTP/1.1\r\n",
                                  "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"};
    for (const auto& start_bytes : starts) {
        TestClient client(server.port());
        ASSERT_TRUE(client.send(start_bytes));
        bool closed = false;
        for (int i = 0; i < 200 && !closed; ++i) {  // 200 x 50 ms: a bound, not a measurement
            client.send("X");
            closed = client.wait_closed(50ms);
        }
        EXPECT_TRUE(closed) << start_bytes;
    }
    EXPECT_FALSE(handler.wait_for_requests(1, 0ms));
}

TEST(HttpServer, ConnectionWithoutAFirstByteIsClosedAfterTheReadTimeout) {
    TestHandler handler;
    auto options = test_options();
    options.read_timeout = 300ms;
    options.idle_timeout = kNever;
    RunningServer server(options, handler);
    TestClient client(server.port());
    EXPECT_TRUE(client.wait_closed(10s));
}

TEST(HttpServer, IdleKeepAliveConnectionIsClosedAfterTheIdleTimeout) {
    TestHandler handler;
    auto options = test_options();
    options.idle_timeout = 300ms;
    options.read_timeout = kNever;
    options.write_timeout = kNever;
    RunningServer server(options, handler);
    TestClient client(server.port());
    ASSERT_TRUE(client.send(make_post("/", "x")));
    ASSERT_TRUE(client.read_response());
    EXPECT_TRUE(client.wait_closed(10s));
}

// --- asynchronous handlers ------------------------------------------------------------------

TEST(HttpServer, ResponderMayBeCalledFromAnotherThreadLater) {
    TestHandler handler(TestHandler::Mode::Hold);
    RunningServer server(test_options(), handler);
    TestClient client(server.port());
    ASSERT_TRUE(client.send(make_post("/", "later")));
    ASSERT_TRUE(handler.wait_for_requests(1));  // handle() returned without answering
    handler.answer_held_from_another_thread();
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->body, "later");
    ASSERT_TRUE(client.send(make_post("/", "again")));  // the connection stays usable
    ASSERT_TRUE(handler.wait_for_requests(2));
    handler.answer_held_from_another_thread();  // the first Responder again: ignored
    auto held = handler.held();
    ASSERT_EQ(held.size(), 2U);
    Response again;
    again.body = "again";
    held[1](again);
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
    auto options = test_options();
    // Quickly = without waiting for the grace period, which would outlast every bound below.
    options.shutdown_grace = kNever;
    options.read_timeout = kNever;
    options.idle_timeout = kNever;
    RunningServer server(options, handler);
    TestClient used(server.port());
    ASSERT_TRUE(used.send(make_post("/", "x")));
    ASSERT_TRUE(used.read_response());
    TestClient silent(server.port());  // connected, never sends anything

    server.stop();
    EXPECT_TRUE(server.wait_finished(10s));
    EXPECT_TRUE(used.wait_closed(10s));
    EXPECT_TRUE(silent.wait_closed(10s));
    EXPECT_THROW(TestClient late(server.port()), std::system_error);  // no longer accepting
}

TEST(HttpServer, StopLetsAnInFlightRequestDeliverItsReply) {
    TestHandler handler(TestHandler::Mode::Hold);
    auto options = test_options();
    options.shutdown_grace = kNever;
    RunningServer server(options, handler);
    TestClient client(server.port());
    ASSERT_TRUE(client.send(make_post("/", "in flight")));
    ASSERT_TRUE(handler.wait_for_requests(1));
    server.stop();
    EXPECT_FALSE(server.wait_finished(0ms));  // the in-flight request keeps it serving
    handler.answer_held_from_another_thread();
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "in flight");
    EXPECT_EQ(response->header("Connection"), "close");
    EXPECT_TRUE(client.wait_closed(10s));
    client.close();  // the server lingers (discarding input) until the client closes too
    EXPECT_TRUE(server.wait_finished(10s));
}

TEST(HttpServer, StopForcesConnectionsClosedAfterTheGracePeriod) {
    TestHandler handler(TestHandler::Mode::Hold);
    auto options = test_options();
    options.shutdown_grace = 200ms;
    options.read_timeout = kNever;
    options.idle_timeout = kNever;
    std::vector<Responder> held;
    {
        RunningServer server(options, handler);
        TestClient client(server.port());
        ASSERT_TRUE(client.send(make_post("/", "never answered")));
        ASSERT_TRUE(handler.wait_for_requests(1));
        server.stop();
        EXPECT_TRUE(server.wait_finished(10s));
        EXPECT_TRUE(client.wait_closed(10s));
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
    options.read_timeout = kNever;
    RunningServer server(options, handler);
    TestClient client(server.port());
    // The 100 Continue shows the server has the header and is reading the body.
    ASSERT_TRUE(client.send(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n"));
    auto interim = client.read_response(10s);
    ASSERT_TRUE(interim);
    EXPECT_EQ(interim->status, 100);
    ASSERT_TRUE(client.send("partial"));
    server.stop();
    EXPECT_TRUE(server.wait_finished(10s));
    EXPECT_TRUE(client.wait_closed(10s));
    EXPECT_EQ(handler.received(), 0);
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
    for (int attempt = 0; attempt < 1000 && !served; ++attempt) {  // polls; each try is a 503
        TestClient next(server.port());
        ASSERT_TRUE(next.send(make_post("/", "x")));
        auto response = next.read_response();
        served = response && response->status == 200;
    }
    EXPECT_TRUE(served);
}

// --- requests refused on their head ----------------------------------------------------------

// Refuses, on the head, every request without an Authorization header.
class GuardedHandler : public TestHandler {
public:
    std::optional<Response> check_head(const Request& head) override {
        EXPECT_TRUE(head.body.empty());
        if (!head.authorization.empty()) return std::nullopt;
        Response refused;
        refused.status = 401;
        refused.content_type = "application/json; charset=utf-8";
        refused.body = R"({"message":"missing bearer token"})";
        return refused;
    }
};

TEST(HttpServer, HeadHookRefusesARequestBeforeItsBodyIsRead) {
    GuardedHandler handler;
    auto options = test_options();
    options.read_timeout = kNever;
    RunningServer server(options, handler);
    {  // only the head is ever sent: the answer cannot have waited for the body
        TestClient client(server.port());
        ASSERT_TRUE(
            client.send("POST /rest/default/V1/orderflow/inventory HTTP/1.1\r\nHost: x\r\n"
                        "Content-Length: 3900000\r\n\r\n"));
        auto response = client.read_response(10s);
        ASSERT_TRUE(response);
        EXPECT_EQ(response->status, 401);
        EXPECT_EQ(response->body, R"({"message":"missing bearer token"})");
        EXPECT_EQ(response->header("Content-Type"), "application/json; charset=utf-8");
        EXPECT_EQ(response->header("Connection"), "close");
        EXPECT_TRUE(client.wait_closed(10s));
    }
    {  // with Expect: the refusal comes instead of the 100, so the client never sends the body
        TestClient client(server.port());
        ASSERT_TRUE(
            client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3900000\r\n"
                        "Expect: 100-continue\r\n\r\n"));
        auto response = client.read_response(10s);
        ASSERT_TRUE(response);
        EXPECT_EQ(response->status, 401);
    }
    EXPECT_EQ(handler.received(), 0);
    {  // a request the hook lets through is read and handled as usual
        TestClient client(server.port());
        ASSERT_TRUE(client.send(make_post("/", "let in", "Authorization: Bearer t\r\n")));
        auto response = client.read_response(10s);
        ASSERT_TRUE(response);
        EXPECT_EQ(response->status, 200);
        EXPECT_EQ(response->body, "let in");
    }
}

// --- the server-wide body budget -------------------------------------------------------------

ServerOptions small_budget() {
    auto options = test_options();
    options.read_timeout = kNever;
    options.max_body_bytes = 64 * 1024;
    options.max_buffered_body_bytes = 64 * 1024;
    return options;
}

// Sends a head announcing `length` bytes with Expect: 100-continue; the 100 shows the body's
// bytes are reserved.
void reserve_by_head(TestClient& client, std::size_t length) {
    ASSERT_TRUE(client.send("POST /held HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                            std::to_string(length) + "\r\nExpect: 100-continue\r\n\r\n"));
    auto interim = client.read_response(10s);
    ASSERT_TRUE(interim);
    ASSERT_EQ(interim->status, 100);
}

TEST(HttpServer, BodiesBeyondTheServerWideBudgetGet503UntilItIsFreed) {
    TestHandler handler;
    RunningServer server(small_budget(), handler);
    TestClient holder(server.port());
    reserve_by_head(holder, 40'000);

    {  // 40,000 + 40,000 > 64 KiB: refused on its head
        TestClient second(server.port());
        ASSERT_TRUE(second.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 40000\r\n\r\n"));
        auto busy = second.read_response(10s);
        ASSERT_TRUE(busy);
        EXPECT_EQ(busy->status, 503);
        EXPECT_EQ(busy->header("Retry-After"), "1");
        EXPECT_EQ(busy->header("Connection"), "close");
        EXPECT_TRUE(second.wait_closed(10s));
    }
    {  // what is left of the budget still serves smaller bodies
        TestClient small(server.port());
        ASSERT_TRUE(small.send(make_post("/", std::string(20'000, 's'))));
        auto response = small.read_response(10s);
        ASSERT_TRUE(response);
        EXPECT_EQ(response->status, 200);
    }

    ASSERT_TRUE(holder.send(std::string(40'000, 'h')));
    auto held = holder.read_response(10s);
    ASSERT_TRUE(held);
    EXPECT_EQ(held->status, 200);
    EXPECT_EQ(held->body.size(), 40'000U);

    // The holder's bytes come back once its handler returned (just after its reply was sent).
    bool served = false;
    for (int attempt = 0; attempt < 1000 && !served; ++attempt) {
        TestClient next(server.port());
        ASSERT_TRUE(next.send(make_post("/", std::string(40'000, 'n'))));
        auto response = next.read_response(10s);
        ASSERT_TRUE(response);
        served = response->status == 200;
    }
    EXPECT_TRUE(served);
}

TEST(HttpServer, ChunkedBodiesAreChargedToTheBudgetAsTheyGrow) {
    TestHandler handler;
    RunningServer server(small_budget(), handler);
    TestClient holder(server.port());
    reserve_by_head(holder, 40'000);

    TestClient chunked(server.port());
    ASSERT_TRUE(chunked.send(chunked_post(std::vector<std::string>(30, std::string(1000, 'c')))));
    auto busy = chunked.read_response(10s);
    ASSERT_TRUE(busy);
    EXPECT_EQ(busy->status, 503);
    EXPECT_EQ(busy->header("Retry-After"), "1");
    EXPECT_TRUE(chunked.wait_closed(10s));

    TestClient fits(server.port());  // 20,000 bytes fit beside the holder's 40,000
    ASSERT_TRUE(fits.send(chunked_post(std::vector<std::string>(20, std::string(1000, 'f')))));
    auto response = fits.read_response(10s);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, std::string(20'000, 'f'));
    EXPECT_EQ(handler.received(), 1);
}

// --- slow readers ----------------------------------------------------------------------------

TEST(HttpServer, AReplyThatIsNotReadIsCutOffAfterTheWriteTimeout) {
    Response huge;
    huge.body = std::string(32 * 1024 * 1024, 'r');  // far more than the socket buffers hold
    FixedHandler handler(huge);
    LogSink log;
    auto options = test_options();
    options.read_timeout = kNever;
    options.idle_timeout = kNever;
    options.write_timeout = 200ms;
    options.log = log.sink();
    RunningServer server(options, handler);
    TestClient client(server.port());
    ASSERT_TRUE(client.send(make_post("/", "x")));
    EXPECT_TRUE(log.wait_for("reply not read within write_timeout", 10s));
    EXPECT_TRUE(client.wait_closed(10s));  // reads what was sent, then the end
}

// --- Content-Encoding ------------------------------------------------------------------------

std::string gzip(std::string_view data) {
    z_stream zs{};
    if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        throw std::runtime_error("deflateInit2");
    std::string out(deflateBound(&zs, static_cast<uLong>(data.size())), '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) throw std::runtime_error("deflate");
    return out;
}

TEST(HttpServer, GzipBodyReachesTheHandlerInflated) {
    TestHandler handler;
    RunningServer server(test_options(), handler);
    const std::string envelope = "<Envelope>" + std::string(5000, 'z') + "</Envelope>";
    for (std::string_view coding : {"gzip", "x-gzip", "GZIP"}) {
        TestClient client(server.port());
        ASSERT_TRUE(client.send(
            make_post("/", gzip(envelope), "Content-Encoding: " + std::string(coding) + "\r\n")));
        auto response = client.read_response(10s);
        ASSERT_TRUE(response) << coding;
        EXPECT_EQ(response->status, 200) << coding;
        EXPECT_EQ(response->body, envelope) << coding;
    }
    {  // chunked framing and gzip together
        TestClient client(server.port());
        const auto packed = gzip(envelope);
        ASSERT_TRUE(client.send(
            chunked_post({packed.substr(0, 10), packed.substr(10)}, "Content-Encoding: gzip\r\n")));
        auto response = client.read_response(10s);
        ASSERT_TRUE(response);
        EXPECT_EQ(response->body, envelope);
    }
}

TEST(HttpServer, GzipBombIs413AndBrokenGzipIs400) {
    TestHandler handler;
    auto options = test_options();
    options.max_body_bytes = 64 * 1024;
    RunningServer server(options, handler);
    TestClient client(server.port());
    const auto bomb = gzip(std::string(16 * 1024 * 1024, '\0'));  // ~16 KB on the wire
    ASSERT_LT(bomb.size(), options.max_body_bytes);
    ASSERT_TRUE(client.send(make_post("/", bomb, "Content-Encoding: gzip\r\n")));
    auto response = client.read_response(10s);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 413);

    // Exactly at the limit once inflated is fine.
    ASSERT_TRUE(client.send(
        make_post("/", gzip(std::string(64 * 1024, 'a')), "Content-Encoding: gzip\r\n")));
    response = client.read_response(10s);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body.size(), 64U * 1024U);

    auto truncated = gzip("<Envelope/>");
    truncated.resize(truncated.size() - 6);
    for (const auto& broken : {std::string("<Envelope/>"), truncated, gzip("a") + "trailing"}) {
        ASSERT_TRUE(client.send(make_post("/", broken, "Content-Encoding: gzip\r\n")));
        response = client.read_response(10s);
        ASSERT_TRUE(response);
        EXPECT_EQ(response->status, 400);
        EXPECT_EQ(response->body, "request body is not valid gzip\n");
    }
    EXPECT_EQ(handler.received(), 1);
}

TEST(HttpServer, OtherContentEncodingsAre415NamingTheEncodingBeforeTheBodyIsRead) {
    TestHandler handler;
    RunningServer server(test_options(), handler);
    for (std::string_view coding : {"Content-Encoding: br\r\n", "Content-Encoding: deflate\r\n",
                                    "Content-Encoding: gzip, br\r\n",
                                    "Content-Encoding: gzip\r\nContent-Encoding: gzip\r\n"}) {
        TestClient client(server.port());
        ASSERT_TRUE(client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n" +
                                std::string(coding) + "\r\n"));
        auto response = client.read_response(10s);
        ASSERT_TRUE(response) << coding;
        EXPECT_EQ(response->status, 415) << coding;
        EXPECT_EQ(response->header("Accept-Encoding"), "gzip") << coding;
        EXPECT_NE(response->body.find("unsupported Content-Encoding"), std::string::npos);
        EXPECT_TRUE(client.wait_closed(10s)) << coding;
    }
    {
        TestClient client(server.port());
        ASSERT_TRUE(
            client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
                        "Content-Encoding: br\r\n\r\nx"));
        auto response = client.read_response(10s);
        ASSERT_TRUE(response);
        EXPECT_EQ(response->body, "unsupported Content-Encoding: br (send gzip or no encoding)\n");
    }
    {  // identity is no encoding at all
        TestClient client(server.port());
        ASSERT_TRUE(client.send(make_post("/", "plain", "Content-Encoding: identity\r\n")));
        auto response = client.read_response(10s);
        ASSERT_TRUE(response);
        EXPECT_EQ(response->status, 200);
        EXPECT_EQ(response->body, "plain");
    }
    EXPECT_EQ(handler.received(), 1);
}

}  // namespace
}  // namespace ofbridge::http
