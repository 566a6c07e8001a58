// Walking an image in an OCI layout: the documents and blobs to transfer,
// in dependency order.
#ifndef OCIB_LIB_TRANSFER_IMAGE_WALK_H_
#define OCIB_LIB_TRANSFER_IMAGE_WALK_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ocib/descriptor.h"
#include "ocib/oci_layout.h"
#include "ocib/push.h"
#include "ocib/registry.h"
#include "ocib/status.h"

#include "lib/layout/image_source.h"
#include "lib/registry/referrer_info.h"

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
  // Documents to PUT by digest after the root's children and before the
  // tags: the referrers of the root and of its children (and, in turn,
  // theirs), each after its subject, with the children of a referrer index
  // before it. Their blobs are in `blobs`.
  std::vector<WalkedDocument> referrers;
};

// The descriptor tagged `tag`; when `tag` is empty, the one tagged
// "latest" or the only image (SelectImage, ocib/image_location.h).
Result<Descriptor> ResolveLayoutRoot(ImageSource& layout, const std::string& tag);
// Reads `root` and everything below it; kNotFound for a missing blob,
// kDataLoss for a document whose bytes do not match.
Result<WalkedImage> WalkLayout(ImageSource& layout, const Descriptor& root);

// Adds to `image` (walked from `root`) every manifest or index listed in
// the layout's index.json whose `subject` is the root, one of its
// children or another such referrer. Entries whose blob is missing are
// skipped.
Status WalkLayoutReferrers(ImageSource& layout, const Descriptor& root, WalkedImage& image);

// "referrer sha256:... of sha256:..." (without " of ..." when `subject` is
// empty): how an error names a referrer's blob or document.
std::string ReferrerLabel(const Digest& referrer, const Digest& subject);

// The blobs of `image` that only its referrers use (not the root or its
// children), each mapped to "referrer sha256:... of sha256:..." (the first
// referrer manifest that lists it, and its subject), for error messages.
std::map<Digest, std::string> ReferrerBlobOwners(const WalkedImage& image);

// Checks that `image` (walked from `root`) would validate before any of it
// is sent: documents against their descriptors (size, digest, manifest vs
// index), each manifest against its config (read through `opener_for`,
// bounded) and the index's platforms, the artifact rule
// (lib/layout/consistency.h). kInvalidArgument listing the problems.
Status CheckWalkedImage(const Descriptor& root, const WalkedImage& image,
                        const std::function<BlobOpener(const Descriptor&)>& opener_for);

// Pushes a walked image to `destinations` (one repository): blobs (opened
// through `opener_for`, HEAD first, mounted when `mount_sources` says so),
// then child manifests by digest, then `root_desc` under each tag. See push.h.
Result<PushResult> PushImage(const std::vector<Reference>& destinations,
                             const RegistryOptions& options,
                             const std::map<Digest, std::string>& mount_sources,
                             const Descriptor& root_desc, const WalkedImage& walked,
                             const std::function<BlobOpener(const Descriptor&)>& opener_for);

// Push (ocib/push.h) of the image `root` of `source` (a layout or an
// archive), with its referrers when `with_referrers`.
Result<PushResult> PushSource(ImageSource& source, const Descriptor& root,
                              const std::vector<Reference>& destinations,
                              const RegistryOptions& options,
                              const std::map<Digest, std::string>& mount_sources,
                              const std::optional<Reference>& blob_source, bool with_referrers);

// Push (ocib/push.h), with the layout's referrers of the image when
// `with_referrers`, without them (none is looked up) otherwise.
Result<PushResult> PushLayout(const std::string& layout_dir, const std::string& layout_tag,
                              const std::vector<Reference>& destinations,
                              const RegistryOptions& options,
                              const std::map<Digest, std::string>& mount_sources,
                              const std::optional<Reference>& blob_source, bool with_referrers);

}  // namespace ocib::registry

#endif  // OCIB_LIB_TRANSFER_IMAGE_WALK_H_
