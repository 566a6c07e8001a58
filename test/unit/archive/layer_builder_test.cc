// Tests for the one-pass layer pipeline (lib/archive/layer_builder.cc): its
// progress, and its bytes and reproducibility (BuildLayer, DecompressLayer).
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "ocib/layer.h"
#include "ocib/media_type.h"
#include "ocib/oci_layout.h"

#include "lib/io/streams.h"
#include "test/testing/test_util.h"
#include <sys/stat.h>

namespace ocib {
namespace {

using ::ocib::testing::FixturePath;
using ::ocib::testing::IsOk;
using ::ocib::testing::ReadFileOrDie;
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

// ---- Layer bytes: reproducibility, diff_id, decompression -------------------

class HashSink : public Writer {
 public:
  Status Write(const void* p, size_t n) override {
    hasher.Update(p, n);
    bytes += n;
    return {};
  }
  Status Close() override { return {}; }
  Sha256Hasher hasher;
  size_t bytes = 0;
};

TEST(LayerTest, ZstdReaderMatchesGnuTarVector) {
  // content.tar.zst is the zstd form of content.tar (both from upstream): our
  // decompressor must give the tar's exact bytes.
  std::string tar = ReadFileOrDie(FixturePath("vectors/ggcr/crane/content.tar"));
  auto reader = io::FileReader::Open(FixturePath("vectors/ggcr/crane/content.tar.zst"));
  ASSERT_THAT(reader, IsOk());
  HashSink sink;
  ASSERT_THAT(DecompressLayer(**reader, media_type::kLayerTarZstd, sink), IsOk());
  EXPECT_EQ(sink.bytes, tar.size());
  EXPECT_EQ(sink.hasher.Finish(), Digest::Sha256Of(tar));
}

class LayerBuildTest : public ::testing::TestWithParam<Compression> {};

TEST_P(LayerBuildTest, SameTreeTwiceGivesSameDigestsAndDiffIdRoundTrips) {
  ScopedTempDir tmp;
  WriteFileOrDie(tmp.path() + "/src/a.txt", "hello");
  WriteFileOrDie(tmp.path() + "/src/sub/b.sh", "#!/bin/sh\n");
  ::chmod((tmp.path() + "/src/sub/b.sh").c_str(), 0700);
  std::filesystem::create_symlink("a.txt", tmp.path() + "/src/link");
  auto layout = OciLayout::OpenOrCreate(tmp.path() + "/layout");
  ASSERT_THAT(layout, IsOk());
  FileTree tree;
  ASSERT_THAT(tree.AddHostPath(tmp.path() + "/src", "/data"), IsOk());
  LayerOptions opts{
      .compression = GetParam(), .level = 0, .mtime = 1700000000, .threads = 0, .on_bytes = {}};
  auto first = BuildLayer(tree, **layout, opts);
  ASSERT_THAT(first, IsOk());
  // Different mtimes and permissions beyond the exec bit change nothing.
  ::chmod((tmp.path() + "/src/sub/b.sh").c_str(), 0751);
  ::chmod((tmp.path() + "/src/a.txt").c_str(), 0600);
  FileTree again;
  ASSERT_THAT(again.AddHostPath(tmp.path() + "/src", "data"), IsOk());
  auto second = BuildLayer(
      again, **layout,
      {.compression = GetParam(), .level = 0, .mtime = 1700000000, .threads = 1, .on_bytes = {}});
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(first->diff_id, second->diff_id);
  EXPECT_EQ(first->descriptor.digest, second->descriptor.digest);
  EXPECT_EQ(first->descriptor.media_type, LayerMediaType(GetParam()));

  auto reader = (*layout)->Open(first->descriptor.digest);
  ASSERT_THAT(reader, IsOk());
  HashSink sink;
  ASSERT_THAT(DecompressLayer(**reader, first->descriptor.media_type, sink), IsOk());
  EXPECT_EQ(sink.hasher.Finish(), first->diff_id);
  EXPECT_EQ(static_cast<int64_t>(sink.bytes), first->uncompressed_size);
  // Two zero blocks end the tar, without record padding.
  EXPECT_EQ(first->uncompressed_size % 512, 0);
  EXPECT_LT(first->uncompressed_size, 10240);
}

INSTANTIATE_TEST_SUITE_P(AllCompressions, LayerBuildTest,
                         ::testing::Values(Compression::kZstd, Compression::kGzip,
                                           Compression::kNone));

TEST(LayerTest, MtimeChangesDiffId) {
  ScopedTempDir tmp;
  auto layout = OciLayout::OpenOrCreate(tmp.path());
  ASSERT_THAT(layout, IsOk());
  FileTree tree;
  ASSERT_THAT(tree.AddFile("x", "y", 0644), IsOk());
  auto a = BuildLayer(
      tree, **layout,
      {.compression = Compression::kNone, .level = 0, .mtime = 0, .threads = 0, .on_bytes = {}});
  auto b = BuildLayer(
      tree, **layout,
      {.compression = Compression::kNone, .level = 0, .mtime = 1, .threads = 0, .on_bytes = {}});
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  EXPECT_NE(a->diff_id, b->diff_id);
}

}  // namespace
}  // namespace ocib
