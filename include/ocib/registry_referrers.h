// File: ocib/registry_referrers.h
//
// OCI 1.1 referrers (SBOMs, signatures, attestations: manifests whose
// `subject` names another manifest) in registries, as the distribution spec
// 1.1 describes them ("Pushing Manifests with Subject", "Listing
// Referrers", "Referrers Tag Schema").
//
// A registry with the referrers API answers the PUT of a manifest that has
// a subject with an `OCI-Subject` header and lists the referrers of a
// digest at GET /v2/<name>/referrers/<digest>. A registry without it
// (no OCI-Subject on the PUT; 404 on /referrers) gets the fallback: the
// referrers of sha256:<hex> are listed in an image index tagged
// "sha256-<hex>" (ReferrersTagFor in ocib/referrers.h), which the client
// that pushes a referrer keeps up to date: read it (404: empty), add the
// new referrer's descriptor unless an entry has its digest (existing
// entries are kept exactly as they are), write it back.
//
// Caveat of the fallback: two clients adding referrers of one subject at
// the same moment can each write an index without the other's entry
// (distribution offers no conditional PUT). Pushing the lost referrer again
// adds it back.
//
// Example:
//   auto client = ocib::RegistryClient::Create("registry.example", {});
//   // the artifact's blobs (payload and the empty config) are pushed first
//   OCIB_ASSIGN_OR_RETURN(ocib::Descriptor d, ocib::PushReferrer(**client, "team/app",
//                             art.manifest.descriptor.media_type, art.manifest.bytes));
//   auto sboms = ocib::ListRegistryReferrers(**client, "team/app", image.digest,
//                                            ocib::kSpdxJsonMediaType);
//
// Thread safety: as the RegistryClient used. Calls for one subject must not
// run concurrently (see the caveat).
#ifndef OCIB_INCLUDE_OCIB_REGISTRY_REFERRERS_H_
#define OCIB_INCLUDE_OCIB_REGISTRY_REFERRERS_H_

#include <string>
#include <string_view>
#include <vector>

#include "ocib/descriptor.h"
#include "ocib/digest.h"
#include "ocib/export.h"
#include "ocib/registry.h"
#include "ocib/status.h"

namespace ocib {

// PUTs the manifest or index `bytes` (Content-Type `media_type`) by digest
// to `repo`, also when the registry has it already (the answer tells
// whether the registry processed the subject, and a fallback tag that lost
// the entry gets it back). Its blobs, and the children of an index, must be
// in `repo` already. When the document has a
// `subject` and the registry's answer to the PUT carries no OCI-Subject
// header, the referrer is added to the subject's fallback tag
// (AddToReferrersFallbackTag). Returns the document's referrers-API
// descriptor: media type, digest, size, artifactType (the document's, or
// else a manifest's config media type) and the document's annotations.
// Errors: kInvalidArgument when `bytes` is not a manifest or index of
// `media_type`; the registry's errors, naming what was being pushed.
OCIB_EXPORT Result<Descriptor> PushReferrer(RegistryClient& client, const std::string& repo,
                                            const std::string& media_type,
                                            const std::string& bytes);

// Adds `referrer` (a descriptor as PushReferrer returns it) to the image
// index tagged ReferrersTagFor(subject) in `repo`: reads the tag (404, or a
// registry that resolves the tag to the subject itself: no index yet),
// merges with MergeReferrersIndex and PUTs the result under the tag, only
// when the referrer was not listed. When the tag holds something other
// than an image index: kAlreadyExists saying what is there (media type,
// digest, size), nothing changed; with RegistryOptions::replace_referrers_tag
// the tag is replaced by an index of this referrer.
OCIB_EXPORT Status AddToReferrersFallbackTag(RegistryClient& client, const std::string& repo,
                                             const Digest& subject, const Descriptor& referrer);

// The referrers of `subject` in `repo`, as referrers-API descriptors, in
// the registry's order: from the referrers API, or when the registry has
// none, from the fallback tag (absent: no referrers). With `artifact_type`
// not empty, only those of that type (filtered here too: registries may
// ignore the filter).
OCIB_EXPORT Result<std::vector<Descriptor>> ListRegistryReferrers(
    RegistryClient& client, const std::string& repo, const Digest& subject,
    std::string_view artifact_type = {});

}  // namespace ocib

#endif  // OCIB_INCLUDE_OCIB_REGISTRY_REFERRERS_H_
