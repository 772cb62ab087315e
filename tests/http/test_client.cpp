// Raw-socket client used by the HTTP listener tests (see test_client.h for why it exists).
#include "test_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace ofbridge::http::test {
namespace {

using Clock = std::chrono::steady_clock;

bool iequal(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
        if (iequal(key, name)) return value;
    }
    return {};
}

bool HttpResponse::has_header(std::string_view name) const {
    return std::any_of(headers.begin(), headers.end(),
                       [&](const auto& h) { return iequal(h.first, name); });
}

TestClient::TestClient(std::uint16_t port, const std::string& host) {
    sockaddr_storage storage{};
    socklen_t length = 0;
    int family = AF_INET;
    if (host.find(':') != std::string::npos) {
        family = AF_INET6;
        sockaddr_in6 address{};
        address.sin6_family = AF_INET6;
        address.sin6_port = htons(port);
        if (inet_pton(AF_INET6, host.c_str(), &address.sin6_addr) != 1)
            throw std::invalid_argument("bad host " + host);
        std::memcpy(&storage, &address, sizeof address);
        length = sizeof address;
    } else {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        if (inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1)
            throw std::invalid_argument("bad host " + host);
        std::memcpy(&storage, &address, sizeof address);
        length = sizeof address;
    }
    fd_ = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "socket");
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&storage), length) != 0) {
        const int error = errno;
        ::close(fd_);
        fd_ = -1;
        throw std::system_error(error, std::generic_category(),
                                "connect to " + host + ":" + std::to_string(port));
    }
}

TestClient::~TestClient() {
    close();
}

void TestClient::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

bool TestClient::send(std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

TestClient::Fill TestClient::fill(Clock::time_point deadline) {
    for (;;) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) return Fill::Timeout;
        pollfd p{fd_, POLLIN, 0};
        const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR) continue;
        if (ready == 0) return Fill::Timeout;
        char chunk[8192];
        const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return Fill::Closed;
        buffer_.append(chunk, static_cast<std::size_t>(n));
        return Fill::Data;
    }
}

std::optional<HttpResponse> TestClient::read_response(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    std::size_t header_end = std::string::npos;
    while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
        if (fill(deadline) != Fill::Data) return std::nullopt;
    }

    HttpResponse response;
    std::string_view head(buffer_.data(), header_end);
    const auto line_end = head.find("\r\n");
    const std::string_view status_line = head.substr(0, line_end);
    const auto first_space = status_line.find(' ');
    if (first_space == std::string_view::npos) return std::nullopt;
    response.version = std::string(status_line.substr(0, first_space));
    response.status = std::stoi(std::string(status_line.substr(first_space + 1, 3)));
    std::string_view rest =
        line_end == std::string_view::npos ? std::string_view{} : head.substr(line_end + 2);
    while (!rest.empty()) {
        const auto end = rest.find("\r\n");
        const std::string_view line = rest.substr(0, end);
        const auto colon = line.find(':');
        if (colon != std::string_view::npos) {
            response.headers.emplace_back(std::string(line.substr(0, colon)),
                                          std::string(trim(line.substr(colon + 1))));
        }
        if (end == std::string_view::npos) break;
        rest.remove_prefix(end + 2);
    }

    std::size_t body_length = 0;
    if (response.has_header("Content-Length"))
        body_length = std::stoul(response.header("Content-Length"));
    const std::size_t body_start = header_end + 4;
    while (buffer_.size() < body_start + body_length) {
        if (fill(deadline) != Fill::Data) return std::nullopt;
    }
    response.body = buffer_.substr(body_start, body_length);
    buffer_.erase(0, body_start + body_length);
    return response;
}

bool TestClient::wait_closed(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        switch (fill(deadline)) {
            case Fill::Closed:
                return true;
            case Fill::Timeout:
                return false;
            case Fill::Data:
                buffer_.clear();
                break;
        }
    }
}

std::string make_post(std::string_view target, std::string_view body,
                      std::string_view extra_headers) {
    std::string request = "POST " + std::string(target) + " HTTP/1.1\r\nHost: test.local\r\n";
    request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    request += extra_headers;
    request += "\r\n";
    request += body;
    return request;
}

}  // namespace ofbridge::http::test
