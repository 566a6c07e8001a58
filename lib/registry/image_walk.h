// Walking an image in an OCI layout: the documents and blobs to transfer,
// in dependency order.
#ifndef OCIB_LIB_REGISTRY_IMAGE_WALK_H_
#define OCIB_LIB_REGISTRY_IMAGE_WALK_H_

#include <string>
#include <vector>

#include "ocib/descriptor.h"
#include "ocib/oci_layout.h"
#include "ocib/push.h"
#include "ocib/registry.h"
#include <functional>
#include <map>
#include "ocib/status.h"

namespace ocib::registry {

struct WalkedDocument {
  Descriptor descriptor;
  std::string bytes;
};

struct WalkedImage {
  std::string root_bytes;
  // Manifests and nested indexes below the root, children before parents.
  std::vector<WalkedDocument> children;
  // Configs and layers (and other non-manifest blobs), deduplicated.
  std::vector<Descriptor> blobs;
};

// The descriptor tagged `tag`, or the only image when `tag` is empty.
Result<Descriptor> ResolveLayoutRoot(OciLayout& layout, const std::string& tag);
// Reads `root` and everything below it; kNotFound for a missing blob,
// kDataLoss for a document whose bytes do not match.
Result<WalkedImage> WalkLayout(OciLayout& layout, const Descriptor& root);

// Pushes a walked image to `destinations` (one repository): blobs (opened
// through `opener_for`, HEAD first, mounted when `mount_sources` says so),
// then child manifests by digest, then the root under each tag. See push.h.
Result<PushResult> PushImage(const std::vector<Reference>& destinations,
                             const RegistryOptions& options,
                             const std::map<Digest, std::string>& mount_sources,
                             const Descriptor& root, const WalkedImage& image,
                             const std::function<BlobOpener(const Descriptor&)>& opener_for);

}  // namespace ocib::registry

#endif  // OCIB_LIB_REGISTRY_IMAGE_WALK_H_
