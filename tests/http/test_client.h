// A tiny blocking HTTP/1.x client over raw POSIX sockets for the listener tests: it sends exact
// bytes (so tests can send malformed, trickled or pipelined requests) and parses just enough of
// a response (status line, headers, Content-Length body) to assert on. No Beast here, to keep
// the test build light.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ofbridge::http::test {

struct HttpResponse {
    std::string version;  // "HTTP/1.1"
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;

    // Value of the first header with this name (case-insensitive), or "" when absent.
    std::string header(std::string_view name) const;
    bool has_header(std::string_view name) const;
};

class TestClient {
public:
    // Connects to host:port (IPv4 or IPv6 literal); throws std::system_error on failure.
    explicit TestClient(std::uint16_t port, const std::string& host = "127.0.0.1");
    ~TestClient();
    TestClient(const TestClient&) = delete;
    TestClient& operator=(const TestClient&) = delete;

    // Sends every byte; false if the peer is gone (no SIGPIPE).
    bool send(std::string_view bytes);

    // Reads one response (an interim 1xx counts as one). nullopt if the connection closed or
    // the timeout passed before a complete response arrived.
    std::optional<HttpResponse> read_response(
        std::chrono::milliseconds timeout = std::chrono::seconds(3));

    // True when the peer closes (EOF or reset) within the timeout; discards data read meanwhile.
    bool wait_closed(std::chrono::milliseconds timeout);

    // Closes our side now.
    void close();

private:
    enum class Fill { Data, Closed, Timeout };
    Fill fill(std::chrono::steady_clock::time_point deadline);

    int fd_ = -1;
    std::string buffer_;
};

// "POST <target> HTTP/1.1" with Host and Content-Length, plus extra header lines ("Name:
// value\r\n").
std::string make_post(std::string_view target, std::string_view body,
                      std::string_view extra_headers = {});

}  // namespace ofbridge::http::test
