// HttpClient against the broker's own HTTP listener on loopback (port 0): keep-alive reuse,
// the read deadline, connection errors as values, a pooled connection the server closed, TLS
// refused by a plain server, and HTTP Basic credentials.
#include "ofbridge/outbound/http_client.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "ofbridge/http/server.h"

namespace ofbridge::outbound {
namespace {

using namespace std::chrono_literals;

// Echoes method, target, Authorization and body; holds the reply of "/hold" until released.
class EchoHandler : public http::Handler {
public:
    void handle(http::Request request, http::Responder respond) override {
        if (request.target == "/hold") {
            std::lock_guard lock(mutex_);
            held_.push_back(std::move(respond));
            return;
        }
        http::Response response;
        response.status = request.target == "/missing" ? 404 : 200;
        response.body = request.method + " " + request.target + " " + request.authorization + " " +
                        request.body;
        respond(std::move(response));
    }
    void release() {
        std::vector<http::Responder> held;
        {
            std::lock_guard lock(mutex_);
            held.swap(held_);
        }
        for (auto& respond : held) respond(http::Response{});
    }

private:
    std::mutex mutex_;
    std::vector<http::Responder> held_;
};

class Running {
public:
    explicit Running(http::Handler& handler) : server_(options(), handler) {
        address_ = server_.listen();
        thread_ = std::thread([this] { server_.run(); });
    }
    ~Running() { stop(); }
    void stop() {
        if (!thread_.joinable()) return;
        server_.stop();
        thread_.join();
    }
    std::string url(const std::string& path) const { return "http://" + address_ + path; }

private:
    static http::ServerOptions options() {
        http::ServerOptions o;
        o.host = "127.0.0.1";
        o.port = 0;
        o.shutdown_grace = 2s;
        return o;
    }
    http::Server server_;
    std::string address_;
    std::thread thread_;
};

TEST(HttpClient, KeepAliveReusesOneConnection) {
    EchoHandler handler;
    Running server(handler);
    HttpClient client;
    auto first =
        client.send({"POST", server.url("/a?x=1"), {{"Authorization", "Basic eA=="}}, "one"});
    ASSERT_TRUE(first.ok()) << first.error_text;
    EXPECT_EQ(first.response.status, 200);
    EXPECT_EQ(first.response.body, "POST /a?x=1 Basic eA== one");
    EXPECT_FALSE(first.reused_connection);
    auto second = client.send({"GET", server.url("/missing"), {}, ""});
    ASSERT_TRUE(second.ok()) << second.error_text;
    EXPECT_EQ(second.response.status, 404) << "any status is a reply, not an error";
    EXPECT_TRUE(second.reused_connection);
    EXPECT_EQ(client.connections_opened(), 1u);
    EXPECT_EQ(client.idle_connections(), 1u);
}

TEST(HttpClient, ReadDeadlineIsAnError) {
    EchoHandler handler;
    Running server(handler);
    ClientOptions options;
    options.read_timeout = 200ms;
    HttpClient client(options);
    auto result = client.send({"POST", server.url("/hold"), {}, "x"});
    EXPECT_FALSE(result.ok());
    EXPECT_NE(result.error_text.find("timeout"), std::string::npos) << result.error_text;
    EXPECT_EQ(client.idle_connections(), 0u) << "a timed-out connection is not pooled";
    handler.release();
}

TEST(HttpClient, CancelAbortsTheRequestInFlightAndEveryLaterOne) {
    EchoHandler handler;
    Running server(handler);
    HttpClient client;  // read deadline 10 s: only cancel() ends the held request early
    std::promise<Result> held;
    std::thread sender([&] {
        held.set_value(client.send({"POST", server.url("/hold"), {}, "x"}));
    });
    auto future = held.get_future();
    // Cancel until the send returns: the first cancel may land before the request is out,
    // which fails it the same way.
    while (future.wait_for(20ms) != std::future_status::ready) client.cancel();
    sender.join();
    EXPECT_FALSE(future.get().ok());
    auto later = client.send({"POST", server.url("/a"), {}, "y"});
    EXPECT_FALSE(later.ok());
    EXPECT_EQ(later.error_text, "cancelled");
    handler.release();
}

TEST(HttpClient, PooledConnectionClosedByServerIsNotAnEchoOfItsEof) {
    EchoHandler handler;
    auto server = std::make_unique<Running>(handler);
    const auto url = server->url("/a");
    HttpClient client;
    ASSERT_TRUE(client.send({"GET", url, {}, ""}).ok());
    ASSERT_EQ(client.idle_connections(), 1u);
    server->stop();  // closes the idle connection; nothing listens on the port any more
    auto result = client.send({"GET", url, {}, ""});
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error_text.find("connect to 127.0.0.1"), std::string::npos)
        << "the stale connection was dropped and a new one tried: " << result.error_text;
}

TEST(HttpClient, APostOnAPooledConnectionThatFailsIsNotSentAgain) {
    EchoHandler handler;
    auto server = std::make_unique<Running>(handler);
    const auto url = server->url("/a");
    HttpClient client;
    ASSERT_TRUE(client.send({"POST", url, {}, "1"}).ok());
    ASSERT_EQ(client.idle_connections(), 1u);
    server->stop();
    // The server might have acted on it before the connection broke: the caller decides.
    auto result = client.send({"POST", url, {}, "2"});
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error_text.find("connect to"), std::string::npos)
        << "a POST was sent again on a new connection: " << result.error_text;
}

TEST(HttpClient, ErrorsAreValues) {
    HttpClient client;
    auto bad_url = client.send({"POST", "ftp://example.com/", {}, ""});
    EXPECT_EQ(bad_url.error, std::make_error_code(std::errc::invalid_argument));
    EXPECT_NE(bad_url.error_text.find("scheme"), std::string::npos);
    auto with_user = client.send({"POST", "http://u:p@127.0.0.1:1/", {}, ""});
    EXPECT_FALSE(with_user.ok());
    auto refused = client.send({"POST", "http://127.0.0.1:1/", {}, ""});
    EXPECT_FALSE(refused.ok());
    EXPECT_NE(refused.error_text.find("connect to 127.0.0.1:1"), std::string::npos);
}

TEST(HttpClient, TlsAgainstAPlainServerFailsTheHandshake) {
    EchoHandler handler;
    Running server(handler);
    ClientOptions options;
    options.connect_timeout = 2s;
    HttpClient client(options);
    auto url = server.url("/a");
    url.replace(0, 4, "https");
    auto result = client.send({"POST", url, {}, ""});
    EXPECT_FALSE(result.ok());
    EXPECT_NE(result.error_text.find("TLS handshake"), std::string::npos) << result.error_text;
}

TEST(HttpClient, BasicAuthorization) {
    EXPECT_EQ(basic_authorization("Aladdin", "open sesame"), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    EXPECT_EQ(basic_authorization("a", ""), "Basic YTo=");
    EXPECT_EQ(basic_authorization("ab", "c"), "Basic YWI6Yw==");
}

}  // namespace
}  // namespace ofbridge::outbound
