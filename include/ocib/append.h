// File: ocib/append.h
//
// Adding layers to a published image (`ocib append SRC DST --layer
// [PLATFORM=]FILE`), on every platform of an index (or the selected ones),
// from a registry or an OCI layout to a registry or a layout.
//
// Each layer comes from a tarball (.tar, .tar.gz, .tar.zst, read with
// libarchive) or a directory, and is written again by ocib's tar writer
// under its reproducibility rules: entries sorted, owned by 0:0, one mtime
// (`source_date_epoch`), modes 0755 (any exec bit) or 0644, directories
// 0755. Refused before anything is written (kInvalidArgument naming the
// entry): absolute paths, ".." components, names or paths Linux cannot
// unpack, two entries at one path, whiteouts (".wh.*") unless
// `keep_whiteouts`, devices and FIFOs. Tarball content is held in memory
// (1 GiB at most).
//
// Each platform gets its layers appended (a layer for one platform only on
// that one), a history entry per layer ("ocib append: NAME", created at
// `source_date_epoch`), a new config and manifest; an index gets a new
// index. The base layers are never downloaded registry to registry: they
// are mounted (same registry) or streamed (another one). Like mutate,
// index entries that are not platform images and the source's referrers
// are left out and reported in `notes`. The same inputs give the same
// digest; a destination that already holds it is not written.
#ifndef OCIB_INCLUDE_OCIB_APPEND_H_
#define OCIB_INCLUDE_OCIB_APPEND_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ocib/export.h"
#include "ocib/image_location.h"
#include "ocib/layer.h"
#include "ocib/mutate.h"
#include "ocib/platform.h"
#include "ocib/registry.h"
#include "ocib/sbom.h"
#include "ocib/status.h"

namespace ocib {

struct OCIB_EXPORT AppendInput {
  // Only this platform gets the layer; unset: every platform.
  std::optional<Platform> platform;
  // A tarball or a directory.
  std::string path;
};

struct OCIB_EXPORT AppendOptions {
  std::vector<AppendInput> layers;
  Compression compression = Compression::kZstd;
  int64_t source_date_epoch = 0;
  bool keep_whiteouts = false;
  // Only these platforms are kept (and changed); empty: every platform.
  std::vector<Platform> platforms;
  // Set: an SBOM of this format is made for each new image and attached
  // (WithSboms, ocib/image.h: the layers are then read).
  std::optional<SbomFormat> sbom;
};

// The result has the shape of a mutate's (ocib/mutate.h).
OCIB_EXPORT Result<MutateResult> Append(const ImageLocation& source,
                                        const ImageLocation& destination,
                                        const AppendOptions& append,
                                        const RegistryOptions& options);

}  // namespace ocib

#endif  // OCIB_INCLUDE_OCIB_APPEND_H_
