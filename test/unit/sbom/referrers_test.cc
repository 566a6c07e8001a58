// Tests for lib/sbom/referrers.cc (ocib/referrers.h): the referrers tag vector,
// artifacts attached in an OCI layout (with the image-spec schemas as an
// oracle) and listing.
#include "ocib/referrers.h"

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "ocib/manifest.h"
#include "ocib/media_type.h"
#include "ocib/memory_store.h"
#include "ocib/oci_layout.h"
#include "ocib/sbom.h"

#include "test/testing/sbom_test_util.h"

namespace ocib {
namespace {

// From opencontainers/distribution-spec spec.md, "Referrers Tag Schema"
// (commit 967efdc079b91785ad18c77cc4f8991a47feefbf), as recorded in the
// shared vector referrers_tag_schema.json.
struct TagCase {
  const char* digest;
  const char* tag;
};
constexpr TagCase kTagCases[] = {
    {"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     "sha256-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
    {"sha512:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     "sha512-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
    {"test+algorithm+using+algorithm+separators+and+lots+of+characters+to+excercise+overall+"
     "truncation:alsoSome=InTheEncodedSectionToShowHyphenReplacementAndLotsAndLotsOfCharactersTo"
     "ExcerciseEncodedTruncation",
     "test-algorithm-using-algorithm-s-alsoSome-"
     "InTheEncodedSectionToShowHyphenReplacementAndLotsAnd"
     "Lot"},
};

// ReferrersTagFor gives the distribution-spec's fallback tags for its own examples.
TEST(ReferrersTag, DistributionSpecVector) {
  for (const TagCase& c : kTagCases) {
    auto d = Digest::Parse(c.digest);
    std::string_view text = c.digest;
    if (!Digest::IsSupportedAlgorithm(text.substr(0, text.find(':')))) {
      // The spec's example of an unregistered algorithm: ocib refuses such a
      // digest when parsing it (content under it cannot be verified), so it
      // never reaches ReferrersTagFor.
      EXPECT_FALSE(d.has_value()) << c.digest;
      continue;
    }
    ASSERT_TRUE(d.has_value()) << c.digest << ": " << d.error().ToString();
    EXPECT_EQ(ReferrersTagFor(*d), c.tag) << c.digest;
  }
}

// EmptyJsonDescriptor is the image-spec's empty JSON descriptor, byte for byte.
TEST(EmptyDescriptor, IsTheSpecsEmptyJson) {
  Descriptor e = EmptyJsonDescriptor();
  EXPECT_EQ(e.media_type, "application/vnd.oci.empty.v1+json");
  EXPECT_EQ(e.size, 2);
  EXPECT_EQ(e.digest, Digest::Sha256Of("{}"));
  EXPECT_EQ(e.digest.ToString(), kEmptyJsonDigest);
}

class LayoutReferrersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = sbomtest::ScratchDir() + "/layout-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    auto layout = OciLayout::OpenOrCreate(dir_);
    ASSERT_TRUE(layout.has_value()) << layout.error().ToString();
    layout_ = std::move(*layout);
    // A small image to refer to: config, one layer, manifest.
    auto layer = layout_->Put(media_type::kLayerTar, std::string(1024, '\0'));
    ASSERT_TRUE(layer.has_value()) << layer.error().ToString();
    auto config = layout_->Put(
        media_type::kImageConfig,
        R"({"architecture":"amd64","os":"linux","rootfs":{"diff_ids":[],"type":"layers"}})");
    ASSERT_TRUE(config.has_value()) << config.error().ToString();
    Manifest m;
    m.config = *config;
    m.layers.push_back(*layer);
    auto image = layout_->Put(media_type::kImageManifest, m.Serialize());
    ASSERT_TRUE(image.has_value()) << image.error().ToString();
    image_ = *image;
    ASSERT_TRUE(layout_->Tag(image_, "v1").has_value());
  }

  std::string dir_;
  std::unique_ptr<OciLayout> layout_;
  Descriptor image_;
};

// AttachArtifact writes a spec-valid artifact manifest, listed once in index.json and found by
// subject and type.
TEST_F(LayoutReferrersTest, AttachArtifactWritesAValidArtifactManifest) {
  const std::string payload = R"({"spdxVersion":"SPDX-2.3"})";
  Annotations ann{{"org.opencontainers.image.created", "2023-11-14T22:13:20Z"}};
  auto art = AttachArtifact(*layout_, image_, kSpdxJsonMediaType, payload, ann);
  ASSERT_TRUE(art.has_value()) << art.error().ToString();
  EXPECT_EQ(art->media_type, media_type::kImageManifest);
  EXPECT_EQ(art->artifact_type, "application/spdx+json");
  EXPECT_EQ(art->annotations, ann);

  auto bytes = layout_->ReadAll(art->digest);
  ASSERT_TRUE(bytes.has_value()) << bytes.error().ToString();
  EXPECT_EQ(static_cast<int64_t>(bytes->size()), art->size);
  auto m = Manifest::Parse(*bytes);
  ASSERT_TRUE(m.has_value()) << m.error().ToString();
  EXPECT_EQ(m->media_type, media_type::kImageManifest);
  EXPECT_EQ(m->artifact_type, "application/spdx+json");
  EXPECT_EQ(m->config, EmptyJsonDescriptor());
  EXPECT_EQ(*layout_->ReadAll(m->config.digest), "{}");
  ASSERT_EQ(m->layers.size(), 1u);
  EXPECT_EQ(m->layers[0].media_type, "application/spdx+json");
  EXPECT_EQ(m->layers[0].digest, Digest::Sha256Of(payload));
  EXPECT_EQ(*layout_->ReadAll(m->layers[0].digest), payload);
  ASSERT_TRUE(m->subject.has_value());
  EXPECT_EQ(m->subject->digest, image_.digest);
  EXPECT_EQ(m->subject->media_type, image_.media_type);
  EXPECT_EQ(m->subject->size, image_.size);
  EXPECT_EQ(m->annotations, ann);

  // Same inputs, same digest.
  auto again = AttachArtifact(*layout_, image_, kSpdxJsonMediaType, payload, ann);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(*again, *art);

  // Listed in index.json, once, and found as a referrer of the image only.
  ASSERT_TRUE(AddReferrerToLayout(*layout_, *art).has_value());
  ASSERT_TRUE(AddReferrerToLayout(*layout_, *art).has_value());
  auto index = layout_->ReadIndex();
  ASSERT_TRUE(index.has_value());
  int entries = 0;
  for (const Descriptor& d : index->manifests) entries += d.digest == art->digest ? 1 : 0;
  EXPECT_EQ(entries, 1);
  EXPECT_EQ(layout_->Resolve("v1")->digest, image_.digest);  // the tag is kept

  auto refs = ListLayoutReferrers(*layout_, image_.digest);
  ASSERT_TRUE(refs.has_value()) << refs.error().ToString();
  ASSERT_EQ(refs->size(), 1u);
  EXPECT_EQ((*refs)[0].digest, art->digest);
  EXPECT_EQ((*refs)[0].artifact_type, "application/spdx+json");
  EXPECT_EQ((*refs)[0].annotations, ann);
  EXPECT_EQ(ListLayoutReferrers(*layout_, image_.digest, kCycloneDxJsonMediaType)->size(), 0u);
  EXPECT_EQ(ListLayoutReferrers(*layout_, image_.digest, kSpdxJsonMediaType)->size(), 1u);
  EXPECT_EQ(ListLayoutReferrers(*layout_, Digest::Sha256Of("other"))->size(), 0u);

  // Oracle: every document in the layout validates against the image-spec
  // schemas (the lead's validator, if present).
  const std::string validator = sbomtest::SourceDir() + "/test/e2e/validate_schemas.py";
  const std::string python = sbomtest::PythonWithJsonSchema();
  if (std::filesystem::exists(validator) && !python.empty()) {
    sbomtest::CommandResult r =
        sbomtest::Run(python + " -W ignore " + sbomtest::ShellQuote(validator) + " " +
                      sbomtest::ShellQuote(sbomtest::SourceDir() + "/fixtures/schemas/image-spec") +
                      " " + sbomtest::ShellQuote(dir_));
    EXPECT_EQ(r.exit_code, 0) << r.output;
  }
}

// AttachSbom stores MakeSbom's exact document for the image, in both formats.
TEST_F(LayoutReferrersTest, AttachSbomFromGoBinary) {
  GoBuildInfo info;
  info.go_version = "go1.19.8";
  info.path = "example.com/app";
  info.main = {"example.com/app", "(devel)", ""};
  SbomSubject subject;
  subject.name = "example.com/app:v1";
  subject.created = "2023-11-14T22:13:20Z";
  for (SbomFormat f : {SbomFormat::kSpdx, SbomFormat::kCycloneDx}) {
    auto art = AttachSbom(*layout_, image_, f, info, subject);
    ASSERT_TRUE(art.has_value()) << art.error().ToString();
    EXPECT_EQ(art->artifact_type, SbomMediaType(f));
    EXPECT_EQ(art->annotations.at("org.opencontainers.image.created"), "2023-11-14T22:13:20Z");
    ASSERT_TRUE(AddReferrerToLayout(*layout_, *art).has_value());
    auto m = Manifest::Parse(*layout_->ReadAll(art->digest));
    ASSERT_TRUE(m.has_value());
    SbomSubject with_digest = subject;
    with_digest.digest = image_.digest;
    EXPECT_EQ(*layout_->ReadAll(m->layers.at(0).digest), *MakeSbom(f, info, with_digest));
  }
  EXPECT_EQ(ListLayoutReferrers(*layout_, image_.digest)->size(), 2u);
}

// MergeReferrersIndex adds each referrer once, in order, and refuses an index that is not JSON.
TEST(Artifact, MergeReferrersIndex) {
  Descriptor subject = DescribeBytes(media_type::kImageManifest, R"({"schemaVersion":2})");
  auto a = MakeArtifactManifest(subject, kSpdxJsonMediaType, kSpdxJsonMediaType, "a", {});
  auto b = MakeArtifactManifest(subject, kCycloneDxJsonMediaType, kCycloneDxJsonMediaType, "b", {});
  ASSERT_TRUE(a.has_value() && b.has_value());
  auto first = MergeReferrersIndex("", a->manifest.descriptor);
  ASSERT_TRUE(first.has_value()) << first.error().ToString();
  EXPECT_EQ(first->descriptor.media_type, media_type::kImageIndex);
  EXPECT_EQ(first->descriptor.digest, Digest::Sha256Of(first->bytes));
  auto second = MergeReferrersIndex(first->bytes, b->manifest.descriptor);
  ASSERT_TRUE(second.has_value());
  auto again = MergeReferrersIndex(second->bytes, a->manifest.descriptor);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->bytes, second->bytes);
  auto idx = Index::Parse(second->bytes);
  ASSERT_TRUE(idx.has_value());
  ASSERT_EQ(idx->manifests.size(), 2u);
  EXPECT_EQ(idx->manifests[0].artifact_type, "application/spdx+json");
  EXPECT_EQ(idx->manifests[1].artifact_type, "application/vnd.cyclonedx+json");
  auto bad = MergeReferrersIndex("not json", a->manifest.descriptor);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
}

// An artifact needs a subject and an artifact type; its payload keeps its own media type.
TEST(Artifact, Errors) {
  Descriptor subject;
  auto no_subject = MakeArtifactManifest(subject, "application/x", "application/x", "x", {});
  ASSERT_FALSE(no_subject.has_value());
  EXPECT_EQ(no_subject.error().code(), ErrorCode::kInvalidArgument);
  subject = DescribeBytes(media_type::kImageManifest, "{}");
  auto no_type = MakeArtifactManifest(subject, "", "application/x", "x", {});
  ASSERT_FALSE(no_type.has_value());
  EXPECT_EQ(no_type.error().code(), ErrorCode::kInvalidArgument);
  auto ok = MakeArtifactManifest(subject, "application/x", "application/y", "x", {});
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->payload.media_type, "application/y");
  EXPECT_EQ(ok->manifest.descriptor.digest, Digest::Sha256Of(ok->manifest.bytes));
}

// A store that refuses one of the artifact's three blobs: AttachArtifact
// fails naming the artifact, whichever blob it is.
class RefusingStore : public MemoryBlobStore {
 public:
  explicit RefusingStore(std::string refused) : refused_(std::move(refused)) {}
  Result<std::unique_ptr<BlobWriter>> NewWriter() override {
    OCIB_ASSIGN_OR_RETURN(std::unique_ptr<BlobWriter> inner, MemoryBlobStore::NewWriter());
    return std::unique_ptr<BlobWriter>(new Refusing(std::move(inner), refused_));
  }

 private:
  class Refusing : public BlobWriter {
   public:
    Refusing(std::unique_ptr<BlobWriter> inner, std::string refused)
        : inner_(std::move(inner)), refused_(std::move(refused)) {}
    Status Write(const void* data, size_t size) override {
      seen_.append(static_cast<const char*>(data), size);
      return inner_->Write(data, size);
    }
    Result<Descriptor> Commit(std::string_view media_type,
                              std::optional<Digest> expected) override {
      if (seen_ == refused_) return IoError("disk full");
      return inner_->Commit(media_type, expected);
    }
    void Abort() override { inner_->Abort(); }

   private:
    std::unique_ptr<BlobWriter> inner_;
    std::string refused_;
    std::string seen_;
  };
  std::string refused_;
};

// Whichever of the three blobs the store refuses, AttachArtifact fails with kIo naming the
// artifact.
TEST(Artifact, AStoreThatRefusesABlobFailsTheAttachment) {
  const Descriptor subject = DescribeBytes(media_type::kImageManifest, R"({"layers":[]})");
  auto art = MakeArtifactManifest(subject, "application/x", "application/x", "payload", {});
  ASSERT_TRUE(art.has_value());
  for (const std::string& refused :
       {std::string("payload"), std::string("{}"), art->manifest.bytes}) {
    RefusingStore store(refused);
    auto r = AttachArtifact(store, subject, "application/x", "payload", {});
    ASSERT_FALSE(r.has_value()) << refused;
    EXPECT_EQ(r.error().code(), ErrorCode::kIo);
    EXPECT_NE(r.error().ToString().find("attaching application/x artifact"), std::string::npos)
        << r.error().ToString();
  }
}

}  // namespace
}  // namespace ocib
