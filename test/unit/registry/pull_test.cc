// InspectRemote against an in-memory registry: each distinct document is
// fetched once, however often an index lists it, and given byte for byte.
#include "ocib/pull.h"

#include <gtest/gtest.h>

#include "ocib/manifest.h"
#include "ocib/media_type.h"
#include "ocib/reference.h"

#include "test/registry/fake_registry.h"

namespace ocib {
namespace {

TEST(InspectRemoteTest, RepeatedIndexEntriesAreFetchedOnce) {
  auto reg = std::make_shared<fake::FakeRegistry>();
  // Spaced as another tool might write it: given as it is, not compacted.
  const std::string config = "{\n  \"architecture\": \"amd64\",\n  \"os\": \"linux\"\n}\n";
  Descriptor config_desc = DescribeBytes(media_type::kImageConfig, config);
  reg->blobs["app@" + config_desc.digest.ToString()] = config;
  Manifest m;
  m.media_type = std::string(media_type::kImageManifest);
  m.config = config_desc;
  const std::string manifest = m.Serialize();
  Descriptor manifest_desc = DescribeBytes(media_type::kImageManifest, manifest);
  reg->manifests["app@" + manifest_desc.digest.ToString()] = {
      std::string(media_type::kImageManifest), manifest};
  Index index;
  index.media_type = std::string(media_type::kImageIndex);
  for (int i = 0; i < 40; ++i) index.manifests.push_back(manifest_desc);
  const std::string index_bytes = index.Serialize();
  const std::string index_digest = Digest::Sha256Of(index_bytes).ToString();
  reg->manifests["app@" + index_digest] = {std::string(media_type::kImageIndex), index_bytes};
  reg->tags["app:v1"] = index_digest;

  auto ref = Reference::Parse("reg.test/app:v1");
  ASSERT_TRUE(ref.has_value());
  auto docs = InspectRemote(*ref, fake::Options(reg));
  ASSERT_TRUE(docs.has_value()) << docs.error().ToString();
  // The output still shows every entry and its config, byte for byte.
  ASSERT_EQ(docs->size(), 81u);
  EXPECT_EQ((*docs)[0], index_bytes);
  EXPECT_EQ((*docs)[1], manifest);
  EXPECT_EQ((*docs)[80], config);
  int manifest_gets = 0;
  int config_gets = 0;
  for (const fake::Request& r : reg->log()) {
    if (r.method != "GET") continue;
    manifest_gets += r.path == "/v2/app/manifests/" + manifest_desc.digest.ToString() ? 1 : 0;
    config_gets += r.path == "/v2/app/blobs/" + config_desc.digest.ToString() ? 1 : 0;
  }
  EXPECT_EQ(manifest_gets, 1);
  EXPECT_EQ(config_gets, 1);
  EXPECT_LE(reg->log().size(), 4u);
}

}  // namespace
}  // namespace ocib
