#include "ocib/validate.h"

#include <map>
#include <mutex>

#include "ocib/image_builder.h"
#include "ocib/manifest.h"
#include "ocib/media_type.h"
#include "ocib/memory_store.h"
#include "ocib/oci_layout.h"

#include "lib/layout/validate_store.h"
#include "test/testing/build_options.h"
#include "test/testing/test_util.h"

namespace ocib {
namespace {

using ::ocib::testing::BuildImage;
using ::ocib::testing::BuildOptions;

using ::ocib::testing::IsOk;
using ::ocib::testing::ReadFileOrDie;
using ::ocib::testing::ScopedTempDir;
using ::ocib::testing::WriteFileOrDie;
using ::testing::HasSubstr;

// Counts the blobs opened through it.
class CountingStore : public BlobStore {
 public:
  explicit CountingStore(BlobStore& inner) : inner_(inner) {}
  Result<bool> Has(const Digest& digest) override { return inner_.Has(digest); }
  Result<std::unique_ptr<BlobWriter>> NewWriter() override { return inner_.NewWriter(); }
  Result<std::unique_ptr<Reader>> Open(const Digest& digest) override {
    ++opens[digest];
    return inner_.Open(digest);
  }
  std::map<Digest, int> opens;

 private:
  BlobStore& inner_;
};

TEST(ValidateTest, ManyTagsOfOneImageReadEachBlobOnce) {
  ScopedTempDir tmp;
  WriteFileOrDie(tmp.path() + "/bin-amd64", std::string(5000, 'a'));
  WriteFileOrDie(tmp.path() + "/bin-arm64", std::string(5000, 'b'));
  BuildOptions options;
  options.binary_unchecked = true;  // stand-in binaries
  options.binaries = {{"linux/amd64", tmp.path() + "/bin-amd64"},
                      {"linux/arm64", tmp.path() + "/bin-arm64"}};
  options.output = "oci:" + tmp.path() + "/out:v0";
  options.source_date_epoch = 1700000000;
  auto built = BuildImage(options);
  ASSERT_THAT(built, IsOk());
  auto layout = OciLayout::Open(tmp.path() + "/out");
  ASSERT_THAT(layout, IsOk());
  // The index under 20 tags, and each platform's manifest under 5 more.
  for (int i = 1; i <= 20; ++i) {
    ASSERT_THAT((*layout)->Tag(built->descriptor, "v" + std::to_string(i)), IsOk());
  }
  for (size_t p = 0; p < built->images.size(); ++p) {
    for (int i = 0; i < 5; ++i) {
      ASSERT_THAT((*layout)->Tag(built->images[p].manifest,
                                 "p" + std::to_string(p) + "-" + std::to_string(i)),
                  IsOk());
    }
  }
  auto index = (*layout)->ReadIndex();
  ASSERT_THAT(index, IsOk());
  ASSERT_GE(index->manifests.size(), 30u);

  CountingStore counting(**layout);
  ValidationReport report;
  ValidateIndex(counting, *index, report);
  EXPECT_TRUE(report.problems.empty()) << ::testing::PrintToString(report.problems);
  ASSERT_FALSE(counting.opens.empty());
  for (const auto& [digest, n] : counting.opens) {
    EXPECT_EQ(n, 1) << digest.ToString() << " was opened " << n << " times";
  }
  EXPECT_EQ(report.blobs, static_cast<int>(counting.opens.size()));
  // The base layer and the binaries' layers are shared or distinct, but each
  // was decompressed once.
  EXPECT_LE(report.layers, static_cast<int>(counting.opens.size()));
  EXPECT_GT(report.layers, 0);
}

// One blob that is both a document and an opaque blob (a config listed
// again as a layer of a type ocib does not read): read and counted once.
TEST(ValidateTest, ABlobThatIsBothADocumentAndABlobIsReadOnce) {
  MemoryBlobStore store;
  const std::string config =
      R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[")" +
      std::string("sha256:") + std::string(64, 'a') + R"("]}})";
  auto c = store.Put(std::string(media_type::kImageConfig), config);
  ASSERT_THAT(c, IsOk());
  Descriptor opaque = *c;
  opaque.media_type = "application/vnd.example.opaque";
  Manifest doc;
  doc.media_type = std::string(media_type::kImageManifest);
  doc.config = *c;
  doc.layers = {opaque};
  const std::string manifest = doc.Serialize();
  auto m = store.Put(std::string(media_type::kImageManifest), manifest);
  ASSERT_THAT(m, IsOk());
  Index index;
  index.manifests.push_back(*m);
  CountingStore counting(store);
  ValidationReport report;
  ValidateIndex(counting, index, report);
  EXPECT_TRUE(report.problems.empty()) << ::testing::PrintToString(report.problems);
  EXPECT_EQ(counting.opens[c->digest], 1);
  EXPECT_EQ(counting.opens[m->digest], 1);
  EXPECT_EQ(report.blobs, 2);
  EXPECT_EQ(report.documents, 2);
}

TEST(ValidateTest, ReportsAnUnknownLayoutVersion) {
  ScopedTempDir tmp;
  ASSERT_THAT(OciLayout::OpenOrCreate(tmp.path()), IsOk());
  WriteFileOrDie(tmp.path() + "/oci-layout", R"({"imageLayoutVersion":"9.9.9"})");
  auto report = ValidateLayout(tmp.path());
  ASSERT_THAT(report, IsOk());
  ASSERT_EQ(report->problems.size(), 1u);
  EXPECT_THAT(report->problems[0], ::testing::HasSubstr("9.9.9"));
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
