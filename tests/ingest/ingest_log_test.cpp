// What Ingest writes to the log about wire text: a captured spdlog sink shows that usernames and
// message keys with CR/LF or terminal escapes cannot forge a line or reach a terminal raw.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <future>
#include <sstream>

#include "ofbridge/ingest/ingest.h"

using namespace ofbridge;

namespace {

class IngestLogTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("ofbridge-ingest-log-" +
                std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(dir_);
        config_ = config::default_config();
        config_.stores.at("default").wms.api_key = "key";
        store_ = std::make_unique<storage::Writer>(storage::WriterOptions{dir_ / "q.db"});
        ingest_ = std::make_unique<ingest::Ingest>(config_, *store_, [] { return 1000; });
        previous_ = spdlog::default_logger();
        auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(captured_);
        sink->set_pattern("%v");
        auto logger = std::make_shared<spdlog::logger>("capture", sink);
        logger->set_level(spdlog::level::trace);
        spdlog::set_default_logger(logger);
    }
    void TearDown() override {
        spdlog::set_default_logger(previous_);
        ingest_.reset();
        store_.reset();
        std::filesystem::remove_all(dir_);
    }

    template <typename Call>
    ingest::Outcome wait(Call&& call) {
        std::promise<ingest::Outcome> promise;
        call([&](ingest::Outcome o) { promise.set_value(std::move(o)); });
        return promise.get_future().get();
    }

    std::vector<std::string> lines() {
        std::vector<std::string> out;
        std::istringstream text(captured_.str());
        for (std::string line; std::getline(text, line);) out.push_back(line);
        return out;
    }

    std::filesystem::path dir_;
    config::Config config_;
    std::unique_ptr<storage::Writer> store_;
    std::unique_ptr<ingest::Ingest> ingest_;
    std::shared_ptr<spdlog::logger> previous_;
    std::ostringstream captured_;
};

}  // namespace

TEST_F(IngestLogTest, RefusedUsernameCannotForgeALogLine) {
    auto outcome = wait([&](auto done) {
        ingest_->login({"mallory\r\nINFO login accepted for user 'admin'\x1b[2J", "wrong"}, done);
    });
    EXPECT_EQ(outcome.kind, ingest::Outcome::Kind::access_denied);
    const auto logged = lines();
    ASSERT_EQ(logged.size(), 1u) << captured_.str();
    EXPECT_EQ(logged[0],
              "login refused for user 'mallory\\r\\nINFO login accepted for user "
              "'admin'\\x1B[2J'");
}

TEST_F(IngestLogTest, RefusedTokenUsernameIsEscaped) {
    ingest::Channel channel{"m2_json", "default", "", "127.0.0.1"};
    auto outcome = wait([&](auto done) {
        ingest_->create_token(channel, {std::string{"eve\nforged"}, std::string{"wrong"}}, done);
    });
    EXPECT_EQ(outcome.kind, ingest::Outcome::Kind::unauthorized);
    const auto logged = lines();
    ASSERT_EQ(logged.size(), 1u) << captured_.str();
    EXPECT_NE(logged[0].find("'eve\\nforged'"), std::string::npos) << logged[0];
}

TEST_F(IngestLogTest, ReDeliveredMessageKeyCannotForgeALogLine) {
    config_.stores.at("default").wms.token = "tok";
    ingest_ = std::make_unique<ingest::Ingest>(config_, *store_, [] { return 1000; });
    captured_.str("");
    const domain::WireExportAck ack{domain::Entity::product_export,
                                    std::string{"REF\nforged line"}};
    const ingest::Channel channel{"m2_soap", "default", "tok", "127.0.0.1"};
    for (int delivery = 0; delivery < 2; ++delivery)
        wait([&](auto done) { ingest_->submit(channel, ack, "<b/>", done); });
    ASSERT_FALSE(lines().empty());
    for (const auto& line : lines()) EXPECT_FALSE(line.starts_with("forged line")) << line;
}
