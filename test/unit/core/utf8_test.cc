// core::IsUtf8 (lib/core/utf8.h).
#include "lib/core/utf8.h"

#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace ocib::core {
namespace {

// IsUtf8 at every boundary of the encoding, and in agreement with what
// nlohmann's serializer (which JSON text goes through) accepts.
TEST(Utf8Test, AcceptsWellFormedTextAndNothingElse) {
  for (const char* ok :
       {"", "plain", "\x7f", "\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80", "\xed\x9f\xbf", "\xee\x80\x80",
        "\xef\xbf\xbf", "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf", "caf\xc3\xa9"}) {
    EXPECT_TRUE(IsUtf8(ok)) << ok;
    EXPECT_NO_THROW((void)nlohmann::json(std::string(ok)).dump());
  }
  for (const char* bad :
       {"\x80", "\xbf", "\xc0\x80", "\xc1\xbf", "\xe0\x9f\xbf", "\xed\xa0\x80", "\xed\xbf\xbf",
        "\xf0\x8f\xbf\xbf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff", "\xc2", "\xe2\x82",
        "\xf0\x9f\x98", "\xc2\x41", "a\xe2\x28\xa1"}) {
    EXPECT_FALSE(IsUtf8(bad)) << ::testing::PrintToString(std::string(bad));
    EXPECT_ANY_THROW((void)nlohmann::json(std::string(bad)).dump());
  }
  EXPECT_TRUE(IsUtf8(std::string("a\0b", 3)));
}

}  // namespace
}  // namespace ocib::core
