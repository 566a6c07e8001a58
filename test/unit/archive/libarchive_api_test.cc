// libarchive loaded at run time (lib/archive/libarchive_api.h): the table is
// complete, loaded once and shared.
#include "lib/archive/libarchive_api.h"

#include <string>

#include <gtest/gtest.h>

namespace ocib::archive {
namespace {

TEST(LibarchiveApiTest, LoadsOnceWithEveryFunction) {
  auto first = LoadLibarchive();
  ASSERT_TRUE(first) << first.error().ToString();
  auto second = LoadLibarchive();
  ASSERT_TRUE(second) << second.error().ToString();
  EXPECT_EQ(*first, *second);
  const LibarchiveApi& api = **first;
  EXPECT_GE(api.version_number(), 3003003);
  ASSERT_NE(api.version_string(), nullptr);
  EXPECT_FALSE(std::string(api.version_string()).empty());
}

}  // namespace
}  // namespace ocib::archive
