// File: ocib/rebase.h
//
// Moving a published image onto another base (`ocib rebase SRC DST --base
// NEWBASE [--old-base OLD]`), on every platform of an index (or the
// selected ones), from a registry or an OCI layout to a registry or a
// layout.
//
// The old base of each platform is `old_base` (its image for the platform)
// or, when unset, the image the manifest's annotations name:
// org.opencontainers.image.base.name at org.opencontainers.image.base.digest
// (what `build` writes), read by digest so a base tag that has moved since
// still finds the old base. Its layers must be the first layers of the
// image (else kInvalidArgument naming the platform). Each platform's layers
// become the new base's followed by the image's own, and its config and
// manifest are rewritten as ReplaceBase (ocib/image.h) says: `build --base
// B1` then a rebase onto B2 gives the digest of `build --base B2` with the
// same inputs and SOURCE_DATE_EPOCH. The image's own layers are never
// downloaded registry to registry (mounted or streamed), the new base's
// neither.
//
// Like mutate, index entries that are not platform images and the
// source's referrers are left out and reported in `notes`.
#ifndef OCIB_INCLUDE_OCIB_REBASE_H_
#define OCIB_INCLUDE_OCIB_REBASE_H_

#include <optional>
#include <string>
#include <vector>

#include "ocib/export.h"
#include "ocib/image_location.h"
#include "ocib/mutate.h"
#include "ocib/platform.h"
#include "ocib/registry.h"
#include "ocib/sbom.h"
#include "ocib/status.h"

namespace ocib {

struct OCIB_EXPORT RebaseOptions {
  ImageLocation new_base;
  std::optional<ImageLocation> old_base;
  // The base.name annotation of the result. Unset: the new base's location
  // (ImageLocation::ToString) when the image named its base, else none.
  std::optional<std::string> base_name;
  // Only these platforms are kept (and rebased); empty: every platform.
  std::vector<Platform>
      platforms;  // Set: an SBOM of this format is made for each new image and attached
  // (WithSboms, ocib/image.h: the layers are then read).
  std::optional<SbomFormat> sbom;
};

OCIB_EXPORT Result<MutateResult> Rebase(const ImageLocation& source,
                                        const ImageLocation& destination,
                                        const RebaseOptions& rebase,
                                        const RegistryOptions& options);

}  // namespace ocib

#endif  // OCIB_INCLUDE_OCIB_REBASE_H_
