// File: ocib/referrers.h
//
// OCI 1.1 artifacts that refer to another manifest through `subject` (SBOMs,
// signatures, attestations), for any BlobStore and for OCI layouts, and the
// referrers fallback tag of the distribution spec.
//
// An artifact is an image manifest (application/vnd.oci.image.manifest.v1+json)
// with `artifactType` set, the empty config descriptor
// (application/vnd.oci.empty.v1+json, `{}`), one layer holding the payload,
// and `subject` = the manifest it refers to. This is the form the image spec
// 1.1 recommends and that registries index in their referrers API.
//
// Example:
//   OCIB_ASSIGN_OR_RETURN(ocib::Descriptor art,
//       ocib::AttachArtifact(*layout, image, ocib::kSpdxJsonMediaType, spdx_json,
//                            {{"org.opencontainers.image.created", created}}));
//   OCIB_RETURN_IF_ERROR(ocib::AddReferrerToLayout(*layout, art));
//   auto refs = ocib::ListLayoutReferrers(*layout, image.digest);  // {art}
//
// Thread safety: as the BlobStore / OciLayout used.
#ifndef OCIB_INCLUDE_OCIB_REFERRERS_H_
#define OCIB_INCLUDE_OCIB_REFERRERS_H_

#include <string>
#include <string_view>
#include <vector>

#include "ocib/blob_store.h"
#include "ocib/descriptor.h"
#include "ocib/digest.h"
#include "ocib/export.h"
#include "ocib/oci_layout.h"
#include "ocib/status.h"

namespace ocib {

// The empty JSON blob `{}` and its digest.
inline constexpr std::string_view kEmptyJson = "{}";
inline constexpr std::string_view kEmptyJsonDigest =
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

// The empty descriptor: application/vnd.oci.empty.v1+json, kEmptyJsonDigest, size 2.
OCIB_EXPORT Descriptor EmptyJsonDescriptor();

// Builds (without storing) the artifact manifest bytes and their descriptor.
// `payload` is described with media type `payload_media_type`. The subject
// in the manifest keeps only its mediaType, digest and size (plus
// artifactType if set). The returned descriptor has the manifest media type,
// digest and size, `artifact_type` and the manifest's `annotations` (the
// form the referrers API lists). kInvalidArgument if `artifact_type` or
// `subject` is empty.
struct OCIB_EXPORT ArtifactManifest {
  Document manifest;
  Descriptor payload;
};
OCIB_EXPORT Result<ArtifactManifest> MakeArtifactManifest(const Descriptor& subject,
                                                          std::string_view artifact_type,
                                                          std::string_view payload_media_type,
                                                          std::string_view payload,
                                                          const Annotations& annotations);

// Stores the payload blob (media type = `artifact_type`), the empty config
// blob and the artifact manifest in `store`, children first; returns the
// manifest's descriptor as MakeArtifactManifest does. Idempotent: the same
// inputs give the same digests. Errors: those of MakeArtifactManifest and of
// the store.
OCIB_EXPORT Result<Descriptor> AttachArtifact(BlobStore& store, const Descriptor& subject,
                                              std::string_view artifact_type,
                                              std::string_view payload,
                                              const Annotations& annotations);

// Lists the artifact manifest in the layout's index.json (untagged;
// AddUntagged keeps an equal entry only once), as the image-spec 1.1 layout
// rules for referrers without a registry suggest.
OCIB_EXPORT Status AddReferrerToLayout(OciLayout& layout, const Descriptor& artifact_manifest);

// The manifests listed in index.json whose `subject.digest` equals
// `subject`, as referrers-API descriptors (mediaType, digest, size,
// artifactType = the manifest's artifactType, or its config media type when
// it has none, and the manifest's annotations), in index order. When
// `artifact_type` is not empty, only those of that type. Index entries whose
// blob is missing are skipped; unreadable or corrupt blobs are errors.
OCIB_EXPORT Result<std::vector<Descriptor>> ListLayoutReferrers(
    OciLayout& layout, const Digest& subject, std::string_view artifact_type = {});
// The same over `index` and the blobs of `store` (an OCI archive read in
// place); `where` names it in errors.
OCIB_EXPORT Result<std::vector<Descriptor>> ListIndexReferrers(BlobStore& store, const Index& index,
                                                               const Digest& subject,
                                                               std::string_view artifact_type,
                                                               std::string_view where);

// For registries without the referrers API (distribution spec, "Pushing
// Manifests with Subject" / "Unavailable Referrers API"): the image index
// kept under tag ReferrersTagFor(subject) lists the referrers. Returns that
// index with `artifact_manifest` added (unless an entry with its digest is
// there), given the current index bytes (empty: none yet). The result is
// serialized canonically and described as an OCI image index; push it under
// the fallback tag. kInvalidArgument if `existing` is not an image index.
//
// Note: on a registry, push the artifact with MakeArtifactManifest (payload
// and empty config as blobs, the manifest with a manifest PUT); AttachArtifact
// writes everything as blobs, which suits OciLayout and other blob stores.
OCIB_EXPORT Result<Document> MergeReferrersIndex(std::string_view existing,
                                                 const Descriptor& artifact_manifest);

// The referrers fallback tag of the distribution spec ("Referrers Tag
// Schema"): the algorithm truncated to 32 characters, "-", the encoded part
// truncated to 64 characters, with every character outside [a-zA-Z0-9_.-]
// replaced by "-". sha256:abc... -> "sha256-abc...".
OCIB_EXPORT std::string ReferrersTagFor(const Digest& digest);

}  // namespace ocib

#endif  // OCIB_INCLUDE_OCIB_REFERRERS_H_
