#include "ofbridge/domain/messages.h"

#include <gtest/gtest.h>

using namespace ofbridge::domain;

TEST(Messages, SuccessReplyNamesTheMessageSeqId) {
    EXPECT_EQ(success_reply(InventoryUpdate{4, {}}), "Success - Message 4 Received");
    ShipmentCreate shipment;
    shipment.message_seq_id = 77;
    EXPECT_EQ(success_reply(shipment), "Success - Message 77 Received");
    EXPECT_EQ(success_reply(ShipmentCreate{}), "Success - Message  Received");
    EXPECT_EQ(success_reply(ExportAck{Entity::order_export, "100000012"}),
              "Success - Message 100000012 Received");
}

TEST(Messages, EntityOfEachMessage) {
    EXPECT_EQ(entity_of(InventoryUpdate{}), Entity::inventory);
    EXPECT_EQ(entity_of(ShipmentCreate{}), Entity::shipment);
    EXPECT_EQ(entity_of(ExportAck{Entity::product_export, "A"}), Entity::product_export);
    EXPECT_EQ(entity_from_string("order_export"), Entity::order_export);
    EXPECT_FALSE(entity_from_string("stock"));
}
