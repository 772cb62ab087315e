// POST /api/v1/orders with 10,000 orders while the WMS keeps sending (DESIGN §7, issue 11): the
// import runs on the one writer in slices, and no ingest ack waits for more than the slice that
// was running when it arrived. Asserted on structure, not on time: the writer's slice count when
// each ack was submitted and when its batch committed (on_commit runs on the writer thread, right
// after the COMMIT of a batch that stored a request).
#include <sqlite3.h>

#include <future>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ofbridge/orders/order_store.h"
#include "ofbridge/queue/request_store.h"
#include "ofbridge/storage/sqlite/database.h"
#include "ofbridge/storage/writer.h"
#include "store_fixtures.h"
#include "temp_dir.h"

namespace ofbridge::orders {
namespace {

using storage::testing::TempDir;

std::vector<Order> many_orders(std::size_t count) {
    std::vector<Order> orders;
    orders.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        Order o;
        o.increment_id = "B" + std::to_string(100000 + i);
        o.state = "processing";
        o.status = "processing";
        o.created_at = "2026-11-20 08:00:00";
        o.updated_at = o.created_at;
        o.raw_json = "{\"increment_id\":\"" + o.increment_id + "\"}";
        OrderItem item;
        item.item_id = static_cast<std::int64_t>(i + 1);
        item.sku = "SKU-" + std::to_string(i % 100);
        item.qty_ordered = 2;
        o.items.push_back(std::move(item));
        orders.push_back(std::move(o));
    }
    return orders;
}

TEST(OrderImportBudget, AcksDuringATenThousandOrderImportCommitBetweenItsSlices) {
    TempDir dir;
    storage::WriterOptions options{dir.file("ofbridge.db")};
    std::mutex mutex;
    std::vector<std::uint64_t> slices_at_ack_commit;  // one per batch that stored a request
    storage::Writer* observed = nullptr;
    options.on_commit = [&] {
        std::lock_guard lock(mutex);
        slices_at_ack_commit.push_back(observed->stats().slices);
    };
    storage::Writer writer(options);
    {
        std::lock_guard lock(mutex);
        observed = &writer;
    }
    queue::RequestStore requests(writer);

    constexpr std::size_t order_count = 10'000;
    std::promise<ImportResult> import_answer;
    auto import_result = import_answer.get_future();
    import_orders(writer, many_orders(order_count),
                  [&](ImportResult result) { import_answer.set_value(std::move(result)); });

    // A sequential sender, as the WMS sends: each message after the previous ack.
    std::int64_t seq = 1;
    std::size_t acks = 0;
    while (import_result.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
        std::promise<queue::StoreResult<queue::EnqueueResult>> ack;
        requests.enqueue(queue::testing::request(queue::testing::inventory(seq++, 1)),
                         [&](auto result) { ack.set_value(std::move(result)); });
        const auto stored = ack.get_future().get();
        ASSERT_TRUE(std::holds_alternative<queue::EnqueueResult>(stored));
        ++acks;
    }
    const auto result = import_result.get();
    ASSERT_TRUE(std::holds_alternative<ImportSummary>(result));
    EXPECT_EQ(std::get<ImportSummary>(result).created, order_count);
    EXPECT_EQ(OrderReader(dir.file("ofbridge.db")).list({std::nullopt, 0}).size(), order_count);

    const auto stats = writer.stats();
    // Split into slices of at most slice_rows orders (fewer once a slice's budget is spent).
    EXPECT_GE(stats.slices, order_count / options.slice_rows);
    // No ack waited for the import: at most for the one slice that was being taken as it came
    // in, i.e. one batch_budget.
    EXPECT_LE(stats.max_slices_waited, 1u);
    std::lock_guard lock(mutex);
    ASSERT_EQ(slices_at_ack_commit.size(), acks);
    // The acks interleave with the slices: all of them committed before the import's last
    // slice, but possibly the one sent while it ran.
    std::size_t before_last_slice = 0;
    for (const auto slices : slices_at_ack_commit)
        if (slices < stats.slices) ++before_last_slice;
    EXPECT_GE(before_last_slice, 1u);
    EXPECT_GE(before_last_slice + 1, acks);
}

// A refusal that only the stored rows reveal, in a later slice: the slices before it stay
// imported and the message says how many; the failing slice is rolled back whole.
TEST(OrderImportBudget, ARefusalInALaterSliceNamesWhatWasImported) {
    TempDir dir;
    storage::WriterOptions options{dir.file("ofbridge.db")};
    options.slice_rows = 2;
    options.batch_budget = std::chrono::hours(1);  // slices of exactly slice_rows orders
    storage::Writer writer(options);
    auto orders = many_orders(6);
    {
        std::promise<ImportResult> first;
        import_orders(writer, {orders[4]}, [&](ImportResult r) { first.set_value(std::move(r)); });
        ASSERT_TRUE(std::holds_alternative<ImportSummary>(first.get_future().get()));
    }
    {
        storage::sqlite::Database db(dir.file("ofbridge.db"), SQLITE_OPEN_READWRITE);
        db.exec("UPDATE order_items SET qty_shipped = 1");  // the broker shipped order 5's item
    }
    orders[4].items.front().item_id = 999;  // drops the shipped item: refused
    orders[4].items.front().sku = "OTHER";
    std::promise<ImportResult> answer;
    import_orders(writer, orders, [&](ImportResult r) { answer.set_value(std::move(r)); });
    const auto result = answer.get_future().get();
    ASSERT_TRUE(std::holds_alternative<OrderImportError>(result));
    const std::string message = std::get<OrderImportError>(result).what();
    EXPECT_NE(message.find("order 5 (B100004)"), std::string::npos) << message;
    EXPECT_NE(message.find("the 4 order(s) before it in the document were imported"),
              std::string::npos)
        << message;
    OrderReader reader(dir.file("ofbridge.db"));
    EXPECT_TRUE(reader.get("B100003"));
    EXPECT_FALSE(reader.get("B100005"));  // in the failing slice: rolled back
    EXPECT_EQ(reader.get("B100004")->items.front().item_id, 5);  // unchanged
}

}  // namespace
}  // namespace ofbridge::orders
