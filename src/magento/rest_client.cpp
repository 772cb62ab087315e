// RestClient (see rest_client.h): one outbound::HttpClient per call in flight, taken from a
// small pool; the bearer token is shared by all of them and replaced under a mutex, so a 401 seen
// by several calls at once fetches one new token, not several.
#include "ofbridge/magento/rest_client.h"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <condition_variable>
#include <ctime>
#include <mutex>
#include <vector>

#include "ofbridge/outbound/http_client.h"

namespace ofbridge::magento {
namespace {

constexpr std::size_t max_message = 2000;

std::string cut(std::string text) {
    if (text.size() > max_message) {
        text.resize(max_message);
        text += "...";
    }
    return text;
}

std::string json_scalar_text(const boost::json::value& v) {
    if (v.is_string()) return std::string(v.get_string());
    if (v.is_null()) return {};
    return boost::json::serialize(v);
}

// "%1" / "%name" filled from `parameters` (an array: %1 is its first element; an object: by
// key). An unknown placeholder stays as written.
std::string fill(std::string_view text, const boost::json::value* parameters) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%' || !parameters) {
            out += text[i];
            continue;
        }
        std::size_t j = i + 1;
        while (j < text.size() &&
               (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '_'))
            ++j;
        const std::string name(text.substr(i + 1, j - i - 1));
        const boost::json::value* found = nullptr;
        if (!name.empty()) {
            if (parameters->is_array()) {
                const bool numeric = name.find_first_not_of("0123456789") == std::string::npos;
                if (numeric) {
                    const auto index = std::stoul(name);
                    if (index >= 1 && index <= parameters->get_array().size())
                        found = &parameters->get_array()[index - 1];
                }
            } else if (parameters->is_object()) {
                found = parameters->get_object().if_contains(name);
            }
        }
        if (found) {
            out += json_scalar_text(*found);
            i = j - 1;
        } else {
            out += '%';
        }
    }
    return out;
}

std::string nonce() {
    unsigned char bytes[16];
    RAND_bytes(bytes, sizeof bytes);
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char b : bytes) {
        out += hex[b >> 4];
        out += hex[b & 15];
    }
    return out;
}

std::string header(const outbound::Headers& headers, std::string_view name) {
    for (const auto& [n, v] : headers)
        if (n.size() == name.size() &&
            std::equal(n.begin(), n.end(), name.begin(),
                       [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
            return v;
    return {};
}

}  // namespace

std::string error_message(int status, std::string_view body) {
    boost::system::error_code ec;
    const auto parsed = boost::json::parse(body, ec);
    if (ec || !parsed.is_object() || !parsed.get_object().contains("message") ||
        !parsed.get_object().at("message").is_string()) {
        std::string text = "HTTP " + std::to_string(status);
        if (!body.empty()) text += ": " + std::string(body);
        return cut(std::move(text));
    }
    const auto& object = parsed.get_object();
    std::string text = fill(object.at("message").get_string(), object.if_contains("parameters"));
    if (const auto* errors = object.if_contains("errors"); errors && errors->is_array()) {
        const auto& list = errors->get_array();
        if (list.size() > 1)
            for (const auto& e : list)
                if (e.is_object())
                    if (const auto* m = e.get_object().if_contains("message"); m && m->is_string())
                        text +=
                            "\n" + fill(m->get_string(), e.get_object().if_contains("parameters"));
    }
    return cut(std::move(text));
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now) {
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    if (value.empty()) return std::nullopt;
    if (value.find_first_not_of("0123456789") == std::string_view::npos) {
        if (value.size() > 9) return std::chrono::seconds{86'400};
        return std::chrono::seconds{std::stol(std::string(value))};
    }
    std::tm tm{};
    const std::string text(value);
    const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (!end || *end != '\0') return std::nullopt;
    const auto at = std::chrono::system_clock::from_time_t(timegm(&tm));
    const auto delay = std::chrono::duration_cast<std::chrono::seconds>(at - now);
    return delay.count() < 0 ? std::chrono::seconds{0} : delay;
}

struct RestClient::Impl {
    explicit Impl(ClientSettings s) : settings(std::move(s)) {
        outbound::ClientOptions options;
        options.connect_timeout = settings.timeout;
        options.read_timeout = settings.timeout;
        options.tls_ca_file = settings.tls_ca_file;
        options.max_idle_per_origin = 1;
        options.user_agent = "ofbridge-magento";
        for (unsigned i = 0; i < std::max(1u, settings.concurrency); ++i)
            idle.push_back(std::make_shared<outbound::HttpClient>(options));
        all = idle;
        token = settings.token;
    }

    std::string prefix() const {
        return settings.base_url + "rest/" + settings.store_code + "/V1/";
    }

    std::shared_ptr<outbound::HttpClient> take() {
        std::unique_lock lock(pool_mutex);
        pool_free.wait(lock, [&] { return !idle.empty(); });
        auto client = idle.back();
        idle.pop_back();
        return client;
    }

    void give_back(std::shared_ptr<outbound::HttpClient> client) {
        {
            std::lock_guard lock(pool_mutex);
            idle.push_back(std::move(client));
        }
        pool_free.notify_one();
    }

    bool can_refresh() const { return !settings.oauth && !settings.username.empty(); }

    // A new admin token, unless another call replaced `seen` meanwhile. False when Magento
    // refused or could not be reached (`why` says what happened).
    bool refresh(outbound::HttpClient& client, const std::string& seen, std::string& why,
                 int* status = nullptr) {
        std::lock_guard lock(token_mutex);
        if (token != seen && !token.empty()) return true;
        boost::json::object credentials{{"username", settings.username},
                                        {"password", settings.password}};
        outbound::Request request;
        request.method = "POST";
        request.url = prefix() + "integration/admin/token";
        request.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
        request.body = boost::json::serialize(credentials);
        const auto result = client.send(request);
        if (!result.ok()) {
            why = "admin token: " + result.error_text;
            return false;
        }
        if (status) *status = result.response.status;
        if (result.response.status != 200) {
            why = "admin token: " + error_message(result.response.status, result.response.body);
            return false;
        }
        boost::system::error_code ec;
        const auto parsed = boost::json::parse(result.response.body, ec);
        if (ec || !parsed.is_string() || parsed.get_string().empty()) {
            why = "admin token: the reply is not a token";
            return false;
        }
        token = std::string(parsed.get_string());
        ++refreshes;
        spdlog::info("magento {}: new admin token issued for user {}", settings.base_url,
                     settings.username);
        return true;
    }

    std::string current_token() {
        std::lock_guard lock(token_mutex);
        return token;
    }

    outbound::Result send_once(outbound::HttpClient& client, std::string_view method,
                               const std::string& url, std::string_view body,
                               const std::string& bearer, bool once) {
        outbound::Request request;
        request.once = once;
        request.method = std::string(method);
        request.url = url;
        request.headers = {{"Accept", "application/json"}};
        if (!body.empty()) request.headers.emplace_back("Content-Type", "application/json");
        if (settings.oauth)
            request.headers.emplace_back("Authorization",
                                         oauth_authorization(method, url, *settings.oauth, nonce(),
                                                             std::to_string(std::time(nullptr))));
        else if (!bearer.empty())
            request.headers.emplace_back("Authorization", "Bearer " + bearer);
        request.body = std::string(body);
        return client.send(request);
    }

    Reply call(std::string_view method, std::string_view path, std::string_view body, bool once) {
        const std::string url = prefix() + std::string(path);
        auto client = take();
        struct Return {
            Impl& impl;
            std::shared_ptr<outbound::HttpClient>& client;
            ~Return() { impl.give_back(std::move(client)); }
        } give_back_on_exit{*this, client};

        std::string bearer = current_token();
        Reply reply;
        if (bearer.empty() && can_refresh()) {
            std::string why;
            int status = 0;
            if (!refresh(*client, bearer, why, &status)) {
                // No reply: unknown (retried); a refusal: Magento's status and words.
                reply.outcome = status == 0 ? Outcome::unknown : Outcome::unauthorized;
                reply.status = status;
                reply.message = why;
                return reply;
            }
            bearer = current_token();
        }
        auto result = send_once(*client, method, url, body, bearer, once);
        if (result.ok() && result.response.status == 401 && can_refresh()) {
            std::string why;
            if (refresh(*client, bearer, why))
                result = send_once(*client, method, url, body, current_token(), once);
            else
                spdlog::warn("magento {}: {}", settings.base_url, why);
        }
        if (!result.ok()) {
            reply.outcome = Outcome::unknown;
            reply.message = result.error_text;
            reply.sent_nothing = cancelled;
            return reply;
        }
        const int status = result.response.status;
        reply.status = status;
        reply.body = std::move(result.response.body);
        if (status >= 200 && status < 300) {
            reply.outcome = Outcome::ok;
            return reply;
        }
        reply.message = error_message(status, reply.body);
        if (status == 401)
            reply.outcome = Outcome::unauthorized;
        else if (status == 429 || status == 503)
            reply.outcome = Outcome::throttled;
        else if (status == 408 || status >= 500)
            reply.outcome = Outcome::unknown;
        else
            reply.outcome = Outcome::rejected;
        if (const auto value = header(result.response.headers, "Retry-After"); !value.empty())
            reply.retry_after = parse_retry_after(value, std::chrono::system_clock::now());
        return reply;
    }

    ClientSettings settings;
    std::mutex pool_mutex;
    std::condition_variable pool_free;
    std::vector<std::shared_ptr<outbound::HttpClient>> idle, all;
    std::mutex token_mutex;
    std::string token;
    std::atomic<std::size_t> refreshes{0};
    std::atomic<bool> cancelled{false};
};

RestClient::RestClient(ClientSettings settings)
    : impl_(std::make_unique<Impl>(std::move(settings))) {}

RestClient::~RestClient() = default;

Reply RestClient::call(std::string_view method, std::string_view path, std::string_view body,
                       bool once) {
    return impl_->call(method, path, body, once);
}

std::string RestClient::url(std::string_view path) const {
    return impl_->prefix() + std::string(path);
}

void RestClient::cancel() {
    impl_->cancelled = true;
    for (auto& client : impl_->all) client->cancel();
}

std::size_t RestClient::token_refreshes() const {
    return impl_->refreshes;
}

}  // namespace ofbridge::magento
