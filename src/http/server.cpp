// The only translation unit that includes Boost.Beast/Asio (they cost ~20 s and ~700 MB per TU
// to compile), implementing include/ofbridge/http/server.h.
//
// Threads: one I/O thread runs the io_context (acceptor + every session, each session on its own
// strand); a thread pool runs Handler::handle. A Responder may run on any thread: it posts the
// reply to the session's strand through a "lifeline" that is cut when the Server is destroyed,
// so late calls do nothing.
//
// Session state machine (one per TCP connection):
//
//   AwaitingRequest --first bytes--> ReadingRequest --header--> [SendingContinue] --body-->
//   Handling --Responder--> Writing --keep-alive--> AwaitingRequest
//                                   \--close-----> Lingering --> Closed
//   ReadingRequest --header refused (check_head, 415, 503)--> Writing --close--> Lingering
//
//   * AwaitingRequest: nothing of the next request has arrived. The deadline is idle_timeout
//     (read_timeout for a fresh connection). stop() closes sessions in this state at once.
//   * ReadingRequest/SendingContinue: one deadline of read_timeout from the first byte to the end
//     of the body, so trickling bytes (slowloris) cannot extend it. Once the header is in, and
//     before any body byte is read: an unknown Content-Encoding is 415, Handler::check_head may
//     answer (an unauthorised request), an overflow connection gets its 503, and the body's
//     Content-Length is reserved from the server-wide body budget (503 + Retry-After when it has
//     no room). A chunked body reserves as it grows, one chunk header ahead of the bytes. Only
//     then is "Expect: 100-continue" answered, so clients do not stall for their 1 s timer and
//     a refused client never sends its body.
//   * Protocol errors answer 400/413/431/417/501 and close. Timeouts and resets just close.
//   * Handling: no deadline (the handler owns the time); the session keeps itself alive until
//     the reply arrives or stop()'s grace period ends. The body's reservation moves with it to
//     the handler pool (a gzip body is inflated there, within max_body_bytes and the budget) and
//     is released when Handler::handle returns.
//   * Writing: one deadline of write_timeout for the whole reply, so a client that never reads
//     cannot keep its connection and the reply's memory.
//   * Lingering: after a reply with "Connection: close" we half-close and discard what the
//     client still sends for a short while, so an early 413 is not destroyed by a TCP reset.
//
// Over TLS (ServerOptions::tls) a session starts in Handshaking, under read_timeout: a failed or
// stalled handshake (plain HTTP sent to the TLS port, a client certificate the CA does not vouch
// for) just closes, so nothing reaches the handler. The session type is a template on its stream
// (beast::tcp_stream or beast::ssl_stream over one), so the plain path is unchanged; the TLS
// context is shared by the sessions accepted with it and replaced as a whole by reload_tls().
// A TLS session's lingering close sends close_notify and waits (bounded) for the client's.
//
// stop(): close the acceptor, close AwaitingRequest sessions, let the others finish (their
// replies carry "Connection: close"), and after shutdown_grace close whatever is left.
#include "ofbridge/http/server.h"

#include <openssl/ssl.h>
#include <sys/stat.h>
#include <zlib.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <limits>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ofbridge::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;
using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using error_code = boost::system::error_code;
using Clock = std::chrono::steady_clock;

// Connections accepted above max_connections only get a 503; this many may be waiting for
// theirs at once, each for at most kOverflowTimeout. Beyond that, new connections are closed.
constexpr std::size_t kMaxOverflowSessions = 64;
constexpr std::chrono::milliseconds kOverflowTimeout{1000};
// Lingering close: how long and how much of a client's unread request we discard.
constexpr std::chrono::milliseconds kLingerTimeout{1000};
constexpr std::size_t kLingerBytes = 1024 * 1024;
// How often the shutdown watcher checks whether every session is gone.
constexpr std::chrono::milliseconds kShutdownPoll{10};
// After the grace period's forced close, how long to wait for sessions to unwind.
constexpr std::chrono::milliseconds kForcedCloseWait{1000};
constexpr std::size_t kFirstReadBytes = 4096;
// The first step of an inflated body's buffer; it then doubles up to max_body_bytes + 1.
constexpr std::size_t kInflateStep = 64 * 1024;

// Cut by ~Impl; Responders check it (under the mutex) before touching the io_context.
struct Lifeline {
    std::mutex mutex;
    bool alive = true;
};

Response plain_response(unsigned status, std::string body) {
    Response response;
    response.status = status;
    response.body = std::move(body);
    return response;
}

bool is_token_char(char c) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= '0' && u <= '9') return true;
    if ((u | 0x20U) >= 'a' && (u | 0x20U) <= 'z') return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_valid_header_name(std::string_view name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), is_token_char);
}

bool is_valid_header_value(std::string_view value) {
    return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

std::string endpoint_string(const tcp::endpoint& endpoint) {
    const auto address = endpoint.address();
    std::string host = address.to_string();
    if (address.is_v6()) host = "[" + host + "]";
    return host + ":" + std::to_string(endpoint.port());
}

bool same_category(const error_code& ec, bhttp::error example) {
    return ec.category() == bhttp::make_error_code(example).category();
}

std::string printable(std::string_view text) {
    std::string out;
    for (char c : text.substr(0, 64)) out += (c >= 0x21 && c <= 0x7e) ? c : '?';
    return out;
}

// The bytes of request bodies held across all sessions (ServerOptions::max_buffered_body_bytes).
// Reserved on the I/O thread, released from any thread.
class BodyBudget {
public:
    explicit BodyBudget(std::size_t limit) : limit_(limit) {}

    bool try_reserve(std::size_t bytes) {
        auto used = used_.load();
        do {
            if (used > limit_ || bytes > limit_ - used) return false;
        } while (!used_.compare_exchange_weak(used, used + bytes));
        return true;
    }
    void release(std::size_t bytes) { used_.fetch_sub(bytes); }

private:
    const std::size_t limit_;
    std::atomic<std::size_t> used_{0};
};

// One request body's share of the budget; given back when released or destroyed.
class BodyLease {
public:
    explicit BodyLease(BodyBudget& budget) : budget_(&budget) {}
    BodyLease(BodyLease&& other) noexcept
        : budget_(other.budget_), bytes_(std::exchange(other.bytes_, 0)) {}
    BodyLease& operator=(BodyLease&&) = delete;
    BodyLease(const BodyLease&) = delete;
    BodyLease& operator=(const BodyLease&) = delete;
    ~BodyLease() { release(); }

    // Grows the share to `total` bytes; false (and unchanged) when the budget has no room.
    bool cover(std::size_t total) {
        if (total <= bytes_) return true;
        if (!budget_->try_reserve(total - bytes_)) return false;
        bytes_ = total;
        return true;
    }
    void release() {
        if (bytes_ > 0) budget_->release(bytes_);
        bytes_ = 0;
    }

private:
    BodyBudget* budget_;
    std::size_t bytes_ = 0;
};

enum class Inflated { ok, too_large, over_budget, corrupt };

// Inflates a gzip body in place. The output may not exceed `limit` bytes (a gzip bomb is
// too_large after at most limit + 1 bytes), and every byte of buffer is covered by `lease`.
Inflated gunzip(std::string& body, BodyLease& lease, std::size_t limit) {
    z_stream zs{};
    if (inflateInit2(&zs, 15 + 16) != Z_OK) throw std::bad_alloc();  // 16: gzip header only
    zs.next_in = reinterpret_cast<Bytef*>(body.data());
    zs.avail_in = static_cast<uInt>(body.size());  // at most max_body_bytes (<= 256 MiB)
    std::string out;
    std::size_t produced = 0;
    Inflated result = Inflated::ok;
    for (;;) {
        if (produced == out.size()) {
            const std::size_t size = std::min(std::max(out.size() * 2, kInflateStep), limit + 1);
            if (!lease.cover(body.size() + size)) {
                result = Inflated::over_budget;
                break;
            }
            out.resize(size);
        }
        zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
        zs.avail_out = static_cast<uInt>(out.size() - produced);
        const int rc = inflate(&zs, Z_NO_FLUSH);
        produced = out.size() - zs.avail_out;
        if (produced > limit) {
            result = Inflated::too_large;
            break;
        }
        if (rc == Z_STREAM_END) {
            if (zs.avail_in != 0) result = Inflated::corrupt;  // trailing bytes
            break;
        }
        if (rc == Z_BUF_ERROR && zs.avail_out != 0) {  // input ended before the stream did
            result = Inflated::corrupt;
            break;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            result = Inflated::corrupt;
            break;
        }
    }
    inflateEnd(&zs);
    if (result == Inflated::ok) {
        out.resize(produced);
        body = std::move(out);
    }
    return result;
}

Response busy_response() {
    Response busy = plain_response(503, "server busy\n");
    busy.headers.emplace_back("Retry-After", "1");
    return busy;
}

// A server context from the PEM files of `tls`; throws std::runtime_error naming the problem.
std::shared_ptr<ssl::context> load_tls_context(const TlsOptions& tls) {
    auto fail = [](const std::string& what, const std::filesystem::path& file,
                   const std::string& why) -> std::runtime_error {
        return std::runtime_error("tls: cannot " + what + " " + file.string() + ": " + why);
    };
    struct stat key_stat {};
    if (::stat(tls.key_file.c_str(), &key_stat) != 0)
        throw fail("read the key", tls.key_file, std::strerror(errno));
    if ((key_stat.st_mode & (S_IRWXG | S_IRWXO)) != 0)
        throw fail("use the key", tls.key_file,
                   "group or others may access it (chmod 600 it, owned by the service user)");
    auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
    context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                         ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                         ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
    if (tls.min_version != "1.2" && tls.min_version != "1.3")
        throw std::runtime_error("tls: min_version must be \"1.2\" or \"1.3\"");
    SSL_CTX_set_min_proto_version(context->native_handle(),
                                  tls.min_version == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION);
    error_code ec;
    context->use_certificate_chain_file(tls.certificate_file.string(), ec);
    if (ec) throw fail("load the certificate", tls.certificate_file, ec.message());
    context->use_private_key_file(tls.key_file.string(), ssl::context::pem, ec);
    if (ec) throw fail("load the key", tls.key_file, ec.message());
    if (SSL_CTX_check_private_key(context->native_handle()) != 1)
        throw fail("use the key", tls.key_file, "it does not match the certificate");
    if (!tls.client_ca_file.empty()) {
        context->load_verify_file(tls.client_ca_file.string(), ec);
        if (ec) throw fail("load the client CA", tls.client_ca_file, ec.message());
        // Tell clients which issuers we accept, so they pick the right certificate.
        if (auto* names = SSL_load_client_CA_file(tls.client_ca_file.c_str()))
            SSL_CTX_set_client_CA_list(context->native_handle(), names);
        context->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    }
    // Session resumption with client certificates needs a context id; it is one listener.
    static constexpr unsigned char kSessionContext[] = "ofbridge";
    SSL_CTX_set_session_id_context(context->native_handle(), kSessionContext,
                                   sizeof kSessionContext - 1);
    return context;
}

// What the listener and the answers of handlers need of a session, whatever its stream.
class SessionBase : public std::enable_shared_from_this<SessionBase> {
public:
    virtual ~SessionBase() = default;
    virtual void start() = 0;
    // Any thread.
    virtual void post_reply(Response response) = 0;
    virtual void post_server_stopping() = 0;
    virtual void post_force_close() = 0;
};

// Everything the listener shares with its sessions (Server::Impl is private, so sessions
// see this base instead).
struct ServerState {
    ServerState(ServerOptions opts, Handler& h)
        : options(std::move(opts)),
          handler(h),
          acceptor(ioc),
          accept_retry_timer(ioc),
          shutdown_timer(ioc),
          pool(std::max(1U, options.handler_threads)) {}

    ServerState(const ServerState&) = delete;
    ServerState& operator=(const ServerState&) = delete;
    ~ServerState() {
        std::lock_guard lock(lifeline->mutex);
        lifeline->alive = false;
    }

    void log(std::string_view message) const {
        if (!options.log) return;
        try {
            options.log(message);
        } catch (...) {  // a failing log sink must not take the listener down
        }
    }

    void do_accept();
    void on_accept(const error_code& ec, tcp::socket socket);
    void begin_shutdown();
    void watch_shutdown();
    std::vector<std::shared_ptr<SessionBase>> live_sessions();
    std::shared_ptr<ssl::context> current_tls_context() {
        std::lock_guard lock(tls_mutex);
        return tls_context;
    }

    // Registry, called by sessions from any thread (the destructor may run on a pool thread).
    void add_session(SessionBase* session, const std::shared_ptr<SessionBase>& shared,
                     bool overflow);
    void remove_session(SessionBase* session, bool overflow);

    const ServerOptions options;
    Handler& handler;
    const std::shared_ptr<Lifeline> lifeline = std::make_shared<Lifeline>();
    std::atomic<bool> stopping{false};
    // Declared before the io_context and the pool: sessions and handler tasks release into it.
    BodyBudget body_budget{options.max_buffered_body_bytes};

    // Declared before the io_context: sessions destroyed while it shuts down still use them.
    std::mutex registry_mutex;
    std::unordered_map<SessionBase*, std::weak_ptr<SessionBase>> sessions;
    std::size_t regular_count = 0;
    std::size_t overflow_count = 0;

    net::io_context ioc{1};
    tcp::acceptor acceptor;
    net::steady_timer accept_retry_timer;
    net::steady_timer shutdown_timer;
    Clock::time_point grace_deadline{};
    bool forced_close_done = false;
    std::string bound_address;
    bool listening = false;
    // The context new TLS sessions are accepted with (reload_tls() replaces it).
    std::mutex tls_mutex;
    std::shared_ptr<ssl::context> tls_context;
    std::atomic<bool> ran{false};

    // Declared last so it is joined first on destruction (its tasks use `handler`).
    net::thread_pool pool;
};

// The state behind every copy of one request's Responder.
class PendingReply {
public:
    PendingReply(std::weak_ptr<SessionBase> session, std::shared_ptr<Lifeline> lifeline)
        : session_(std::move(session)), lifeline_(std::move(lifeline)) {}
    PendingReply(const PendingReply&) = delete;
    PendingReply& operator=(const PendingReply&) = delete;
    ~PendingReply() {
        if (!answered_.exchange(true)) deliver(plain_response(500, "request was not answered\n"));
    }

    void answer(Response response) {
        if (answered_.exchange(true)) return;
        deliver(std::move(response));
    }

private:
    void deliver(Response response) noexcept;

    std::weak_ptr<SessionBase> session_;
    std::shared_ptr<Lifeline> lifeline_;
    std::atomic<bool> answered_{false};
};

template <class Stream>
class Session final : public SessionBase {
    static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

public:
    enum class Phase {
        Handshaking,
        AwaitingRequest,
        ReadingRequest,
        SendingContinue,
        Handling,
        Writing,
        Lingering,
        Closed
    };

    Session(ServerState& server, tcp::socket socket, bool is_overflow,
            std::shared_ptr<ssl::context> tls_context)
        : server_(server),
          strand_(socket.get_executor()),
          tls_context_(std::move(tls_context)),
          stream_(open_stream(std::move(socket), tls_context_.get())),
          overflow_(is_overflow),
          read_timeout_(is_overflow ? std::min(server.options.read_timeout, kOverflowTimeout)
                                    : server.options.read_timeout),
          write_timeout_(is_overflow ? std::min(server.options.write_timeout, kOverflowTimeout)
                                     : server.options.write_timeout),
          body_lease_(server.body_budget),
          on_chunk_header_([this](std::uint64_t size, beast::string_view, error_code& ec) {
              reserve_chunk(size, ec);
          }) {
        error_code ec;
        const auto remote = lowest().socket().remote_endpoint(ec);
        if (!ec) remote_address_ = remote.address().to_string();
        lowest().socket().set_option(tcp::no_delay(true), ec);  // small replies go out at once
    }

    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
    ~Session() { server_.remove_session(this, overflow_); }

    void start() override {
        net::dispatch(strand_, [self = self_ptr()] {
            if constexpr (kTls)
                self->handshake();
            else
                self->await_request();
        });
    }

    // Any thread.
    void post_reply(Response response) override {
        net::post(strand_, [self = self_ptr(), response = std::move(response)]() mutable {
            self->on_reply(std::move(response));
        });
    }
    void post_server_stopping() override {
        net::post(strand_, [self = self_ptr()] { self->on_server_stopping(); });
    }
    void post_force_close() override {
        net::post(strand_, [self = self_ptr()] { self->close(); });
    }

private:
    using Parser = bhttp::request_parser<bhttp::string_body>;

    static Stream open_stream(tcp::socket socket, ssl::context* tls_context) {
        if constexpr (kTls)
            return Stream(std::move(socket), *tls_context);
        else
            return Stream(std::move(socket));
    }
    beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }
    std::shared_ptr<Session> self_ptr() {
        return std::static_pointer_cast<Session>(shared_from_this());
    }

    // TLS only: the handshake gets the read timeout a fresh connection's first request gets.
    void handshake() {
        if (server_.stopping.load()) return close();
        phase_ = Phase::Handshaking;
        lowest().expires_after(read_timeout_);
        stream_.async_handshake(
            ssl::stream_base::server, [self = self_ptr()](const error_code& ec) {
                if (self->phase_ != Phase::Handshaking) return;
                if (ec) {
                    self->server_.log("http: TLS handshake from " + self->remote_address_ +
                                      " failed: " + ec.message());
                    return self->close();
                }
                self->await_request();
            });
    }

    void await_request() {
        if (server_.stopping.load()) return close();
        parser_.emplace();
        body_lease_.release();  // the previous body is gone with the previous parser
        parser_->on_chunk_header(on_chunk_header_);
        parser_->body_limit(static_cast<std::uint64_t>(server_.options.max_body_bytes));
        parser_->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(
            server_.options.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
        if (buffer_.size() > 0) return read_header();  // pipelined request already buffered

        phase_ = Phase::AwaitingRequest;
        lowest().expires_after(first_request_ ? read_timeout_ : server_.options.idle_timeout);
        stream_.async_read_some(buffer_.prepare(kFirstReadBytes),
                                [self = self_ptr()](const error_code& ec, std::size_t n) {
                                    self->on_first_bytes(ec, n);
                                });
    }

    void on_first_bytes(const error_code& ec, std::size_t bytes) {
        buffer_.commit(bytes);
        if (phase_ != Phase::AwaitingRequest) return;
        if (ec || server_.stopping.load()) return close();
        read_header();
    }

    void read_header() {
        phase_ = Phase::ReadingRequest;
        first_request_ = false;
        // One deadline for header, 100-continue and body together.
        lowest().expires_after(read_timeout_);
        bhttp::async_read_header(
            stream_, buffer_, *parser_,
            [self = self_ptr()](const error_code& ec, std::size_t) { self->on_header(ec); });
    }

    void on_header(const error_code& ec) {
        if (phase_ != Phase::ReadingRequest) return;
        if (ec) return fail_request(ec);
        const auto& request = parser_->get();
        version_ = request.version();

        // RFC 9112 §6.1: a transfer coding other than a final "chunked" makes the length unknowable
        // (400); a chunked body with other codings we cannot decode is 501. Beast already rejects
        // Content-Length together with Transfer-Encoding (bad_content_length /
        // bad_transfer_encoding).
        if (request.find(bhttp::field::transfer_encoding) != request.end()) {
            if (!parser_->chunked()) return send_error(400, "unsupported transfer encoding\n");
            if (!beast::iequals(beast::string_view(request[bhttp::field::transfer_encoding]),
                                "chunked"))
                return send_error(501, "unsupported transfer coding\n");
        }

        // A gzip body is inflated before the handler sees it; any other coding is refused
        // unread, naming it (RFC 7694: 415 with Accept-Encoding).
        gzip_ = false;
        if (const auto coding = request.find(bhttp::field::content_encoding);
            coding != request.end()) {
            const auto value = coding->value();
            if (request.count(bhttp::field::content_encoding) == 1 &&
                (beast::iequals(value, "gzip") || beast::iequals(value, "x-gzip"))) {
                gzip_ = true;
            } else if (request.count(bhttp::field::content_encoding) != 1 ||
                       !beast::iequals(value, "identity")) {
                auto refused =
                    plain_response(415, "unsupported Content-Encoding: " + printable(value) +
                                            " (send gzip or no encoding)\n");
                refused.headers.emplace_back("Accept-Encoding", "gzip");
                return answer_head(std::move(refused));
            }
        }

        head_ = head_of(request);
        if (overflow_) return answer_head(busy_response());
        std::optional<Response> early;
        try {
            early = server_.handler.check_head(head_);
        } catch (...) {
            early = plain_response(500, "internal error\n");
        }
        if (early) return answer_head(std::move(*early));

        // Content-Length is what the string body reserves as its first byte arrives.
        if (const auto length = parser_->content_length(); length && *length > 0) {
            if (!body_lease_.cover(static_cast<std::size_t>(*length)))
                return answer_head(busy_response());
        }

        const auto expect = request.find(bhttp::field::expect);
        if (expect != request.end()) {
            if (!beast::iequals(expect->value(), "100-continue"))
                return send_error(417, "unsupported expectation\n");
            if (request.version() >= 11 && !parser_->is_done()) {
                phase_ = Phase::SendingContinue;
                continue_.version(11);
                bhttp::async_write(stream_, continue_,
                                   [self = self_ptr()](const error_code& write_ec, std::size_t) {
                                       if (self->phase_ != Phase::SendingContinue) return;
                                       if (write_ec) return self->close();
                                       self->phase_ = Phase::ReadingRequest;
                                       self->read_body();
                                   });
                return;
            }
        }
        read_body();
    }

    void read_body() {
        if (parser_->is_done()) return dispatch();
        bhttp::async_read(stream_, buffer_, *parser_,
                          [self = self_ptr()](const error_code& ec, std::size_t) {
                              if (self->phase_ != Phase::ReadingRequest) return;
                              if (ec) return self->fail_request(ec);
                              self->dispatch();
                          });
    }

    // Before a chunk's bytes are stored: grow the body (doubling, at most max_body_bytes, which
    // Beast checked against this chunk already; just enough when the budget has no room for
    // double) only once the budget covers the growth.
    void reserve_chunk(std::uint64_t size, error_code& ec) {
        auto& body = parser_->get().body();
        const std::size_t needed = body.size() + static_cast<std::size_t>(size);
        if (needed <= body.capacity()) return;
        std::size_t grown =
            std::max(needed, std::min(body.capacity() * 2, server_.options.max_body_bytes));
        if (!body_lease_.cover(grown)) {
            grown = needed;
            if (!body_lease_.cover(grown)) {
                ec = net::error::no_buffer_space;
                return;
            }
        }
        // A fresh string gets exactly `grown` (reserve() on this one may double on its own).
        std::string bigger;
        bigger.reserve(grown);
        bigger.append(body);
        body.swap(bigger);
    }

    // Answers a request on its head alone; its body is never read.
    void answer_head(Response response) {
        keep_alive_ = false;
        write_response(std::move(response));
    }

    Request head_of(const bhttp::request<bhttp::string_body>& message) const {
        Request request;
        request.method = std::string(message.method_string());
        request.target = std::string(message.target());
        request.version = message.version();
        request.host = std::string(message[bhttp::field::host]);
        request.content_type = std::string(message[bhttp::field::content_type]);
        request.authorization = std::string(message[bhttp::field::authorization]);
        request.soap_action = std::string(message["SOAPAction"]);
        request.remote_address = remote_address_;
        request.tls = kTls;
        for (const auto& field : message) {
            request.headers.emplace_back(std::string(field.name_string()),
                                         std::string(field.value()));
        }
        return request;
    }

    void fail_request(const error_code& ec) {
        if (ec == net::error::no_buffer_space) return answer_head(busy_response());
        if (ec == bhttp::error::body_limit) return send_error(413, "request body too large\n");
        if (ec == bhttp::error::header_limit) return send_error(431, "request header too large\n");
        if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message)
            return close();
        if (same_category(ec, bhttp::error::bad_method))
            return send_error(400, "malformed request\n");
        close();  // timeout, reset, cancelled: nobody to answer
    }

    void dispatch() {
        lowest().expires_never();
        auto message = parser_->release();
        keep_alive_ = message.keep_alive();
        version_ = message.version();

        Request request = std::move(head_);
        request.body = std::move(message.body());

        phase_ = Phase::Handling;
        handling_self_ = self_ptr();  // nothing else holds us while the handler works
        auto pending = std::make_shared<PendingReply>(weak_from_this(), server_.lifeline);
        Responder respond = [pending](Response response) { pending->answer(std::move(response)); };
        // The body's reservation travels with it and ends with this task, after handle().
        net::post(server_.pool, [&server = server_, request = std::move(request),
                                 respond = std::move(respond), lease = std::move(body_lease_),
                                 gzip = gzip_]() mutable {
            try {
                if (gzip) {
                    switch (gunzip(request.body, lease, server.options.max_body_bytes)) {
                        case Inflated::ok:
                            break;
                        case Inflated::too_large:
                            return respond(plain_response(413,
                                                          "request body too large once "
                                                          "inflated\n"));
                        case Inflated::over_budget:
                            return respond(busy_response());
                        case Inflated::corrupt:
                            return respond(plain_response(400,
                                                          "request body is not valid "
                                                          "gzip\n"));
                    }
                }
                server.handler.handle(std::move(request), respond);
            } catch (...) {
                respond(plain_response(500, "internal error\n"));  // ignored if it already answered
            }
        });
    }

    void on_reply(Response response) {
        if (phase_ != Phase::Handling) return;  // closed meanwhile (forced shutdown)
        handling_self_.reset();
        write_response(std::move(response));
    }

    void send_error(unsigned status, std::string body) {
        keep_alive_ = false;
        version_ = 11;
        write_response(plain_response(status, std::move(body)));
    }

    void write_response(Response response) {
        if (server_.stopping.load()) keep_alive_ = false;
        try {
            build_response(response);
        } catch (const std::exception&) {
            keep_alive_ = false;
            response_ = {};
            build_response(plain_response(500, "invalid response\n"));
        }
        phase_ = Phase::Writing;
        lowest().expires_after(write_timeout_);  // a client that never reads cannot pin us
        bhttp::async_write(stream_, response_,
                           [self = self_ptr()](const error_code& ec, std::size_t) {
                               if (self->phase_ != Phase::Writing) return;
                               if (ec == beast::error::timeout)
                                   self->server_.log(
                                       "http: reply not read within write_timeout, "
                                       "connection closed");
                               if (ec) return self->close();
                               if (self->keep_alive_) return self->await_request();
                               self->linger_close();
                           });
    }

    void build_response(const Response& response) {
        unsigned status = response.status;
        const bool valid_status = status >= 200 && status <= 599;
        if (!valid_status) status = 500;
        response_ = {};
        response_.version(version_ == 10 ? 10 : 11);
        response_.result(status);
        response_.set(bhttp::field::server, "ofbridge");
        if (valid_status) {
            if (!response.content_type.empty() && is_valid_header_value(response.content_type))
                response_.set(bhttp::field::content_type, response.content_type);
            for (const auto& [name, value] : response.headers) {
                if (!is_valid_header_name(name) || !is_valid_header_value(value)) continue;
                const auto field = bhttp::string_to_field(name);
                if (field == bhttp::field::content_length ||
                    field == bhttp::field::transfer_encoding || field == bhttp::field::connection ||
                    field == bhttp::field::server)
                    continue;  // framing and connection handling are ours
                response_.insert(name, value);
            }
            if (status != 204 && status != 304) response_.body() = response.body;
        } else {
            response_.set(bhttp::field::content_type, "text/plain; charset=utf-8");
            response_.body() = "invalid response status\n";
        }
        response_.keep_alive(keep_alive_);
        response_.prepare_payload();
    }

    // Half-close and drain, so the client reads our reply before the socket is torn down.
    void linger_close() {
        phase_ = Phase::Lingering;
        parser_.reset();  // no read uses it any more: give its body back now
        body_lease_.release();
        lowest().expires_after(std::min<std::chrono::milliseconds>(kLingerTimeout, read_timeout_));
        if constexpr (kTls) {
            // close_notify, then (bounded by the deadline) the client's; then the socket.
            stream_.async_shutdown([self = self_ptr()](const error_code&) { self->close(); });
            return;
        }
        error_code ec;
        lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
        if (ec) return close();
        drain();
    }

    void drain() {
        stream_.async_read_some(net::buffer(drain_buffer_),
                                [self = self_ptr()](const error_code& ec, std::size_t n) {
                                    if (self->phase_ != Phase::Lingering) return;
                                    self->drained_ += n;
                                    if (ec || self->drained_ > kLingerBytes) return self->close();
                                    self->drain();
                                });
    }

    void on_server_stopping() {
        if (phase_ == Phase::AwaitingRequest || phase_ == Phase::Handshaking) close();
        // Reading/handling/writing sessions finish; their replies carry "Connection: close".
    }

    void close() {
        if (phase_ == Phase::Closed) return;
        phase_ = Phase::Closed;
        error_code ec;
        lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
        lowest().close();
        handling_self_.reset();
    }

    ServerState& server_;
    const net::any_io_executor strand_;
    const std::shared_ptr<ssl::context> tls_context_;  // outlives stream_, which uses it
    Stream stream_;
    const bool overflow_;
    const std::chrono::milliseconds read_timeout_;
    const std::chrono::milliseconds write_timeout_;
    std::string remote_address_;
    BodyLease body_lease_;  // covers the body parser_ holds (declared first: it outlives it)
    std::function<void(std::uint64_t, beast::string_view, error_code&)> on_chunk_header_;

    Phase phase_ = Phase::AwaitingRequest;
    bool first_request_ = true;
    beast::flat_buffer buffer_;
    std::optional<Parser> parser_;
    Request head_;
    bool gzip_ = false;
    bhttp::response<bhttp::empty_body> continue_{bhttp::status::continue_, 11};
    bhttp::response<bhttp::string_body> response_;
    bool keep_alive_ = false;
    unsigned version_ = 11;
    std::shared_ptr<Session> handling_self_;
    std::array<char, 4096> drain_buffer_{};
    std::size_t drained_ = 0;
};

void PendingReply::deliver(Response response) noexcept {
    try {
        std::lock_guard lock(lifeline_->mutex);
        if (!lifeline_->alive) return;
        if (auto session = session_.lock()) session->post_reply(std::move(response));
    } catch (...) {  // allocation failure while posting: the session times out instead
    }
}

void ServerState::add_session(SessionBase* session, const std::shared_ptr<SessionBase>& shared,
                              bool overflow) {
    std::lock_guard lock(registry_mutex);
    sessions.emplace(session, shared);
    ++(overflow ? overflow_count : regular_count);
}

void ServerState::remove_session(SessionBase* session, bool overflow) {
    std::lock_guard lock(registry_mutex);
    sessions.erase(session);
    --(overflow ? overflow_count : regular_count);
}

std::vector<std::shared_ptr<SessionBase>> ServerState::live_sessions() {
    std::vector<std::weak_ptr<SessionBase>> weak;
    {
        std::lock_guard lock(registry_mutex);
        weak.reserve(sessions.size());
        for (const auto& entry : sessions) weak.push_back(entry.second);
    }
    // lock() outside the mutex: a failed race may run ~Session, which takes the mutex.
    std::vector<std::shared_ptr<SessionBase>> live;
    for (auto& w : weak) {
        if (auto s = w.lock()) live.push_back(std::move(s));
    }
    return live;
}

void ServerState::do_accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](const error_code& ec, tcp::socket socket) {
        on_accept(ec, std::move(socket));
    });
}

void ServerState::on_accept(const error_code& ec, tcp::socket socket) {
    if (stopping.load() || !acceptor.is_open()) return;
    if (ec) {
        log("http: accept failed: " + ec.message());
        if (ec == net::error::no_descriptors || ec == net::error::no_buffer_space ||
            ec == net::error::no_memory) {
            // Out of file descriptors: back off instead of spinning on the same error.
            accept_retry_timer.expires_after(std::chrono::milliseconds(100));
            accept_retry_timer.async_wait([this](const error_code& timer_ec) {
                if (!timer_ec && !stopping.load()) do_accept();
            });
            return;
        }
        return do_accept();
    }

    bool overflow = false;
    bool reject = false;
    {
        std::lock_guard lock(registry_mutex);
        if (regular_count >= options.max_connections) {
            overflow = true;
            reject = overflow_count >= kMaxOverflowSessions;
        }
    }
    if (reject) {
        error_code ignored;
        socket.close(ignored);
        log("http: connection limit reached, connection closed");
    } else {
        try {
            std::shared_ptr<SessionBase> session;
            if (options.tls)
                session = std::make_shared<Session<TlsStream>>(*this, std::move(socket), overflow,
                                                               current_tls_context());
            else
                session = std::make_shared<Session<PlainStream>>(*this, std::move(socket), overflow,
                                                                 nullptr);
            add_session(session.get(), session, overflow);
            if (overflow) log("http: connection limit reached, answering 503");
            session->start();
        } catch (const std::exception& e) {
            log(std::string("http: cannot start session: ") + e.what());
        }
    }
    do_accept();
}

void ServerState::begin_shutdown() {
    if (forced_close_done || grace_deadline != Clock::time_point{})
        return;  // already shutting down
    stopping.store(true);
    error_code ec;
    acceptor.close(ec);
    accept_retry_timer.cancel();
    for (auto& session : live_sessions()) session->post_server_stopping();
    grace_deadline = Clock::now() + options.shutdown_grace;
    log("http: stopping, waiting for in-flight requests");
    watch_shutdown();
}

void ServerState::watch_shutdown() {
    {
        std::lock_guard lock(registry_mutex);
        if (sessions.empty()) return;  // nothing keeps the io_context busy any more
    }
    const auto now = Clock::now();
    if (!forced_close_done && now >= grace_deadline) {
        forced_close_done = true;
        log("http: grace period over, closing remaining connections");
        for (auto& session : live_sessions()) session->post_force_close();
    } else if (forced_close_done && now >= grace_deadline + kForcedCloseWait) {
        log("http: connections did not unwind, stopping the event loop");
        ioc.stop();
        return;
    }
    shutdown_timer.expires_after(kShutdownPoll);
    shutdown_timer.async_wait([this](const error_code& ec) {
        if (!ec) watch_shutdown();
    });
}

}  // namespace

struct Server::Impl : ServerState {
    using ServerState::ServerState;
};

Server::Server(ServerOptions options, Handler& handler)
    : impl_(std::make_unique<Impl>(std::move(options), handler)) {}

Server::~Server() = default;

std::string Server::listen() {
    auto& impl = *impl_;
    const auto& host = impl.options.host;
    const std::string requested = host + ":" + std::to_string(impl.options.port);
    auto fail = [&](const error_code& ec, const char* what) -> std::system_error {
        return std::system_error(ec, "http: cannot " + std::string(what) + " " + requested);
    };
    if (impl.listening) throw std::logic_error("http: listen() called twice");
    if (impl.options.tls) {
        auto context = load_tls_context(*impl.options.tls);
        std::lock_guard lock(impl.tls_mutex);
        impl.tls_context = std::move(context);
    }

    error_code ec;
    net::ip::address address;
    if (host.empty() || host == "*") {
        address = net::ip::address_v4::any();
    } else if (host == "localhost") {
        address = net::ip::address_v4::loopback();
    } else {
        address = net::ip::make_address(host, ec);
        if (ec) {
            tcp::resolver resolver(impl.ioc);
            auto results = resolver.resolve(host, std::to_string(impl.options.port),
                                            tcp::resolver::passive, ec);
            if (ec || results.empty())
                throw fail(ec ? ec : error_code(net::error::host_not_found), "resolve");
            address = results.begin()->endpoint().address();
        }
    }
    const tcp::endpoint endpoint(address, impl.options.port);

    impl.acceptor.open(endpoint.protocol(), ec);
    if (ec) throw fail(ec, "open a socket for");
    impl.acceptor.set_option(net::socket_base::reuse_address(true), ec);
    if (ec) throw fail(ec, "set SO_REUSEADDR on");
    impl.acceptor.bind(endpoint, ec);
    if (ec) throw fail(ec, "bind");
    impl.acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec) throw fail(ec, "listen on");
    const auto local = impl.acceptor.local_endpoint(ec);
    if (ec) throw fail(ec, "read the bound port of");

    impl.listening = true;
    impl.bound_address = endpoint_string(local);
    impl.log("http: listening on " + impl.bound_address);
    return impl.bound_address;
}

void Server::reload_tls() {
    auto& impl = *impl_;
    if (!impl.options.tls) return;
    auto context = load_tls_context(*impl.options.tls);  // throws: the old one stays
    {
        std::lock_guard lock(impl.tls_mutex);
        impl.tls_context = std::move(context);
    }
    impl.log("http: TLS certificate reloaded");
}

void Server::run() {
    auto& impl = *impl_;
    if (impl.ran.exchange(true)) throw std::logic_error("http: run() called twice");
    if (!impl.listening) listen();
    net::post(impl.ioc, [&impl] {
        if (!impl.stopping.load()) impl.do_accept();
    });
    for (;;) {
        try {
            impl.ioc.run();
            break;
        } catch (const std::exception&
                     e) {  // completion handlers should not throw; keep serving if one does
            impl.log(std::string("http: event loop error: ") + e.what());
        }
    }
    impl.pool.join();
    // Replies posted by handlers after the loop ended find their sessions closed; run them so
    // their sessions are released now rather than when the Server is destroyed.
    impl.ioc.restart();
    impl.ioc.poll();
    impl.log("http: stopped");
}

void Server::stop() {
    auto& impl = *impl_;
    impl.stopping.store(true);
    net::post(impl.ioc, [&impl] { impl.begin_shutdown(); });
}

}  // namespace ofbridge::http
