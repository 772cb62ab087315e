#include "ofbridge/ingest/ingest.h"

#include <spdlog/spdlog.h>

#include <array>
#include <chrono>

#include "ofbridge/domain/log_text.h"
#include "ofbridge/domain/overloaded.h"
#include "ofbridge/ingest/secrets.h"
#include "ofbridge/metrics/registry.h"

namespace ofbridge::ingest {
namespace {

// /metrics: every message that reached ingest (decoded, of a known kind), by entity: received,
// then acked (stored durably, or a re-delivery answered from the store) or rejected with the
// reason; and the time from the decoded message to its durable ack. Series are looked up once.
class IngestMetrics {
public:
    static IngestMetrics& get() {
        static IngestMetrics instance;
        return instance;
    }
    void received(domain::Entity e) { received_[index(e)]->add(); }
    void acked(domain::Entity e, bool redelivery, std::chrono::steady_clock::time_point started) {
        acked_[index(e)][redelivery ? 1 : 0]->add();
        ack_seconds_[index(e)]->observe_seconds(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    }
    void rejected(domain::Entity e, Outcome::Kind reason) {
        std::string_view name = "invalid";
        switch (reason) {
            case Outcome::Kind::accepted:
                return;
            case Outcome::Kind::invalid:
                name = "invalid";
                break;
            case Outcome::Kind::access_denied:
                name = "access_denied";
                break;
            case Outcome::Kind::session_expired:
                name = "session_expired";
                break;
            case Outcome::Kind::unauthorized:
                name = "unauthorized";
                break;
            case Outcome::Kind::unknown_store:
                name = "unknown_store";
                break;
            case Outcome::Kind::storage_failed:
                name = "storage_failed";
                break;
        }
        metrics::registry()
            .counter("ofbridge_requests_rejected_total",
                     "WMS messages refused with a fault (nothing stored), by entity and reason.",
                     {{"entity", std::string(domain::to_string(e))}, {"reason", std::string(name)}})
            .add();
    }

private:
    static constexpr std::size_t kEntities = 4;
    static std::size_t index(domain::Entity e) { return static_cast<std::size_t>(e) % kEntities; }
    IngestMetrics() {
        auto& r = metrics::registry();
        for (std::size_t i = 0; i < kEntities; ++i) {
            const std::string entity(domain::to_string(static_cast<domain::Entity>(i)));
            received_[i] =
                &r.counter("ofbridge_requests_received_total",
                           "WMS messages that reached ingest, by entity.", {{"entity", entity}});
            for (std::size_t redelivery = 0; redelivery < 2; ++redelivery)
                acked_[i][redelivery] = &r.counter(
                    "ofbridge_requests_acked_total",
                    "WMS messages acknowledged once durable, by entity (redelivery = \"true\": "
                    "an identical message answered from the store, nothing new stored).",
                    {{"entity", entity}, {"redelivery", redelivery ? "true" : "false"}});
            ack_seconds_[i] = &r.histogram(
                "ofbridge_ack_latency_seconds",
                "From a decoded WMS message to its acknowledgement (commit and WAL fsync).",
                {{"entity", entity}});
        }
    }
    std::array<metrics::Counter*, kEntities> received_{};
    std::array<std::array<metrics::Counter*, 2>, kEntities> acked_{};
    std::array<metrics::Histogram*, kEntities> ack_seconds_{};
};

domain::Entity wire_entity(const IngestMessage& message) {
    if (std::holds_alternative<domain::WireInventoryUpdate>(message))
        return domain::Entity::inventory;
    if (std::holds_alternative<domain::WireShipmentCreate>(message))
        return domain::Entity::shipment;
    return std::get<domain::WireExportAck>(message).entity;
}

Outcome failure(Outcome::Kind kind, std::string text) {
    return Outcome{kind, std::move(text), 0, false};
}

domain::Limits domain_limits(const config::LimitsConfig& limits) {
    domain::Limits out;
    out.max_sku_length = limits.max_sku_length;
    out.max_lines = limits.max_lines;
    return out;
}

// Validates one wire message into a domain message, or says what is wrong.
std::variant<domain::Message, std::string> validated(const IngestMessage& message,
                                                     const domain::Limits& limits,
                                                     const Channel& channel) {
    return std::visit(
        [&](const auto& wire) -> std::variant<domain::Message, std::string> {
            if constexpr (std::is_same_v<std::decay_t<decltype(wire)>,
                                         domain::WireInventoryUpdate>) {
                domain::InventoryNotes notes;
                auto v = domain::validate(wire, limits, &notes);
                if (auto* e = std::get_if<domain::ValidationError>(&v)) return e->message;
                if (notes.paired_by_sku_fallback)
                    spdlog::warn(
                        "inventory message from {}: item keys disagree by position; "
                        "paired by SKU",
                        channel.remote_address);
                return domain::Message{std::get<domain::InventoryUpdate>(std::move(v))};
            } else {
                auto v = domain::validate(wire, limits);
                if (auto* e = std::get_if<domain::ValidationError>(&v)) return e->message;
                return domain::Message{std::get<0>(std::move(v))};
            }
        },
        message);
}

const domain::WireText& session_of(const IngestMessage& message) {
    static const domain::WireText none;
    return std::visit(
        overloaded{[](const domain::WireInventoryUpdate& m) -> const domain::WireText& {
                       return m.session_id;
                   },
                   [](const domain::WireShipmentCreate& m) -> const domain::WireText& {
                       return m.session_id;
                   },
                   [](const domain::WireExportAck&) -> const domain::WireText& { return none; }},
        message);
}

}  // namespace

Ingest::Ingest(const config::Config& config, storage::Writer& writer,
               std::function<std::int64_t()> now)
    : limits_(domain_limits(config.limits)),
      requests_(writer),
      grants_(writer),
      now_(std::move(now)),
      auth_(config.stores, grants_.load(now_())) {}

void Ingest::grant(std::string kind, std::string store_code, std::string username,
                   std::int64_t ttl_seconds, OutcomeCallback done) {
    auto secret = random_secret();
    AuthGrant grant{sha256_hex(secret), std::move(kind), std::move(store_code), std::move(username),
                    now_() + ttl_seconds};
    grants_.save(grant, [this, grant, secret = std::move(secret),
                         done = std::move(done)](std::error_code ec) {
        if (ec) {
            spdlog::error("could not store a new {} for store {}: {}", grant.kind, grant.store_code,
                          ec.message());
            return done(failure(Outcome::Kind::storage_failed, "storage unavailable, retry"));
        }
        auth_.add(grant);
        spdlog::info("issued {} for user '{}' on store {}", grant.kind,
                     domain::log_text(grant.username, 64), grant.store_code);
        done(Outcome{Outcome::Kind::accepted, secret, 0, false});
    });
}

void Ingest::login(const domain::WireLogin& login, OutcomeCallback done) {
    const auto username = login.username.value_or("");
    auto store_code = auth_.store_for_credentials(username, login.api_key.value_or(""));
    if (!store_code) {
        spdlog::warn("login refused for user '{}'", domain::log_text(username, 64));
        return done(failure(Outcome::Kind::access_denied, "Access denied."));
    }
    const auto ttl = auth_.store(*store_code)->wms.session_ttl.count();
    grant("m1_session", *store_code, username, ttl, std::move(done));
}

void Ingest::end_session(const domain::WireEndSession& end, OutcomeCallback done) {
    const auto session = end.session_id.value_or("");
    if (!auth_.store_for_session(session, now_()))
        return done(Outcome{Outcome::Kind::accepted, "false", 0, false});
    auto hash = sha256_hex(session);
    grants_.remove(hash, [this, hash, done = std::move(done)](std::error_code ec) {
        if (ec) return done(failure(Outcome::Kind::storage_failed, "storage unavailable, retry"));
        auth_.remove(hash);
        done(Outcome{Outcome::Kind::accepted, "true", 0, false});
    });
}

void Ingest::create_token(const Channel& channel, const domain::WireCreateToken& request,
                          OutcomeCallback done) {
    if (!auth_.has_store(channel.store_code))
        return done(failure(Outcome::Kind::unknown_store, "unknown store " + channel.store_code));
    const auto username = request.username.value_or("");
    auto store_code = auth_.store_for_credentials(username, request.password.value_or(""));
    if (!store_code || *store_code != channel.store_code) {
        spdlog::warn("token request refused for user '{}' on store {}",
                     domain::log_text(username, 64), channel.store_code);
        return done(failure(Outcome::Kind::unauthorized,
                            "The account sign-in was incorrect or your account is disabled "
                            "temporarily. Please wait and try again later."));
    }
    const auto ttl = auth_.store(*store_code)->wms.session_ttl.count();
    grant("m2_token", *store_code, username, ttl, std::move(done));
}

void Ingest::submit(const Channel& channel, const IngestMessage& message, std::string masked_body,
                    OutcomeCallback done_outcome) {
    const auto started = std::chrono::steady_clock::now();
    const auto message_entity = wire_entity(message);
    auto& counters = IngestMetrics::get();
    counters.received(message_entity);
    auto done = [&counters, message_entity, started,
                 reply = std::move(done_outcome)](Outcome outcome) {
        if (outcome.kind == Outcome::Kind::accepted)
            counters.acked(message_entity, outcome.redelivery, started);
        else
            counters.rejected(message_entity, outcome.kind);
        reply(std::move(outcome));
    };
    std::string store_code = channel.store_code;
    if (channel.wire == "m1_soap") {
        auto session_store = auth_.store_for_session(session_of(message).value_or(""), now_());
        if (!session_store)
            return done(
                failure(Outcome::Kind::session_expired, "Session expired. Try to relogin."));
        store_code = *session_store;
    } else {
        if (!auth_.has_store(store_code))
            return done(failure(Outcome::Kind::unknown_store, "unknown store " + store_code));
        if (!auth_.bearer_allowed(store_code, channel.bearer_token, now_()))
            return done(failure(Outcome::Kind::unauthorized,
                                "The consumer isn't authorized to access the requested resource."));
    }

    auto checked = validated(message, limits_, channel);
    if (auto* error = std::get_if<std::string>(&checked)) {
        spdlog::info("rejected message from {}: {}", channel.remote_address,
                     domain::log_text(*error));
        return done(failure(Outcome::Kind::invalid, *error));
    }
    queue::NewRequest request{std::get<domain::Message>(std::move(checked)), store_code,
                              channel.wire, std::move(masked_body), channel.remote_address};
    const auto entity = domain::to_string(domain::entity_of(request.message));
    auto key = domain::message_key(request.message);
    requests_.enqueue(std::move(request), [entity, key = std::move(key),
                                           done = std::move(done)](auto result) {
        if (auto* ec = std::get_if<std::error_code>(&result)) {
            spdlog::error("{} message {} not stored: {}", entity, domain::log_text(key, 64),
                          ec->message());
            return done(failure(Outcome::Kind::storage_failed,
                                "The request could not be stored. Please retry."));
        }
        auto& stored = std::get<queue::EnqueueResult>(result);
        if (stored.redelivery)
            spdlog::info("{} message {} re-delivered; request {} already stored", entity,
                         domain::log_text(key, 64), stored.request_id);
        else
            spdlog::debug("{} message {} stored as request {}", entity, domain::log_text(key, 64),
                          stored.request_id);
        done(Outcome{Outcome::Kind::accepted, stored.reply, stored.request_id, stored.redelivery});
    });
}

}  // namespace ofbridge::ingest
