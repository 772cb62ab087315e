// The HTTP/1.1 listener (Boost.Beast), kept behind this small interface so Beast is compiled in
// one place. One I/O thread runs the sessions; handlers run on a small thread pool and answer
// through a Responder that may be called from any thread (e.g. the queue's WAL sync thread after
// the fsync). Connection lifecycle per session:
//   read header -> Handler::check_head (may answer and close at once) -> reserve the body's bytes
//   -> (Expect: 100-continue? send 100) -> read body -> (gzip? inflate) -> handler -> write
//   -> read again
// with a read timeout on every read, a write timeout on every reply, an idle timeout between
// requests, 413 above the body limit, 431 above the header limit, 503 when the bodies held
// across all connections would exceed their budget, and a graceful stop that closes idle
// connections at once and lets in-flight requests finish.
//
// TLS is a property of the listener (ServerOptions::tls): each connection then starts with a
// handshake under the read timeout, so a client that stalls, speaks plain HTTP or presents a
// certificate the client CA does not vouch for is closed before any request is read, and the
// handler never hears of it. reload_tls() re-reads the certificate files; connections already
// open keep the context they were accepted with.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ofbridge::http {

struct Request {
    std::string method;     // "GET", "POST", ...
    std::string target;     // path + query as sent
    unsigned version = 11;  // 10 or 11
    std::string host;       // Host header (for WSDL address rewriting)
    std::string content_type;
    std::string authorization;
    std::string soap_action;
    std::string remote_address;
    bool tls = false;
    std::string body;  // decoded: a "Content-Encoding: gzip" body arrives inflated
    // Every header as received (name spelled as sent, repeated fields repeated), for callers
    // that need more than the fields above. Contains the Authorization value: never log it.
    std::vector<std::pair<std::string, std::string>> headers;
};

struct Response {
    unsigned status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // extra headers
};

// Call exactly once. Safe to call from any thread, also after the server began stopping or
// was destroyed (then it does nothing). Later calls are ignored. If every copy is destroyed
// without a call, the client gets a 500. Status must be 200..599 (anything else becomes 500).
using Responder = std::function<void(Response)>;

class Handler {
public:
    virtual ~Handler() = default;
    virtual void handle(Request request, Responder respond) = 0;

    // Called on the I/O thread once a request's head has arrived, before any of its body is read
    // (`head.body` is empty). Returning a response sends it at once with "Connection: close" and
    // the body is never read: how a request that cannot be authorised on its head is refused
    // without buffering what it sends. Must be quick and must not block.
    virtual std::optional<Response> check_head(const Request& head) {
        (void)head;
        return std::nullopt;
    }
};

// A listener's TLS settings (PEM files). Loading refuses a key file that group or others may
// read or write, and a key that does not match the certificate.
struct TlsOptions {
    std::filesystem::path certificate_file;  // certificate chain, leaf first
    std::filesystem::path key_file;          // private key (mode 0600 or stricter)
    std::string min_version = "1.2";         // "1.2" or "1.3"
    // When set, every client must present a certificate issued by one of these CAs.
    std::filesystem::path client_ca_file;
};

struct ServerOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080;  // 0 = any free port
    std::size_t max_body_bytes = 4 * 1024 * 1024;
    std::size_t max_header_bytes = 16 * 1024;
    // One deadline from a request's first byte to its last (header, 100-continue, body), so
    // trickled bytes cannot extend it; also bounds the wait for a new connection's first byte.
    std::chrono::milliseconds read_timeout{30'000};
    // One deadline for writing a whole reply, so a client that does not read cannot hold its
    // connection (and the reply's memory) forever.
    std::chrono::milliseconds write_timeout{30'000};
    std::chrono::milliseconds idle_timeout{30'000};   // keep-alive wait for the next request
    std::chrono::milliseconds shutdown_grace{8'000};  // in-flight requests after stop()
    // Connections above this get "503 + Retry-After: 1" and are closed (at most 64 of those
    // at once, with a 1 s deadline; beyond that they are closed without a reply).
    std::size_t max_connections = 1024;
    // Bytes of request bodies held across all connections: reserved from Content-Length when the
    // head arrives (or as a chunked or inflated body grows) and released once Handler::handle
    // returns. A request that would exceed it gets "503 + Retry-After: 1" and is closed.
    // Handlers must not keep the Request's body beyond handle() (copy what they keep).
    std::size_t max_buffered_body_bytes = 64 * 1024 * 1024;
    unsigned handler_threads = 2;
    // Set: the listener speaks only TLS (Request::tls is true on every request).
    std::optional<TlsOptions> tls;
    // Optional sink for the listener's own events (bind, accept errors, overload, stop).
    // Called from the I/O thread; messages never contain request data.
    std::function<void(std::string_view)> log;
};

class Server {
public:
    Server(ServerOptions options, Handler& handler);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Loads the TLS files (std::runtime_error on failure), binds and listens; throws
    // std::system_error naming the address on failure.
    // Returns the bound "host:port" (the real port when 0 was asked for).
    std::string listen();

    // Re-reads the TLS files named in the options for connections accepted from now on; open
    // connections are untouched. Thread-safe. Throws std::runtime_error naming the file and the
    // problem, and then keeps the certificate in use. Does nothing without TLS.
    void reload_tls();

    // Serves until stop(); returns once every connection is closed and handlers are done.
    void run();

    // Thread-safe and async-signal-unsafe: call it from a normal thread. Stops accepting,
    // closes idle connections, lets in-flight requests finish until shutdown_grace.
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ofbridge::http
