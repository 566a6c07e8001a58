// Media type classes (ocib/media_type.h): OCI and Docker types of indexes,
// manifests and layers, and the types that are none of them.
#include "ocib/media_type.h"

#include <gtest/gtest.h>

namespace ocib::media_type {
namespace {

TEST(MediaTypeTest, Indexes) {
  EXPECT_TRUE(IsIndex("application/vnd.oci.image.index.v1+json"));
  EXPECT_TRUE(IsIndex("application/vnd.docker.distribution.manifest.list.v2+json"));
  EXPECT_FALSE(IsIndex("application/vnd.oci.image.manifest.v1+json"));
  EXPECT_FALSE(IsIndex(""));
  EXPECT_FALSE(IsIndex("application/vnd.oci.image.index.v1+json; charset=utf-8"));
}

TEST(MediaTypeTest, Manifests) {
  EXPECT_TRUE(IsManifest("application/vnd.oci.image.manifest.v1+json"));
  EXPECT_TRUE(IsManifest("application/vnd.docker.distribution.manifest.v2+json"));
  EXPECT_FALSE(IsManifest("application/vnd.docker.distribution.manifest.v1+json"));
  EXPECT_FALSE(IsManifest("application/vnd.oci.image.index.v1+json"));
  EXPECT_FALSE(IsManifest("application/vnd.oci.image.config.v1+json"));
}

TEST(MediaTypeTest, Layers) {
  EXPECT_TRUE(IsLayer("application/vnd.oci.image.layer.v1.tar"));
  EXPECT_TRUE(IsLayer("application/vnd.oci.image.layer.v1.tar+gzip"));
  EXPECT_TRUE(IsLayer("application/vnd.oci.image.layer.v1.tar+zstd"));
  EXPECT_TRUE(IsLayer("application/vnd.docker.image.rootfs.diff.tar.gzip"));
  // Non-distributable layers and other blobs are not layers ocib unpacks.
  EXPECT_FALSE(IsLayer("application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"));
  EXPECT_FALSE(IsLayer("application/vnd.oci.image.config.v1+json"));
  EXPECT_FALSE(IsLayer("application/spdx+json"));
  // The constants are the strings above.
  EXPECT_EQ(kLayerTarZstd, "application/vnd.oci.image.layer.v1.tar+zstd");
  EXPECT_EQ(kDockerManifestList, "application/vnd.docker.distribution.manifest.list.v2+json");
}

}  // namespace
}  // namespace ocib::media_type
