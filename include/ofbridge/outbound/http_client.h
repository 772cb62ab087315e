// Outbound HTTP/1.1 client (Boost.Beast, compiled only in http_client.cpp): what the exporter
// posts to the WMS with, and what the Magento target will call Magento with. Generic on purpose:
// method, URL, headers and body in; status, headers and body out.
//
// - Keep-alive pool: a connection whose reply allows it goes back to the pool of its
//   scheme://host:port (at most `max_idle_per_origin`); the next request to that origin reuses
//   it. A pooled connection the server has closed meanwhile fails before any reply byte; a
//   request with an idempotent method (GET, PUT, ...) is then sent once more on a new
//   connection. A POST is not: the server may have acted on it and dropped the connection before
//   answering, so the error goes back to the caller (an export is retried by the exporter's own
//   rules). A request marked `once` (a Magento ship call) never takes a pooled connection, so an
//   idle connection closed by the server cannot turn it into an unknown outcome.
// - Timeouts: `connect_timeout` covers name resolution, TCP connect and the TLS handshake;
//   `read_timeout` covers writing the request and reading the whole reply, so a server that
//   trickles bytes cannot hold a request longer.
// - TLS (https://): Asio's OpenSSL stream with SNI and certificate verification on (the system's
//   CA store, or `tls_ca_file` when set) and host name checking; no way to turn it off.
// - Errors are values (Result::error), never exceptions; `error_text` says what failed in words.
// - Replies above `max_response_bytes` fail (body_limit), so a hostile server cannot exhaust
//   memory. Parsing is Beast's.
//
// One HttpClient serves one request at a time (calls from several threads take turns); use
// several clients for concurrent requests.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace ofbridge::outbound {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct ClientOptions {
    std::chrono::milliseconds connect_timeout{5'000};
    std::chrono::milliseconds read_timeout{10'000};
    std::size_t max_idle_per_origin = 4;
    std::size_t max_response_bytes = 64 * 1024 * 1024;
    std::filesystem::path tls_ca_file;  // empty = the system's CA store
    std::string user_agent = "ofbridge";
};

struct Request {
    std::string method = "POST";
    std::string url;  // http:// or https://, with path and query
    Headers headers;  // Host, Content-Length and User-Agent are added
    std::string body;
    // A call whose unknown outcome is costly to resolve (a Magento ship call): always a new
    // connection, never a pooled one that may have been closed while idle.
    bool once = false;
};

struct Response {
    int status = 0;
    Headers headers;
    std::string body;
};

struct Result {
    std::error_code error;   // empty: `response` holds the reply (any status)
    std::string error_text;  // e.g. "connect to 127.0.0.1:9: Connection refused"
    Response response;
    bool reused_connection = false;
    bool ok() const { return !error; }
};

// "Basic <base64(user:password)>", the Authorization value of HTTP Basic auth.
std::string basic_authorization(const std::string& user, const std::string& password);

class HttpClient {
public:
    explicit HttpClient(ClientOptions options = {});
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    Result send(const Request& request);

    // From any thread: aborts the request in flight (its socket is closed; send() returns
    // operation_canceled or the error the abort caused) and makes every later send() fail at
    // once with operation_canceled. For shutdown: a stalled server cannot hold it up.
    void cancel();

    std::size_t idle_connections() const;  // pooled, all origins
    std::size_t connections_opened() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ofbridge::outbound
