#include "ofbridge/domain/validation.h"

#include <gtest/gtest.h>

#include <limits>

using namespace ofbridge::domain;

namespace {

WireInventoryUpdate m1(std::vector<std::pair<std::string, std::string>> qtys,
                       std::vector<std::pair<std::string, std::string>> seqs,
                       std::string message_seq_id = "4") {
    WireInventoryUpdate in;
    in.pairing = Pairing::by_position;
    for (auto& [sku, qty] : qtys) in.qtys.push_back({sku, qty, std::nullopt, std::nullopt});
    for (auto& [sku, seq] : seqs) in.seqs.push_back({sku, seq, std::nullopt});
    in.message_seq_id = message_seq_id;
    return in;
}

std::string error_of(const Validated<InventoryUpdate>& v) {
    auto* e = std::get_if<ValidationError>(&v);
    return e ? e->message : std::string("(valid)");
}

}  // namespace

TEST(ParseInteger, AcceptsCanonicalDecimalOnly) {
    EXPECT_EQ(parse_integer("0"), 0);
    EXPECT_EQ(parse_integer("-12"), -12);
    EXPECT_EQ(parse_integer("+3"), 3);
    EXPECT_EQ(parse_integer("007"), 7);
    EXPECT_EQ(parse_integer("9223372036854775807"), std::numeric_limits<std::int64_t>::max());
    EXPECT_EQ(parse_integer("-9223372036854775808"), std::numeric_limits<std::int64_t>::min());
    for (const char* bad : {"", " 7", "7 ", "1e9", "0x10", "9223372036854775808",
                            "99999999999999999999", "-", "+", "1.5", "5.0", "١"})
        EXPECT_FALSE(parse_integer(bad)) << bad;
}

TEST(ParseInteger, IntegralDecimalsWhenAllowed) {
    EXPECT_EQ(parse_integer("5.0000", true), 5);
    EXPECT_EQ(parse_integer("-2.0", true), -2);
    EXPECT_FALSE(parse_integer("5.5", true));
    EXPECT_FALSE(parse_integer("5.", true));
    EXPECT_FALSE(parse_integer(".0", true));
}

TEST(ValidateInventory, DesignExampleMessage) {
    auto v = validate(m1({{"hdd000", "0"}}, {{"hdd000", "10"}}), Limits{});
    ASSERT_TRUE(std::holds_alternative<InventoryUpdate>(v)) << error_of(v);
    const auto& u = std::get<InventoryUpdate>(v);
    EXPECT_EQ(u.message_seq_id, 4);
    ASSERT_EQ(u.lines.size(), 1u);
    EXPECT_EQ(u.lines[0].sku, "hdd000");
    EXPECT_EQ(u.lines[0].source, "default");
    EXPECT_EQ(u.lines[0].qty, 0);
    EXPECT_EQ(u.lines[0].seq, 10);
}

TEST(ValidateInventory, PositionalPairingKeepsRepeatedSkus) {
    auto v = validate(m1({{"A", "5"}, {"A", "7"}}, {{"A", "12"}, {"A", "11"}}), Limits{});
    ASSERT_TRUE(std::holds_alternative<InventoryUpdate>(v)) << error_of(v);
    const auto& lines = std::get<InventoryUpdate>(v).lines;
    EXPECT_EQ(lines[0].qty, 5);
    EXPECT_EQ(lines[0].seq, 12);
    EXPECT_EQ(lines[1].qty, 7);
    EXPECT_EQ(lines[1].seq, 11);
}

TEST(ValidateInventory, PositionalPairingFallsBackToSkuWhenKeysDisagree) {
    InventoryNotes notes;
    auto v = validate(m1({{"A", "1"}, {"B", "2"}}, {{"B", "20"}, {"A", "10"}}), Limits{}, &notes);
    ASSERT_TRUE(std::holds_alternative<InventoryUpdate>(v)) << error_of(v);
    const auto& lines = std::get<InventoryUpdate>(v).lines;
    EXPECT_EQ(lines[0].sku, "A");
    EXPECT_EQ(lines[0].seq, 10);
    EXPECT_EQ(lines[1].seq, 20);
    EXPECT_TRUE(notes.paired_by_sku_fallback);
}

TEST(ValidateInventory, MissingPiecesNameTheSku) {
    EXPECT_NE(
        error_of(validate(m1({{"A", "1"}, {"B", "2"}}, {{"A", "10"}}), Limits{})).find("SKU 'B'"),
        std::string::npos);
    EXPECT_NE(
        error_of(validate(m1({{"A", "1"}}, {{"A", "10"}, {"C", "3"}}), Limits{})).find("SKU 'C'"),
        std::string::npos);
    auto no_qty = m1({{"A", "1"}}, {{"A", "10"}});
    no_qty.qtys[0].qty.reset();
    EXPECT_EQ(error_of(validate(no_qty, Limits{})), "skusQty/item[1]/value (SKU 'A') is missing");
}

TEST(ValidateInventory, RejectsBadNumbersWithPath) {
    EXPECT_EQ(error_of(validate(m1({{"A", " 7"}}, {{"A", "10"}}), Limits{})),
              "skusQty/item[1]/value (SKU 'A'): expected an integer, got ' 7'");
    EXPECT_NE(error_of(validate(m1({{"A", "1e9"}}, {{"A", "10"}}), Limits{})).find("integer"),
              std::string::npos);
    EXPECT_NE(
        error_of(validate(m1({{"A", "2000000000"}}, {{"A", "10"}}), Limits{})).find("out of range"),
        std::string::npos);
    EXPECT_NE(error_of(validate(m1({{"A", "1"}}, {{"A", "0"}}), Limits{})).find("out of range"),
              std::string::npos);
    EXPECT_NE(error_of(validate(m1({{"A", "1"}}, {{"A", "10"}}, "99999999999999999999"), Limits{}))
                  .find("messageSeqId"),
              std::string::npos);
    EXPECT_EQ(error_of(validate(m1({{"A", "1"}}, {{"A", "10"}}, "x"), Limits{})),
              "messageSeqId: expected an integer, got 'x'");
}

TEST(ValidateInventory, RejectsEmptyOversizedAndBlankSku) {
    EXPECT_EQ(error_of(validate(m1({}, {}), Limits{})), "skusQty has no items");
    EXPECT_NE(error_of(validate(m1({{std::string(65, 'x'), "1"}}, {{std::string(65, 'x'), "1"}}),
                                Limits{}))
                  .find("longer than 64"),
              std::string::npos);
    EXPECT_EQ(error_of(validate(m1({{" ", "1"}}, {{" ", "1"}}), Limits{})),
              "skusQty/item[1]/key is missing");
    Limits small;
    small.max_lines = 1;
    EXPECT_NE(error_of(validate(m1({{"A", "1"}, {"B", "1"}}, {{"A", "1"}, {"B", "1"}}), small))
                  .find("too many items"),
              std::string::npos);
}

TEST(ValidateInventory, M2MultiSourceLinesShareTheSkuSeq) {
    WireInventoryUpdate in;
    in.pairing = Pairing::by_sku;
    in.qtys = {{"A", "5", "warehouse-1", std::nullopt},
               {"A", "3.0000", "warehouse-2", "2026-11-20T10:00:00"},
               {"B", "1", std::nullopt, std::nullopt}};
    in.seqs = {{"B", "7", std::nullopt}, {"A", "99", std::nullopt}};
    in.message_seq_id = "12";
    auto v = validate(in, Limits{});
    ASSERT_TRUE(std::holds_alternative<InventoryUpdate>(v)) << error_of(v);
    const auto& lines = std::get<InventoryUpdate>(v).lines;
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[0].source, "warehouse-1");
    EXPECT_EQ(lines[0].seq, 99);
    EXPECT_EQ(lines[1].source, "warehouse-2");
    EXPECT_EQ(lines[1].qty, 3);
    EXPECT_EQ(lines[1].seq, 99);
    EXPECT_EQ(lines[1].last_order_exported, "2026-11-20T10:00:00");
    EXPECT_EQ(lines[2].source, "default");
    EXPECT_EQ(lines[2].seq, 7);
}

TEST(ValidateInventory, M2SeqItemWithoutQtyItemIsRejected) {
    WireInventoryUpdate in;
    in.pairing = Pairing::by_sku;
    in.qtys = {{"A", "5", std::nullopt, std::nullopt}};
    in.seqs = {{"A", "1", std::nullopt}, {"Z", "2", std::nullopt}};
    in.message_seq_id = "1";
    EXPECT_EQ(error_of(validate(in, Limits{})),
              "SKU 'Z': productSeqs item has no matching productQtys item");
    in.qtys = {{"A", "2.5", std::nullopt, std::nullopt}};
    in.seqs = {{"A", "1", std::nullopt}};
    EXPECT_EQ(error_of(validate(in, Limits{})),
              "productQtys/item[1]/qty (SKU 'A'): expected an integer, got '2.5'");
}

TEST(ValidateShipment, NormalisesTracksAndFlags) {
    WireShipmentCreate in;
    in.order_increment_id = "100000001";
    in.items = {{"A", "1", std::nullopt}, {"B", "2.0000", "wh2"}};
    in.tracking_number = "TRK1";
    in.tracks = {"TRK2", "TRK3"};
    in.email = "1";
    in.include_comment = "false";
    in.courier_name = "DPD";
    in.service_name = "Next Day";
    in.message_seq_id = "55";
    auto v = validate(in, Limits{});
    ASSERT_TRUE(std::holds_alternative<ShipmentCreate>(v));
    const auto& s = std::get<ShipmentCreate>(v);
    EXPECT_EQ(s.tracking_numbers, (std::vector<std::string>{"TRK1", "TRK2", "TRK3"}));
    EXPECT_TRUE(s.email);
    EXPECT_FALSE(s.include_comment);
    EXPECT_EQ(s.items[1].qty, 2);
    EXPECT_EQ(s.items[1].source, "wh2");
    EXPECT_EQ(s.message_seq_id, 55);
}

TEST(ValidateShipment, ErrorsNameTheField) {
    WireShipmentCreate in;
    auto message = [&] {
        auto v = validate(in, Limits{});
        auto* e = std::get_if<ValidationError>(&v);
        return e ? e->message : std::string("(valid)");
    };
    EXPECT_EQ(message(), "orderIncrementId is missing");
    in.order_increment_id = "1";
    EXPECT_EQ(message(), "(valid)");  // empty skuQty is the worker's Failure, not a fault
    in.items = {{"A", "-1", std::nullopt}};
    EXPECT_NE(message().find("skuQty/item[1]/qty (SKU 'A')"), std::string::npos);
    in.items = {{"A", "1", std::nullopt}};
    in.email = "yes";
    EXPECT_EQ(message(), "email: expected 0, 1, true or false, got 'yes'");
}

TEST(ValidateExportAck, ReferenceRequired) {
    auto v = validate(WireExportAck{Entity::order_export, std::nullopt}, Limits{});
    ASSERT_TRUE(std::holds_alternative<ValidationError>(v));
    EXPECT_EQ(std::get<ValidationError>(v).message, "reference is missing");
    auto ok = validate(WireExportAck{Entity::order_export, "100000001"}, Limits{});
    EXPECT_EQ(std::get<ExportAck>(ok).reference, "100000001");
}
