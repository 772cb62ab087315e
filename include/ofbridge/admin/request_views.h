// How requests are shown to admins: as an aligned table / text block for people and as one
// JSON document for scripts. The CLI uses these; the web admin will reuse the JSON form.
#pragma once

#include <string>
#include <vector>

#include "ofbridge/queue/request_reader.h"

namespace ofbridge::admin {

std::string requests_table(const std::vector<queue::RequestSummary>& requests);
std::string requests_json(const std::vector<queue::RequestSummary>& requests);
std::string request_text(const queue::RequestDetail& request);
std::string request_json(const queue::RequestDetail& request);
// "N of M (...)": how far a sliced apply of the request got, for people.
std::string applied_lines_text(const queue::RequestDetail& request);

}  // namespace ofbridge::admin
