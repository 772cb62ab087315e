// Messages and helpers shared by the queue's store and reader tests (and the worker's).
#pragma once

#include <atomic>
#include <future>
#include <stdexcept>
#include <string>

#include "ofbridge/domain/messages.h"
#include "ofbridge/domain/wire.h"
#include "ofbridge/queue/request_store.h"
#include "ofbridge/soap/xml_escape.h"
#include "ofbridge/storage/writer.h"

namespace ofbridge::queue::testing {

inline domain::InventoryUpdate inventory(std::int64_t message_seq_id, int lines) {
    domain::InventoryUpdate u;
    u.message_seq_id = message_seq_id;
    for (int i = 0; i < lines; ++i) {
        domain::InventoryLine line;
        line.sku = "sku-" + std::to_string(i);
        line.qty = 10 + i;
        line.seq = 1000 + i;
        if (i % 2 == 1) {
            line.source = "warehouse-" + std::to_string(i);
            line.last_order_exported = "2026-11-20T08:00:00Z";
        }
        u.lines.push_back(std::move(line));
    }
    return u;
}

inline domain::ShipmentCreate shipment(std::optional<std::int64_t> message_seq_id) {
    domain::ShipmentCreate s;
    s.order_increment_id = "100000042";
    s.items = {{"hdd000", 2, "default"}, {"ssd001", 1, "north"}};
    s.tracking_numbers = {"TRACK-1", "TRACK-2"};
    s.comment = "Left with neighbour";
    s.email = true;
    s.include_comment = false;
    s.courier_name = "DPD";
    s.service_name = "Next Day";
    s.date_shipped = "2026-11-22";
    s.message_seq_id = message_seq_id;
    return s;
}

// A stored body and its wire, as the WMS sends them: receipt stores an inventory request's body
// and no row per line, and the worker expands the lines from it, so tests store real bodies.
struct WireBody {
    std::string wire;
    std::string body;
};

inline std::string xml_escaped(const std::string& text) {
    std::string out;
    soap::append_escaped(out, text);
    return out;
}

inline std::string json_escaped(const std::string& text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

// A Magento-1 SOAP inventory multi-update (items paired by position; no sources). `session`
// makes otherwise equal bodies distinct (receipt takes an identical body for a re-delivery).
inline std::string m1_inventory_body(const domain::WireInventoryUpdate& wire,
                                     const std::string& session) {
    const auto leaf = [](const char* name, const domain::WireText& value) {
        if (!value) return std::string{};
        return std::string{"<"} + name + ">" + xml_escaped(*value) + "</" + name + ">";
    };
    std::string body =
        "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\""
        " xmlns:ns1=\"urn:Magento\"><SOAP-ENV:Body><ns1:orderflowInventoryMultiUpdate>"
        "<sessionId>" +
        xml_escaped(session) + "</sessionId><skuQty>";
    for (const auto& q : wire.qtys)
        body += "<item>" + leaf("key", q.sku) + leaf("value", q.qty) + "</item>";
    body += "</skuQty><skuSeqId>";
    for (const auto& s : wire.seqs)
        body += "<item>" + leaf("key", s.sku) + leaf("value", s.seq) +
                leaf("lastOrderExported", s.last_order_exported) + "</item>";
    body += "</skuSeqId>" + leaf("messageSeqId", wire.message_seq_id) +
            "</ns1:orderflowInventoryMultiUpdate></SOAP-ENV:Body></SOAP-ENV:Envelope>";
    return body;
}

// The body of a validated inventory update: M1 SOAP when every line is on the default source,
// else the Magento-2 REST JSON with one seq item per qty item in the same order (the k-th qty
// item of a SKU pairs with its k-th seq item). Lines the rules refused (InventoryLine::failure)
// cannot be rendered back: build the wire message for those.
inline WireBody inventory_body(const domain::InventoryUpdate& update, const std::string& session) {
    bool all_default = true;
    for (const auto& l : update.lines) {
        if (!l.failure.empty())
            throw std::logic_error("a refused line cannot be rendered; store a wire message");
        all_default = all_default && l.source == domain::default_source;
    }
    if (all_default) {
        domain::WireInventoryUpdate wire;
        for (const auto& l : update.lines) {
            wire.qtys.push_back({l.sku, std::to_string(l.qty), std::nullopt, std::nullopt});
            domain::WireText exported;
            if (!l.last_order_exported.empty()) exported = l.last_order_exported;
            wire.seqs.push_back({l.sku, std::to_string(l.seq), exported});
        }
        wire.message_seq_id = std::to_string(update.message_seq_id);
        return {"m1_soap", m1_inventory_body(wire, session)};
    }
    std::string body = "{\"sessionId\":" + json_escaped(session) + ",\"productQtys\":[";
    for (std::size_t i = 0; i < update.lines.size(); ++i) {
        const auto& l = update.lines[i];
        body += (i ? "," : "") + std::string{"{\"sku\":"} + json_escaped(l.sku) +
                ",\"qty\":" + std::to_string(l.qty) + ",\"source\":" + json_escaped(l.source);
        if (!l.last_order_exported.empty())
            body += ",\"lastOrderExported\":" + json_escaped(l.last_order_exported);
        body += "}";
    }
    body += "],\"productSeqs\":[";
    for (std::size_t i = 0; i < update.lines.size(); ++i)
        body += (i ? "," : "") + std::string{"{\"sku\":"} + json_escaped(update.lines[i].sku) +
                ",\"seq\":" + std::to_string(update.lines[i].seq) + "}";
    body += "],\"messageSeqId\":" + std::to_string(update.message_seq_id) + "}";
    return {"m2_json", body};
}

inline std::string unique_session() {
    static std::atomic<long> next{0};
    return "session-" + std::to_string(++next);
}

inline NewRequest request(domain::Message message, std::string body = {}) {
    NewRequest r;
    r.wire = "m2_soap";
    if (body.empty()) {
        if (const auto* update = std::get_if<domain::InventoryUpdate>(&message)) {
            auto rendered = inventory_body(*update, unique_session());
            r.wire = std::move(rendered.wire);
            body = std::move(rendered.body);
        } else {
            body = "<body key=\"" + domain::message_key(message) + "\"/>";
        }
    }
    r.message = std::move(message);
    r.store_code = "default";
    r.masked_body = std::move(body);
    r.remote_address = "127.0.0.1";
    return r;
}

// The writer and a request store on it, as `serve` wires them.
class TestStore {
public:
    explicit TestStore(storage::WriterOptions options)
        : writer_(std::move(options)), requests_(writer_) {}

    void enqueue(NewRequest r, std::function<void(StoreResult<EnqueueResult>)> done) {
        requests_.enqueue(std::move(r), std::move(done));
    }
    void run_in_transaction(storage::WriterTask task, std::function<void(std::error_code)> done) {
        writer_.run_in_transaction(std::move(task), std::move(done));
    }
    void close() { writer_.close(); }
    StoreStats stats() const { return requests_.stats(); }
    storage::Writer& writer() { return writer_; }

private:
    storage::Writer writer_;
    RequestStore requests_;  // after the writer: finalizes its statements through it
};

// Enqueues and waits for the writer's answer.
template <class Store>
StoreResult<EnqueueResult> enqueue_and_wait(Store& store, NewRequest r) {
    std::promise<StoreResult<EnqueueResult>> answer;
    auto future = answer.get_future();
    store.enqueue(std::move(r), [&answer](StoreResult<EnqueueResult> result) {
        answer.set_value(std::move(result));
    });
    return future.get();
}

}  // namespace ofbridge::queue::testing
