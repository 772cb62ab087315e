// How the magento2 target's outbox is shown (`ofbridge outbox list`): a table for people, one
// JSON document for scripts.
#pragma once

#include <string>
#include <vector>

#include "ofbridge/outbox/outbox.h"

namespace ofbridge::admin {

std::string outbox_table(const std::vector<outbox::OutboxRow>& rows);
std::string outbox_json(const std::vector<outbox::OutboxRow>& rows);

}  // namespace ofbridge::admin
