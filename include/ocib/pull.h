// File: ocib/pull.h
//
// Pulling an image from a registry into an OCI layout, and copying images
// between registries and layouts.
//
// Pull resolves the reference (tag -> index -> manifests), verifies every
// document and blob against its digest and size while streaming, and writes
// blobs through the layout's writers (nothing partial is visible). The tag
// is written last. When the pull fails and the layout directory did not
// exist before, the directory is removed: nothing is left behind.
//
// Platforms: empty means all. Otherwise only matching manifests of an
// index are pulled and the layout gets a new index listing just those (its
// digest differs from the remote one); kNotFound when none matches.
//
// Referrers (OCI 1.1: SBOMs, signatures; manifests or indexes whose
// `subject` names another manifest): unless CopyOptions::referrers is
// false, Pull and Copy carry the referrers of the image's root, of each of
// its manifests (and nested indexes) and, in turn, the referrers of those.
// From a registry they are found with ListRegistryReferrers (the referrers
// API, or the fallback tag "sha256-<hex>"; ocib/registry_referrers.h); from
// a layout, in its index.json (ListLayoutReferrers, ocib/referrers.h). Each
// referrer document and blob is verified against its digest like the
// image's. Into a layout, every referrer (with the children of a referrer
// index) is stored and listed untagged in index.json, in the same index.json
// write as the tag; into a registry, its blobs go with the image's and the
// referrer is PUT by digest after its subject and before the tags move, and
// on a registry without the referrers API the subject's fallback tag index
// is merged (entries added, existing ones kept; see PushReferrer). A source
// registry that answers the listing of a subject with 404 (no referrers API
// and no fallback tag) has no referrers for it; a listed referrer that the
// source no longer has (404), or whose `subject` is not the digest it was
// listed under (a stale fallback index), is skipped and logged. Other
// failures (network after retries, authentication, a corrupt document) are
// errors naming the referrer and its subject.
//
// With platforms selected, only the referrers of the selected manifests
// (and of the new root, which has a different digest: the referrers of the
// source's root do not apply to it and are left out) are carried.
#ifndef OCIB_INCLUDE_OCIB_PULL_H_
#define OCIB_INCLUDE_OCIB_PULL_H_

#include <string>
#include <vector>

#include "ocib/descriptor.h"
#include "ocib/export.h"
#include "ocib/image_location.h"
#include "ocib/platform.h"
#include "ocib/reference.h"
#include "ocib/registry.h"
#include "ocib/status.h"

namespace ocib {

// What Pull and Copy carry besides the image itself.
struct OCIB_EXPORT CopyOptions {
  // The image's referrers (see "Referrers" above); false: the image only
  // (`--no-referrers`), and no referrer is looked up.
  bool referrers = true;
  // The platforms to carry: empty means all. A registry source into a
  // layout keeps those (see Pull); a docker archive destination takes one.
  std::vector<Platform> platforms;
};

// Pulls `source` into the layout at `layout_dir` (created if needed),
// tagged `layout_tag` (empty: the source's tag, or untagged for a digest
// reference), with its referrers unless `copy.referrers` is false. Returns
// the descriptor written to index.json.
OCIB_EXPORT Result<Descriptor> Pull(const Reference& source, const std::string& layout_dir,
                                    const std::string& layout_tag,
                                    const std::vector<Platform>& platforms,
                                    const RegistryOptions& options, const CopyOptions& copy = {});

// Like Pull, but without the layers: the layout gets the root (or the new
// index of the selected platforms), the platform manifests and their
// configs, all verified, and the tag; layer blobs it lacks are not fetched
// (those it has stay). The result is an incomplete layout, readable as a
// build base whose layers go from registry to registry (`ocib build --base
// REF --tag REF` without --output): see BuildSpec::absent_base_layers
// and Push's `blob_source`. A later Pull into the same layout fetches the
// missing layers. No referrers are carried (the SBOMs of a base describe
// the base, not an image built on it).
OCIB_EXPORT Result<Descriptor> PullDocuments(const Reference& source, const std::string& layout_dir,
                                             const std::string& layout_tag,
                                             const std::vector<Platform>& platforms,
                                             const RegistryOptions& options);

// Copies every platform of `source` to `destination` (any two locations of
// ocib/image_location.h), with its referrers unless `copy.referrers` is
// false (see "Referrers" above; a local to registry copy is a Push, see
// ocib/push.h). Archives are read in place (nothing unpacked to disk).
// Into a docker archive: one platform (`copy.platforms` selects it; a
// source with several and no selection is kInvalidArgument naming them),
// without referrers, layers decompressed, RepoTags the destination's
// REPO:TAG (none when not given); a registry source is first pulled into a
// private temporary layout (removed afterwards). Into an OCI archive: the
// image is copied to a private temporary layout, then packed. A
// destination without tag gets the source's tag, else "latest" (a registry
// source named by digest alone stays untagged in a layout). Registry to registry streams
// each blob, the referrers' included, from the source straight into the
// upload (no local copy; the destination verifies digests on PUT
// ?digest=, documents are verified here) and mounts blobs when both are
// in one registry. Returns the root descriptor; for a registry
// destination `pushed` gets "REF@sha256:..." lines.
OCIB_EXPORT Result<Descriptor> Copy(const ImageLocation& source, const ImageLocation& destination,
                                    const RegistryOptions& options,
                                    std::vector<std::string>* pushed, const CopyOptions& copy = {});

// `ocib inspect REF`: the exact bytes of the root document (manifest or
// index), then of each platform manifest of an index, then of each
// manifest's config, as InspectLayout (ocib/inspect.h) gives them for a
// layout. Digests are verified; each distinct document is fetched once.
OCIB_EXPORT Result<std::vector<std::string>> InspectRemote(const Reference& reference,
                                                           const RegistryOptions& options);

}  // namespace ocib

#endif  // OCIB_INCLUDE_OCIB_PULL_H_
