// Table and JSON views of the export's read model (export log, export state, products).
#pragma once

#include <string>
#include <vector>

#include "ofbridge/export/export_reader.h"

namespace ofbridge::admin {

std::string export_runs_table(const std::vector<exporting::ExportRun>& runs);
std::string export_runs_json(const std::vector<exporting::ExportRun>& runs);
std::string export_run_text(const exporting::ExportRun& run);  // header, lines, raw bodies
std::string export_run_json(const exporting::ExportRun& run);

std::string export_items_table(const std::vector<exporting::ExportItemState>& items);
std::string export_items_json(const std::vector<exporting::ExportItemState>& items);

std::string products_table(const std::vector<exporting::ProductView>& products);
std::string products_json(const std::vector<exporting::ProductView>& products);
std::string product_text(const exporting::ProductView& product);
std::string product_json(const exporting::ProductView& product);

}  // namespace ofbridge::admin
