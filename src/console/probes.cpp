// /readyz and /metrics: counts for probes and scrapers, no login, no data.
#include "console_impl.h"

namespace ofbridge::console {

http::Response Console::Impl::readiness() {
    try {
        (void)requests.queue_stats();
        auto done = std::make_shared<std::promise<std::error_code>>();
        auto result = done->get_future();
        storage::WriteJob job;
        job.run = [](storage::sqlite::Database&, std::uint64_t) { return false; };
        job.done = [done](std::error_code ec) { done->set_value(ec); };
        options.writer->submit(std::move(job));
        if (result.wait_for(std::chrono::seconds(2)) != std::future_status::ready)
            return json_error(503, "the writer did not commit within 2 s");
        if (const auto ec = result.get()) return json_error(503, "the writer: " + ec.message());
    } catch (const std::exception& e) {
        return json_error(503, std::string("the store: ") + e.what());
    }
    return json_response(200, "{\"status\":\"ready\"}\n");
}

http::Response Console::Impl::metrics() {
    const auto stats = requests.queue_stats();
    std::string text =
        "# HELP ofbridge_queue_requests Stored requests by state.\n"
        "# TYPE ofbridge_queue_requests gauge\n";
    const std::pair<const char*, std::int64_t> states[] = {{"pending", stats.pending},
                                                           {"processing", stats.processing},
                                                           {"failed", stats.failed},
                                                           {"dead", stats.dead}};
    for (const auto& [state, count] : states)
        text += "ofbridge_queue_requests{state=\"" + std::string(state) + "\"} " +
                std::to_string(count) + "\n";
    text +=
        "# HELP ofbridge_queue_oldest_pending_seconds Age of the oldest pending request.\n"
        "# TYPE ofbridge_queue_oldest_pending_seconds gauge\n"
        "ofbridge_queue_oldest_pending_seconds " +
        std::to_string(stats.oldest_pending_age_seconds.value_or(0.0)) + "\n";
    std::error_code ec;
    const auto wal = std::filesystem::file_size(options.database.string() + "-wal", ec);
    text +=
        "# HELP ofbridge_wal_bytes Size of the database's write-ahead log.\n"
        "# TYPE ofbridge_wal_bytes gauge\n"
        "ofbridge_wal_bytes " +
        std::to_string(ec ? 0 : wal) + "\n";
    if (options.process_metrics) text += options.process_metrics();
    http::Response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = std::move(text);
    return r;
}

}  // namespace ofbridge::console
