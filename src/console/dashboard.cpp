// The dashboard: backlog, last message per entity, activity (SVG bars), the export queue,
// the Magento delivery state, alerts.
#include "console_impl.h"

namespace ofbridge::console {

namespace {

std::string age_text(double seconds) {
    const auto s = static_cast<std::int64_t>(seconds);
    if (s < 120) return std::to_string(s) + " s";
    if (s < 7200) return std::to_string(s / 60) + " min";
    if (s < 172800) return std::to_string(s / 3600) + " h";
    return std::to_string(s / 86400) + " days";
}

// Seconds from an ISO-8601 UTC stamp ("2026-11-23T09:00:00.123Z") to `now`; nullopt when the
// text is not one.
std::optional<double> seconds_since(const std::string& iso, Clock::time_point now) {
    std::tm tm{};
    if (iso.size() < 19 || !strptime(iso.substr(0, 19).c_str(), "%Y-%m-%dT%H:%M:%S", &tm))
        return std::nullopt;
    const auto then = Clock::from_time_t(timegm(&tm));
    return std::chrono::duration<double>(now - then).count();
}

// A bar chart per entity: received, applied, failed (server-side SVG, no script, no style).
std::string activity_svg(const std::vector<queue::EntityActivity>& rows) {
    std::int64_t top = 1;
    for (const auto& r : rows) top = std::max({top, r.received, r.applied, r.failed});
    const int bar = 18, gap = 40, height = 120, label = 30;
    const int width = std::max<int>(1, static_cast<int>(rows.size())) * (3 * bar + gap) + gap;
    std::string svg = "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                      std::to_string(width) + "\" height=\"" + std::to_string(height + label) +
                      "\" role=\"img\">";
    int x = gap;
    for (const auto& r : rows) {
        const std::pair<const char*, std::int64_t> bars[] = {
            {"received", r.received}, {"applied", r.applied}, {"failed", r.failed}};
        for (const auto& [cls, value] : bars) {
            const int h = static_cast<int>(value * (height - 15) / top);
            svg += "<rect class=\"" + std::string(cls) + "\" x=\"" + std::to_string(x) + "\" y=\"" +
                   std::to_string(height - h) + "\" width=\"" + std::to_string(bar) +
                   "\" height=\"" + std::to_string(h) + "\"><title>" + cls + ": " +
                   std::to_string(value) + "</title></rect>";
            svg += "<text x=\"" + std::to_string(x) + "\" y=\"" + std::to_string(height - h - 3) +
                   "\">" + std::to_string(value) + "</text>";
            x += bar;
        }
        // Entity names are one of kEntities (the queue's CHECKed spellings), never wire text.
        svg += "<text x=\"" + std::to_string(x - 3 * bar) + "\" y=\"" +
               std::to_string(height + 18) + "\">" + mustache::html_escape(r.entity) + "</text>";
        x += gap;
    }
    return svg + "</svg>";
}

}  // namespace

http::Response Console::Impl::dashboard(const AdminSession& session) {
    const auto now_tp = now();
    const auto stats = requests.queue_stats();
    mustache::data d;
    d.set("pending", str(stats.pending));
    d.set("processing", str(stats.processing));
    d.set("failed", str(stats.failed));
    d.set("dead", str(stats.dead));
    d.set("oldest",
          stats.oldest_pending_age_seconds ? age_text(*stats.oldest_pending_age_seconds) : "-");
    mustache::data alerts{mustache::data::type::list};
    if (stats.dead > 0)
        alerts.push_back(
            mustache::data(std::to_string(stats.dead) + " dead request(s): see Dead letters."));
    mustache::data last{mustache::data::type::list};
    std::optional<double> newest_age;
    for (const auto& r : requests.last_per_entity()) {
        const auto age = seconds_since(r.received_at, now_tp);
        if (age && (!newest_age || *age < *newest_age)) newest_age = age;
        mustache::data row;
        row.set("entity", r.entity);
        row.set("id", str(r.id));
        row.set("received_at", r.received_at);
        row.set("age", age ? age_text(*age) : "?");
        last.push_back(row);
    }
    if (options.quiet_minutes > 0 && (!newest_age || *newest_age > options.quiet_minutes * 60.0))
        alerts.push_back(mustache::data(
            "No WMS message for " + std::to_string(options.quiet_minutes) + " minutes or more."));
    mustache::data activity{mustache::data::type::list};
    mustache::data charts{mustache::data::type::list};
    const std::pair<const char*, std::chrono::hours> windows[] = {
        {"last hour", std::chrono::hours{1}}, {"last day", std::chrono::hours{24}}};
    for (const auto& [window, span] : windows) {
        const auto rows = requests.activity_since(storage::format_utc_millis(now_tp - span));
        for (const auto& r : rows) {
            mustache::data row;
            row.set("window", window);
            row.set("entity", r.entity);
            row.set("received", str(r.received));
            row.set("applied", str(r.applied));
            row.set("failed", str(r.failed));
            activity.push_back(row);
        }
        mustache::data chart;
        chart.set("caption", std::string("Received, applied, failed: ") + window);
        chart.set("svg", activity_svg(rows));
        charts.push_back(chart);
    }
    // Export queue: shown once anything was ever queued for export.
    mustache::data export_rows{mustache::data::type::list};
    std::int64_t failed_exports = 0;
    for (const auto& c : exports.queue_counts()) {
        if (c.pending + c.queued + c.exported + c.failed + c.cancelled == 0) continue;
        mustache::data row;
        row.set("entity", c.entity);
        row.set("pending", str(c.pending));
        row.set("queued", str(c.queued));
        row.set("exported", str(c.exported));
        row.set("failed", str(c.failed));
        row.set("cancelled", str(c.cancelled));
        export_rows.push_back(row);
        failed_exports += c.failed;
    }
    if (!export_rows.is_empty_list()) {
        mustache::data section;
        section.set("rows", export_rows);
        d.set("export_queue", section);
    }
    if (failed_exports > 0)
        alerts.push_back(
            mustache::data(std::to_string(failed_exports) + " failed export(s): see Exports."));
    // Magento delivery: shown once a magento2 store staged its first delivery.
    mustache::data delivery_rows{mustache::data::type::list};
    for (const auto& s : outbox.delivery_state()) {
        mustache::data row;
        row.set("store", s.store_code);
        row.set("waiting", str(s.waiting));
        row.set("failed", str(s.failed));
        row.set("max_attempts", str(s.max_attempts));
        std::string due = "-";
        if (!s.oldest_due_at.empty()) {
            const auto age = seconds_since(s.oldest_due_at, now_tp);
            due = !age ? s.oldest_due_at : *age >= 0 ? age_text(*age) : "not yet due";
        }
        row.set("oldest_due", due);
        delivery_rows.push_back(row);
        if (s.failed > 0)
            alerts.push_back(mustache::data(
                std::to_string(s.failed) + " Magento deliver" + (s.failed == 1 ? "y" : "ies") +
                " of store " + s.store_code + " refused: see `ofbridge outbox list`."));
    }
    if (!delivery_rows.is_empty_list()) {
        mustache::data section;
        section.set("rows", delivery_rows);
        d.set("magento", section);
    }
    d.set("alerts", alerts);
    d.set("last", last);
    d.set("activity", activity);
    d.set("charts", charts);
    return page(200, "Dashboard", render("dashboard", d), &session);
}

}  // namespace ofbridge::console
