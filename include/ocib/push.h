// File: ocib/push.h
//
// Pushing an image from an OCI layout to a registry.
//
// Order (children before parents, the tag last): every blob (config and
// layers of every manifest, deduplicated) is uploaded first, up to
// `options.jobs` at a time, each after a HEAD (present: skipped) and, when
// `mount_sources` names another repository of the same registry holding
// it, a cross-repository mount. Then each platform manifest is PUT by
// digest (after a HEAD), and only when all of them are confirmed is the
// root (index or manifest) PUT under each tag. A tag that already names the
// same digest is not rewritten, so a second push of an unchanged image
// sends HEAD requests only.
//
// Referrers: every manifest or index listed in the layout's index.json
// whose `subject` is the root, one of its manifests or (in turn) another
// such referrer is pushed too (ocib/registry_referrers.h: its blobs with
// the image's, the document by digest after its subject and before the
// tags move; on a registry without the referrers API the subject's
// fallback tag "sha256-<hex>" is updated).
//
// Example:
//   auto ref = ocib::Reference::Parse("127.0.0.1:5000/app:1");
//   auto result = ocib::Push("out/layout", "latest", {*ref}, {});
//   // result->root.digest is the pushed index digest
#ifndef OCIB_INCLUDE_OCIB_PUSH_H_
#define OCIB_INCLUDE_OCIB_PUSH_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ocib/descriptor.h"
#include "ocib/export.h"
#include "ocib/pull.h"
#include "ocib/reference.h"
#include "ocib/registry.h"
#include "ocib/status.h"

namespace ocib {

struct OCIB_EXPORT PushResult {
  Descriptor root;
  // "registry/repo:tag@sha256:..." for each destination.
  std::vector<std::string> pushed;
  int blobs_uploaded = 0;
  int blobs_skipped = 0;
  // The referrers pushed with the image (referrers-API descriptors); empty
  // when the registry had everything already.
  std::vector<Descriptor> referrers;
  // True when every destination already named the image and its referrers
  // were there (as RegistryOptions::check_referrers checks them): nothing
  // was written.
  bool up_to_date = false;
};

// Pushes the image tagged `layout_tag` in the layout at `layout_dir` (when
// `layout_tag` is empty the layout must hold exactly one image) to every
// reference in `destinations` (all in one registry; each tag is written;
// a reference without tag and digest means "latest"; a digest-only
// reference writes no tag and must match the image). `mount_sources` maps a
// blob digest to a repository (same registry) that has it.
//
// Blobs absent from the layout (a layout built on a base fetched with
// PullDocuments): one the destination already has is skipped, one
// `mount_sources` names is mounted, and otherwise (no mount source, a
// registry answering the mount with 202, or another registry) it is
// streamed from the repository of `blob_source` (any registry) straight
// into the upload, through memory only, as Copy does; the destination
// verifies its digest. Without `blob_source` such a blob is kNotFound
// naming its digest.
//
// `copy.referrers` false (`--no-referrers`): the image only; the layout's
// referrers are neither pushed nor looked at, for a registry that refuses
// artifacts.
OCIB_EXPORT Result<PushResult> Push(const std::string& layout_dir, const std::string& layout_tag,
                                    const std::vector<Reference>& destinations,
                                    const RegistryOptions& options,
                                    const std::map<Digest, std::string>& mount_sources = {},
                                    const std::optional<Reference>& blob_source = std::nullopt,
                                    const CopyOptions& copy = {});

// Maps every blob of the image tagged `layout_tag` in `layout_dir` to
// `repository` (for `mount_sources` when pushing an image built on a base
// that came from `repository` of the destination registry).
OCIB_EXPORT Result<std::map<Digest, std::string>> MountSourcesFromLayout(
    const std::string& layout_dir, const std::string& layout_tag, const std::string& repository);

}  // namespace ocib

#endif  // OCIB_INCLUDE_OCIB_PUSH_H_
