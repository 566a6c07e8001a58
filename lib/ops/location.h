// How the day-2 operations read an ImageLocation: a layout or a registry
// reference (archives are refused by NoArchive).
#ifndef OCIB_LIB_OPS_LOCATION_H_
#define OCIB_LIB_OPS_LOCATION_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "ocib/image.h"
#include "ocib/image_location.h"
#include "ocib/mutate.h"
#include "ocib/sbom.h"
#include "ocib/status.h"

namespace ocib::ops {

// The tag a layout location names, or "" when none was given.
inline std::string LayoutTag(const ImageLocation& l) {
  const LayoutLocation* p = l.layout();
  return p != nullptr && p->tag_given ? p->tag : "";
}

// kInvalidArgument for an oci-archive or docker-archive location: `what`
// works on layouts and registries.
inline Status NoArchive(const ImageLocation& l, std::string_view what) {
  if (l.archive() == nullptr) return {};
  return InvalidArgument(
      fmt::format("{} works on oci:DIR layouts and registries, not on the "
                  "archive {}",
                  what, l.ToString()));
}

// Notes for stderr after an operation made `root` from `source` (read from
// `from`): the index entries it left out and the referrers of the source
// that were not carried over (lib/ops/mutate.cc).
std::vector<std::string> DroppedNotes(const ImageIndex& source, const ImageLocation& from,
                                      const Descriptor& root, const RegistryOptions& options);

// The common end of mutate, append and rebase: `out` (made from `in`, read
// from `source`) with SBOMs made for its images when `sbom` is set, written
// to `destination`; the result's notes are DroppedNotes and those of
// WithSboms.
Result<MutateResult> Publish(const ImageIndex& in, const ImageIndex& out,
                             const ImageLocation& source, const ImageLocation& destination,
                             const std::optional<SbomFormat>& sbom, const RegistryOptions& options);

}  // namespace ocib::ops

#endif  // OCIB_LIB_OPS_LOCATION_H_
