#include "ocib/oci_layout.h"

#include <unistd.h>

#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "ocib/media_type.h"
#include "ocib/validate.h"

#include "lib/io/fs_util.h"
#include "test/testing/test_util.h"
#include <sys/stat.h>
#include <sys/wait.h>

namespace ocib {
namespace {

using ::ocib::testing::IsOk;
using ::ocib::testing::ReadFileOrDie;
using ::ocib::testing::ScopedTempDir;
using ::ocib::testing::StatusIs;
using ::ocib::testing::WriteFileOrDie;
using ::testing::HasSubstr;

namespace fs = std::filesystem;

std::unique_ptr<OciLayout> NewLayout(const std::string& dir) {
  auto l = OciLayout::OpenOrCreate(dir);
  EXPECT_THAT(l, IsOk());
  return l ? std::move(*l) : nullptr;
}

TEST(OciLayoutHostileTest, FifoAsIndexJsonIsAnErrorNotAHang) {
  ScopedTempDir tmp;
  ASSERT_NE(NewLayout(tmp.path()), nullptr);
  fs::remove(tmp.path() + "/index.json");
  ASSERT_EQ(::mkfifo((tmp.path() + "/index.json").c_str(), 0600), 0);
  EXPECT_THAT(OciLayout::Open(tmp.path()),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("a FIFO")));
}

TEST(OciLayoutHostileTest, FifoOrSymlinkAsOciLayoutIsRefused) {
  ScopedTempDir tmp;
  ASSERT_NE(NewLayout(tmp.path()), nullptr);
  fs::remove(tmp.path() + "/oci-layout");
  ASSERT_EQ(::mkfifo((tmp.path() + "/oci-layout").c_str(), 0600), 0);
  EXPECT_THAT(OciLayout::Open(tmp.path()),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("FIFO")));
  fs::remove(tmp.path() + "/oci-layout");
  WriteFileOrDie(tmp.path() + "/real", R"({"imageLayoutVersion":"1.0.0"})");
  fs::create_symlink(tmp.path() + "/real", tmp.path() + "/oci-layout");
  EXPECT_THAT(OciLayout::Open(tmp.path()),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("symbolic link")));
}

TEST(OciLayoutHostileTest, BlobsSymlinkedElsewhereOrFifosAreRefused) {
  ScopedTempDir tmp;
  auto layout = NewLayout(tmp.path());
  ASSERT_NE(layout, nullptr);
  const std::string bytes = "root:x:0:0:root:/root:/bin/bash\n";
  Digest d = Digest::Sha256Of(bytes);
  WriteFileOrDie(tmp.path() + "/outside", bytes);
  fs::create_symlink(tmp.path() + "/outside", layout->BlobPath(d));
  EXPECT_THAT(layout->Open(d), StatusIs(ErrorCode::kInvalidArgument, HasSubstr("symbolic link")));
  EXPECT_THAT(layout->ReadAll(d), StatusIs(ErrorCode::kInvalidArgument, ::testing::_));
  EXPECT_THAT(layout->Has(d), ::testing::Optional(false));

  Digest z = Digest::Sha256Of("zeros");
  fs::create_symlink("/dev/zero", layout->BlobPath(z));
  EXPECT_THAT(layout->Open(z), StatusIs(ErrorCode::kInvalidArgument, ::testing::_));

  Digest f = Digest::Sha256Of("fifo");
  ASSERT_EQ(::mkfifo(layout->BlobPath(f).c_str(), 0600), 0);
  EXPECT_THAT(layout->Open(f), StatusIs(ErrorCode::kInvalidArgument, HasSubstr("FIFO")));
}

TEST(OciLayoutHostileTest, SymlinkedBlobsDirectoryIsRefused) {
  ScopedTempDir tmp;
  ASSERT_NE(NewLayout(tmp.path() + "/l"), nullptr);
  fs::rename(tmp.path() + "/l/blobs/sha256", tmp.path() + "/elsewhere");
  fs::create_symlink(tmp.path() + "/elsewhere", tmp.path() + "/l/blobs/sha256");
  EXPECT_THAT(OciLayout::Open(tmp.path() + "/l"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("not a directory")));
}

TEST(OciLayoutVersionTest, UnknownVersionIsReadButNeverWritten) {
  ScopedTempDir tmp;
  {
    auto layout = NewLayout(tmp.path());
    ASSERT_NE(layout, nullptr);
    auto d = layout->Put(media_type::kImageConfig, "{}");
    ASSERT_THAT(d, IsOk());
    ASSERT_THAT(layout->Tag(*d, "v1"), IsOk());
  }
  WriteFileOrDie(tmp.path() + "/oci-layout", R"({"imageLayoutVersion":"9.9.9"})");
  const std::string index_before = ReadFileOrDie(tmp.path() + "/index.json");

  EXPECT_THAT(OciLayout::OpenOrCreate(tmp.path()),
              StatusIs(ErrorCode::kInvalidArgument,
                       ::testing::AllOf(HasSubstr("oci-layout"), HasSubstr("9.9.9"))));
  auto layout = OciLayout::Open(tmp.path());
  ASSERT_THAT(layout, IsOk());
  EXPECT_EQ((*layout)->layout_version(), "9.9.9");
  EXPECT_THAT((*layout)->Resolve("v1"), IsOk());
  EXPECT_THAT((*layout)->CheckWritable(),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("9.9.9")));
  EXPECT_THAT((*layout)->Put(media_type::kImageConfig, "{\"a\":1}"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("9.9.9")));
  Descriptor other;
  other.media_type = std::string(media_type::kImageConfig);
  other.digest = Digest::Sha256Of("x");
  other.size = 1;
  EXPECT_THAT((*layout)->Tag(other, "v2"), StatusIs(ErrorCode::kInvalidArgument, ::testing::_));
  std::string blob = "y";
  EXPECT_THAT((*layout)->PutAll({{blob, Digest::Sha256Of(blob)}}),
              StatusIs(ErrorCode::kInvalidArgument, ::testing::_));
  EXPECT_FALSE((*layout)->LinkFile(tmp.path() + "/oci-layout", Digest::Sha256Of("z")));
  EXPECT_EQ(ReadFileOrDie(tmp.path() + "/index.json"), index_before);
  EXPECT_FALSE(fs::exists(tmp.path() + "/blobs/sha256/" + Digest::Sha256Of("{\"a\":1}").encoded()));
}

TEST(OciLayoutReuseTest, AWrongBlobOfTheRightSizeIsReplacedNotReused) {
  ScopedTempDir tmp;
  auto layout = NewLayout(tmp.path());
  ASSERT_NE(layout, nullptr);
  const std::string good = "good content";
  const std::string bad = "evil content";  // same size
  ASSERT_EQ(good.size(), bad.size());
  Digest d = Digest::Sha256Of(good);
  WriteFileOrDie(layout->BlobPath(d), bad);
  ASSERT_THAT(layout->Put(media_type::kImageConfig, good), IsOk());
  EXPECT_EQ(ReadFileOrDie(layout->BlobPath(d)), good);

  // PutAll too.
  const std::string good2 = "second blob!";
  Digest d2 = Digest::Sha256Of(good2);
  WriteFileOrDie(layout->BlobPath(d2), std::string(good2.size(), '?'));
  ASSERT_THAT(layout->PutAll({{good2, d2}}), IsOk());
  EXPECT_EQ(ReadFileOrDie(layout->BlobPath(d2)), good2);

  // And a linked blob.
  const std::string good3 = "linked blob";
  Digest d3 = Digest::Sha256Of(good3);
  WriteFileOrDie(tmp.path() + "/src", good3);
  WriteFileOrDie(layout->BlobPath(d3), std::string(good3.size(), '!'));
  EXPECT_TRUE(layout->LinkFile(tmp.path() + "/src", d3));
  EXPECT_EQ(ReadFileOrDie(layout->BlobPath(d3)), good3);
}

TEST(OciLayoutReuseTest, ARightBlobIsKept) {
  ScopedTempDir tmp;
  auto layout = NewLayout(tmp.path());
  ASSERT_NE(layout, nullptr);
  const std::string good = "good content";
  Digest d = Digest::Sha256Of(good);
  WriteFileOrDie(layout->BlobPath(d), good);
  struct stat before {};
  ASSERT_EQ(::stat(layout->BlobPath(d).c_str(), &before), 0);
  ASSERT_THAT(layout->Put(media_type::kImageConfig, good), IsOk());
  struct stat after {};
  ASSERT_EQ(::stat(layout->BlobPath(d).c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino);
}

TEST(OciLayoutDigestTest, StoresAndVerifiesSha512Blobs) {
  ScopedTempDir tmp;
  auto layout = NewLayout(tmp.path());
  ASSERT_NE(layout, nullptr);
  const std::string bytes = "sha512 content";
  Digest d = Digest::Of("sha512", bytes);
  auto put = layout->Put(media_type::kImageConfig, bytes, d);
  ASSERT_THAT(put, IsOk());
  EXPECT_EQ(put->digest, d);
  EXPECT_TRUE(fs::exists(tmp.path() + "/blobs/sha512/" + d.encoded()));
  EXPECT_THAT(layout->ReadAll(d), ::testing::Optional(bytes));
  EXPECT_THAT(layout->Put(media_type::kImageConfig, "other", d),
              StatusIs(ErrorCode::kDataLoss, ::testing::_));
  // A sha512 blob whose content was changed is caught on read.
  WriteFileOrDie(layout->BlobPath(d), "SHA512 content");
  EXPECT_THAT(layout->ReadAll(d), StatusIs(ErrorCode::kDataLoss, ::testing::_));
}

// The pid of a process that has exited.
pid_t DeadPid() {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return pid;
}

TEST(OciLayoutTempTest, StaleTempsOfDeadWritersAreSweptLiveOnesKept) {
  ScopedTempDir tmp;
  auto layout = NewLayout(tmp.path());
  ASSERT_NE(layout, nullptr);
  std::string mine = fsutil::TempSuffix();
  std::string host = mine.substr(mine.find('@'));
  std::string dead = std::to_string(DeadPid()) + "-0-1" + host;
  const std::string stale_blob = tmp.path() + "/blobs/.tmp-" + dead;
  const std::string stale_link = tmp.path() + "/blobs/.tmp-link-" + dead;
  const std::string stale_index = tmp.path() + "/index.json.tmp-" + dead;
  const std::string live_blob = tmp.path() + "/blobs/.tmp-" + mine;
  const std::string other_host = tmp.path() + "/blobs/.tmp-" + dead + ".elsewhere";
  for (const auto& p : {stale_blob, stale_link, stale_index, live_blob, other_host}) {
    WriteFileOrDie(p, "partial");
  }
  auto d = layout->Put(media_type::kImageConfig, "{}");
  ASSERT_THAT(d, IsOk());
  ASSERT_THAT(layout->Tag(*d, "v1"), IsOk());
  EXPECT_FALSE(fs::exists(stale_blob));
  EXPECT_FALSE(fs::exists(stale_link));
  EXPECT_FALSE(fs::exists(stale_index));
  EXPECT_TRUE(fs::exists(live_blob));
  EXPECT_TRUE(fs::exists(other_host));
}

TEST(OciLayoutDurabilityTest, SyncBlobsReportsAFailure) {
  ScopedTempDir tmp;
  auto layout = NewLayout(tmp.path());
  ASSERT_NE(layout, nullptr);
  ASSERT_THAT(layout->Put(media_type::kImageConfig, "{}"), IsOk());
  fs::rename(tmp.path() + "/blobs/sha256", tmp.path() + "/moved");
  EXPECT_THAT(layout->SyncBlobs(), StatusIs(ErrorCode::kIo, HasSubstr("fsync")));
  fs::rename(tmp.path() + "/moved", tmp.path() + "/blobs/sha256");
  EXPECT_THAT(layout->SyncBlobs(), IsOk());  // still pending, now done
}

TEST(BlobStoreCopyTest, StopsReadingPastTheDescriptorSize) {
  ScopedTempDir tmp;
  auto from = NewLayout(tmp.path() + "/from");
  auto to = NewLayout(tmp.path() + "/to");
  ASSERT_NE(from, nullptr);
  ASSERT_NE(to, nullptr);
  auto d = from->Put(media_type::kImageConfig, std::string(1000, 'a'));
  ASSERT_THAT(d, IsOk());
  Descriptor lying = *d;
  lying.size = 10;
  EXPECT_THAT(to->CopyFrom(*from, lying), StatusIs(ErrorCode::kDataLoss, HasSubstr("more")));
  EXPECT_THAT(to->Has(d->digest), ::testing::Optional(false));
}

// ---- Tags, index updates, blob writes and copies ----------------------------

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

TEST(LayoutTest, AddManifestListsReferrersUntaggedThenTheRootTagged) {
  ScopedTempDir tmp;
  auto layout = OciLayout::OpenOrCreate(tmp.path());
  ASSERT_THAT(layout, IsOk());
  auto root = (*layout)->Put(media_type::kImageIndex, "{\"root\":1}");
  auto sbom = (*layout)->Put(media_type::kImageManifest, "{\"sbom\":1}");
  auto sig = (*layout)->Put(media_type::kImageManifest, "{\"sig\":1}");
  auto other = (*layout)->Put(media_type::kImageManifest, "{\"other\":1}");
  ASSERT_THAT(root, IsOk());
  ASSERT_THAT(sbom, IsOk());
  ASSERT_THAT(sig, IsOk());
  ASSERT_THAT(other, IsOk());
  ASSERT_THAT((*layout)->Tag(*other, "v1"), IsOk());
  ASSERT_THAT((*layout)->AddManifest(*root, "v1", {*sbom, *sig}), IsOk());
  auto idx = (*layout)->ReadIndex();
  ASSERT_THAT(idx, IsOk());
  ASSERT_EQ(idx->manifests.size(), 3u);  // the tag moved off `other`
  EXPECT_EQ(idx->manifests[0].digest, sbom->digest);
  EXPECT_EQ(idx->manifests[0].annotations.count(kRefNameAnnotation), 0u);
  EXPECT_EQ(idx->manifests[1].digest, sig->digest);
  EXPECT_EQ(idx->manifests[2].digest, root->digest);
  EXPECT_EQ(idx->manifests[2].annotations.at(kRefNameAnnotation), "v1");

  // An empty tag lists the root untagged, once.
  ASSERT_THAT((*layout)->AddManifest(*other, ""), IsOk());
  ASSERT_THAT((*layout)->AddManifest(*other, ""), IsOk());
  idx = (*layout)->ReadIndex();
  ASSERT_THAT(idx, IsOk());
  ASSERT_EQ(idx->manifests.size(), 4u);
  EXPECT_EQ(idx->manifests[3].digest, other->digest);

  // A bad tag lists nothing, and the error names the index.
  EXPECT_THAT((*layout)->AddManifest(*other, "bad tag", {*sbom}),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr(tmp.path() + "/index.json")));
  EXPECT_EQ((*layout)->ReadIndex()->manifests.size(), 4u);
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

}  // namespace
}  // namespace ocib
