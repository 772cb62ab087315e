// RequestStore: a new request's rows, stored by a job on the one writer (see the header for the
// contract and the request state machine). The statements are prepared on the writer's
// connection, on its thread, and again whenever the writer reopened it (connection_id).
#include "ofbridge/queue/request_store.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <latch>

#include "ofbridge/domain/overloaded.h"
#include "ofbridge/storage/sha256.h"
#include "ofbridge/storage/sqlite/database.h"
#include "ofbridge/storage/sqlite/statement.h"
#include "ofbridge/storage/time_format.h"

namespace ofbridge::queue {
namespace {

using storage::sqlite::Database;
using storage::sqlite::ResetOnExit;
using storage::sqlite::Statement;

struct EnqueueJob {
    NewRequest request;
    // Derived on the producer's thread so the single writer thread only does SQL.
    std::string entity;
    std::string key;
    std::string body_sha256;
    std::string reply;
    std::string received_at;
    std::int64_t line_count = 0;
    // Set on the writer thread by the job, read by its completion.
    EnqueueResult result;
};

// Message keys come from the wire; keep log lines single-line and short.
std::string loggable(std::string_view text) {
    std::string out;
    for (char c : text.substr(0, 64))
        out.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c);
    if (text.size() > 64) out += "...";
    return out;
}

std::int64_t line_count_of(const domain::Message& m) {
    return std::visit(overloaded{[](const domain::InventoryUpdate& u) {
                                     return static_cast<std::int64_t>(u.lines.size());
                                 },
                                 [](const domain::ShipmentCreate& s) {
                                     return static_cast<std::int64_t>(s.items.size());
                                 },
                                 [](const domain::ExportAck&) { return std::int64_t{0}; }},
                      m);
}

// Every statement enqueue runs, prepared once per writer connection.
struct Statements {
    explicit Statements(Database& db)
        : find_same(db,
                    "SELECT id, reply FROM requests"
                    " WHERE entity = ?1 AND message_key = ?2 AND body_sha256 = ?3"),
          find_key(db, "SELECT id FROM requests WHERE entity = ?1 AND message_key = ?2 LIMIT 1"),
          count_delivery(db,
                         "UPDATE requests SET deliveries = deliveries + 1, last_delivered_at = ?1"
                         " WHERE id = ?2"),
          insert_request(db,
                         "INSERT INTO requests (entity, store_code, wire, message_key, body_sha256,"
                         " reply, line_count, remote_address, received_at, last_delivered_at)"
                         " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)"),
          insert_body(db, "INSERT INTO request_bodies (request_id, raw_body) VALUES (?1, ?2)"),
          insert_shipment(db,
                          "INSERT INTO shipment_requests (request_id, order_increment_id, comment,"
                          " email, include_comment, courier_name, service_name, date_shipped,"
                          " message_seq_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
          insert_shipment_item(db,
                               "INSERT INTO shipment_items (request_id, line_no, sku, qty, source)"
                               " VALUES (?1, ?2, ?3, ?4, ?5)"),
          insert_track(db,
                       "INSERT INTO shipment_tracks (request_id, line_no, tracking_number)"
                       " VALUES (?1, ?2, ?3)"),
          insert_export_ack(db,
                            "INSERT INTO export_acks (request_id, entity, reference)"
                            " VALUES (?1, ?2, ?3)") {}

    Statement find_same, find_key, count_delivery, insert_request, insert_body;
    Statement insert_shipment, insert_shipment_item, insert_track;
    Statement insert_export_ack;
};

}  // namespace

struct RequestStore::Impl {
    explicit Impl(storage::Writer& w) : writer(w) {}

    // Writer thread only.
    Statements& statements_on(Database& db, std::uint64_t connection_id) {
        if (!statements || connection_id != statements_for) {
            statements.reset();
            statements = std::make_unique<Statements>(db);
            statements_for = connection_id;
        }
        return *statements;
    }

    // Runs on the writer thread, inside the job's savepoint.
    static EnqueueResult store(Statements& c, Database& db, const EnqueueJob& job) {
        const auto& request = job.request;
        {
            ResetOnExit reset(c.find_same);
            c.find_same.bind_no_copy(1, job.entity)
                .bind_no_copy(2, job.key)
                .bind_no_copy(3, job.body_sha256);
            if (c.find_same.step()) {
                EnqueueResult result{c.find_same.column_int64(0), true, c.find_same.column_text(1)};
                ResetOnExit reset_update(c.count_delivery);
                c.count_delivery.bind_no_copy(1, job.received_at).bind(2, result.request_id).run();
                return result;
            }
        }
        if (!job.key.empty()) {
            ResetOnExit reset(c.find_key);
            c.find_key.bind_no_copy(1, job.entity).bind_no_copy(2, job.key);
            if (c.find_key.step()) {
                spdlog::warn(
                    "queue: {} message {} received again with a different body; storing it as a "
                    "new request (earlier request {})",
                    job.entity, loggable(job.key), c.find_key.column_int64(0));
            }
        }

        std::int64_t id = 0;
        {
            auto& s = c.insert_request;
            ResetOnExit reset(s);
            s.bind_no_copy(1, job.entity)
                .bind_no_copy(2, request.store_code)
                .bind_no_copy(3, request.wire)
                .bind_no_copy(4, job.key)
                .bind_no_copy(5, job.body_sha256)
                .bind_no_copy(6, job.reply)
                .bind(7, job.line_count)
                .bind_no_copy(8, request.remote_address)
                .bind_no_copy(9, job.received_at);
            s.step();
            id = db.last_insert_rowid();
        }
        {
            ResetOnExit reset(c.insert_body);
            c.insert_body.bind(1, id).bind_no_copy(2, request.masked_body).run();
        }
        // An inventory request stores no row per line: its masked body is what receipt must
        // prove, and the worker expands the lines from it (codec/stored_inventory.h). That saves
        // a B-tree write per line on the ack path and a read per line at apply. Shipments and
        // export acks keep their rows (a header and a few items), which their appliers read.
        std::visit(overloaded{[&](const domain::InventoryUpdate&) {},
                              [&](const domain::ShipmentCreate& s) { store_shipment(c, id, s); },
                              [&](const domain::ExportAck& a) { store_export_ack(c, id, a); }},
                   request.message);
        return EnqueueResult{id, false, job.reply};
    }

    static void store_shipment(Statements& c, std::int64_t id,
                               const domain::ShipmentCreate& shipment) {
        {
            ResetOnExit reset(c.insert_shipment);
            c.insert_shipment.bind(1, id)
                .bind_no_copy(2, shipment.order_increment_id)
                .bind_no_copy(3, shipment.comment)
                .bind(4, shipment.email)
                .bind(5, shipment.include_comment)
                .bind_no_copy(6, shipment.courier_name)
                .bind_no_copy(7, shipment.service_name)
                .bind_no_copy(8, shipment.date_shipped)
                .bind(9, shipment.message_seq_id);
            c.insert_shipment.run();
        }
        {
            ResetOnExit reset(c.insert_shipment_item);
            std::int64_t line_no = 0;
            for (const auto& item : shipment.items) {
                c.insert_shipment_item.bind(1, id)
                    .bind(2, ++line_no)
                    .bind_no_copy(3, item.sku)
                    .bind(4, item.qty)
                    .bind_no_copy(5, item.source);
                c.insert_shipment_item.run();
            }
        }
        {
            ResetOnExit reset(c.insert_track);
            std::int64_t line_no = 0;
            for (const auto& number : shipment.tracking_numbers) {
                c.insert_track.bind(1, id).bind(2, ++line_no).bind_no_copy(3, number);
                c.insert_track.run();
            }
        }
    }

    static void store_export_ack(Statements& c, std::int64_t id, const domain::ExportAck& ack) {
        auto& s = c.insert_export_ack;
        ResetOnExit reset(s);
        s.bind(1, id).bind(2, domain::to_string(ack.entity)).bind_no_copy(3, ack.reference);
        s.run();
    }

    storage::Writer& writer;
    std::unique_ptr<Statements> statements;  // on the writer's connection, its thread only
    std::uint64_t statements_for = 0;        // the connection_id they were prepared on
    std::atomic<std::uint64_t> requests{0}, redeliveries{0};
};

RequestStore::RequestStore(storage::Writer& writer) : impl_(std::make_shared<Impl>(writer)) {}

RequestStore::~RequestStore() {
    // The statements belong to the writer's connection, which only the writer thread may touch:
    // they are finalized in a task. A closed writer runs no task, but its thread is gone by then.
    std::latch finalized(1);
    impl_->writer.run_in_transaction(
        [impl = impl_](Database&, std::uint64_t) { impl->statements.reset(); },
        [&](std::error_code) { finalized.count_down(); });
    finalized.wait();
    impl_->statements.reset();
}

void RequestStore::enqueue(NewRequest request,
                           std::function<void(StoreResult<EnqueueResult>)> done) {
    auto job = std::make_shared<EnqueueJob>();
    job->entity = std::string{domain::to_string(domain::entity_of(request.message))};
    job->key = domain::message_key(request.message);
    job->reply = domain::success_reply(request.message);
    job->body_sha256 = storage::sha256_hex(request.masked_body);
    job->received_at = storage::format_utc_millis(std::chrono::system_clock::now());
    job->line_count = line_count_of(request.message);
    job->request = std::move(request);

    storage::WriteJob write;
    // What the job adds to a transaction, roughly: the body plus a row per stored line (an
    // inventory request stores none).
    constexpr std::size_t row_bytes = 64;
    const bool inventory = std::holds_alternative<domain::InventoryUpdate>(job->request.message);
    write.approximate_bytes =
        job->request.masked_body.size() +
        row_bytes * (1 + (inventory ? 0 : static_cast<std::size_t>(job->line_count)));
    write.run = [impl = impl_, job](Database& db, std::uint64_t connection_id) {
        job->result = Impl::store(impl->statements_on(db, connection_id), db, *job);
        return !job->result.redelivery;
    };
    write.committed = [impl = impl_, job] {
        ++(job->result.redelivery ? impl->redeliveries : impl->requests);
    };
    write.done = [job, done = std::move(done)](std::error_code error) {
        if (!done) return;
        if (error)
            done(error);
        else
            done(std::move(job->result));
    };
    impl_->writer.submit(std::move(write));
}

StoreStats RequestStore::stats() const {
    StoreStats stats;
    static_cast<storage::WriterStats&>(stats) = impl_->writer.stats();
    stats.requests = impl_->requests.load();
    stats.redeliveries = impl_->redeliveries.load();
    return stats;
}

}  // namespace ofbridge::queue
