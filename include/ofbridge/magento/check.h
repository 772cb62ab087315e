// `ofbridge check`: what a new user needs to know before the first delivery, one line per
// check: Magento reachable (TLS verified), authenticated, each permission the broker uses
// granted, MSI present, the source codes it will send known to Magento.
#pragma once

#include <string>
#include <vector>

#include "ofbridge/magento/delivery.h"

namespace ofbridge::magento {

struct CheckResult {
    std::string name;  // e.g. "permission Magento_Sales::ship"
    bool ok = false;
    std::string detail;  // what was seen (Magento's message when it failed)
};

// Permissions of write routes are probed with calls Magento refuses after its ACL check and
// before writing anything (an empty source-items list: 400 "Input data is empty"; a ship call for
// order 0: 404), so a check never changes the shop.
std::vector<CheckResult> check_store(const StoreTarget& store);

}  // namespace ofbridge::magento
