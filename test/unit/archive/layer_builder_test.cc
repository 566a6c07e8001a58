// Tests for the one-pass layer pipeline's progress (lib/archive/layer_builder.cc);
// its bytes and reproducibility are tested in test/unit/layer_test.cc.
#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

#include "ocib/layer.h"
#include "ocib/oci_layout.h"

#include "test/testing/test_util.h"

namespace ocib {
namespace {

using ::ocib::testing::IsOk;
using ::ocib::testing::ScopedTempDir;
using ::ocib::testing::WriteFileOrDie;

// on_bytes counts the tar's bytes: growing, at most every 256 KiB apart
// (the tar writer's own chunks allowing), ending at the layer's
// uncompressed size; and it changes nothing in the output.
TEST(LayerProgressTest, OnBytesGrowsToTheTarSize) {
  ScopedTempDir tmp;
  auto layout = OciLayout::OpenOrCreate(tmp.path() + "/out");
  ASSERT_THAT(layout, IsOk());
  FileTree tree;
  WriteFileOrDie(tmp.path() + "/big", std::string(2 << 20, 'a'));
  ASSERT_THAT(tree.AddHostFile(tmp.path() + "/big", "big", 0644), IsOk());
  ASSERT_THAT(tree.AddFile("small", "b", 0644), IsOk());
  std::vector<int64_t> done;
  LayerOptions with;
  with.compression = Compression::kGzip;
  with.on_bytes = [&done](int64_t n) { done.push_back(n); };
  auto a = BuildLayer(tree, **layout, with);
  ASSERT_THAT(a, IsOk());
  ASSERT_GE(done.size(), 8U);  // 2 MiB in 256 KiB steps
  for (size_t i = 1; i < done.size(); ++i) {
    EXPECT_GT(done[i], done[i - 1]);
    if (i + 1 < done.size()) {
      EXPECT_GE(done[i] - done[i - 1], 256 << 10);
    }
  }
  EXPECT_EQ(done.back(), a->uncompressed_size);
  LayerOptions without;
  without.compression = Compression::kGzip;
  auto b = BuildLayer(tree, **layout, without);
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ(a->descriptor.digest, b->descriptor.digest);
}

// A layer that fails (its file vanished) reports no final count.
TEST(LayerProgressTest, AFailedLayerDoesNotReportTheEnd) {
  ScopedTempDir tmp;
  auto layout = OciLayout::OpenOrCreate(tmp.path() + "/out");
  ASSERT_THAT(layout, IsOk());
  FileTree tree;
  WriteFileOrDie(tmp.path() + "/gone", "x");
  ASSERT_THAT(tree.AddHostFile(tmp.path() + "/gone", "x", 0644), IsOk());
  ASSERT_EQ(::unlink((tmp.path() + "/gone").c_str()), 0);
  int calls = 0;
  LayerOptions o;
  o.on_bytes = [&calls](int64_t) { ++calls; };
  EXPECT_FALSE(BuildLayer(tree, **layout, o).has_value());
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace ocib
