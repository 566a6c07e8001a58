// File: ocib/delete.h
//
// Deleting images and tags from registries and OCI layouts (`ocib delete`).
//
// Registries:
//  - By digest (REPO@sha256:...): DELETE /v2/<name>/manifests/<digest>;
//    the registry drops the manifest (or index) and every tag naming it. The
//    platform manifests of an index and all blobs are left to the
//    registry's garbage collection (they may be shared). With `referrers`,
//    the referrers (SBOMs, signatures) of the image and of each of its
//    platform manifests, and in turn theirs, are deleted first, by digest,
//    with the fallback tag index "sha256-<hex>" of each subject on a
//    registry without the referrers API.
//  - By tag (REPO:TAG): DELETE /v2/<name>/manifests/<tag>, which removes the
//    tag only. A registry that does not delete tags that way (docker-registry
//    2.8 answers 400 DIGEST_INVALID) gets the tag moved to a small
//    placeholder manifest of its own (an empty config, no layers, an
//    annotation naming the tag), which is then deleted by digest: the
//    image and its other tags stay. If that last delete fails, the tag is put
//    back on the image.
//  - A registry that forbids deletion (405, or the UNSUPPORTED error code) is
//    kPermissionDenied, said so; it is found on the first DELETE, before
//    anything changed. A missing tag or digest is kNotFound.
//
// OCI layouts: a tag (oci:DIR:TAG) removes that index.json entry; a digest
// (oci:DIR@sha256:...) removes every entry naming it (its tags), and with
// `referrers` the entries of its referrers. One locked, atomic index.json
// write; blobs stay in blobs/ (a layout may be shared by concurrent builds,
// so no blob is removed behind their back): the layout stays valid.
#ifndef OCIB_INCLUDE_OCIB_DELETE_H_
#define OCIB_INCLUDE_OCIB_DELETE_H_

#include <string>
#include <vector>

#include "ocib/digest.h"
#include "ocib/export.h"
#include "ocib/pull.h"
#include "ocib/registry.h"
#include "ocib/status.h"

namespace ocib {

// What to delete: a registry reference (by tag or digest), "oci:DIR:TAG" or
// "oci:DIR@sha256:...".
struct OCIB_EXPORT DeleteTarget {
  ImageLocation location;
  // For a layout named by digest; empty otherwise.
  Digest layout_digest;

  static Result<DeleteTarget> Parse(const std::string& text);
  std::string ToString() const;
};

struct OCIB_EXPORT DeleteOptions {
  // Also delete the image's referrers (only with a digest).
  bool referrers = false;
};

struct OCIB_EXPORT DeleteResult {
  // "REPO@sha256:..." for each manifest deleted, "REPO:TAG@sha256:..." for a
  // tag removed (the digest it named).
  std::vector<std::string> deleted;
  // What was done besides (a placeholder used to delete a tag, ...).
  std::vector<std::string> notes;
};

OCIB_EXPORT Result<DeleteResult> DeleteImage(const DeleteTarget& target, const DeleteOptions& del,
                                             const RegistryOptions& options);

}  // namespace ocib

#endif  // OCIB_INCLUDE_OCIB_DELETE_H_
