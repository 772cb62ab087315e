// Applies one claimed product_export / order_export request (the WMS's Export call) inside the
// request's savepoint opened by RequestProcessor: the acknowledged reference is read back through
// the queue, the export feature's ExportAcks makes the entity exported compare-and-set, and one
// import line says what happened (Success, Duplicate, Superseded when it changed since it was
// notified, Failure for an unknown reference: reported, the request still ends done).
// Private to src/worker.
#pragma once

#include <cstdint>
#include <string>

#include "ofbridge/export/export_acks.h"
#include "ofbridge/imports/import_log.h"
#include "ofbridge/queue/request_payloads.h"

namespace ofbridge::worker::detail {

class ExportAckApplier {
public:
    explicit ExportAckApplier(storage::sqlite::Database& db);

    imports::ReportCounts apply(std::int64_t request_id, const std::string& now_text,
                                imports::ImportLog& log);

private:
    queue::RequestPayloads payloads_;
    exporting::ExportAcks acks_;
};

}  // namespace ofbridge::worker::detail
