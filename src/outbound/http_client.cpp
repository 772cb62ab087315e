// HttpClient (see http_client.h). Each send() runs one C++20 coroutine on the client's own
// io_context until it is done: resolve and connect (or take a pooled connection), TLS
// handshake, write, read. Beast does all HTTP parsing; every step has its deadline.
#include "ofbridge/outbound/http_client.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <map>
#include <mutex>
#include <optional>

namespace ofbridge::outbound {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

struct Target {
    bool tls = false;
    std::string host;         // for resolving and SNI (IPv6 without brackets)
    std::string port;         // explicit or the scheme's
    std::string host_header;  // as the URL has it, with a non-default port
    std::string path;         // path + query
    std::string origin() const { return (tls ? "https://" : "http://") + host + ":" + port; }
};

std::optional<Target> parse_target(const std::string& url, std::string& why) {
    auto parsed = boost::urls::parse_absolute_uri(url);
    if (!parsed) {
        why = "not an absolute URL: " + url;
        return std::nullopt;
    }
    const auto& u = *parsed;
    Target t;
    if (u.scheme() == "https")
        t.tls = true;
    else if (u.scheme() != "http") {
        why = "unsupported scheme '" + std::string(u.scheme()) + "' (http or https)";
        return std::nullopt;
    }
    if (u.has_userinfo()) {
        why = "credentials in the URL are not sent; use headers";
        return std::nullopt;
    }
    std::string host(u.encoded_host());
    if (host.empty()) {
        why = "no host in " + url;
        return std::nullopt;
    }
    t.host_header = host;
    if (host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    t.host = host;
    t.port = u.has_port() ? std::string(u.port()) : (t.tls ? "443" : "80");
    if (u.has_port()) t.host_header += ":" + t.port;
    t.path = std::string(u.encoded_path());
    if (t.path.empty()) t.path = "/";
    if (u.has_query()) t.path += "?" + std::string(u.encoded_query());
    return t;
}

struct Connection {
    std::unique_ptr<beast::tcp_stream> plain;
    std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
    beast::flat_buffer buffer;
    beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
};

// A reused connection that fails before any byte of the reply was most likely closed by the
// server while idle, but the server may also have read the request, acted on it and dropped the
// connection before answering: nothing on the client tells the two apart.
bool stale_connection(const error_code& ec) {
    return ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
           ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
           ec == asio::ssl::error::stream_truncated;
}

// So only a request whose method is idempotent (RFC 9110 §9.2.2) is sent again by itself; a POST
// (a shipment, an export) comes back as an error and its caller decides, knowing what it meant.
bool idempotent(std::string_view method) {
    return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" ||
           method == "OPTIONS";
}

}  // namespace

struct HttpClient::Impl {
    explicit Impl(ClientOptions o) : options(std::move(o)), tls_context(ssl::context::tls_client) {
        tls_context.set_verify_mode(ssl::verify_peer);
        if (options.tls_ca_file.empty())
            tls_context.set_default_verify_paths();
        else
            tls_context.load_verify_file(options.tls_ca_file.string());  // throws when unreadable
    }

    ClientOptions options;
    asio::io_context io;
    ssl::context tls_context;
    std::map<std::string, std::vector<std::unique_ptr<Connection>>> idle;
    mutable std::mutex mutex;
    std::size_t opened = 0;
    std::atomic<bool> cancelled{false};
    Connection* current = nullptr;  // the connection in use, touched on the io thread only

    asio::awaitable<error_code> connect(Connection& c, const Target& t, std::string& what) {
        error_code ec;
        // The resolver has no deadline of its own: a timer cancels it.
        struct ResolveState {
            explicit ResolveState(asio::io_context& io) : resolver(io), timer(io) {}
            tcp::resolver resolver;
            asio::steady_timer timer;
            bool timed_out = false;
        };
        auto state = std::make_shared<ResolveState>(io);
        state->timer.expires_after(options.connect_timeout);
        state->timer.async_wait([state](const error_code& e) {
            if (!e) {
                state->timed_out = true;
                state->resolver.cancel();
            }
        });
        auto endpoints = co_await state->resolver.async_resolve(
            t.host, t.port, asio::redirect_error(asio::use_awaitable, ec));
        state->timer.cancel();
        if (ec) {
            what = "resolve " + t.host;
            co_return state->timed_out ? error_code(asio::error::timed_out) : ec;
        }
        if (t.tls)
            c.tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(io, tls_context);
        else
            c.plain = std::make_unique<beast::tcp_stream>(io);
        c.lowest().expires_after(options.connect_timeout);
        co_await c.lowest().async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            what = "connect to " + t.host + ":" + t.port;
            co_return ec;
        }
        ++opened;
        if (t.tls) {
            // SSL_set_tlsext_host_name, without the macro's C cast.
            if (!::SSL_ctrl(c.tls->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME,
                            TLSEXT_NAMETYPE_host_name, const_cast<char*>(t.host.c_str()))) {
                what = "TLS server name " + t.host;
                co_return error_code(static_cast<int>(::ERR_get_error()),
                                     asio::error::get_ssl_category());
            }
            c.tls->set_verify_callback(ssl::host_name_verification(t.host));
            co_await c.tls->async_handshake(ssl::stream_base::client,
                                            asio::redirect_error(asio::use_awaitable, ec));
            if (ec) {
                what = "TLS handshake with " + t.host + ":" + t.port;
                co_return ec;
            }
        }
        co_return error_code{};
    }

    // One exchange on `c`. `got_reply_bytes` says whether any of the reply had arrived.
    asio::awaitable<error_code> exchange(Connection& c, const Target& t, const Request& request,
                                         Response& response, bool& got_reply_bytes,
                                         std::string& what) {
        error_code ec;
        bhttp::request<bhttp::string_body> out{bhttp::string_to_verb(request.method), t.path, 11};
        if (out.method() == bhttp::verb::unknown) out.method_string(request.method);
        out.set(bhttp::field::host, t.host_header);
        out.set(bhttp::field::user_agent, options.user_agent);
        for (const auto& [name, value] : request.headers) out.set(name, value);
        out.body() = request.body;
        out.prepare_payload();
        // One deadline for the whole exchange: writing the request and reading all of the reply.
        c.lowest().expires_after(options.read_timeout);
        if (c.tls)
            co_await bhttp::async_write(*c.tls, out, asio::redirect_error(asio::use_awaitable, ec));
        else
            co_await bhttp::async_write(*c.plain, out,
                                        asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            what = "send to " + t.origin();
            co_return ec;
        }
        bhttp::response_parser<bhttp::string_body> parser;
        parser.body_limit(options.max_response_bytes);
        parser.header_limit(64 * 1024);
        if (c.tls)
            co_await bhttp::async_read(*c.tls, c.buffer, parser,
                                       asio::redirect_error(asio::use_awaitable, ec));
        else
            co_await bhttp::async_read(*c.plain, c.buffer, parser,
                                       asio::redirect_error(asio::use_awaitable, ec));
        got_reply_bytes = parser.got_some();
        if (ec) {
            what = "reply from " + t.origin();
            co_return ec;
        }
        auto& message = parser.get();
        response.status = static_cast<int>(message.result_int());
        for (const auto& field : message)
            response.headers.emplace_back(std::string(field.name_string()),
                                          std::string(field.value()));
        response.body = std::move(message.body());
        if (!message.keep_alive()) what = "close";  // not for the pool
        co_return error_code{};
    }

    asio::awaitable<void> run(const Request& request, Result& result) {
        std::string why;
        auto target = parse_target(request.url, why);
        if (!target) {
            result.error = std::make_error_code(std::errc::invalid_argument);
            result.error_text = why;
            co_return;
        }
        const auto origin = target->origin();
        for (int attempt = 0; attempt < 2; ++attempt) {
            if (cancelled) {
                result.error = std::make_error_code(std::errc::operation_canceled);
                result.error_text = "cancelled";
                co_return;
            }
            std::unique_ptr<Connection> c;
            auto& pool = idle[origin];
            const bool reused = attempt == 0 && !pool.empty() && !request.once;
            if (reused) {
                c = std::move(pool.back());
                pool.pop_back();
            } else {
                c = std::make_unique<Connection>();
            }
            current = c.get();  // for cancel()
            struct Forget {
                Connection*& slot;
                ~Forget() { slot = nullptr; }
            } forget{current};
            if (!reused) {
                std::string what;
                if (auto ec = co_await connect(*c, *target, what)) {
                    result.error = ec;
                    result.error_text = what + ": " + ec.message();
                    co_return;
                }
            }
            result.reused_connection = reused;
            bool got_reply_bytes = false;
            std::string what;
            result.response = {};
            auto ec =
                co_await exchange(*c, *target, request, result.response, got_reply_bytes, what);
            if (ec && reused && !got_reply_bytes && stale_connection(ec) &&
                idempotent(request.method))
                continue;
            if (ec) {
                result.error = ec;
                result.error_text = what + ": " + ec.message();
                co_return;
            }
            result.error = {};
            if (what != "close" && pool.size() < options.max_idle_per_origin) {
                c->lowest().expires_never();
                pool.push_back(std::move(c));
            }
            co_return;
        }
    }
};

std::string basic_authorization(const std::string& user, const std::string& password) {
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const std::string in = user + ":" + password;
    std::string out = "Basic ";
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        const unsigned n = (static_cast<unsigned char>(in[i]) << 16) |
                           (static_cast<unsigned char>(in[i + 1]) << 8) |
                           static_cast<unsigned char>(in[i + 2]);
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        out += alphabet[(n >> 6) & 63];
        out += alphabet[n & 63];
    }
    if (i + 1 == in.size()) {
        const unsigned n = static_cast<unsigned char>(in[i]) << 16;
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        out += "==";
    } else if (i + 2 == in.size()) {
        const unsigned n = (static_cast<unsigned char>(in[i]) << 16) |
                           (static_cast<unsigned char>(in[i + 1]) << 8);
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        out += alphabet[(n >> 6) & 63];
        out += '=';
    }
    return out;
}

HttpClient::HttpClient(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
HttpClient::~HttpClient() = default;

Result HttpClient::send(const Request& request) {
    std::lock_guard lock(impl_->mutex);
    Result result;
    if (impl_->cancelled) {
        result.error = std::make_error_code(std::errc::operation_canceled);
        result.error_text = "cancelled";
        return result;
    }
    impl_->io.restart();
    asio::co_spawn(impl_->io, impl_->run(request, result), [&result](std::exception_ptr e) {
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            result.error = std::make_error_code(std::errc::io_error);
            result.error_text = ex.what();
        }
    });
    impl_->io.run();
    return result;
}

void HttpClient::cancel() {
    impl_->cancelled = true;
    // Runs on the thread inside send() (or at the start of the next one): closing the socket
    // completes its pending operation with an error at once.
    asio::post(impl_->io, [impl = impl_.get()] {
        if (impl->current && (impl->current->plain || impl->current->tls)) {
            error_code ignored;
            impl->current->lowest().socket().close(ignored);
        }
    });
}

std::size_t HttpClient::idle_connections() const {
    std::lock_guard lock(impl_->mutex);
    std::size_t n = 0;
    for (const auto& [origin, pool] : impl_->idle) n += pool.size();
    return n;
}

std::size_t HttpClient::connections_opened() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->opened;
}

}  // namespace ofbridge::outbound
