// The OrderFlow documents of push mode (notes/magento-and-orderflow-http.md §3.2-3.3), as pure
// functions: the `<imports>` request built from the stored Magento documents, and the reply
// read into one result per entity. No I/O.
//
// Request: one `<import type="product|order" operation="merge|insert" externalReference="...">`
// per entity, its content one CDATA section of newline-separated key=value lines. Values have
// their line breaks replaced by spaces, empty values (and Magento's null, 0 and false, as the
// reference library leaves them out) are left out, and a "]]>" inside a value is split across two
// CDATA sections so it can never end the section early.
//
// Reply, checked in this order (§3.2): HTTP status >= 400; a body that is not XML; an XHTML
// error page (body/h2 containing ERROR); an <exception> or <error> root; a "no_operation"
// result. Any of those fails the whole exchange. Otherwise <importResult>'s
// importSuccesses / importDuplicates / importFailures children give one result per reference
// (a reference listed twice keeps its first success, else its first duplicate, else failure);
// a reference sent but not listed is `missing`.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ofbridge/domain/export_rules.h"

namespace ofbridge::exporting {

using KeyValues = std::vector<std::pair<std::string, std::string>>;

// The key=value lines of a product from its normalised JSON (catalog/product_import.h).
KeyValues product_fields(std::string_view normalised_json);
// The key=value lines of an order from its Magento REST document (orders.raw_json).
KeyValues order_fields(std::string_view raw_json);

struct ImportEntry {
    std::string reference;  // externalReference: SKU or increment_id
    KeyValues fields;
};

// The whole `<imports>` document; type "product" or "order", operation "merge" or "insert".
std::string imports_document(std::string_view type, std::string_view operation,
                             const std::vector<ImportEntry>& entries);

struct EntityResult {
    domain::ExportResult result = domain::ExportResult::missing;
    std::string message;  // failureMessage: failureDetail, or duplicateMessage
};

struct ImportReply {
    std::string error;  // non-empty: the exchange failed as a whole (and why)
    std::map<std::string, EntityResult> results;  // by externalReference
};

// Reads an importitems.xml reply (after a transport success) against the references sent.
ImportReply read_import_reply(int http_status, std::string_view body,
                              const std::vector<std::string>& references);

// The failure checks every OrderFlow reply goes through (status, non-XML, XHTML error page,
// <exception>/<error> root), plus `extra_failure_text` (e.g. "No cancel operation performed")
// found anywhere in the body. "" = a clean reply.
std::string reply_error(int http_status, std::string_view body,
                        std::string_view extra_failure_text = {});

}  // namespace ofbridge::exporting
