// File: ocib/mutate.h
//
// Changing the configuration of a published image (`ocib mutate SRC DST`):
// entrypoint, cmd, environment, labels, user, working directory, exposed
// ports and annotations, on every platform of an index (or the selected
// ones), from a registry or an OCI layout to a registry or a layout.
//
// Each platform gets a new config (the source config's JSON with the
// changes applied, every other field kept, written in ocib's canonical form:
// sorted keys, no whitespace) and a new manifest (the source manifest's
// JSON with the new config descriptor and the annotations), and an index
// gets a new index listing them in the source's order. Layers are untouched
// and never downloaded when the destination is a registry: registry to
// registry, only manifests and configs are read, and each layer blob is
// mounted from the source repository (same registry) or streamed from the
// source into the upload (another registry); from a layout they are
// uploaded from its blobs. Into a layout the layers are copied (a layout
// must hold them). No time stamp or history entry is added: the same
// source and the same changes give the same digest.
//
// When the destination already holds the result (its tag names the
// computed digest), nothing is written: one HEAD of the tag.
//
// Index entries that are not platform images (attestation manifests with
// platform unknown/unknown, nested indexes) describe the old manifests and
// are left out of the new index, as are the referrers (SBOMs, signatures)
// of the source: the result reports them in `notes`. With `sbom`, each new
// image gets a new SBOM made from the Go binary in its layers (WithSboms,
// ocib/image.h), written with it; the layers are then read.
//
// Errors: a platform not in the source is kNotFound naming the available
// ones; a malformed change (an env without '=', a bad port) is
// kInvalidArgument, found before anything is read or written.
#ifndef OCIB_INCLUDE_OCIB_MUTATE_H_
#define OCIB_INCLUDE_OCIB_MUTATE_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ocib/descriptor.h"
#include "ocib/export.h"
#include "ocib/platform.h"
#include "ocib/pull.h"
#include "ocib/registry.h"
#include "ocib/sbom.h"
#include "ocib/status.h"

namespace ocib {

struct OCIB_EXPORT MutateOptions {
  // Replace the entrypoint / cmd when set (an empty vector clears it).
  std::optional<std::vector<std::string>> entrypoint;
  std::optional<std::vector<std::string>> cmd;
  // "K=V": replaces the variable K, or is appended.
  std::vector<std::string> env;
  // Set (or replace) config labels, manifest and index annotations.
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::optional<std::string> user;
  std::optional<std::string> working_dir;
  // "PORT", "PORT/tcp" or "PORT/udp": added to the exposed ports.
  std::vector<std::string> expose;
  // Only these platforms are mutated and listed in the new index; empty:
  // every platform.
  std::vector<Platform> platforms;
  // Set: an SBOM of this format is made for each new image and attached
  // (WithSboms, ocib/image.h: the layers are then read).
  std::optional<SbomFormat> sbom;
};

struct OCIB_EXPORT MutateResult {
  Descriptor root;
  // "REF@sha256:..." (or "oci:DIR:TAG@sha256:...") for the destination.
  std::vector<std::string> written;
  // True when the destination already held the result.
  bool unchanged = false;
  // For stderr: dropped index entries, referrers not carried.
  std::vector<std::string> notes;
};

OCIB_EXPORT Result<MutateResult> Mutate(const ImageLocation& source,
                                        const ImageLocation& destination,
                                        const MutateOptions& mutate,
                                        const RegistryOptions& options);

}  // namespace ocib

#endif  // OCIB_INCLUDE_OCIB_MUTATE_H_
