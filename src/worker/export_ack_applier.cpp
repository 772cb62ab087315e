#include "export_ack_applier.h"

#include "ofbridge/domain/messages.h"

namespace ofbridge::worker::detail {

ExportAckApplier::ExportAckApplier(storage::sqlite::Database& db) : payloads_(db), acks_(db) {}

imports::ReportCounts ExportAckApplier::apply(std::int64_t request_id, const std::string& now_text,
                                              imports::ImportLog& log) {
    const auto ack = payloads_.export_ack(request_id);
    const bool order = ack.entity == domain::Entity::order_export;
    const auto outcome = acks_.acknowledge(order ? "order" : "product", ack.reference, now_text);
    imports::ImportLineRecord line;
    line.line_no = 1;
    line.reference = outcome.reference;
    line.source = "";  // a view with data: NULL is refused
    line.result = outcome.result;
    line.message = outcome.message;
    return log.write(request_id, order ? "order_export" : "product_export", {line}, now_text);
}

}  // namespace ofbridge::worker::detail
