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

// Each line's failure reason ("" for a line the rules accept), of a message that must be valid.
std::vector<std::string> failures_of(const Validated<InventoryUpdate>& v) {
    std::vector<std::string> out;
    if (auto* e = std::get_if<ValidationError>(&v)) {
        ADD_FAILURE() << "faulted: " << e->message;
        return out;
    }
    for (const auto& line : std::get<InventoryUpdate>(v).lines) out.push_back(line.failure);
    return out;
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

TEST(ValidateInventory, MissingPiecesAreFailureLinesNamingTheSku) {
    EXPECT_EQ(
        failures_of(validate(m1({{"A", "1"}, {"B", "2"}}, {{"A", "10"}}), Limits{})),
        (std::vector<std::string>{"", "SKU 'B': skusQty item has no matching skusSeqId item"}));
    auto orphan = validate(m1({{"A", "1"}}, {{"A", "10"}, {"C", "3"}}), Limits{});
    EXPECT_EQ(
        failures_of(orphan),
        (std::vector<std::string>{"", "SKU 'C': skusSeqId item has no matching skusQty item"}));
    const auto& c = std::get<InventoryUpdate>(orphan).lines.at(1);
    EXPECT_EQ(c.sku, "C");
    EXPECT_EQ(c.seq, 3);
    EXPECT_EQ(c.qty, 0);
    auto no_seq = m1({{"A", "1"}}, {{"A", "10"}});
    no_seq.seqs[0].seq.reset();
    EXPECT_EQ(failures_of(validate(no_seq, Limits{})),
              (std::vector<std::string>{"skusSeqId/item[1]/value (SKU 'A') is missing"}));
    no_seq.seqs[0].seq = " ";
    EXPECT_EQ(failures_of(validate(no_seq, Limits{})),
              (std::vector<std::string>{"skusSeqId/item[1]/value (SKU 'A') is missing"}));
    // A required element missing from a qty item is not the operation's shape: a fault.
    auto no_qty = m1({{"A", "1"}}, {{"A", "10"}});
    no_qty.qtys[0].qty.reset();
    EXPECT_EQ(error_of(validate(no_qty, Limits{})), "skusQty/item[1]/value (SKU 'A') is missing");
}

TEST(ValidateInventory, RejectsBadNumbersWithPath) {
    EXPECT_EQ(error_of(validate(m1({{"A", " 7"}}, {{"A", "10"}}), Limits{})),
              "skusQty/item[1]/value (SKU 'A'): expected an integer, got ' 7'");
    EXPECT_NE(error_of(validate(m1({{"A", "1e9"}}, {{"A", "10"}}), Limits{})).find("integer"),
              std::string::npos);
    EXPECT_EQ(error_of(validate(m1({{"A", "ninety"}}, {{"A", "10"}}), Limits{})),
              "skusQty/item[1]/value (SKU 'A'): expected an integer, got 'ninety'");
    EXPECT_EQ(error_of(validate(m1({{"A", "1"}}, {{"A", "x"}}), Limits{})),
              "skusSeqId/item[1]/value (SKU 'A'): expected an integer, got 'x'");
    EXPECT_EQ(error_of(validate(m1({{"A", "1"}}, {{"A", "99999999999999999999"}}), Limits{})),
              "skusSeqId/item[1]/value (SKU 'A'): expected an integer, got "
              "'99999999999999999999'");
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

TEST(ValidateInventory, M2SeqItemWithoutQtyItemIsAFailureLine) {
    WireInventoryUpdate in;
    in.pairing = Pairing::by_sku;
    in.qtys = {{"A", "5", std::nullopt, std::nullopt}};
    in.seqs = {{"A", "1", std::nullopt}, {"Z", "2", std::nullopt}};
    in.message_seq_id = "1";
    EXPECT_EQ(failures_of(validate(in, Limits{})),
              (std::vector<std::string>{
                  "", "SKU 'Z': productSeqs item has no matching productQtys item"}));
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

// DESIGN §2.3: a well-typed value the rules refuse is a Failure line, never a fault, and the
// other lines of the message are untouched.
TEST(ValidateInventory, WellTypedValuesTheRulesRefuseAreFailureLines) {
    const std::string max_seq = "[1, 9223372036854775807]";
    auto v = validate(m1({{"OK", "5"},
                          {"S0", "1"},
                          {"SNEG", "1"},
                          {"QBIG", "2000000000"},
                          {"QLOW", "-1000000001"},
                          {"EDGE", "-1000000000"}},
                         {{"OK", "10"},
                          {"S0", "0"},
                          {"SNEG", "-5"},
                          {"QBIG", "3"},
                          {"QLOW", "4"},
                          {"EDGE", "5"}}),
                      Limits{});
    EXPECT_EQ(failures_of(v),
              (std::vector<std::string>{
                  "", "skusSeqId/item[2]/value (SKU 'S0'): 0 is out of range " + max_seq,
                  "skusSeqId/item[3]/value (SKU 'SNEG'): -5 is out of range " + max_seq,
                  "skusQty/item[4]/value (SKU 'QBIG'): 2000000000 is out of range "
                  "[-1000000000, 1000000000]",
                  "skusQty/item[5]/value (SKU 'QLOW'): -1000000001 is out of range "
                  "[-1000000000, 1000000000]",
                  ""}));
    const auto& lines = std::get<InventoryUpdate>(v).lines;
    EXPECT_EQ(lines[1].seq, 0);   // kept as sent
    EXPECT_EQ(lines[2].seq, -5);  // kept as sent
    EXPECT_EQ(lines[3].qty, 2000000000);
    EXPECT_EQ(lines[3].seq, 3);
}

TEST(ValidateInventory, SeqFailureIsReportedBeforeQtyFailure) {
    EXPECT_EQ(
        failures_of(validate(m1({{"A", "2000000000"}}, {{"A", "0"}}), Limits{})),
        (std::vector<std::string>{
            "skusSeqId/item[1]/value (SKU 'A'): 0 is out of range [1, 9223372036854775807]"}));
}

TEST(ValidateInventory, UnpairableItemsOfOneSkuAreFailureLines) {
    WireInventoryUpdate in;
    in.pairing = Pairing::by_sku;
    in.qtys = {{"A", "1", "w1", std::nullopt},
               {"A", "2", "w2", std::nullopt},
               {"B", "3", std::nullopt, std::nullopt}};
    in.seqs = {{"A", "1", std::nullopt},
               {"A", "2", std::nullopt},
               {"A", "3", std::nullopt},
               {"B", "4", std::nullopt}};
    in.message_seq_id = "1";
    const std::string reason =
        "SKU 'A': 2 productQtys items but 3 productSeqs items; cannot pair them";
    EXPECT_EQ(failures_of(validate(in, Limits{})), (std::vector<std::string>{reason, reason, ""}));
}

TEST(ValidateInventory, MalformedValuesStillFaultTheWholeMessage) {
    // A type error anywhere faults, even next to a line the rules would refuse.
    EXPECT_EQ(
        error_of(validate(m1({{"A", "1"}, {"B", "ninety"}}, {{"A", "0"}, {"B", "1"}}), Limits{})),
        "skusQty/item[2]/value (SKU 'B'): expected an integer, got 'ninety'");
    auto long_time = m1({{"A", "1"}}, {{"A", "1"}});
    long_time.seqs[0].last_order_exported = std::string(65, '2');
    EXPECT_NE(error_of(validate(long_time, Limits{})).find("lastOrderExported"), std::string::npos);
}

// The one text rule of every route (the SOAP gate refuses these bytes too; the JSON route
// relies on this alone).
TEST(ValidateText, ControlCharactersInSkusAreFaultsOnEveryWireStyle) {
    for (const auto pairing : {Pairing::by_position, Pairing::by_sku}) {
        for (const std::string& sku :
             {std::string("A\0B", 3), std::string("A\x1b[2J"), std::string("A\x07"),
              std::string("A\tB"), std::string("A\nB"), std::string("A\x7f"),
              std::string("A\xc2\x9b"), std::string("A\xff"), std::string("A\xef\xbf\xbe")}) {
            auto in = m1({{sku, "1"}}, {{sku, "1"}});
            in.pairing = pairing;
            const auto message = error_of(validate(in, Limits{}));
            EXPECT_EQ(message.rfind(pairing == Pairing::by_sku ? "productQtys/item[1]/sku: "
                                                               : "skusQty/item[1]/key: ",
                                    0),
                      0u)
                << message;
        }
    }
    auto bad_source = m1({{"A", "1"}}, {{"A", "1"}});
    bad_source.qtys[0].source = std::string("w\x1b", 2);
    EXPECT_EQ(error_of(validate(bad_source, Limits{})),
              "skusQty/item[1]/source (SKU 'A'): control character U+001B at byte 1");
}

TEST(ValidateText, EveryTextFieldOfEveryMessageIsChecked) {
    WireShipmentCreate ship;
    ship.order_increment_id = std::string("100\0", 4);
    EXPECT_EQ(std::get<ValidationError>(validate(ship, Limits{})).message,
              "orderIncrementId: control character U+0000 at byte 3");
    ship.order_increment_id = "100";
    ship.items = {{"A", "1", std::nullopt}};
    ship.comment = "line one\r\n\tline two";  // free text keeps tab, CR and LF
    EXPECT_TRUE(std::holds_alternative<ShipmentCreate>(validate(ship, Limits{})));
    ship.comment = "bell\x07";
    EXPECT_EQ(std::get<ValidationError>(validate(ship, Limits{})).message,
              "comment: control character U+0007 at byte 4");
    ship.comment.reset();
    ship.tracks = {"T\x1b"};
    EXPECT_EQ(std::get<ValidationError>(validate(ship, Limits{})).message,
              "tracks/item[1]/trackingNumber: control character U+001B at byte 1");
    auto ack = validate(WireExportAck{Entity::product_export, std::string("S\x07")}, Limits{});
    EXPECT_EQ(std::get<ValidationError>(ack).message,
              "reference: control character U+0007 at byte 1");
}

TEST(ValidateText, TextProblemNamesTheCharacterAndByte) {
    EXPECT_EQ(text_problem("plain-SKU_1.0", TextKind::identifier), std::nullopt);
    EXPECT_EQ(text_problem("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa6", TextKind::identifier),
              std::nullopt);
    // Bidi controls are printable characters; the CLI escapes them when it shows them.
    EXPECT_EQ(text_problem("A\xe2\x80\xae"
                           "1",
                           TextKind::identifier),
              std::nullopt);
    EXPECT_EQ(text_problem("a\tb", TextKind::free_text), std::nullopt);
    EXPECT_EQ(text_problem("a\tb", TextKind::identifier), "control character U+0009 at byte 1");
    EXPECT_EQ(text_problem("ab\x7f", TextKind::free_text), "control character U+007F at byte 2");
    EXPECT_EQ(text_problem("\xc2\x85", TextKind::free_text), "control character U+0085 at byte 0");
    EXPECT_EQ(text_problem("x\xef\xbf\xbf", TextKind::free_text), "non-character U+FFFF at byte 1");
    for (const char* bad : {"\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc3",
                            "\x80", "\xe2\x82"})
        EXPECT_EQ(text_problem(std::string("ok") + bad, TextKind::free_text),
                  "invalid UTF-8 at byte 2")
            << bad;
}

TEST(ValidateText, FaultsNeverEchoControlCharacters) {
    const auto message = error_of(validate(m1({{"A", "1\x1b"}}, {{"A", "1"}}), Limits{}));
    EXPECT_EQ(message, "skusQty/item[1]/value (SKU 'A'): expected an integer, got '1\\x1B'");
}
