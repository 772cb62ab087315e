// The outbox's SQL (see outbox.h and schemas/sqlite/008_magento.sql). The worker's statements
// are prepared once per connection; the delivery loop's writes are rare by comparison (one per
// chunk or shipment) and prepare theirs per call.
#include "ofbridge/outbox/outbox.h"

#include <optional>

#include "ofbridge/storage/sqlite/database.h"

namespace ofbridge::outbox {

using storage::sqlite::ResetOnExit;
using storage::sqlite::Statement;

OutboxRepository::OutboxRepository(storage::sqlite::Database& db)
    : db_(db),
      store_of_request_(db, "SELECT store_code FROM requests WHERE id = ?1"),
      find_stock_(db,
                  "SELECT outbox_id, seq FROM magento_stock"
                  " WHERE store_code = ?1 AND sku = ?2 AND source = ?3"),
      update_stock_(db, "UPDATE magento_stock SET seq = ?2, qty = ?3 WHERE outbox_id = ?1"),
      // A waiting row keeps its schedule (a backoff is not cut short by new values); a
      // delivered or failed one is due at once.
      wake_stock_(db,
                  "UPDATE magento_outbox SET next_attempt_at = CASE WHEN state = 'waiting'"
                  " THEN next_attempt_at ELSE ?2 END, attempts = CASE WHEN state = 'waiting'"
                  " THEN attempts ELSE 0 END, state = 'waiting', updated_at = ?2"
                  " WHERE id = ?1"),
      insert_outbox_(db,
                     "INSERT INTO magento_outbox (store_code, kind, state, next_attempt_at,"
                     " created_at, updated_at) VALUES (?1, ?2, 'waiting', ?3, ?3, ?3)"),
      insert_stock_(db,
                    "INSERT INTO magento_stock (outbox_id, store_code, sku, source, seq, qty)"
                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)") {}

std::string OutboxRepository::store_of_request(std::int64_t request_id) {
    ResetOnExit reset(store_of_request_);
    store_of_request_.bind(1, request_id);
    return store_of_request_.step() ? store_of_request_.column_text(0) : std::string{};
}

void OutboxRepository::stage_stock(std::string_view store_code, std::string_view sku,
                                   std::string_view source, std::int64_t seq, std::int64_t qty,
                                   const std::string& now_text) {
    std::optional<std::int64_t> id;
    {
        ResetOnExit reset(find_stock_);
        find_stock_.bind(1, store_code).bind(2, sku).bind(3, source);
        if (find_stock_.step()) {
            if (find_stock_.column_int64(1) >= seq) return;  // never lower (a guard)
            id = find_stock_.column_int64(0);
        }
    }
    if (id) {
        update_stock_.bind(1, *id).bind(2, seq).bind(3, qty).run();
        wake_stock_.bind(1, *id).bind(2, now_text).run();
        return;
    }
    insert_outbox_.bind(1, store_code).bind(2, "stock").bind(3, now_text).run();
    const auto new_id = db_.last_insert_rowid();
    insert_stock_.bind(1, new_id).bind(2, store_code).bind(3, sku).bind(4, source).bind(5, seq);
    insert_stock_.bind(6, qty).run();
}

std::int64_t OutboxRepository::stage_shipment(const ShipmentIntent& intent,
                                              const std::string& now_text) {
    insert_outbox_.bind(1, intent.store_code).bind(2, "shipment").bind(3, now_text).run();
    const auto id = db_.last_insert_rowid();
    Statement insert(db_,
                     "INSERT INTO magento_shipments (outbox_id, request_id, order_increment_id,"
                     " order_entity_id, source, marker, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    insert.bind(1, id).bind(2, intent.request_id).bind(3, intent.order_increment_id);
    insert.bind(4, intent.order_entity_id).bind(5, intent.source).bind(6, intent.marker);
    insert.bind(7, intent.body).run();
    Statement sku(db_,
                  "INSERT OR IGNORE INTO magento_shipment_skus (outbox_id, store_code, sku, source)"
                  " VALUES (?1, ?2, ?3, ?4)");
    for (const auto& s : intent.skus)
        sku.bind(1, id).bind(2, intent.store_code).bind(3, s).bind(4, intent.source).run();
    return id;
}

Statement& OutboxRepository::prepared(std::optional<Statement>& slot, const char* sql) {
    if (!slot) slot.emplace(db_, sql);
    return *slot;
}

bool OutboxRepository::stock_delivered(std::int64_t id, std::int64_t seq,
                                       const std::string& now_text) {
    prepared(mark_delivered_,
             "UPDATE magento_stock SET delivered_seq = ?2 WHERE outbox_id = ?1"
             " AND (delivered_seq IS NULL OR delivered_seq < ?2)")
        .bind(1, id)
        .bind(2, seq)
        .run();
    prepared(set_delivered_,
             "UPDATE magento_outbox SET state = 'delivered', attempts = 0, message = '',"
             " delivered_at = ?2, updated_at = ?2 WHERE id = ?1 AND state = 'waiting'"
             " AND (SELECT seq FROM magento_stock WHERE outbox_id = ?1) = ?3")
        .bind(1, id)
        .bind(2, now_text)
        .bind(3, seq)
        .run();
    if (db_.changes() > 0) return true;
    make_due_now(id, now_text);
    return false;
}

std::size_t OutboxRepository::stock_delivered(
    const std::vector<std::pair<std::int64_t, std::int64_t>>& sent, const std::string& now_text) {
    if (sent.empty()) return 0;
    std::string json = "[";
    for (const auto& [id, seq] : sent) {
        if (json.size() > 1) json += ',';
        json += '[' + std::to_string(id) + ',' + std::to_string(seq) + ']';
    }
    json += ']';
    // v: the (id, seq) pairs sent. Same outcome per row as the single-row form above.
    constexpr const char* sent_rows =
        " (SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS seq"
        " FROM json_each(?1)) AS v";
    prepared(batch_mark_delivered_,
             (std::string("UPDATE magento_stock SET delivered_seq = v.seq FROM") + sent_rows +
              " WHERE magento_stock.outbox_id = v.id AND (magento_stock.delivered_seq IS NULL"
              " OR magento_stock.delivered_seq < v.seq)")
                 .c_str())
        .bind(1, json)
        .run();
    // Lost the compare-and-set (the key moved on meanwhile): its newer value is due now.
    prepared(batch_due_now_,
             (std::string("UPDATE magento_outbox SET next_attempt_at = ?2 FROM") + sent_rows +
              " JOIN magento_stock st ON st.outbox_id = v.id WHERE magento_outbox.id = v.id"
              " AND (magento_outbox.state <> 'waiting' OR st.seq <> v.seq)")
                 .c_str())
        .bind(1, json)
        .bind(2, now_text)
        .run();
    prepared(batch_set_delivered_,
             (std::string("UPDATE magento_outbox SET state = 'delivered', attempts = 0,"
                          " message = '', delivered_at = ?2, updated_at = ?2 FROM") +
              sent_rows +
              " JOIN magento_stock st ON st.outbox_id = v.id WHERE magento_outbox.id = v.id"
              " AND magento_outbox.state = 'waiting' AND st.seq = v.seq")
                 .c_str())
        .bind(1, json)
        .bind(2, now_text)
        .run();
    return static_cast<std::size_t>(db_.changes());
}

bool OutboxRepository::stock_refused(std::int64_t id, std::int64_t seq, std::string_view message,
                                     const std::string& now_text) {
    prepared(mark_refused_,
             "UPDATE magento_stock SET failed_seq = ?2, failed_message = ?3"
             " WHERE outbox_id = ?1 AND (failed_seq IS NULL OR failed_seq < ?2)")
        .bind(1, id)
        .bind(2, seq)
        .bind(3, message)
        .run();
    prepared(set_refused_,
             "UPDATE magento_outbox SET state = 'failed', message = ?3, updated_at = ?2"
             " WHERE id = ?1 AND state = 'waiting'"
             " AND (SELECT seq FROM magento_stock WHERE outbox_id = ?1) = ?4")
        .bind(1, id)
        .bind(2, now_text)
        .bind(3, message)
        .bind(4, seq)
        .run();
    if (db_.changes() > 0) return true;
    make_due_now(id, now_text);
    return false;
}

void OutboxRepository::make_due_now(std::int64_t id, const std::string& now_text) {
    prepared(due_now_, "UPDATE magento_outbox SET next_attempt_at = ?2 WHERE id = ?1")
        .bind(1, id)
        .bind(2, now_text)
        .run();
}

void OutboxRepository::retry_later(std::int64_t id, std::string_view message,
                                   const std::string& next_attempt_text,
                                   const std::string& now_text) {
    prepared(retry_later_,
             "UPDATE magento_outbox SET attempts = attempts + 1, message = ?2,"
             " next_attempt_at = ?3, updated_at = ?4 WHERE id = ?1 AND state = 'waiting'")
        .bind(1, id)
        .bind(2, message)
        .bind(3, next_attempt_text)
        .bind(4, now_text)
        .run();
}

void OutboxRepository::shipment_call_started(std::int64_t id, const std::string& now_text) {
    Statement s(db_,
                "UPDATE magento_shipments SET unknown_outcome = 1, resend_after = NULL"
                " WHERE outbox_id = ?1");
    s.bind(1, id).run();
    Statement touch(db_, "UPDATE magento_outbox SET updated_at = ?2 WHERE id = ?1");
    touch.bind(1, id).bind(2, now_text).run();
}

void OutboxRepository::shipment_delivered(std::int64_t id,
                                          std::optional<std::int64_t> magento_shipment_id,
                                          const std::string& now_text) {
    Statement s(db_,
                "UPDATE magento_shipments SET unknown_outcome = 0, resend_after = NULL,"
                " magento_shipment_id = ?2 WHERE outbox_id = ?1");
    s.bind(1, id).bind(2, magento_shipment_id).run();
    Statement done(db_,
                   "UPDATE magento_outbox SET state = 'delivered', attempts = 0, message = '',"
                   " delivered_at = ?2, updated_at = ?2 WHERE id = ?1");
    done.bind(1, id).bind(2, now_text).run();
    // MSI deducted the shipped units from the source: Magento's figure for those keys is now
    // below the WMS's, so their newest absolute value goes out again.
    Statement resend(db_,
                     "UPDATE magento_outbox SET state = 'waiting', attempts = 0,"
                     " next_attempt_at = ?2, updated_at = ?2 WHERE state = 'delivered' AND id IN"
                     " (SELECT st.outbox_id FROM magento_shipment_skus k JOIN magento_stock st"
                     " ON st.store_code = k.store_code AND st.sku = k.sku AND st.source = k.source"
                     " WHERE k.outbox_id = ?1)");
    resend.bind(1, id).bind(2, now_text).run();
}

void OutboxRepository::shipment_refused(std::int64_t id, std::string_view message,
                                        const std::string& now_text) {
    Statement s(db_,
                "UPDATE magento_shipments SET unknown_outcome = 0, resend_after = NULL"
                " WHERE outbox_id = ?1");
    s.bind(1, id).run();
    Statement failed(db_,
                     "UPDATE magento_outbox SET state = 'failed', message = ?3, updated_at = ?2"
                     " WHERE id = ?1");
    failed.bind(1, id).bind(2, now_text).bind(3, message).run();
}

void OutboxRepository::shipment_not_found_yet(std::int64_t id, const std::string& resend_after_text,
                                              const std::string& now_text) {
    Statement s(db_, "UPDATE magento_shipments SET resend_after = ?2 WHERE outbox_id = ?1");
    s.bind(1, id).bind(2, resend_after_text).run();
    Statement later(db_,
                    "UPDATE magento_outbox SET next_attempt_at = ?2, updated_at = ?3,"
                    " message = 'not found in Magento yet; looked for again before any re-send'"
                    " WHERE id = ?1 AND state = 'waiting'");
    later.bind(1, id).bind(2, resend_after_text).bind(3, now_text).run();
}

bool OutboxRepository::retry(std::int64_t id, const std::string& now_text) {
    Statement s(db_,
                "UPDATE magento_outbox SET state = 'waiting', attempts = 0, next_attempt_at = ?2,"
                " updated_at = ?2 WHERE id = ?1 AND state <> 'delivered'");
    s.bind(1, id).bind(2, now_text).run();
    return db_.changes() > 0;
}

std::vector<StockDue> select_due_stock(storage::sqlite::Database& db, std::string_view store_code,
                                       const std::string& now_text, std::size_t limit) {
    Statement s(db,
                "SELECT o.id, st.sku, st.source, st.seq, st.qty, o.attempts"
                " FROM magento_outbox o JOIN magento_stock st ON st.outbox_id = o.id"
                " WHERE o.store_code = ?1 AND o.kind = 'stock' AND o.state = 'waiting'"
                " AND o.next_attempt_at <= ?2 AND NOT EXISTS (SELECT 1 FROM"
                " magento_shipment_skus k JOIN magento_outbox so ON so.id = k.outbox_id"
                " WHERE k.store_code = st.store_code AND k.sku = st.sku AND k.source = st.source"
                " AND so.state = 'waiting') ORDER BY o.next_attempt_at, o.id LIMIT ?3");
    s.bind(1, store_code).bind(2, now_text).bind(3, limit);
    std::vector<StockDue> due;
    while (s.step())
        due.push_back({s.column_int64(0), s.column_text(1), s.column_text(2), s.column_int64(3),
                       s.column_int64(4), static_cast<unsigned>(s.column_int64(5))});
    return due;
}

std::vector<ShipmentDue> select_due_shipments(storage::sqlite::Database& db,
                                              std::string_view store_code,
                                              const std::string& now_text, std::size_t limit) {
    Statement s(db,
                "SELECT o.id, sh.request_id, sh.order_increment_id, sh.order_entity_id,"
                " sh.source, sh.marker, sh.body, sh.unknown_outcome, o.attempts,"
                " coalesce(sh.resend_after, '')"
                " FROM magento_outbox o JOIN magento_shipments sh ON sh.outbox_id = o.id"
                " WHERE o.store_code = ?1 AND o.kind = 'shipment' AND o.state = 'waiting'"
                " AND o.next_attempt_at <= ?2 ORDER BY o.id LIMIT ?3");
    s.bind(1, store_code).bind(2, now_text).bind(3, limit);
    std::vector<ShipmentDue> due;
    while (s.step()) {
        ShipmentDue d;
        d.id = s.column_int64(0);
        d.request_id = s.column_int64(1);
        d.order_increment_id = s.column_text(2);
        d.order_entity_id = s.column_optional_int64(3);
        d.source = s.column_text(4);
        d.marker = s.column_text(5);
        d.body = s.column_text(6);
        d.unknown_outcome = s.column_int64(7) != 0;
        d.attempts = static_cast<unsigned>(s.column_int64(8));
        d.resend_after = s.column_text(9);
        due.push_back(std::move(d));
    }
    return due;
}

std::string next_due(storage::sqlite::Database& db, std::string_view store_code) {
    // One min() per kind, each the first entry of its part of magento_outbox_waiting.
    Statement s(db,
                "SELECT coalesce(min(due), '') FROM (SELECT min(next_attempt_at) AS due"
                " FROM magento_outbox WHERE store_code = ?1 AND kind = 'stock'"
                " AND state = 'waiting' UNION ALL SELECT min(next_attempt_at) FROM magento_outbox"
                " WHERE store_code = ?1 AND kind = 'shipment' AND state = 'waiting')");
    s.bind(1, store_code);
    s.step();
    return s.column_text(0);
}

std::vector<OutboxRow> list_outbox(storage::sqlite::Database& db, std::string_view state,
                                   std::size_t limit) {
    Statement s(
        db,
        "SELECT o.id, o.store_code, o.kind, o.state, o.attempts, o.next_attempt_at,"
        " o.message, o.created_at, o.updated_at, o.delivered_at,"
        " coalesce(st.sku, sh.order_increment_id), coalesce(st.source, sh.source),"
        " st.seq, st.qty, sh.request_id, sh.magento_shipment_id, coalesce(sh.resend_after, '')"
        " FROM magento_outbox o LEFT JOIN magento_stock st ON st.outbox_id = o.id"
        " LEFT JOIN magento_shipments sh ON sh.outbox_id = o.id"
        " WHERE (?1 = '' OR o.state = ?1) ORDER BY o.id DESC LIMIT ?2");
    s.bind(1, state).bind(2, limit == 0 ? std::int64_t{-1} : static_cast<std::int64_t>(limit));
    std::vector<OutboxRow> rows;
    while (s.step()) {
        OutboxRow r;
        r.id = s.column_int64(0);
        r.store_code = s.column_text(1);
        r.kind = s.column_text(2);
        r.state = s.column_text(3);
        r.attempts = static_cast<unsigned>(s.column_int64(4));
        r.next_attempt_at = s.column_text(5);
        r.message = s.column_text(6);
        r.created_at = s.column_text(7);
        r.updated_at = s.column_text(8);
        r.delivered_at = s.column_text(9);
        r.reference = s.column_text(10);
        r.source = s.column_text(11);
        r.seq = s.column_optional_int64(12);
        r.qty = s.column_optional_int64(13);
        r.request_id = s.column_optional_int64(14);
        r.magento_shipment_id = s.column_optional_int64(15);
        r.resend_after = s.column_text(16);
        rows.push_back(std::move(r));
    }
    return rows;
}

OutboxCounts count_outbox(storage::sqlite::Database& db) {
    Statement s(db, "SELECT state, count(*) FROM magento_outbox GROUP BY state");
    OutboxCounts counts;
    while (s.step()) {
        const auto state = s.column_text(0);
        const auto n = s.column_int64(1);
        if (state == "waiting") counts.waiting = n;
        if (state == "delivered") counts.delivered = n;
        if (state == "failed") counts.failed = n;
    }
    return counts;
}

std::map<std::int64_t, LineDelivery> delivery_of_report(storage::sqlite::Database& db,
                                                        std::int64_t report_id) {
    std::map<std::int64_t, LineDelivery> states;
    // Stock: the line's seq against what Magento confirmed or refused for its key (a line that
    // a newer value coalesced into counts as delivered once that newer one is).
    Statement stock(db,
                    "SELECT l.line_no, l.sequence_id, st.delivered_seq, st.failed_seq,"
                    " st.failed_message FROM import_reports r JOIN requests q ON q.id ="
                    " r.request_id JOIN import_lines l ON l.report_id = r.id JOIN magento_stock st"
                    " ON st.store_code = q.store_code AND st.sku = l.reference"
                    " AND st.source = l.source WHERE r.id = ?1 AND r.entity = 'inventory'"
                    " AND l.result = 'Success'");
    stock.bind(1, report_id);
    while (stock.step()) {
        const auto seq = stock.column_int64(1);
        const auto delivered = stock.column_optional_int64(2);
        const auto failed = stock.column_optional_int64(3);
        if (delivered && *delivered >= seq)
            states[stock.column_int64(0)] = {"delivered", ""};
        else if (failed && *failed >= seq)
            states[stock.column_int64(0)] = {"failed", stock.column_text(4)};
        else
            states[stock.column_int64(0)] = {"waiting", ""};
    }
    // A shipment request's line: all its ship calls delivered, or the first refusal.
    Statement ship(db,
                   "SELECT o.state, o.message FROM import_reports r JOIN import_lines l"
                   " ON l.report_id = r.id JOIN magento_shipments sh ON sh.request_id ="
                   " r.request_id JOIN magento_outbox o ON o.id = sh.outbox_id"
                   " WHERE r.id = ?1 AND r.entity = 'shipment' AND l.result = 'Success'"
                   " ORDER BY o.id");
    ship.bind(1, report_id);
    bool any = false;
    LineDelivery line{"delivered", ""};
    while (ship.step()) {
        any = true;
        const auto state = ship.column_text(0);
        if (state == "failed" && line.state != "failed")
            line = {"failed", ship.column_text(1)};
        else if (state == "waiting" && line.state == "delivered")
            line = {"waiting", ""};
    }
    if (any) states[1] = line;
    return states;
}

}  // namespace ofbridge::outbox
