// ReadImage and CountReferrers (lib/image/image_io.cc, ocib/image.h):
// configs read from a registry up to their bound, index entries that are
// not platform images kept apart, layouts read with a platform filter,
// documents checked against their descriptors, archives read in place, and the
// referrers a layout lists counted.
#include <filesystem>

#include <gtest/gtest.h>

#include "ocib/image.h"
#include "ocib/image_location.h"
#include "ocib/media_type.h"
#include "ocib/oci_layout.h"

#include "test/registry/fake_registry.h"
#include "test/testing/test_util.h"

namespace ocib {
namespace {

using ::ocib::testing::ScopedTempDir;
using ::ocib::testing::StatusIs;
using ::ocib::testing::WriteFileOrDie;
using ::testing::HasSubstr;

ImageLocation Loc(const std::string& text) {
  auto loc = ImageLocation::Parse(text);
  EXPECT_TRUE(loc.has_value()) << text;
  return *loc;
}

// A config read from a registry is bounded at 4 MiB: one of exactly 4 MiB
// is read, one byte more is refused by its size before any byte is read.
TEST(ReadImageTest, ARegistryConfigIsReadUpToItsBoundExactly) {
  auto reg = std::make_shared<fake::FakeRegistry>();
  const size_t bound = size_t{4} << 20;
  for (size_t size : {bound, bound + 1}) {
    std::string cfg =
        R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})";
    cfg.append(size - cfg.size(), ' ');  // JSON allows trailing white space
    Descriptor c = DescribeBytes(media_type::kImageConfig, cfg);
    reg->blobs["app@" + c.digest.ToString()] = cfg;
    Manifest m;
    m.media_type = std::string(media_type::kImageManifest);
    m.config = c;
    const std::string bytes = m.Serialize();
    Descriptor md = DescribeBytes(media_type::kImageManifest, bytes);
    reg->manifests["app@" + md.digest.ToString()] = {std::string(media_type::kImageManifest),
                                                     bytes};
    const std::string tag = std::to_string(size);
    reg->tags["app:" + tag] = md.digest.ToString();
    auto r = ReadImage(*ImageLocation::Parse("reg.test/app:" + tag), fake::Options(reg));
    if (size == bound) {
      ASSERT_TRUE(r.has_value()) << r.error().ToString();
      ASSERT_EQ(r->images.size(), 1u);
      EXPECT_EQ(r->images[0].config.bytes.size(), bound);
    } else {
      ASSERT_FALSE(r.has_value());
      EXPECT_NE(r.error().ToString().find("larger than 4 MiB"), std::string::npos)
          << r.error().ToString();
    }
  }
}

// An index entry that is not a platform image (an attestation manifest of
// platform unknown/unknown, as BuildKit writes) is kept apart in `others`:
// not an image to edit, and named when a new index leaves it out.
TEST(ReadImageTest, EntriesThatAreNotPlatformImagesAreKeptApart) {
  auto reg = std::make_shared<fake::FakeRegistry>();
  Index index;
  index.media_type = std::string(media_type::kImageIndex);
  for (const char* arch : {"amd64", "unknown"}) {
    const std::string cfg = std::string(R"({"architecture":")") + arch + R"(","os":")" +
                            (std::string(arch) == "unknown" ? "unknown" : "linux") +
                            R"(","rootfs":{"type":"layers","diff_ids":[]}})";
    Descriptor c = DescribeBytes(media_type::kImageConfig, cfg);
    reg->blobs["app@" + c.digest.ToString()] = cfg;
    Manifest m;
    m.media_type = std::string(media_type::kImageManifest);
    m.config = c;
    const std::string bytes = m.Serialize();
    Descriptor md = DescribeBytes(media_type::kImageManifest, bytes);
    reg->manifests["app@" + md.digest.ToString()] = {std::string(media_type::kImageManifest),
                                                     bytes};
    md.platform = std::string(arch) == "unknown" ? Platform{"unknown", "unknown", "", "", {}}
                                                 : Platform{"linux", "amd64", "", "", {}};
    index.manifests.push_back(md);
  }
  const std::string bytes = index.Serialize();
  reg->manifests["app@" + Digest::Sha256Of(bytes).ToString()] = {
      std::string(media_type::kImageIndex), bytes};
  reg->tags["app:v1"] = Digest::Sha256Of(bytes).ToString();
  auto r = ReadImage(*ImageLocation::Parse("reg.test/app:v1"), fake::Options(reg));
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  ASSERT_EQ(r->images.size(), 1u);
  EXPECT_EQ(r->images[0].platform.architecture, "amd64");
  ASSERT_EQ(r->others.size(), 1u);
  EXPECT_EQ(r->others[0].digest, index.manifests[1].digest);
}

// A layout's index read with a platform filter: only the wanted image is
// read, with its entry in the index and the digests of what was read; a
// platform the index lacks is kNotFound naming the ones it has.
TEST(ReadImageTest, ALayoutIndexIsReadForTheWantedPlatforms) {
  ScopedTempDir tmp;
  const fake::TestImage img = fake::MakeImage(tmp.path());
  auto all = ReadImage(Loc("oci:" + tmp.path() + ":v1"), RegistryOptions{});
  ASSERT_TRUE(all.has_value()) << all.error().ToString();
  EXPECT_TRUE(all->is_index);
  ASSERT_EQ(all->images.size(), 2u);
  EXPECT_EQ(all->root.descriptor.digest, img.index.digest);
  EXPECT_EQ(all->images[0].manifest.descriptor.digest, img.manifests[0].digest);
  EXPECT_EQ(all->images[1].layers.size(), 1u);
  EXPECT_EQ(all->images[1].diff_ids, std::vector<Digest>{all->images[1].layers[0].digest});
  ASSERT_NE(all->images[1].blobs.store, nullptr);
  EXPECT_TRUE(all->images[1].blobs.repository.empty());

  auto arm = ReadImage(Loc("oci:" + tmp.path() + ":v1"), RegistryOptions{},
                       {*Platform::Parse("linux/arm64")});
  ASSERT_TRUE(arm.has_value()) << arm.error().ToString();
  ASSERT_EQ(arm->images.size(), 1u);
  EXPECT_EQ(arm->images[0].platform.architecture, "arm64");
  EXPECT_EQ(arm->entries, std::vector<size_t>{1});
  EXPECT_EQ(arm->source_digests, (std::vector<Digest>{img.index.digest, img.manifests[1].digest}));

  EXPECT_THAT(
      ReadImage(Loc("oci:" + tmp.path() + ":v1"), RegistryOptions{},
                {*Platform::Parse("linux/s390x")}),
      StatusIs(ErrorCode::kNotFound, HasSubstr("platform linux/s390x is not in the source (it has: "
                                               "linux/amd64, linux/arm64)")));
}

// A config whose bytes no longer match its descriptor is an error naming
// the config, not an image with the wrong config.
TEST(ReadImageTest, AConfigThatDoesNotMatchItsDescriptorIsRefused) {
  ScopedTempDir tmp;
  fake::MakeImage(tmp.path());
  auto read = ReadImage(Loc("oci:" + tmp.path() + ":v1"), RegistryOptions{});
  ASSERT_TRUE(read.has_value()) << read.error().ToString();
  const Descriptor cfg = read->images[0].config.descriptor;
  auto layout = OciLayout::Open(tmp.path());
  ASSERT_TRUE(layout.has_value());
  std::string bytes = read->images[0].config.bytes;
  bytes[bytes.size() - 2] = ' ';  // same size, other digest
  const std::string path = (*layout)->BlobPath(cfg.digest);
  std::filesystem::remove(path);
  WriteFileOrDie(path, bytes);
  auto bad = ReadImage(Loc("oci:" + tmp.path() + ":v1"), RegistryOptions{});
  ASSERT_FALSE(bad.has_value());
  EXPECT_THAT(bad.error().ToString(), HasSubstr(cfg.digest.ToString()));
}

// An oci-archive is read in place as the layout it was packed from: the
// same documents, its layers read from the archive; a missing archive is an
// error naming it.
TEST(ReadImageTest, ArchivesAreReadInPlace) {
  ScopedTempDir tmp;
  fake::MakeImage(tmp.path() + "/layout");
  auto from_layout = ReadImage(Loc("oci:" + tmp.path() + "/layout:v1"), RegistryOptions{});
  ASSERT_TRUE(from_layout.has_value()) << from_layout.error().ToString();
  auto written =
      WriteImage(*from_layout, Loc("oci-archive:" + tmp.path() + "/a.tar:v1"), RegistryOptions{});
  ASSERT_TRUE(written.has_value()) << written.error().ToString();
  auto back = ReadImage(Loc("oci-archive:" + tmp.path() + "/a.tar:v1"), RegistryOptions{});
  ASSERT_TRUE(back.has_value()) << back.error().ToString();
  EXPECT_EQ(back->root.bytes, from_layout->root.bytes);
  ASSERT_EQ(back->images.size(), from_layout->images.size());
  const Image& image = back->images[0];
  EXPECT_EQ(image.manifest.bytes, from_layout->images[0].manifest.bytes);
  ASSERT_FALSE(image.layers.empty());
  auto layer = image.blobs.store->ReadAll(image.layers[0].digest);
  ASSERT_TRUE(layer.has_value()) << layer.error().ToString();
  EXPECT_EQ(Digest::Sha256Of(*layer), image.layers[0].digest);
  EXPECT_EQ(CountReferrers(Loc("oci-archive:" + tmp.path() + "/a.tar:v1"), back->source_digests,
                           RegistryOptions{})
                .total,
            0);
  EXPECT_THAT(ReadImage(Loc("oci-archive:" + tmp.path() + "/none.tar"), RegistryOptions{}),
              StatusIs(ErrorCode::kNotFound, HasSubstr("none.tar")));
}

// CountReferrers adds up what index.json lists for each subject; a source
// that cannot be opened leaves one note per subject.
TEST(CountReferrersTest, CountsWhatALayoutListsPerSubject) {
  ScopedTempDir tmp;
  const fake::TestImage img = fake::MakeImage(tmp.path());
  ReferrerCount one = CountReferrers(Loc("oci:" + tmp.path() + ":v1"), {img.manifests[0].digest},
                                     RegistryOptions{});
  EXPECT_EQ(one.total, 1);
  EXPECT_TRUE(one.notes.empty());
  ReferrerCount all = CountReferrers(
      Loc("oci:" + tmp.path() + ":v1"),
      {img.index.digest, img.manifests[0].digest, img.manifests[1].digest, img.sboms[0].digest},
      RegistryOptions{});
  EXPECT_EQ(all.total, 3);
  EXPECT_TRUE(all.notes.empty());
  ReferrerCount missing =
      CountReferrers(Loc("oci:" + tmp.path() + "/none:v1"),
                     {img.index.digest, img.manifests[0].digest}, RegistryOptions{});
  EXPECT_EQ(missing.total, 0);
  ASSERT_EQ(missing.notes.size(), 2u);
  EXPECT_THAT(missing.notes[1], HasSubstr(img.manifests[0].digest.ToString()));
}

}  // namespace
}  // namespace ocib
