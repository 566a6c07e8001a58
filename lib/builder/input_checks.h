// Checks of build inputs that would otherwise make a wrong image: paths a
// runtime cannot unpack, two inputs at one destination, user files that act
// as whiteouts, binaries for another platform. All run before anything is
// written.
#ifndef OCIB_LIB_BUILDER_INPUT_CHECKS_H_
#define OCIB_LIB_BUILDER_INPUT_CHECKS_H_

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ocib/blob_store.h"
#include "ocib/descriptor.h"
#include "ocib/layer.h"
#include "ocib/oci_layout.h"
#include "ocib/platform.h"
#include "ocib/status.h"

namespace ocib::build {

// Longest path component (NAME_MAX) and whole absolute path, without its
// terminating NUL (PATH_MAX 4096 - 1), that Linux accepts when a layer is
// unpacked.
inline constexpr size_t kMaxNameBytes = 255;
inline constexpr size_t kMaxPathBytes = 4095;

// Checks a normalized image path ("etc/app.conf"): every component at most
// kMaxNameBytes, "/" + path at most kMaxPathBytes, and no component named
// ".wh.*" (a whiteout: it would delete a base file or directory).
// kInvalidArgument naming `input` (what the user gave) otherwise.
Status CheckImagePath(std::string_view path, std::string_view input);

// One user input that lands in the shared layer: what the user gave
// ("SRC:DEST") and the entries it adds.
struct FileInput {
  std::string label;
  FileTree tree;
};

// Checks every entry path of `inputs` (CheckImagePath) and that no two
// inputs put something at one destination, except directories (which
// merge), and that nothing lands at, above or below `binary_dest` (the
// normalized binary path) but its parent directories. The error names both
// inputs and the destination.
Status CheckFileInputs(const std::vector<FileInput>& inputs, const std::string& binary_dest);

// Checks that the executable at `path` is built for `platform`: its ELF
// header (lib/sbom/elf.h) and, for a Go binary, the GOOS, GOARCH, GOARM and
// GOAMD64 of its build information (GOARM and GOAMD64 at most the
// platform's variant). A file that is not ELF is refused for the operating
// systems whose executables are ELF (linux, android, the BSDs, solaris,
// illumos) and accepted for the others (not checked). Reads a bounded
// header, never the whole file. kInvalidArgument naming `path`.
Status CheckBinaryPlatform(const std::string& path, const Platform& platform);

// The directories of an image's layers, and whether every layer was read.
struct BaseDirectories {
  std::set<std::string> dirs;
  // False when a layer absent from the store was skipped: `dirs` may then
  // lack directories.
  bool complete = true;
};

// The directories the image made of `layers` (bottom first, read from
// `layout`) has: each layer is decompressed and its tar headers scanned,
// whiteouts applied. Layers absent from the layout (lent by a registry),
// or of a media type that is not an OCI or Docker layer, are skipped (an
// absent one makes the result incomplete).
Result<BaseDirectories> LayerDirectories(BlobStore& layout, const std::vector<Descriptor>& layers);

}  // namespace ocib::build

#endif  // OCIB_LIB_BUILDER_INPUT_CHECKS_H_
