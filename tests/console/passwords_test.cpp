#include "ofbridge/console/passwords.h"

#include <gtest/gtest.h>

namespace ofbridge::console {
namespace {

TEST(Passwords, Argon2idHashVerifiesOnlyItsPassword) {
    const auto hash = hash_password("correct horse");
    EXPECT_TRUE(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$")) << hash;
    EXPECT_TRUE(verify_password(hash, "correct horse"));
    EXPECT_FALSE(verify_password(hash, "correct horsE"));
    EXPECT_FALSE(verify_password(hash, ""));
    EXPECT_NE(hash_password("correct horse"), hash);  // a fresh salt each time
}

TEST(Passwords, SomethingThatIsNotAnArgon2idHashNeverVerifies) {
    EXPECT_FALSE(verify_password("", ""));
    EXPECT_FALSE(verify_password("plain", "plain"));
    EXPECT_FALSE(verify_password("$argon2id$garbage", "x"));
}

TEST(Passwords, ProblemsAreNamed) {
    EXPECT_EQ(password_problem("short"), "the password must have at least 8 characters");
    EXPECT_EQ(password_problem(std::string("longer\0than8", 12)),
              "the password contains a NUL byte");
    EXPECT_EQ(password_problem(std::string(1025, 'x')),
              "the password must have at most 1024 bytes");
    EXPECT_EQ(password_problem("long enough"), "");
}

TEST(Passwords, TokensAreRandomHex) {
    const auto a = random_token();
    EXPECT_EQ(a.size(), 64u);
    EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_NE(a, random_token());
    EXPECT_TRUE(equal_in_constant_time(a, a));
    EXPECT_FALSE(equal_in_constant_time(a, random_token()));
    EXPECT_FALSE(equal_in_constant_time(a, a.substr(1)));
}

}  // namespace
}  // namespace ofbridge::console
