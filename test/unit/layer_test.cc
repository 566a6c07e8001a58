#include "ocib/layer.h"

#include <filesystem>
#include <thread>

#include "ocib/media_type.h"
#include "ocib/oci_layout.h"
#include "ocib/validate.h"

#include "lib/io/checksum.h"
#include "lib/io/streams.h"
#include "lib/layout/deferred_store.h"
#include "test/testing/test_util.h"
#include <sys/stat.h>

namespace ocib {
namespace {

using ::ocib::testing::FixturePath;
using ::ocib::testing::IsOk;
using ::ocib::testing::ReadFileOrDie;
using ::ocib::testing::ScopedTempDir;
using ::ocib::testing::StatusIs;
using ::ocib::testing::WriteFileOrDie;
using ::testing::HasSubstr;

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

TEST(FileTreeTest, NormalizePath) {
  EXPECT_EQ(*FileTree::NormalizePath("/usr//local/./bin/"), "usr/local/bin");
  EXPECT_EQ(*FileTree::NormalizePath("a/b/../c"), "a/c");
  EXPECT_THAT(FileTree::NormalizePath("../x"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("escapes")));
  EXPECT_THAT(FileTree::NormalizePath("/../x"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("escapes")));
  EXPECT_THAT(FileTree::NormalizePath("a/../../x"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("escapes")));
  EXPECT_THAT(FileTree::NormalizePath("/"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("root")));
  EXPECT_THAT(FileTree::NormalizePath(std::string_view("a\0b", 3)),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("NUL")));
}

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

TEST(LayerTest, MissingSourceFails) {
  FileTree tree;
  EXPECT_THAT(tree.AddHostPath("/nonexistent/ocib-x", "x"),
              StatusIs(ErrorCode::kNotFound, HasSubstr("/nonexistent/ocib-x")));
  EXPECT_THAT(tree.AddHostFile("/", "x", 0755),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("directory")));
}

TEST(LayoutTest, TagKeepsOtherTagsAndReplacesSameTag) {
  ScopedTempDir tmp;
  auto layout = OciLayout::OpenOrCreate(tmp.path());
  ASSERT_THAT(layout, IsOk());
  auto a = (*layout)->Put(media_type::kImageConfig, "{\"a\":1}");
  auto b = (*layout)->Put(media_type::kImageConfig, "{\"b\":1}");
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  ASSERT_THAT((*layout)->Tag(*a, "one"), IsOk());
  ASSERT_THAT((*layout)->Tag(*a, "two"), IsOk());
  ASSERT_THAT((*layout)->Tag(*b, "two"), IsOk());
  auto idx = (*layout)->ReadIndex();
  ASSERT_THAT(idx, IsOk());
  EXPECT_EQ(idx->manifests.size(), 2u);
  EXPECT_EQ((*layout)->Resolve("one")->digest, a->digest);
  EXPECT_EQ((*layout)->Resolve("two")->digest, b->digest);
  EXPECT_THAT((*layout)->Resolve("three"), StatusIs(ErrorCode::kNotFound, HasSubstr("three")));
  EXPECT_THAT((*layout)->Tag(*a, "_bad"), StatusIs(ErrorCode::kInvalidArgument, HasSubstr("_bad")));
}

TEST(LayoutTest, UpdateIndexAppliesEveryEntryInOneWrite) {
  ScopedTempDir tmp;
  auto layout = OciLayout::OpenOrCreate(tmp.path());
  ASSERT_THAT(layout, IsOk());
  auto a = (*layout)->Put(media_type::kImageManifest, "{\"a\":1}");
  auto b = (*layout)->Put(media_type::kImageManifest, "{\"b\":1}");
  auto c = (*layout)->Put(media_type::kImageManifest, "{\"c\":1}");
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  ASSERT_THAT(c, IsOk());
  ASSERT_THAT((*layout)->Tag(*a, "latest"), IsOk());
  // Two untagged entries (one twice) and a retag, in one update.
  ASSERT_THAT((*layout)->UpdateIndex({{*b, ""}, {*b, ""}, {*c, ""}, {*b, "latest"}}), IsOk());
  auto idx = (*layout)->ReadIndex();
  ASSERT_THAT(idx, IsOk());
  ASSERT_EQ(idx->manifests.size(), 3u);
  EXPECT_EQ(idx->manifests[0].digest, b->digest);
  EXPECT_EQ(idx->manifests[0].annotations.count("org.opencontainers.image.ref.name"), 0u);
  EXPECT_EQ(idx->manifests[1].digest, c->digest);
  EXPECT_EQ((*layout)->Resolve("latest")->digest, b->digest);

  // The same update again changes nothing: index.json is not rewritten.
  const std::string index_path = tmp.path() + "/index.json";
  struct stat before {};
  ASSERT_EQ(::stat(index_path.c_str(), &before), 0);
  ASSERT_THAT((*layout)->UpdateIndex({{*b, ""}, {*c, ""}, {*b, "latest"}}), IsOk());
  struct stat after {};
  ASSERT_EQ(::stat(index_path.c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino);  // a rewrite renames a new file over it

  // A bad tag anywhere rejects the whole update.
  EXPECT_THAT((*layout)->UpdateIndex({{*a, ""}, {*a, "bad tag"}}),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("bad tag")));
  EXPECT_EQ((*layout)->ReadIndex()->manifests.size(), 3u);
}

TEST(DeferredBlobStoreTest, HoldsBlobsUntilFlushThenWritesThemAll) {
  ScopedTempDir tmp;
  auto layout = OciLayout::OpenOrCreate(tmp.path());
  ASSERT_THAT(layout, IsOk());
  DeferredBlobStore docs(**layout);
  std::vector<Descriptor> put;
  for (int i = 0; i < 12; ++i) {
    auto d = docs.Put(media_type::kImageConfig, "{\"n\":" + std::to_string(i) + "}");
    ASSERT_THAT(d, IsOk());
    put.push_back(*d);
  }
  ASSERT_THAT(docs.Put(media_type::kImageConfig, "{\"n\":0}"), IsOk());  // idempotent
  EXPECT_EQ(docs.pending(), 12u);
  // Readable through the deferred store, not yet in the layout.
  EXPECT_THAT(docs.ReadAll(put[3].digest), IsOk());
  EXPECT_EQ(*docs.ReadAll(put[3].digest), "{\"n\":3}");
  EXPECT_TRUE(*docs.Has(put[3].digest));
  EXPECT_FALSE(*(*layout)->Has(put[3].digest));
  // A writer whose content is not what the caller expected stores nothing.
  auto w = docs.NewWriter();
  ASSERT_THAT(w, IsOk());
  ASSERT_THAT((*w)->Write("xyz", 3), IsOk());
  EXPECT_THAT((*w)->Commit(media_type::kImageConfig, put[0].digest),
              StatusIs(ErrorCode::kDataLoss, HasSubstr("expected")));
  EXPECT_EQ(docs.pending(), 12u);

  ASSERT_THAT(docs.Flush(), IsOk());
  EXPECT_EQ(docs.pending(), 0u);
  for (const auto& d : put) {
    auto bytes = (*layout)->ReadAll(d.digest);  // checks the digest
    ASSERT_THAT(bytes, IsOk());
    EXPECT_EQ(static_cast<int64_t>(bytes->size()), d.size);
  }
  // No temporary file is left next to the blobs.
  for (const auto& e : std::filesystem::directory_iterator(tmp.path() + "/blobs")) {
    EXPECT_EQ(e.path().filename(), "sha256");
  }
}

TEST(DeferredBlobStoreTest, FlushReportsTheTargetsError) {
  ScopedTempDir tmp;
  auto layout = OciLayout::OpenOrCreate(tmp.path() + "/l");
  ASSERT_THAT(layout, IsOk());
  DeferredBlobStore docs(**layout);
  auto d = docs.Put(media_type::kImageConfig, "{}");
  ASSERT_THAT(d, IsOk());
  // The layout's blobs directory is replaced by a file: no blob can be written.
  std::filesystem::remove_all(tmp.path() + "/l/blobs");
  WriteFileOrDie(tmp.path() + "/l/blobs", "not a directory");
  EXPECT_THAT(docs.Flush(), StatusIs(ErrorCode::kIo, HasSubstr(d->digest.ToString())));
}

// Known answers from `xxhsum -H2` (xxHash 0.8.1, Debian 12's xxhash
// package), which prints XXH3-128 in its canonical big-endian form.
TEST(ChecksumTest, MatchesXxhsum) {
  EXPECT_EQ(io::ChecksumOf(""), "xxh3-128:99aa06d3014798d86001c324468d497f");
  EXPECT_EQ(io::ChecksumOf("abc"), "xxh3-128:06b05ab6733a618578af5f94892f3950");
  EXPECT_EQ(io::ChecksumOf("The quick brown fox jumps over the lazy dog"),
            "xxh3-128:ddd650205ca3e7fa24a1cc2e3a8a7651");
  // 3,000,000 bytes, (i * 31) % 251: longer than the file reader's buffer.
  std::string big(3000000, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 31) % 251);
  const std::string expected = "xxh3-128:71af40fe9efbd139b7172683a24b0741";
  EXPECT_EQ(io::ChecksumOf(big), expected);
  // Streamed in uneven pieces, and read from a file, it is the same.
  io::Checksummer pieces;
  for (size_t at = 0, n = 1; at < big.size(); at += n, n = n * 3 + 1) {
    n = std::min(n, big.size() - at);
    pieces.Update(big.data() + at, n);
  }
  EXPECT_EQ(pieces.Finish(), expected);
  ScopedTempDir tmp;
  WriteFileOrDie(tmp.path() + "/big", big);
  auto sums = io::SumFile(tmp.path() + "/big", /*with_sha256=*/true);
  ASSERT_THAT(sums, IsOk());
  EXPECT_EQ(sums->checksum, expected);
  EXPECT_EQ(sums->size, 3000000);
  EXPECT_EQ(sums->sha256, Digest::Sha256Of(big));
  auto fast = io::SumFile(tmp.path() + "/big", /*with_sha256=*/false);
  ASSERT_THAT(fast, IsOk());
  EXPECT_FALSE(fast->sha256.has_value());
  EXPECT_THAT(io::SumFile(tmp.path() + "/missing", false),
              StatusIs(ErrorCode::kNotFound, HasSubstr("missing")));
}

TEST(LayoutTest, PutAllStoresEveryBlobAndLeavesPresentOnesAlone) {
  ScopedTempDir tmp;
  auto layout = OciLayout::OpenOrCreate(tmp.path());
  ASSERT_THAT(layout, IsOk());
  auto held = (*layout)->Put(media_type::kImageConfig, "{\"held\":true}");
  ASSERT_THAT(held, IsOk());
  struct stat before {};
  ASSERT_EQ(::stat((*layout)->BlobPath(held->digest).c_str(), &before), 0);

  std::vector<std::string> texts = {"{\"held\":true}"};
  for (int i = 0; i < 10; ++i) texts.push_back("{\"n\":" + std::to_string(i) + "}");
  std::vector<OciLayout::BlobBytes> blobs;
  for (const auto& t : texts) blobs.push_back({t, Digest::Sha256Of(t)});
  ASSERT_THAT((*layout)->PutAll(blobs), IsOk());
  for (const auto& b : blobs) {
    auto bytes = (*layout)->ReadAll(b.digest);  // checks the digest
    ASSERT_THAT(bytes, IsOk());
    EXPECT_EQ(*bytes, b.bytes);
    struct stat st {};
    ASSERT_EQ(::stat((*layout)->BlobPath(b.digest).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0644u);
  }
  struct stat after {};
  ASSERT_EQ(::stat((*layout)->BlobPath(held->digest).c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino);  // not written again
  for (const auto& e : std::filesystem::directory_iterator(tmp.path() + "/blobs")) {
    EXPECT_EQ(e.path().filename(), "sha256");  // no temporary file left
  }
  auto report = ValidateLayout(tmp.path());
  ASSERT_THAT(report, IsOk());
  EXPECT_TRUE(report->problems.empty());
}

TEST(LayoutTest, PutAllWithAWrongDigestStoresNothing) {
  ScopedTempDir tmp;
  auto layout = OciLayout::OpenOrCreate(tmp.path());
  ASSERT_THAT(layout, IsOk());
  const std::string a = "{\"a\":1}";
  const std::string b = "{\"b\":2}";
  std::vector<OciLayout::BlobBytes> blobs = {{a, Digest::Sha256Of(a)},
                                             {b, Digest::Sha256Of("something else")}};
  EXPECT_THAT(
      (*layout)->PutAll(blobs),
      StatusIs(ErrorCode::kDataLoss, HasSubstr(Digest::Sha256Of("something else").ToString())));
  EXPECT_FALSE(*(*layout)->Has(Digest::Sha256Of(a)));
  for (const auto& e : std::filesystem::directory_iterator(tmp.path() + "/blobs")) {
    EXPECT_EQ(e.path().filename(), "sha256");
  }
}

TEST(LayoutTest, ConcurrentTaggersAllLand) {
  ScopedTempDir tmp;
  ASSERT_THAT(OciLayout::OpenOrCreate(tmp.path()), IsOk());
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto layout = OciLayout::Open(tmp.path());  // separate handles, like separate processes
      ASSERT_THAT(layout, IsOk());
      auto d = (*layout)->Put(media_type::kImageConfig, "{\"n\":" + std::to_string(i) + "}");
      ASSERT_THAT(d, IsOk());
      ASSERT_THAT((*layout)->Tag(*d, "t" + std::to_string(i)), IsOk());
    });
  }
  for (auto& t : threads) t.join();
  auto idx = (*OciLayout::Open(tmp.path()))->ReadIndex();
  ASSERT_THAT(idx, IsOk());
  EXPECT_EQ(idx->manifests.size(), 8u);
}

TEST(LayoutTest, CopyFromChecksDigestAndSizeAndSkipsWhatIsThere) {
  ScopedTempDir tmp;
  auto from = OciLayout::OpenOrCreate(tmp.path() + "/from");
  auto to = OciLayout::OpenOrCreate(tmp.path() + "/to");
  ASSERT_THAT(from, IsOk());
  ASSERT_THAT(to, IsOk());
  auto put = (*from)->Put(media_type::kLayerTar, "content");
  ASSERT_THAT(put, IsOk());

  Descriptor short_size = *put;
  short_size.size = 3;
  EXPECT_THAT((*to)->CopyFrom(**from, short_size),
              StatusIs(ErrorCode::kDataLoss, HasSubstr("its descriptor says 3")));
  EXPECT_FALSE(*(*to)->Has(put->digest));
  Descriptor other = *put;
  other.digest = Digest::Sha256Of("other");
  EXPECT_THAT((*to)->CopyFrom(**from, other),
              StatusIs(ErrorCode::kNotFound, HasSubstr(other.digest.encoded())));

  ASSERT_THAT((*to)->CopyFrom(**from, *put), IsOk());
  EXPECT_EQ(ReadFileOrDie((*to)->BlobPath(put->digest)), "content");
  // Held already: not read from the source again (here: gone from it).
  std::filesystem::remove((*from)->BlobPath(put->digest));
  EXPECT_THAT((*to)->CopyFrom(**from, *put), IsOk());
}

TEST(LayoutTest, CommitWithWrongDigestStoresNothing) {
  ScopedTempDir tmp;
  auto layout = OciLayout::OpenOrCreate(tmp.path());
  ASSERT_THAT(layout, IsOk());
  auto w = (*layout)->NewWriter();
  ASSERT_THAT(w, IsOk());
  ASSERT_THAT((*w)->Write("abc", 3), IsOk());
  EXPECT_THAT((*w)->Commit(media_type::kLayerTar, Digest::Sha256Of("abd")),
              StatusIs(ErrorCode::kDataLoss, HasSubstr("does not match")));
  EXPECT_FALSE(*(*layout)->Has(Digest::Sha256Of("abc")));
  int files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(tmp.path() + "/blobs")) {
    files += e.is_regular_file() ? 1 : 0;
  }
  EXPECT_EQ(files, 0) << "no temporary file is left behind";
}

TEST(LayoutTest, AbandonedWriterLeavesNothing) {
  ScopedTempDir tmp;
  auto layout = OciLayout::OpenOrCreate(tmp.path());
  ASSERT_THAT(layout, IsOk());
  {
    auto w = (*layout)->NewWriter();
    ASSERT_THAT(w, IsOk());
    ASSERT_THAT((*w)->Write("partial", 7), IsOk());
  }
  int files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(tmp.path() + "/blobs")) {
    files += e.is_regular_file() ? 1 : 0;
  }
  EXPECT_EQ(files, 0);
}

TEST(LayoutTest, CorruptIndexIsRejectedNotOverwritten) {
  ScopedTempDir tmp;
  ASSERT_THAT(OciLayout::OpenOrCreate(tmp.path()), IsOk());
  WriteFileOrDie(tmp.path() + "/index.json", "{not json");
  EXPECT_THAT(OciLayout::OpenOrCreate(tmp.path()),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("index.json")));
  EXPECT_EQ(ReadFileOrDie(tmp.path() + "/index.json"), "{not json");
}

TEST(ValidateTest, DetectsFlippedByte) {
  ScopedTempDir tmp;
  auto layout = OciLayout::OpenOrCreate(tmp.path());
  ASSERT_THAT(layout, IsOk());
  auto d = (*layout)->Put(media_type::kImageIndex, R"({"manifests":[],"schemaVersion":2})");
  ASSERT_THAT(d, IsOk());
  ASSERT_THAT((*layout)->Tag(*d, "x"), IsOk());
  auto ok = ValidateLayout(tmp.path());
  ASSERT_THAT(ok, IsOk());
  EXPECT_TRUE(ok->problems.empty());
  std::string path = (*layout)->BlobPath(d->digest);
  std::string bytes = ReadFileOrDie(path);
  bytes[5] = static_cast<char>(bytes[5] ^ 1);
  WriteFileOrDie(path, bytes);
  auto bad = ValidateLayout(tmp.path());
  ASSERT_THAT(bad, IsOk());
  ASSERT_EQ(bad->problems.size(), 1u);
  EXPECT_THAT(bad->problems[0], HasSubstr("does not match"));
}

}  // namespace
}  // namespace ocib
