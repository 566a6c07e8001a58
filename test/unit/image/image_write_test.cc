// WriteImage (lib/image/image_write.cc, ocib/image.h): an image model
// written to a layout (blobs copied, documents, one index.json write with
// the attachments untagged and the tag) or to a registry (layers of another
// repository of that registry mounted), "unchanged" when the tag already
// names the root, and the destinations it refuses.
#include <algorithm>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "ocib/image.h"
#include "ocib/image_location.h"
#include "ocib/media_type.h"
#include "ocib/memory_store.h"
#include "ocib/oci_layout.h"

#include "test/registry/fake_registry.h"
#include "test/testing/test_util.h"
#include "test/unit/image/image_fixtures.h"

namespace ocib {
namespace {

using ::ocib::testing::Blob;
using ::ocib::testing::MakeImage;
using ::ocib::testing::ScopedTempDir;
using ::ocib::testing::StatusIs;
using ::ocib::testing::TwoPlatforms;
using ::testing::HasSubstr;

ImageLocation Loc(const std::string& text) {
  auto loc = ImageLocation::Parse(text);
  EXPECT_TRUE(loc.has_value()) << text;
  return *loc;
}

// A one-image ImageIndex (the root is the image's manifest).
ImageIndex Single(Image image) {
  ImageIndex index;
  index.root = image.manifest;
  index.images.push_back(std::move(image));
  return index;
}

// An SBOM-like referrer of `subject`, its blobs in a store of its own.
Attachment MakeAttachment(const Descriptor& subject, const std::string& text) {
  auto store = std::make_shared<MemoryBlobStore>();
  auto empty = store->Put("application/vnd.oci.empty.v1+json", "{}");
  auto sbom = store->Put("application/spdx+json", text);
  EXPECT_TRUE(empty.has_value() && sbom.has_value());
  Manifest m;
  m.media_type = std::string(media_type::kImageManifest);
  m.artifact_type = "application/spdx+json";
  m.config = *empty;
  m.layers = {*sbom};
  m.subject = subject;
  Attachment a;
  a.manifest.bytes = m.Serialize();
  a.manifest.descriptor = DescribeBytes(m.media_type, a.manifest.bytes);
  a.subject = subject.digest;
  a.blobs = {*empty, *sbom};
  a.store = store;
  return a;
}

class ImageWriteTest : public ::testing::Test {
 protected:
  std::shared_ptr<MemoryBlobStore> store_ = std::make_shared<MemoryBlobStore>();
  ScopedTempDir tmp_;
};

// An index written to a layout reads back as the same documents, with
// every layer copied; writing it again under the same tag is "unchanged".
TEST_F(ImageWriteTest, AnIndexWrittenToALayoutReadsBackTheSame) {
  const ImageIndex index = TwoPlatforms(store_);
  const std::string dir = tmp_.path() + "/out";
  auto written = WriteImage(index, Loc("oci:" + dir + ":v2"), RegistryOptions{});
  ASSERT_TRUE(written.has_value()) << written.error().ToString();
  EXPECT_FALSE(written->unchanged);
  EXPECT_EQ(written->root, index.root.descriptor);
  EXPECT_EQ(written->written, std::vector<std::string>{"oci:" + dir + ":v2@" +
                                                       index.root.descriptor.digest.ToString()});

  auto back = ReadImage(Loc("oci:" + dir + ":v2"), RegistryOptions{});
  ASSERT_TRUE(back.has_value()) << back.error().ToString();
  EXPECT_EQ(back->root.bytes, index.root.bytes);
  ASSERT_EQ(back->images.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(back->images[i].manifest.bytes, index.images[i].manifest.bytes);
    EXPECT_EQ(back->images[i].config.bytes, index.images[i].config.bytes);
  }
  auto layout = OciLayout::Open(dir);
  ASSERT_TRUE(layout.has_value());
  for (const Image& i : index.images) {
    auto bytes = (*layout)->ReadAll(i.layers[0].digest);
    ASSERT_TRUE(bytes.has_value()) << bytes.error().ToString();
    auto want = store_->ReadAll(i.layers[0].digest);
    ASSERT_TRUE(want.has_value());
    EXPECT_EQ(*bytes, *want);
  }

  auto again = WriteImage(index, Loc("oci:" + dir + ":v2"), RegistryOptions{});
  ASSERT_TRUE(again.has_value()) << again.error().ToString();
  EXPECT_TRUE(again->unchanged);
  auto other_tag = WriteImage(index, Loc("oci:" + dir + ":v3"), RegistryOptions{});
  ASSERT_TRUE(other_tag.has_value()) << other_tag.error().ToString();
  EXPECT_FALSE(other_tag->unchanged);
}

// A layout destination without a tag gets "latest".
TEST_F(ImageWriteTest, ALayoutWithoutATagGetsLatest) {
  const ImageIndex index = Single(MakeImage(store_, {Blob(store_, "a")}));
  const std::string dir = tmp_.path() + "/out";
  auto written = WriteImage(index, Loc("oci:" + dir), RegistryOptions{});
  ASSERT_TRUE(written.has_value()) << written.error().ToString();
  ASSERT_EQ(written->written.size(), 1u);
  EXPECT_EQ(written->written[0],
            "oci:" + dir + ":latest@" + index.root.descriptor.digest.ToString());
  auto layout = OciLayout::Open(dir);
  ASSERT_TRUE(layout.has_value());
  auto latest = (*layout)->Resolve("latest");
  ASSERT_TRUE(latest.has_value()) << latest.error().ToString();
  EXPECT_EQ(latest->digest, index.root.descriptor.digest);
}

// Attachments are listed untagged in index.json with their blobs copied;
// the image already under the tag is "unchanged" only when its
// attachments are listed too.
TEST_F(ImageWriteTest, AttachmentsAreListedUntaggedAndCountForUnchanged) {
  const std::string dir = tmp_.path() + "/out";
  ImageIndex index = Single(MakeImage(store_, {Blob(store_, "a")}));
  auto plain = WriteImage(index, Loc("oci:" + dir + ":v1"), RegistryOptions{});
  ASSERT_TRUE(plain.has_value()) << plain.error().ToString();

  const Attachment a = MakeAttachment(index.root.descriptor, R"({"spdxVersion":"SPDX-2.3"})");
  index.attachments.push_back(a);
  auto with = WriteImage(index, Loc("oci:" + dir + ":v1"), RegistryOptions{});
  ASSERT_TRUE(with.has_value()) << with.error().ToString();
  EXPECT_FALSE(with->unchanged);
  auto layout = OciLayout::Open(dir);
  ASSERT_TRUE(layout.has_value());
  auto listed = (*layout)->ReadIndex();
  ASSERT_TRUE(listed.has_value());
  auto entry = std::ranges::find_if(listed->manifests, [&](const Descriptor& d) {
    return d.digest == a.manifest.descriptor.digest;
  });
  ASSERT_NE(entry, listed->manifests.end());
  EXPECT_FALSE(entry->annotations.contains("org.opencontainers.image.ref.name"));
  for (const Descriptor& b : a.blobs) {
    auto has = (*layout)->Has(b.digest);
    ASSERT_TRUE(has.has_value());
    EXPECT_TRUE(*has) << b.digest.ToString();
  }
  auto tagged = (*layout)->Resolve("v1");
  ASSERT_TRUE(tagged.has_value());
  EXPECT_EQ(tagged->digest, index.root.descriptor.digest);

  auto again = WriteImage(index, Loc("oci:" + dir + ":v1"), RegistryOptions{});
  ASSERT_TRUE(again.has_value()) << again.error().ToString();
  EXPECT_TRUE(again->unchanged);
}

// An index written to an oci-archive reads back (in place) as the same
// documents and layers; nothing but the file is left; a docker-archive of
// two platforms is refused and writes nothing.
TEST_F(ImageWriteTest, AnIndexWrittenToAnArchiveReadsBackTheSame) {
  const ImageIndex index = TwoPlatforms(store_);
  const std::string file = tmp_.path() + "/a.tar";
  auto written = WriteImage(index, Loc("oci-archive:" + file + ":v1"), RegistryOptions{});
  ASSERT_TRUE(written.has_value()) << written.error().ToString();
  EXPECT_EQ(written->written, std::vector<std::string>{"oci-archive:" + file + ":v1@" +
                                                       index.root.descriptor.digest.ToString()});
  EXPECT_EQ(ocib::testing::DirNames(tmp_.path()), std::vector<std::string>{"a.tar"});
  auto back = ReadImage(Loc("oci-archive:" + file + ":v1"), RegistryOptions{});
  ASSERT_TRUE(back.has_value()) << back.error().ToString();
  EXPECT_EQ(back->root.bytes, index.root.bytes);
  ASSERT_EQ(back->images.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(back->images[i].config.bytes, index.images[i].config.bytes);
    auto layer = back->images[i].blobs.store->ReadAll(index.images[i].layers[0].digest);
    ASSERT_TRUE(layer.has_value()) << layer.error().ToString();
    auto want = store_->ReadAll(index.images[i].layers[0].digest);
    ASSERT_TRUE(want.has_value());
    EXPECT_EQ(*layer, *want);
  }
  EXPECT_THAT(WriteImage(index, Loc("docker-archive:" + tmp_.path() + "/d.tar"), RegistryOptions{}),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("one platform")));
  EXPECT_EQ(ocib::testing::DirNames(tmp_.path()), std::vector<std::string>{"a.tar"});
}

// A registry destination must be a tag: a digest is refused before any request.
TEST_F(ImageWriteTest, DigestsAreRefused) {
  const ImageIndex index = Single(MakeImage(store_, {Blob(store_, "a")}));
  auto reg = std::make_shared<fake::FakeRegistry>();
  EXPECT_THAT(WriteImage(index, Loc("reg.test/app@" + index.root.descriptor.digest.ToString()),
                         fake::Options(reg)),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("must be a tag")));
  EXPECT_TRUE(reg->log().empty());
}

// To a registry: layers whose source is another repository of the same
// registry are mounted from it, the config is uploaded, the manifest is
// tagged; a second write finds the tag and writes nothing.
TEST_F(ImageWriteTest, ARegistryWriteMountsLayersFromTheirRepository) {
  auto reg = std::make_shared<fake::FakeRegistry>();
  reg->mounts = true;
  NewLayer layer = Blob(store_, "base layer");
  reg->blobs["base@" + layer.blob.digest.ToString()] = "base layer";
  Image image = MakeImage(store_, {layer});
  image.blobs.repository = "reg.test/base";
  const ImageIndex index = Single(image);

  auto written = WriteImage(index, Loc("reg.test/app:v1"), fake::Options(reg));
  ASSERT_TRUE(written.has_value()) << written.error().ToString();
  EXPECT_FALSE(written->unchanged);
  const std::string digest = index.root.descriptor.digest.ToString();
  EXPECT_EQ(reg->tags["app:v1"], digest);
  EXPECT_EQ(reg->manifests["app@" + digest].bytes, index.root.bytes);
  EXPECT_EQ(reg->blobs["app@" + layer.blob.digest.ToString()], "base layer");
  EXPECT_EQ(reg->blobs["app@" + image.config.descriptor.digest.ToString()], image.config.bytes);
  int mounts = 0;
  for (const fake::Request& r : reg->log()) {
    if (r.method == "POST" && r.query.find("mount=") != std::string::npos) {
      ++mounts;
      EXPECT_THAT(r.query, HasSubstr("from=base"));
      EXPECT_THAT(r.query, HasSubstr(layer.blob.digest.encoded()));
    }
  }
  EXPECT_EQ(mounts, 1);

  reg->ClearLog();
  auto again = WriteImage(index, Loc("reg.test/app:v1"), fake::Options(reg));
  ASSERT_TRUE(again.has_value()) << again.error().ToString();
  EXPECT_TRUE(again->unchanged);
  for (const fake::Request& r : reg->log()) EXPECT_NE(r.method, "PUT") << r.path;
}

// PutImage puts every blob and document of an index, and of its
// attachments, into any store (here one in memory), and tags nothing; the
// input's stores keep theirs.
TEST_F(ImageWriteTest, PutImageFillsAnyStore) {
  ImageIndex index = TwoPlatforms(store_);
  index.attachments.push_back(
      MakeAttachment(index.images[0].manifest.descriptor, R"({"spdxVersion":"SPDX-2.3"})"));
  MemoryBlobStore into;
  auto root = PutImage(index, into);
  ASSERT_TRUE(root.has_value()) << root.error().ToString();
  EXPECT_EQ(*root, index.root.descriptor);
  std::vector<Digest> want = {index.root.descriptor.digest};
  for (const Image& i : index.images) {
    want.push_back(i.manifest.descriptor.digest);
    want.push_back(i.config.descriptor.digest);
    for (const Descriptor& l : i.layers) want.push_back(l.digest);
  }
  for (const Attachment& a : index.attachments) {
    want.push_back(a.manifest.descriptor.digest);
    for (const Descriptor& b : a.blobs) want.push_back(b.digest);
  }
  for (const Digest& d : want) {
    auto bytes = into.ReadAll(d);
    ASSERT_TRUE(bytes.has_value()) << d.ToString() << ": " << bytes.error().ToString();
    EXPECT_EQ(Digest::Sha256Of(*bytes), d);
  }
}

}  // namespace
}  // namespace ocib
