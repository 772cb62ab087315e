// The shipment planner (see the header for the rules). Kept apart from the worker so the rules,
// which decide what a customer receives, are tested without a database.
#include "ofbridge/domain/shipment_plan.h"

#include <algorithm>
#include <map>
#include <set>

namespace ofbridge::domain {
namespace {

constexpr std::string_view configurable_type = "configurable";

// SKUs come from the wire; keep messages single-line and bounded.
std::string printable(std::string_view text) {
    std::string out;
    for (char c : text.substr(0, 200))
        out.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c);
    if (text.size() > 200) out += "...";
    return out;
}

std::string order_ref(const std::string& increment_id) {
    return "order " + printable(increment_id);
}

// Why an order in this state takes no shipment; nullopt when it may be shipped.
std::optional<std::string> state_refusal(const OrderToShip& order) {
    const std::string prefix = "Order " + printable(order.increment_id);
    if (order.state == "canceled") return prefix + " is canceled and cannot be shipped.";
    if (order.state == "holded") return prefix + " is on hold and cannot be shipped.";
    if (order.state == "closed") return prefix + " is closed and cannot be shipped.";
    if (order.state == "payment_review")
        return prefix + " is in payment review and cannot be shipped.";
    return std::nullopt;
}

std::int64_t remaining_of(const OrderLine& line) {
    return std::max<std::int64_t>(line.qty_ordered - line.qty_shipped - line.qty_canceled, 0);
}

// The order's parent/child structure and, per line, the line that ships for it.
class OrderShape {
public:
    OrderShape(const OrderToShip& order, ConfigurableRule rule) : order_(order) {
        for (std::size_t i = 0; i < order.lines.size(); ++i)
            by_id_.emplace(order.lines[i].item_id, i);
        for (const auto& line : order.lines)
            if (line.parent_item_id && by_id_.contains(*line.parent_item_id))
                children_[*line.parent_item_id].push_back(line.item_id);
        for (const auto& line : order.lines) resolve(line, rule);
    }

    const OrderLine& line(std::int64_t item_id) const { return order_.lines[by_id_.at(item_id)]; }
    const std::set<std::int64_t>& shipping_lines() const { return shipping_; }

    // The lines that ship for `sku`, ascending item_id (empty: the SKU is not on the order).
    std::vector<std::int64_t> targets_for(std::string_view sku) const {
        std::set<std::int64_t> targets;
        for (const auto& [item_id, target] : target_of_)
            if (line(item_id).sku == sku) targets.insert(target);
        return {targets.begin(), targets.end()};
    }

    // Lines whose qty_shipped moves with `target`'s: itself, plus the configurable child when
    // the parent ships for it.
    std::vector<std::int64_t> recorded_on(std::int64_t target) const {
        std::vector<std::int64_t> ids{target};
        if (is_configurable_parent(target))
            for (auto child : children_.at(target)) ids.push_back(child);
        return ids;
    }

private:
    const OrderLine* parent_of(const OrderLine& l) const {
        if (!l.parent_item_id) return nullptr;
        const auto found = by_id_.find(*l.parent_item_id);
        return found == by_id_.end() ? nullptr : &order_.lines[found->second];
    }
    bool is_configurable_parent(std::int64_t item_id) const {
        return children_.contains(item_id) && line(item_id).product_type == configurable_type;
    }

    void resolve(const OrderLine& l, ConfigurableRule rule) {
        const OrderLine* parent = parent_of(l);
        const bool has_children = children_.contains(l.item_id);
        if (parent && parent->product_type == configurable_type) {
            // A configurable's simple child.
            target_of_[l.item_id] = rule == ConfigurableRule::parent ? parent->item_id : l.item_id;
            if (rule == ConfigurableRule::child) shipping_.insert(l.item_id);
        } else if (has_children && l.product_type == configurable_type) {
            // Magento has exactly one child per configurable line; with several (not something
            // Magento writes) the first in item_id order stands for the line under `child`.
            if (rule == ConfigurableRule::parent) {
                target_of_[l.item_id] = l.item_id;
                shipping_.insert(l.item_id);
            } else {
                target_of_[l.item_id] = *std::min_element(children_.at(l.item_id).begin(),
                                                          children_.at(l.item_id).end());
            }
        } else if (has_children) {
            // A bundle (or another kind of parent): the children carry the quantity.
        } else {
            target_of_[l.item_id] = l.item_id;
            shipping_.insert(l.item_id);
        }
    }

    const OrderToShip& order_;
    std::map<std::int64_t, std::size_t> by_id_;
    std::map<std::int64_t, std::vector<std::int64_t>> children_;
    std::map<std::int64_t, std::int64_t> target_of_;  // item -> line that ships for it
    std::set<std::int64_t> shipping_;
};

std::string exceeds_message(const OrderToShip& order, const std::string& sku,
                            std::int64_t requested, std::int64_t available,
                            const std::vector<const OrderLine*>& lines) {
    std::int64_t ordered = 0, shipped = 0, canceled = 0;
    for (const auto* l : lines) {
        ordered += l->qty_ordered;
        shipped += l->qty_shipped;
        canceled += l->qty_canceled;
    }
    std::string text = "Cannot ship " + std::to_string(requested) + " x '" + printable(sku) +
                       "' on " + order_ref(order.increment_id) + ": ";
    text += available == 0 ? std::string{"nothing remains unshipped"}
                           : "only " + std::to_string(available) + " remain unshipped";
    text += " (ordered " + std::to_string(ordered) + ", shipped " + std::to_string(shipped) +
            ", canceled " + std::to_string(canceled) + ").";
    return text;
}

}  // namespace

std::string order_not_found_message(const std::string& increment_id) {
    return "Order " + printable(increment_id) + " not found.";
}

ShipmentPlanResult plan_shipment(const OrderToShip& order, const std::vector<ShipmentItem>& items,
                                 ConfigurableRule rule) {
    const bool nothing_requested =
        std::none_of(items.begin(), items.end(), [](const ShipmentItem& i) { return i.qty != 0; });
    if (nothing_requested) return ShipmentRefusal{"No items to ship: skuQty is empty."};
    if (auto refusal = state_refusal(order)) return ShipmentRefusal{std::move(*refusal)};
    for (const auto& item : items)
        if (item.qty < 0)
            return ShipmentRefusal{"Invalid quantity " + std::to_string(item.qty) + " for SKU '" +
                                   printable(item.sku) + "' on " + order_ref(order.increment_id) +
                                   "."};

    const OrderShape shape(order, rule);

    // Every SKU must be on the order, and its total must fit what remains on its lines.
    std::map<std::string, std::int64_t, std::less<>> total_by_sku;
    std::vector<std::string> skus_in_order;
    for (const auto& item : items) {
        if (item.qty == 0) continue;
        if (shape.targets_for(item.sku).empty())
            return ShipmentRefusal{"SKU '" + printable(item.sku) + "' is not on " +
                                   order_ref(order.increment_id) + "."};
        if (total_by_sku[item.sku] == 0) skus_in_order.push_back(item.sku);
        total_by_sku[item.sku] += item.qty;
    }
    std::map<std::int64_t, std::int64_t> remaining;  // target line -> still shippable
    for (const auto target : shape.shipping_lines())
        remaining[target] = remaining_of(shape.line(target));
    for (const auto& sku : skus_in_order) {
        const auto targets = shape.targets_for(sku);
        std::int64_t available = 0;
        std::vector<const OrderLine*> lines;
        for (const auto t : targets) {
            available += remaining[t];
            lines.push_back(&shape.line(t));
        }
        const auto requested = total_by_sku[sku];
        if (requested > available)
            return ShipmentRefusal{exceeds_message(order, sku, requested, available, lines)};
        // Reserve now, so a second SKU resolving to the same line sees what is left.
        std::int64_t to_reserve = requested;
        for (const auto t : targets) {
            const auto take = std::min(to_reserve, remaining[t]);
            remaining[t] -= take;
            to_reserve -= take;
        }
    }

    // Allocate line by line, in message order, filling matching lines in item_id order.
    for (const auto target : shape.shipping_lines())
        remaining[target] = remaining_of(shape.line(target));
    ShipmentPlan plan;
    std::map<std::int64_t, std::int64_t> increments;
    for (const auto& item : items) {
        if (item.qty == 0) continue;
        auto shipment =
            std::find_if(plan.shipments.begin(), plan.shipments.end(),
                         [&](const PlannedShipment& s) { return s.source == item.source; });
        if (shipment == plan.shipments.end()) {
            plan.shipments.push_back(PlannedShipment{item.source, {}});
            shipment = std::prev(plan.shipments.end());
        }
        std::int64_t left = item.qty;
        for (const auto target : shape.targets_for(item.sku)) {
            const auto take = std::min(left, remaining[target]);
            if (take == 0) continue;
            remaining[target] -= take;
            left -= take;
            auto planned = std::find_if(shipment->items.begin(), shipment->items.end(),
                                        [&](const PlannedItem& p) {
                                            return p.order_item_id == target && p.sku == item.sku;
                                        });
            if (planned == shipment->items.end())
                shipment->items.push_back(PlannedItem{target, item.sku, take});
            else
                planned->qty += take;
            for (const auto id : shape.recorded_on(target)) increments[id] += take;
            if (left == 0) break;
        }
    }
    for (const auto& [item_id, qty] : increments) plan.increments.push_back({item_id, qty});
    plan.order_complete = std::all_of(remaining.begin(), remaining.end(),
                                      [](const auto& entry) { return entry.second == 0; });
    return plan;
}

}  // namespace ofbridge::domain
