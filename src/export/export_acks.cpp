// ExportAcks: the WMS's acknowledgements applied to export_items (see export_acks.h).
#include "ofbridge/export/export_acks.h"

#include <algorithm>
#include <cctype>

#include "ofbridge/storage/sqlite/database.h"

namespace ofbridge::exporting {

using storage::sqlite::ResetOnExit;

namespace {

bool all_digits(std::string_view text) {
    return !text.empty() && text.size() <= 18 &&
           std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
}

std::string noun(std::string_view entity) {
    return entity == "order" ? "order" : "product";
}

}  // namespace

ExportAcks::ExportAcks(storage::sqlite::Database& db)
    : db_(db),
      item_(db,
            "SELECT reference, status, version, coalesce(fetched_at, ''), coalesce(queued_at, '')"
            " FROM export_items"
            " WHERE entity = ?1 AND reference = ?2"),
      order_by_entity_id_(db, "SELECT increment_id FROM orders WHERE entity_id = ?1"),
      exported_(db,
                "UPDATE export_items SET status = 'exported', exported_at = ?4, updated_at = ?4,"
                " version = version + 1, attempts = 0, last_error = '', next_attempt_at = NULL"
                " WHERE entity = ?1 AND reference = ?2 AND version = ?3"
                " AND status IN ('queued', 'failed')"),
      fetched_(db,
               "UPDATE export_items SET status = 'exported', exported_at = ?4, updated_at = ?4,"
               " fetched_at = ?4, version = version + 1, attempts = 0, last_error = '',"
               " next_attempt_at = NULL"
               " WHERE entity = ?1 AND reference = ?2 AND version = ?3"
               " AND status IN ('pending', 'queued', 'failed')") {}

bool ExportAcks::mark_exported(std::string_view entity, std::string_view reference,
                               std::int64_t version, const std::string& now_text) {
    fetched_.bind(1, entity).bind(2, reference).bind(3, version).bind(4, now_text).run();
    return db_.changes() == 1;
}

AckOutcome ExportAcks::acknowledge(std::string_view entity, std::string_view reference,
                                   const std::string& now_text) {
    AckOutcome out;
    out.reference = std::string(reference);
    std::string status, fetched_at, queued_at;
    std::int64_t version = 0;
    const auto find = [&](std::string_view ref) {
        ResetOnExit reset(item_);
        item_.bind(1, entity).bind(2, ref);
        if (!item_.step()) return false;
        out.reference = item_.column_text(0);
        status = item_.column_text(1);
        version = item_.column_int64(2);
        fetched_at = item_.column_text(3);
        queued_at = item_.column_text(4);
        return true;
    };
    bool found = find(reference);
    if (!found && entity == "order" && all_digits(reference)) {
        std::string increment_id;
        {
            ResetOnExit reset(order_by_entity_id_);
            order_by_entity_id_.bind(1, std::stoll(std::string(reference)));
            if (order_by_entity_id_.step()) increment_id = order_by_entity_id_.column_text(0);
        }
        if (!increment_id.empty()) found = find(increment_id);
    }
    if (!found) {
        out.result = domain::LineResult::failure;
        out.message = "unknown " + noun(entity) + " '" + std::string(reference) + "'";
        return out;
    }
    const auto name = noun(entity) + " " + out.reference;
    // Fetched through the broker, then changed and notified again: this call names the older
    // fetch (it carries no version), so the newer content waits for the WMS's next fetch.
    if (status == "queued" && !fetched_at.empty() && fetched_at < queued_at) {
        out.result = domain::LineResult::superseded;
        out.message = name +
                      " changed since the WMS fetched it; it stays queued until the WMS "
                      "fetches the new content";
        return out;
    }
    if (status == "queued" || status == "failed") {
        exported_.bind(1, entity).bind(2, out.reference).bind(3, version).bind(4, now_text).run();
        if (db_.changes() == 1) {
            out.result = domain::LineResult::success;
            out.message = name + " exported";
            return out;
        }
        status = "changed";  // not reachable inside one transaction; reported, not guessed
    }
    if (status == "exported") {
        out.result = domain::LineResult::duplicate;
        out.message = name + " was already exported";
    } else if (status == "pending" || status == "changed") {
        out.result = domain::LineResult::superseded;
        out.message = name + " changed since it was notified; it stays pending";
    } else {
        out.result = domain::LineResult::failure;
        out.message = name + " is " + status + "; nothing to export";
    }
    return out;
}

}  // namespace ofbridge::exporting
