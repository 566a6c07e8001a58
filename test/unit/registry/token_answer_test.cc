#include "lib/registry/token_answer.h"

#include <chrono>
#include <string>

#include <gtest/gtest.h>

namespace ocib::registry {
namespace {

using std::chrono::seconds;

seconds LifetimeOf(const std::string& body) {
  auto answer = ParseTokenAnswer(body);
  EXPECT_TRUE(answer.has_value()) << body;
  return answer ? answer->lifetime : seconds(-1);
}

TEST(TokenAnswerTest, TokenBeforeAccessToken) {
  auto a = ParseTokenAnswer(R"({"token":"t1","access_token":"t2"})");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->token, "t1");
  auto b = ParseTokenAnswer(R"({"token":"","access_token":"t2"})");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->token, "t2");
}

TEST(TokenAnswerTest, NoTokenOrNoObjectIsUnavailable) {
  for (const char* body : {R"({"expires_in":300})", R"({"token":7})", "[]", "not json", ""}) {
    auto a = ParseTokenAnswer(body);
    ASSERT_FALSE(a.has_value()) << body;
    EXPECT_EQ(a.error().code(), ErrorCode::kUnavailable) << body;
  }
}

TEST(TokenAnswerTest, LifetimeIsClampedExpiresInLessFiveSeconds) {
  EXPECT_EQ(LifetimeOf(R"({"token":"t"})"), seconds(55));
  EXPECT_EQ(LifetimeOf(R"({"token":"t","expires_in":300})"), seconds(295));
  EXPECT_EQ(LifetimeOf(R"({"token":"t","expires_in":300.9})"), seconds(295));
  EXPECT_EQ(LifetimeOf(R"({"token":"t","expires_in":10})"), seconds(55));
  EXPECT_EQ(LifetimeOf(R"({"token":"t","expires_in":-1e300})"), seconds(55));
  EXPECT_EQ(LifetimeOf(R"({"token":"t","expires_in":"300"})"), seconds(55));
  // Beyond a day (and beyond what int64 seconds or the clock can hold).
  EXPECT_EQ(LifetimeOf(R"({"token":"t","expires_in":86400})"), seconds(86395));
  EXPECT_EQ(LifetimeOf(R"({"token":"t","expires_in":1e300})"), seconds(86395));
  EXPECT_EQ(LifetimeOf(R"({"token":"t","expires_in":9223372036854775807})"), seconds(86395));
  EXPECT_EQ(LifetimeOf(R"({"token":"t","expires_in":18446744073709551615})"), seconds(86395));
}

}  // namespace
}  // namespace ocib::registry
