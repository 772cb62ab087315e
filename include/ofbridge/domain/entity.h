// The kinds of request the WMS sends us. Stored as text in the queue, so the spelling here is
// part of the on-disk format: never rename a value, only add.
#pragma once

#include <optional>
#include <string_view>

namespace ofbridge::domain {

enum class Entity { inventory, shipment, product_export, order_export };

constexpr std::string_view to_string(Entity e) {
    switch (e) {
        case Entity::inventory:
            return "inventory";
        case Entity::shipment:
            return "shipment";
        case Entity::product_export:
            return "product_export";
        case Entity::order_export:
            return "order_export";
    }
    return "unknown";
}

constexpr std::optional<Entity> entity_from_string(std::string_view s) {
    for (auto e :
         {Entity::inventory, Entity::shipment, Entity::product_export, Entity::order_export})
        if (to_string(e) == s) return e;
    return std::nullopt;
}

}  // namespace ofbridge::domain
