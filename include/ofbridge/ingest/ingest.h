// Ingest: the step between a decoded wire message and the durable queue.
//
//   wire message -> authenticate (session / bearer / anonymous) -> validate (domain rules)
//     -> RequestStore::enqueue -> [group commit, fsync] -> Outcome::accepted -> reply
// Sessions and tokens are stored the same way (GrantStore), both through the one writer.
//
// Nothing is acknowledged before the commit returned; a validation error stores nothing; a
// storage error is reported as such (the client will retry and the retry is recognised as a
// re-delivery if the first attempt did reach the disk).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <variant>

#include "ofbridge/config/config.h"
#include "ofbridge/domain/validation.h"
#include "ofbridge/domain/wire.h"
#include "ofbridge/ingest/auth_registry.h"
#include "ofbridge/ingest/grant_store.h"
#include "ofbridge/queue/request_store.h"

namespace ofbridge::ingest {

// How a message reached the broker.
struct Channel {
    std::string wire;          // "m1_soap", "m2_soap" or "m2_json"
    std::string store_code;    // Magento-2: from the URL; Magento-1: taken from the session
    std::string bearer_token;  // Magento-2 `Authorization: Bearer` value, "" when absent
    std::string remote_address;
};

struct Outcome {
    enum class Kind {
        accepted,         // text = reply ("Success - Message N Received", session id, token, ...)
        invalid,          // text = what is wrong with the message
        access_denied,    // bad login credentials (Magento-1 fault code 2)
        session_expired,  // unknown or expired session (Magento-1 fault code 5)
        unauthorized,     // Magento-2 call without a valid token
        unknown_store,    // no [stores.<code>] for the URL's store code
        storage_failed,   // not durable: no ack; the client retries
    };
    Kind kind = Kind::accepted;
    std::string text;
    std::int64_t request_id = 0;
    bool redelivery = false;
};

using OutcomeCallback = std::function<void(Outcome)>;

using IngestMessage =
    std::variant<domain::WireInventoryUpdate, domain::WireShipmentCreate, domain::WireExportAck>;

class Ingest {
public:
    // Stores through `writer` (which must outlive this); loads the live sessions from its
    // database. `now` returns unix seconds; passed in so tests control session expiry.
    Ingest(const config::Config& config, storage::Writer& writer,
           std::function<std::int64_t()> now);

    // Callbacks may run on the caller's thread (immediate errors) or one of the queue's threads.
    void login(const domain::WireLogin& login, OutcomeCallback done);
    void end_session(const domain::WireEndSession& end,
                     OutcomeCallback done);  // text "true"/"false"
    void create_token(const Channel& channel, const domain::WireCreateToken& request,
                      OutcomeCallback done);
    void submit(const Channel& channel, const IngestMessage& message, std::string masked_body,
                OutcomeCallback done);

    bool has_store(std::string_view store_code) const { return auth_.has_store(store_code); }
    // May a Magento-2 call with this bearer token (possibly "") act on the store, right now?
    bool bearer_allowed(std::string_view store_code, std::string_view token) const {
        return auth_.bearer_allowed(store_code, token, now_());
    }

private:
    void grant(std::string kind, std::string store_code, std::string username,
               std::int64_t ttl_seconds, OutcomeCallback done);

    domain::Limits limits_;
    queue::RequestStore requests_;
    GrantStore grants_;
    std::function<std::int64_t()> now_;
    AuthRegistry auth_;
};

}  // namespace ofbridge::ingest
