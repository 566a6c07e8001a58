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
#ifndef OCIB_INCLUDE_OCIB_PULL_H_
#define OCIB_INCLUDE_OCIB_PULL_H_

#include <string>
#include <vector>

#include "ocib/descriptor.h"
#include "ocib/platform.h"
#include "ocib/reference.h"
#include "ocib/registry.h"
#include "ocib/status.h"

namespace ocib {

// Pulls `source` into the layout at `layout_dir` (created if needed),
// tagged `layout_tag` (empty: the source's tag, or untagged for a digest
// reference). Returns the descriptor written to index.json.
Result<Descriptor> Pull(const Reference& source, const std::string& layout_dir,
                        const std::string& layout_tag, const std::vector<Platform>& platforms,
                        const RegistryOptions& options);

// Like Pull, but without the layers: the layout gets the root (or the new
// index of the selected platforms), the platform manifests and their
// configs, all verified, and the tag; layer blobs it lacks are not fetched
// (those it has stay). The result is an incomplete layout, readable as a
// build base whose layers go from registry to registry (`ocib build --base
// REF --tag REF` without --output): see BuildOptions::absent_base_layers
// and Push's `blob_source`. A later Pull into the same layout fetches the
// missing layers.
Result<Descriptor> PullDocuments(const Reference& source, const std::string& layout_dir,
                                 const std::string& layout_tag,
                                 const std::vector<Platform>& platforms,
                                 const RegistryOptions& options);

// One side of a copy: "oci:DIR[:TAG]" or a registry reference.
struct ImageLocation {
  bool is_layout = false;
  std::string layout_dir;
  std::string layout_tag;
  Reference reference;

  // Parses "oci:DIR[:TAG]" (the TAG is what follows the last ':' when it
  // is a valid tag) or a registry reference.
  static Result<ImageLocation> Parse(const std::string& text);
  std::string ToString() const;
};

// Copies every platform of `source` to `destination`. Registry to
// registry streams each blob from the source straight into the upload (no
// local copy; the destination verifies digests on PUT ?digest=, documents
// are verified here) and mounts blobs when both are in one registry. Returns the root descriptor;
// for a registry destination `pushed` gets "REF@sha256:..." lines.
Result<Descriptor> Copy(const ImageLocation& source, const ImageLocation& destination,
                        const RegistryOptions& options, std::vector<std::string>* pushed);

// `ocib inspect REF`: the root document (manifest or index), then each
// platform manifest of an index, then each manifest's config: one compact
// JSON document per string. Digests are verified.
Result<std::vector<std::string>> InspectRemote(const Reference& reference,
                                               const RegistryOptions& options);

}  // namespace ocib

#endif  // OCIB_INCLUDE_OCIB_PULL_H_
