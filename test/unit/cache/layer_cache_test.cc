#include "ocib/layer_cache.h"

#include <fcntl.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <thread>

#include <nlohmann/json.hpp>

#include "ocib/oci_layout.h"

#include "lib/io/checksum.h"
#include "test/testing/test_util.h"
#include <sys/stat.h>

namespace ocib {
namespace {

using ::ocib::testing::IsOk;
using ::ocib::testing::ReadFileOrDie;
using ::ocib::testing::ScopedTempDir;
using ::ocib::testing::StatusIs;
using ::ocib::testing::WriteFileOrDie;

// An old mtime, so the content digest is remembered.
void Age(const std::string& path) {
  struct timespec times[2] = {{1000000000, 0}, {1000000000, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
}

// The entry file of `key`.
std::string EntryFile(const LayerCache& cache, const std::string& key) {
  return cache.path() + "/keys/" + key.substr(0, 2) + "/" + key + ".json";
}

class LayerCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    src_ = tmp_.path() + "/src";
    std::filesystem::create_directories(src_ + "/dir");
    WriteFileOrDie(src_ + "/app", std::string(300000, 'x') + "binary");
    WriteFileOrDie(src_ + "/dir/conf", "k=v\n");
    Age(src_ + "/app");
    Age(src_ + "/dir/conf");
    auto cache = LayerCache::Open(tmp_.path() + "/cache");
    ASSERT_TRUE(cache) << cache.error().ToString();
    cache_ = std::move(*cache);
  }
  FileTree Tree() {
    FileTree t;
    EXPECT_THAT(t.AddHostFile(src_ + "/app", "/app", 0755), IsOk());
    EXPECT_THAT(t.AddHostPath(src_ + "/dir", "/etc/app"), IsOk());
    return t;
  }
  std::unique_ptr<OciLayout> NewLayout(const std::string& name) {
    auto l = OciLayout::OpenOrCreate(tmp_.path() + "/" + name);
    EXPECT_TRUE(l);
    return std::move(*l);
  }
  // Three cached layers, built into the layout "o": Tree() at the default
  // level (a) and at level 9 (b), and a one-file tree (c).
  struct Three {
    Layer a, b, c;
    LayerOptions level9;
    FileTree small;
  };
  Three BuildThree() {
    Three t;
    t.level9.level = 9;
    EXPECT_THAT(t.small.AddFile("/small", "s", 0644), IsOk());
    auto out = NewLayout("o");
    auto a = cache_->GetOrBuild(Tree(), *out, {});
    auto b = cache_->GetOrBuild(Tree(), *out, t.level9);
    auto c = cache_->GetOrBuild(t.small, *out, {});
    EXPECT_TRUE(a && b && c);
    t.a = a.value_or(Layer{});
    t.b = b.value_or(Layer{});
    t.c = c.value_or(Layer{});
    return t;
  }
  // Tree() built once through the cache into the new layout "o1": its cache
  // key and its layer.
  std::pair<std::string, Layer> BuildOnce() {
    auto key = cache_->Key(Tree(), {});
    EXPECT_TRUE(key);
    auto layer = cache_->GetOrBuild(Tree(), *NewLayout("o1"), {});
    EXPECT_TRUE(layer);
    return {key.value_or(""), layer.value_or(Layer{})};
  }
  nlohmann::json ReadEntry(const std::string& key) {
    return nlohmann::json::parse(ReadFileOrDie(EntryFile(*cache_, key)));
  }
  void WriteEntry(const std::string& key, const nlohmann::json& j) {
    WriteFileOrDie(EntryFile(*cache_, key), j.dump());
  }
  // The path of the one cached blob of `layer`.
  std::string CachedBlob(const Layer& layer) {
    return cache_->path() + "/layers/blobs/sha256/" + layer.descriptor.digest.encoded();
  }

  ScopedTempDir tmp_;
  std::string src_;
  std::unique_ptr<LayerCache> cache_;
};

TEST_F(LayerCacheTest, SecondBuildIsReusedAndIdentical) {
  auto out1 = NewLayout("o1");
  bool reused = true;
  auto first = cache_->GetOrBuild(Tree(), *out1, {}, &reused);
  ASSERT_TRUE(first) << first.error().ToString();
  EXPECT_FALSE(reused);
  auto out2 = NewLayout("o2");
  auto second = cache_->GetOrBuild(Tree(), *out2, {}, &reused);
  ASSERT_TRUE(second);
  EXPECT_TRUE(reused);
  EXPECT_EQ(second->descriptor.digest, first->descriptor.digest);
  EXPECT_EQ(second->diff_id, first->diff_id);
  EXPECT_EQ(second->uncompressed_size, first->uncompressed_size);
  // The blob was copied into the second layout.
  EXPECT_EQ(ReadFileOrDie(out2->BlobPath(first->descriptor.digest)),
            ReadFileOrDie(out1->BlobPath(first->descriptor.digest)));
  // And it is what BuildLayer gives without a cache.
  auto out3 = NewLayout("o3");
  auto plain = BuildLayer(Tree(), *out3, {});
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->descriptor.digest, first->descriptor.digest);
}

TEST_F(LayerCacheTest, KeyIgnoresHostPathAndMtimeButNotContentOrMetadata) {
  auto base = cache_->Key(Tree(), {});
  ASSERT_TRUE(base);
  // The same content elsewhere, with other mtimes.
  std::filesystem::copy(src_, tmp_.path() + "/elsewhere", std::filesystem::copy_options::recursive);
  FileTree moved;
  ASSERT_THAT(moved.AddHostFile(tmp_.path() + "/elsewhere/app", "/app", 0755), IsOk());
  ASSERT_THAT(moved.AddHostPath(tmp_.path() + "/elsewhere/dir", "/etc/app"), IsOk());
  EXPECT_EQ(*cache_->Key(moved, {}), *base);

  LayerOptions gzip;
  gzip.compression = Compression::kGzip;
  EXPECT_NE(*cache_->Key(Tree(), gzip), *base);
  LayerOptions level;
  level.level = 9;
  EXPECT_NE(*cache_->Key(Tree(), level), *base);
  LayerOptions mtime;
  mtime.mtime = 1700000000;
  EXPECT_NE(*cache_->Key(Tree(), mtime), *base);

  FileTree mode;
  ASSERT_THAT(mode.AddHostFile(src_ + "/app", "/app", 0700), IsOk());
  ASSERT_THAT(mode.AddHostPath(src_ + "/dir", "/etc/app"), IsOk());
  EXPECT_NE(*cache_->Key(mode, {}), *base);

  FileTree dest;
  ASSERT_THAT(dest.AddHostFile(src_ + "/app", "/bin/app", 0755), IsOk());
  ASSERT_THAT(dest.AddHostPath(src_ + "/dir", "/etc/app"), IsOk());
  EXPECT_NE(*cache_->Key(dest, {}), *base);

  // Same size, one byte changed, mtime put back: the remembered digest is
  // keyed by ctime too, so the change is seen.
  std::string content = ReadFileOrDie(src_ + "/dir/conf");
  content[0] = 'K';
  WriteFileOrDie(src_ + "/dir/conf", content);
  Age(src_ + "/dir/conf");
  EXPECT_NE(*cache_->Key(Tree(), {}), *base);
}

TEST_F(LayerCacheTest, CorruptBlobIsDetectedAndRebuilt) {
  auto out1 = NewLayout("o1");
  auto first = cache_->GetOrBuild(Tree(), *out1, {});
  ASSERT_TRUE(first);
  const std::string blob = CachedBlob(*first);
  std::string bytes = ReadFileOrDie(blob);
  bytes[bytes.size() / 2] ^= 0x01;
  ::chmod(blob.c_str(), 0644);
  WriteFileOrDie(blob, bytes);

  auto out2 = NewLayout("o2");
  bool reused = true;
  auto second = cache_->GetOrBuild(Tree(), *out2, {}, &reused);
  ASSERT_TRUE(second) << second.error().ToString();
  EXPECT_FALSE(reused);
  EXPECT_EQ(second->descriptor.digest, first->descriptor.digest);
  // The output holds the right bytes and the cache was repaired.
  EXPECT_EQ(Digest::Sha256Of(ReadFileOrDie(out2->BlobPath(first->descriptor.digest))),
            first->descriptor.digest);
  EXPECT_EQ(Digest::Sha256Of(ReadFileOrDie(blob)), first->descriptor.digest);
}

TEST_F(LayerCacheTest, FindReturnsOnlyIntactEntriesAndNeverBuilds) {
  auto key = cache_->Key(Tree(), {});
  ASSERT_TRUE(key);
  auto out0 = NewLayout("o0");
  EXPECT_FALSE(cache_->Find(*key, *out0, {}));  // empty cache: nothing, and nothing built
  const std::string blobs0 = out0->path() + "/blobs/sha256";
  EXPECT_TRUE(!std::filesystem::exists(blobs0) || std::filesystem::is_empty(blobs0));

  auto out1 = NewLayout("o1");
  auto first = cache_->GetOrBuild(Tree(), *out1, {});
  ASSERT_TRUE(first);
  auto out2 = NewLayout("o2");
  auto hit = cache_->Find(*key, *out2, {});
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->descriptor.digest, first->descriptor.digest);
  EXPECT_EQ(hit->diff_id, first->diff_id);
  EXPECT_EQ(Digest::Sha256Of(ReadFileOrDie(out2->BlobPath(first->descriptor.digest))),
            first->descriptor.digest);

  // Another compression level is another key: no hit.
  LayerOptions other;
  other.level = 19;
  auto other_key = cache_->Key(Tree(), other);
  ASSERT_TRUE(other_key);
  EXPECT_NE(*other_key, *key);
  EXPECT_FALSE(cache_->Find(*other_key, *NewLayout("o3"), other));

  // A flipped byte: no hit, and the entry is gone (GetOrBuild rebuilds it).
  const std::string blob = CachedBlob(*first);
  std::string bytes = ReadFileOrDie(blob);
  bytes[bytes.size() / 2] ^= 0x01;
  ::chmod(blob.c_str(), 0644);
  WriteFileOrDie(blob, bytes);
  auto out4 = NewLayout("o4");
  EXPECT_FALSE(cache_->Find(*key, *out4, {}));
  EXPECT_FALSE(std::filesystem::exists(out4->BlobPath(first->descriptor.digest)));
  bool reused = true;
  ASSERT_TRUE(cache_->GetOrBuild(Tree(), *out4, {}, &reused));
  EXPECT_FALSE(reused);
}

TEST_F(LayerCacheTest, CheckNeedsNoDestinationAndPlaceLinksTheCheckedBlob) {
  auto key = cache_->Key(Tree(), {});
  ASSERT_TRUE(key);
  EXPECT_FALSE(cache_->Check(*key, {}));  // empty cache
  auto out1 = NewLayout("o1");
  auto first = cache_->GetOrBuild(Tree(), *out1, {});
  ASSERT_TRUE(first);

  auto checked = cache_->Check(*key, {});
  ASSERT_TRUE(checked.has_value());
  EXPECT_EQ(checked->descriptor.digest, first->descriptor.digest);
  EXPECT_EQ(checked->diff_id, first->diff_id);
  // Placed into a layout made after the check: the same inode as the cache's blob.
  auto out2 = NewLayout("o2");
  ASSERT_TRUE(cache_->Place(*checked, *out2));
  struct stat cached {};
  struct stat placed {};
  ASSERT_EQ(::stat(CachedBlob(*first).c_str(), &cached), 0);
  ASSERT_EQ(::stat(out2->BlobPath(first->descriptor.digest).c_str(), &placed), 0);
  EXPECT_EQ(cached.st_ino, placed.st_ino);
  EXPECT_TRUE(cache_->Place(*checked, *out2));  // already there: nothing to do

  // A truncated blob fails the check and its entry is dropped.
  ASSERT_EQ(::truncate(CachedBlob(*first).c_str(), 10), 0);
  EXPECT_FALSE(cache_->Check(*key, {}));
  EXPECT_FALSE(cache_->Peek(*key, {}));
  EXPECT_FALSE(std::filesystem::exists(CachedBlob(*first)));
}

TEST_F(LayerCacheTest, EntryRecordsTheChecksumOfTheBytesWritten) {
  auto [key, layer] = BuildOnce();
  nlohmann::json entry = ReadEntry(key);
  EXPECT_EQ(entry.value("checksum", ""), io::ChecksumOf(ReadFileOrDie(CachedBlob(layer))));
  EXPECT_EQ(entry.value("digest", ""), layer.descriptor.digest.ToString());
}

TEST_F(LayerCacheTest, AWrongChecksumFailsTheCheck) {
  auto [key, first] = BuildOnce();
  // The blob is intact (its sha256 matches), the entry names another checksum.
  nlohmann::json entry = ReadEntry(key);
  entry["checksum"] = io::ChecksumOf("other bytes");
  WriteEntry(key, entry);
  EXPECT_FALSE(cache_->Check(key, {}));
  EXPECT_FALSE(std::filesystem::exists(EntryFile(*cache_, key)));  // dropped
  bool reused = true;
  auto second = cache_->GetOrBuild(Tree(), *NewLayout("o2"), {}, &reused);
  ASSERT_TRUE(second);
  EXPECT_FALSE(reused);
  EXPECT_EQ(second->descriptor.digest, first.descriptor.digest);
  EXPECT_EQ(ReadEntry(key).value("checksum", ""), io::ChecksumOf(ReadFileOrDie(CachedBlob(first))));
}

TEST_F(LayerCacheTest, AnEntryWithoutAChecksumIsCheckedBySha256AndGetsOne) {
  auto [key, first] = BuildOnce();
  const std::string checksum = ReadEntry(key).value("checksum", "");
  ASSERT_FALSE(checksum.empty());
  // As an ocib that recorded no checksum wrote it.
  nlohmann::json entry = ReadEntry(key);
  entry.erase("checksum");
  WriteEntry(key, entry);
  auto checked = cache_->Check(key, {});
  ASSERT_TRUE(checked.has_value());
  EXPECT_EQ(checked->descriptor.digest, first.descriptor.digest);
  EXPECT_EQ(ReadEntry(key).value("checksum", ""), checksum);  // recorded by the check

  // Without a checksum, a flipped byte fails the sha256 check.
  WriteEntry(key, entry);
  const std::string blob = CachedBlob(first);
  std::string bytes = ReadFileOrDie(blob);
  bytes[bytes.size() / 3] ^= 0x10;
  ::chmod(blob.c_str(), 0644);
  WriteFileOrDie(blob, bytes);
  EXPECT_FALSE(cache_->Check(key, {}));
  EXPECT_FALSE(std::filesystem::exists(EntryFile(*cache_, key)));
  EXPECT_FALSE(std::filesystem::exists(blob));
}

TEST_F(LayerCacheTest, TruncatedBlobAndBrokenEntryAreRebuilt) {
  auto out1 = NewLayout("o1");
  auto first = cache_->GetOrBuild(Tree(), *out1, {});
  ASSERT_TRUE(first);
  ASSERT_EQ(::truncate(CachedBlob(*first).c_str(), 10), 0);
  auto out2 = NewLayout("o2");
  bool reused = true;
  auto second = cache_->GetOrBuild(Tree(), *out2, {}, &reused);
  ASSERT_TRUE(second);
  EXPECT_FALSE(reused);
  EXPECT_EQ(second->descriptor.digest, first->descriptor.digest);

  // Now break every entry file.
  for (const auto& e : std::filesystem::recursive_directory_iterator(cache_->path() + "/keys")) {
    if (e.is_regular_file()) WriteFileOrDie(e.path().string(), "{\"key\": 1");
  }
  auto out3 = NewLayout("o3");
  auto third = cache_->GetOrBuild(Tree(), *out3, {}, &reused);
  ASSERT_TRUE(third);
  EXPECT_FALSE(reused);
  EXPECT_EQ(third->descriptor.digest, first->descriptor.digest);
  auto out4 = NewLayout("o4");
  ASSERT_TRUE(cache_->GetOrBuild(Tree(), *out4, {}, &reused));
  EXPECT_TRUE(reused);
}

TEST_F(LayerCacheTest, ConcurrentBuildsShareOneCache) {
  // Several threads and a second cache object on the same directory.
  auto other = LayerCache::Open(cache_->path());
  ASSERT_TRUE(other);
  std::vector<std::unique_ptr<OciLayout>> outs;
  for (int i = 0; i < 6; ++i) outs.push_back(NewLayout("c" + std::to_string(i)));
  std::vector<Result<Layer>> results(6, Result<Layer>(InvalidArgument("not run")));
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      LayerCache& c = (i % 2 == 0) ? *cache_ : **other;
      results[static_cast<size_t>(i)] = c.GetOrBuild(Tree(), *outs[static_cast<size_t>(i)], {});
    });
  }
  for (auto& t : threads) t.join();
  for (auto& r : results) {
    ASSERT_TRUE(r) << r.error().ToString();
    EXPECT_EQ(r->descriptor.digest, results[0]->descriptor.digest);
  }
  // No temporary file is left anywhere in the cache.
  for (const auto& e : std::filesystem::recursive_directory_iterator(cache_->path())) {
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
  }
}

TEST_F(LayerCacheTest, ConcurrentOpensOfANewCacheAllSucceed) {
  for (int round = 0; round < 20; ++round) {
    const std::string dir = tmp_.path() + "/fresh" + std::to_string(round);
    std::vector<std::thread> threads;
    std::vector<int> ok(8, 0);
    for (size_t i = 0; i < ok.size(); ++i) {
      threads.emplace_back([&, i] { ok[i] = LayerCache::Open(dir) ? 1 : 0; });
    }
    for (auto& t : threads) t.join();
    for (int v : ok) EXPECT_EQ(v, 1) << dir;
    EXPECT_TRUE(OciLayout::Open(dir + "/layers"));
  }
}

TEST_F(LayerCacheTest, ContentIdReplacesTheEntriesInTheKeyUntilTheTreeChanges) {
  FileTree a = Tree();
  FileTree b;
  ASSERT_THAT(b.AddFile("/other", "bytes", 0644), IsOk());
  auto plain = cache_->Key(a, {});
  ASSERT_TRUE(plain);
  a.SetContentId("id-1");
  b.SetContentId("id-1");
  auto ka = cache_->Key(a, {});
  auto kb = cache_->Key(b, {});
  ASSERT_TRUE(ka);
  ASSERT_TRUE(kb);
  EXPECT_EQ(*ka, *kb);  // the entries are not read
  EXPECT_NE(*ka, *plain);
  b.SetContentId("id-2");
  EXPECT_NE(*cache_->Key(b, {}), *ka);
  // Adding an entry clears the id: the key is made from the entries again.
  ASSERT_THAT(a.AddFile("/more", "x", 0644), IsOk());
  EXPECT_TRUE(a.content_id().empty());
  EXPECT_NE(*cache_->Key(a, {}), *ka);
}

TEST_F(LayerCacheTest, InlineContentIsKeyedByItsBytes) {
  FileTree a;
  ASSERT_THAT(a.AddFile("etc/x", "one", 0644), IsOk());
  FileTree b;
  ASSERT_THAT(b.AddFile("etc/x", "two", 0644), IsOk());
  EXPECT_NE(*cache_->Key(a, {}), *cache_->Key(b, {}));
}

// The entry file of `key`, and setting its last use.
void SetUsed(const std::string& path, time_t when) {
  struct timespec times[2] = {{when, 0}, {when, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
}

TEST_F(LayerCacheTest, ReuseMarksTheEntryUsed) {
  auto out1 = NewLayout("o1");
  ASSERT_TRUE(cache_->GetOrBuild(Tree(), *out1, {}));
  auto key = cache_->Key(Tree(), {});
  ASSERT_TRUE(key);
  const std::string entry = EntryFile(*cache_, *key);
  SetUsed(entry, 1000000000);
  ASSERT_TRUE(cache_->Find(*key, *NewLayout("o2"), {}));
  struct stat st {};
  ASSERT_EQ(::stat(entry.c_str(), &st), 0);
  EXPECT_GT(st.st_mtim.tv_sec, std::time(nullptr) - 60);
  SetUsed(entry, 1000000000);
  ASSERT_TRUE(cache_->Check(*key, {}));
  ASSERT_EQ(::stat(entry.c_str(), &st), 0);
  EXPECT_GT(st.st_mtim.tv_sec, std::time(nullptr) - 60);
  SetUsed(entry, 1000000000);
  ASSERT_TRUE(cache_->Peek(*key, {}));  // a peek is not a use
  ASSERT_EQ(::stat(entry.c_str(), &st), 0);
  EXPECT_EQ(st.st_mtim.tv_sec, 1000000000);
}

TEST_F(LayerCacheTest, PruneByLastUseSizeAndAll) {
  // Three layers: the tree, the tree at another level, a small one.
  auto [a, b, c, level9, small] = BuildThree();
  auto ka = cache_->Key(Tree(), {});
  auto kb = cache_->Key(Tree(), level9);
  auto kc = cache_->Key(small, {});
  const time_t now = std::time(nullptr);
  SetUsed(EntryFile(*cache_, *ka), now - 3 * 86400);  // oldest
  SetUsed(EntryFile(*cache_, *kb), now - 2 * 86400);
  SetUsed(EntryFile(*cache_, *kc), now - 60);

  // Nothing to do without limits.
  auto r0 = LayerCache::Prune(cache_->path(), {});
  ASSERT_TRUE(r0) << r0.error().ToString();
  EXPECT_EQ(r0->entries_removed, 0);
  EXPECT_EQ(r0->entries_kept, 3);
  EXPECT_EQ(r0->bytes_kept, a.descriptor.size + b.descriptor.size + c.descriptor.size);

  // Unused for more than 2.5 days: only a. A dry run says so and removes nothing.
  LayerCache::PruneOptions old;
  old.unused_for_seconds = 5 * 86400 / 2;
  old.dry_run = true;
  auto dry = LayerCache::Prune(cache_->path(), old);
  ASSERT_TRUE(dry);
  EXPECT_EQ(dry->entries_removed, 1);
  EXPECT_EQ(dry->bytes_removed, a.descriptor.size);
  EXPECT_EQ(dry->entries_kept, 2);
  EXPECT_TRUE(cache_->Peek(*ka, {}));
  EXPECT_TRUE(std::filesystem::exists(CachedBlob(a)));
  old.dry_run = false;
  auto r1 = LayerCache::Prune(cache_->path(), old);
  ASSERT_TRUE(r1);
  EXPECT_EQ(r1->entries_removed, 1);
  EXPECT_EQ(r1->bytes_removed, a.descriptor.size);
  EXPECT_FALSE(cache_->Peek(*ka, {}));
  EXPECT_FALSE(std::filesystem::exists(CachedBlob(a)));
  EXPECT_TRUE(cache_->Check(*kb, level9));
  SetUsed(EntryFile(*cache_, *kb), now - 2 * 86400);

  // A size that fits c but not b as well: b (older) goes.
  LayerCache::PruneOptions fit;
  fit.max_bytes = c.descriptor.size + b.descriptor.size - 1;
  auto r2 = LayerCache::Prune(cache_->path(), fit);
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->entries_removed, 1);
  EXPECT_EQ(r2->entries_kept, 1);
  EXPECT_EQ(r2->bytes_kept, c.descriptor.size);
  EXPECT_FALSE(cache_->Peek(*kb, level9));
  EXPECT_TRUE(cache_->Check(*kc, {}));

  // A blob no entry names: kept while new, unless everything goes.
  WriteFileOrDie(cache_->path() + "/layers/blobs/sha256/" + std::string(64, 'a'), "orphan");
  auto r3 = LayerCache::Prune(cache_->path(), {});
  ASSERT_TRUE(r3);
  EXPECT_EQ(r3->bytes_removed, 0);
  EXPECT_EQ(r3->bytes_kept, c.descriptor.size + 6);
  LayerCache::PruneOptions all;
  all.all = true;
  auto r4 = LayerCache::Prune(cache_->path(), all);
  ASSERT_TRUE(r4);
  EXPECT_EQ(r4->entries_removed, 1);
  EXPECT_EQ(r4->bytes_removed, c.descriptor.size + 6);
  EXPECT_EQ(r4->bytes_kept, 0);
  int memos = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(cache_->path() + "/files")) {
    memos += e.is_regular_file() ? 1 : 0;
  }
  EXPECT_EQ(memos, 0);  // remembered content digests go too
  // And the shard directories they were in.
  for (const char* sub : {"/keys", "/files"}) {
    EXPECT_TRUE(std::filesystem::is_empty(cache_->path() + sub)) << sub;
  }
  // The cache still works.
  bool reused = true;
  ASSERT_TRUE(cache_->GetOrBuild(small, *NewLayout("o2"), {}, &reused));
  EXPECT_FALSE(reused);
}

TEST_F(LayerCacheTest, VerifyReadsEveryBlobAndDropsTheBrokenEntries) {
  auto [a, b, c, level9, small] = BuildThree();
  auto ok = LayerCache::Verify(cache_->path());
  ASSERT_TRUE(ok) << ok.error().ToString();
  EXPECT_EQ(ok->entries_checked, 3);
  EXPECT_EQ(ok->bytes_checked, a.descriptor.size + b.descriptor.size + c.descriptor.size);
  EXPECT_EQ(ok->entries_dropped, 0);
  EXPECT_TRUE(ok->problems.empty());

  // a: one byte changed in place (same size); b: its blob gone.
  const std::string blob_a = CachedBlob(a);
  std::string bytes = ReadFileOrDie(blob_a);
  bytes[bytes.size() / 2] ^= 0x04;
  ::chmod(blob_a.c_str(), 0644);
  WriteFileOrDie(blob_a, bytes);
  ASSERT_EQ(::unlink(CachedBlob(b).c_str()), 0);
  auto broken = LayerCache::Verify(cache_->path());
  ASSERT_TRUE(broken) << broken.error().ToString();
  EXPECT_EQ(broken->entries_checked, 1);
  EXPECT_EQ(broken->bytes_checked, c.descriptor.size);
  EXPECT_EQ(broken->entries_dropped, 2);
  ASSERT_EQ(broken->problems.size(), 2u);
  std::string all = broken->problems[0] + "\n" + broken->problems[1];
  EXPECT_NE(all.find(a.descriptor.digest.ToString() + ": its content has digest "),
            std::string::npos)
      << all;
  EXPECT_NE(all.find(b.descriptor.digest.ToString()), std::string::npos) << all;
  EXPECT_FALSE(std::filesystem::exists(blob_a));
  EXPECT_FALSE(cache_->Peek(*cache_->Key(Tree(), {}), {}));
  EXPECT_FALSE(cache_->Peek(*cache_->Key(Tree(), level9), level9));
  EXPECT_TRUE(cache_->Check(*cache_->Key(small, {}), {}));

  EXPECT_THAT(LayerCache::Verify(tmp_.path() + "/nothing"),
              StatusIs(ErrorCode::kNotFound, ::testing::HasSubstr("no layer cache")));
}

TEST_F(LayerCacheTest, PruneDropsBrokenEntriesAndRejectsANonCache) {
  auto out = NewLayout("o");
  auto a = cache_->GetOrBuild(Tree(), *out, {});
  ASSERT_TRUE(a);
  auto key = cache_->Key(Tree(), {});
  ASSERT_EQ(::truncate(CachedBlob(*a).c_str(), 10), 0);  // wrong size: broken
  auto r = LayerCache::Prune(cache_->path(), {});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->entries_removed, 1);
  EXPECT_FALSE(std::filesystem::exists(EntryFile(*cache_, *key)));
  EXPECT_THAT(LayerCache::Prune(tmp_.path() + "/none", {}),
              StatusIs(ErrorCode::kNotFound, ::testing::HasSubstr("no layer cache")));
}

TEST(LayerCacheDirTest, DefaultDirFollowsXdgThenHome) {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  const char* home = std::getenv("HOME");
  std::string saved_xdg = xdg ? xdg : "";
  std::string saved_home = home ? home : "";
  ::setenv("XDG_CACHE_HOME", "/x/cache", 1);
  EXPECT_EQ(*LayerCache::DefaultDir(), "/x/cache/ocib");
  ::setenv("XDG_CACHE_HOME", "relative", 1);
  ::setenv("HOME", "/home/u", 1);
  EXPECT_EQ(*LayerCache::DefaultDir(), "/home/u/.cache/ocib");
  ::unsetenv("XDG_CACHE_HOME");
  ::unsetenv("HOME");
  EXPECT_FALSE(LayerCache::DefaultDir());
  if (xdg) ::setenv("XDG_CACHE_HOME", saved_xdg.c_str(), 1);
  if (home) ::setenv("HOME", saved_home.c_str(), 1);
}

}  // namespace
}  // namespace ocib
