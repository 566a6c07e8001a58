// `oci:DIR[:TAG]` and registry locations for push/pull/copy.
#include <gtest/gtest.h>

#include "ocib/pull.h"

namespace ocib {
namespace {

TEST(ImageLocationTest, Layouts) {
  auto a = ImageLocation::Parse("oci:/tmp/x:v1");
  ASSERT_TRUE(a.has_value());
  EXPECT_TRUE(a->is_layout);
  EXPECT_EQ(a->layout_dir, "/tmp/x");
  EXPECT_EQ(a->layout_tag, "v1");
  auto b = ImageLocation::Parse("oci:rel/dir");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->layout_dir, "rel/dir");
  EXPECT_EQ(b->layout_tag, "");
  EXPECT_FALSE(ImageLocation::Parse("oci:").has_value());
}

TEST(ImageLocationTest, Registries) {
  auto a = ImageLocation::Parse("127.0.0.1:5000/app:1");
  ASSERT_TRUE(a.has_value());
  EXPECT_FALSE(a->is_layout);
  EXPECT_EQ(a->reference.domain(), "127.0.0.1:5000");
  EXPECT_EQ(a->reference.tag(), "1");
  auto b = ImageLocation::Parse("docker://busybox");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->reference.String(), "docker.io/library/busybox");
  EXPECT_FALSE(ImageLocation::Parse("Bad/Upper").has_value());
}

}  // namespace
}  // namespace ocib
