// The WMS saying it has an entity: its Export call (`...ProductRequestManagementV1Export`,
// `...OrderRequestManagementV1Export`, applied by the worker) or its fetch through the read
// operations of notify mode. Either makes a queued entity exported, compare-and-set on the
// version read, in the caller's transaction:
//
//   queued or failed  -> exported (Success)        the WMS has the current content
//   queued, fetched before it was last notified
//                     -> unchanged (Superseded)    an Export call naming that older fetch; the
//                                                  WMS fetches the new content (then exported)
//   exported          -> unchanged (Duplicate)     said twice; nothing to do
//   pending           -> unchanged (Superseded)    changed since it was notified (or never
//                                                  notified): the next notification carries it
//   cancelled order   -> unchanged (Failure)       never sent, and not to be
//   unknown reference -> Failure line, nothing changes (reported, not an error)
//
// An order is named by its increment_id; a reference that is not one but is a number is taken
// as Magento's entity_id (what notify mode sends as thirdPartyReference).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ofbridge/domain/sequence_policy.h"
#include "ofbridge/storage/sqlite/statement.h"

namespace ofbridge::storage::sqlite {
class Database;
}

namespace ofbridge::exporting {

struct AckOutcome {
    domain::LineResult result = domain::LineResult::failure;
    std::string reference;  // SKU or increment_id when known, else the reference as given
    std::string message;
};

class ExportAcks {
public:
    explicit ExportAcks(storage::sqlite::Database& db);

    // `entity` is "product" or "order". `now_text` is storage::format_utc_millis.
    AckOutcome acknowledge(std::string_view entity, std::string_view reference,
                           const std::string& now_text);

    // A fetch of an entity read at `version`: the WMS now has its current content, so a pending
    // (its notification may still be in flight), queued or failed one becomes exported, and the
    // fetch time is kept (fetched_at, for the Export call that follows). True when it did.
    bool mark_exported(std::string_view entity, std::string_view reference, std::int64_t version,
                       const std::string& now_text);

private:
    storage::sqlite::Database& db_;
    storage::sqlite::Statement item_, order_by_entity_id_, exported_, fetched_;
};

}  // namespace ofbridge::exporting
