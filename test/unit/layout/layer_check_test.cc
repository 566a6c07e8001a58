// CompressionOfMagic (lib/layout/layer_check.h): the compression a layer's
// first bytes announce, at the exact lengths of the magic numbers.
#include "lib/layout/layer_check.h"

#include <string>

#include <gtest/gtest.h>

namespace ocib {
namespace {

TEST(LayerCheckTest, CompressionOfMagicAtTheExactLengths) {
  EXPECT_EQ(CompressionOfMagic(std::string("\x1f\x8b", 2)), "gzip");
  EXPECT_EQ(CompressionOfMagic(std::string("\x1f\x8b\x08\x00", 4)), "gzip");
  EXPECT_EQ(CompressionOfMagic(std::string("\x1f", 1)), "");
  EXPECT_EQ(CompressionOfMagic(std::string("\x28\xb5\x2f\xfd", 4)), "zstd");
  EXPECT_EQ(CompressionOfMagic(std::string("\x28\xb5\x2f", 3)), "");
  EXPECT_EQ(CompressionOfMagic(std::string("\x28\xb5\x2f\xfe", 4)), "");
  EXPECT_EQ(CompressionOfMagic("ustar"), "");
  EXPECT_EQ(CompressionOfMagic(""), "");
}

}  // namespace
}  // namespace ocib
