// The rules an image must keep to be valid, checked on its documents alone
// (no layer is read): the checks `validate` makes of a layout and that push
// and copy make before they send their first byte.
#ifndef OCIB_LIB_LAYOUT_CONSISTENCY_H_
#define OCIB_LIB_LAYOUT_CONSISTENCY_H_

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "ocib/descriptor.h"
#include "ocib/image_config.h"
#include "ocib/manifest.h"
#include "ocib/status.h"

namespace ocib::consistency {

// Problems are lines "<what>: <why>", as ValidationReport::problems.
using Problems = std::vector<std::string>;

// Largest config document read for the checks.
inline constexpr int64_t kMaxConfigBytes = int64_t{8} << 20;

// That a manifest media type in `d` points at a manifest document and an
// index media type at an index (by the document's own mediaType, or by its
// shape when it has none).
void CheckKind(const Descriptor& d, std::string_view bytes, Problems& out);

// The document `bytes` that `d` points at: its size and (sha256) digest,
// and CheckKind.
void CheckTarget(const Descriptor& d, std::string_view bytes, Problems& out);

// A manifest's own rules: a config that is the empty descriptor
// (application/vnd.oci.empty.v1+json) needs an artifactType; a config
// descriptor must not name a manifest or index type.
void CheckManifest(const Descriptor& d, const Manifest& m, Problems& out);

// A manifest against its image config: as many diff_ids as layers, as
// many non-empty history entries as layers (when there is a history), and
// the platform of `d` (from an index) the config's (Platform::Matches: the
// default variants arm64/v8, arm/v7 and amd64/v1 may be left out).
void CheckManifestConfig(const Descriptor& d, const Manifest& m, const ImageConfig& c,
                         Problems& out);

// True for the config media types whose document is an image config.
bool IsImageConfig(std::string_view media_type);

// A document of an image being sent: its descriptor and bytes.
struct ImageDocument {
  Descriptor descriptor;
  std::string bytes;
};

// Reads a config blob (at most kMaxConfigBytes).
using ConfigReader = std::function<Result<std::string>(const Descriptor&)>;

// Checks the image `root` (with bytes `root_bytes`), the documents below it
// (`documents`: manifests and nested indexes) and `referrers`, reading each
// image config through `read_config`. kInvalidArgument listing the
// problems (the first few) when there is any.
Status CheckImage(const Descriptor& root, std::string_view root_bytes,
                  const std::vector<ImageDocument>& documents,
                  const std::vector<ImageDocument>& referrers, const ConfigReader& read_config);

}  // namespace ocib::consistency

#endif  // OCIB_LIB_LAYOUT_CONSISTENCY_H_
