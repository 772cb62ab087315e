// How import reports, shipments and stock levels are shown to admins: aligned tables for people,
// one JSON document for scripts (the CLI now; the web admin will reuse the JSON form).
#pragma once

#include <string>
#include <vector>

#include "ofbridge/imports/import_reader.h"
#include "ofbridge/inventory/stock_reader.h"
#include "ofbridge/orders/shipment_reader.h"

namespace ofbridge::admin {

std::string imports_table(const std::vector<imports::ImportReportSummary>& reports);
std::string imports_json(const std::vector<imports::ImportReportSummary>& reports);
std::string import_text(const imports::ImportReport& report);
std::string import_json(const imports::ImportReport& report);

std::string shipments_table(const std::vector<orders::ShipmentSummary>& shipments);
std::string shipments_json(const std::vector<orders::ShipmentSummary>& shipments);
std::string shipment_text(const orders::Shipment& shipment);
std::string shipment_json(const orders::Shipment& shipment);

std::string stock_table(const std::vector<inventory::StockRow>& rows);
std::string stock_json(const std::vector<inventory::StockRow>& rows);

}  // namespace ofbridge::admin
