// Images held in a MemoryBlobStore, made as `build` writes them, for the
// tests of lib/image: layer blobs that are not real tars (the operations
// never read layers), one-platform images and a two-platform index.
#ifndef OCIB_TEST_UNIT_IMAGE_IMAGE_FIXTURES_H_
#define OCIB_TEST_UNIT_IMAGE_IMAGE_FIXTURES_H_

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ocib/image.h"
#include "ocib/image_config.h"
#include "ocib/memory_store.h"

namespace ocib::testing {

// A layer blob in `store` holding `text` (not a real tar: the operations
// never read layers).
inline NewLayer Blob(const std::shared_ptr<MemoryBlobStore>& store, const std::string& text) {
  auto d = store->Put("application/vnd.oci.image.layer.v1.tar", text);
  EXPECT_TRUE(d.has_value());
  return {*d, Digest::Sha256Of("diff:" + text), store};
}

// An image of `layers` built as `build` writes them.
inline Image MakeImage(const std::shared_ptr<MemoryBlobStore>& store,
                       const std::vector<NewLayer>& layers, const std::string& arch = "amd64") {
  ImageConfig cfg;
  cfg.os = "linux";
  cfg.architecture = arch;
  cfg.config.env = {"PATH=/bin"};
  Manifest m;
  m.media_type = "application/vnd.oci.image.manifest.v1+json";
  for (const NewLayer& l : layers) {
    cfg.diff_ids.push_back(l.diff_id);
    cfg.history.push_back(
        {"1970-01-01T00:00:00Z", "layer " + l.blob.digest.ToString(), "", "", false});
    m.layers.push_back(l.blob);
  }
  Image image;
  image.config.bytes = cfg.Serialize();
  image.config.descriptor =
      DescribeBytes("application/vnd.oci.image.config.v1+json", image.config.bytes);
  m.config = image.config.descriptor;
  image.manifest.bytes = m.Serialize();
  image.manifest.descriptor = DescribeBytes(m.media_type, image.manifest.bytes);
  image.layers = m.layers;
  image.diff_ids = cfg.diff_ids;
  image.platform = cfg.platform();
  image.blobs.store = store;
  return image;
}

// An index of a linux/amd64 and a linux/arm64 image, one layer each.
inline ImageIndex TwoPlatforms(const std::shared_ptr<MemoryBlobStore>& store) {
  ImageIndex index;
  index.is_index = true;
  index.images = {MakeImage(store, {Blob(store, "x")}, "amd64"),
                  MakeImage(store, {Blob(store, "y")}, "arm64")};
  Index doc;
  doc.media_type = "application/vnd.oci.image.index.v1+json";
  for (Image& i : index.images) {
    i.manifest.descriptor.platform = i.platform;
    doc.manifests.push_back(i.manifest.descriptor);
  }
  index.entries = {0, 1};
  index.root.bytes = doc.Serialize();
  index.root.descriptor = DescribeBytes(doc.media_type, index.root.bytes);
  return index;
}

}  // namespace ocib::testing

#endif  // OCIB_TEST_UNIT_IMAGE_IMAGE_FIXTURES_H_
