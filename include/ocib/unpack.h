// File: ocib/unpack.h
//
// An image's filesystem: its layers applied in order (whiteouts and opaque
// directories honoured), written into a directory (UnpackImage, like
// `umoci unpack`'s rootfs) or as one tar (ExportImage, like `crane
// export`).
//
// Sources: any ImageLocation (oci:DIR, oci-archive:FILE, docker-archive:FILE,
// a registry reference). A registry image is pulled first into a temporary
// layout under $TMPDIR (removed afterwards). An index must leave one image:
// the one matching `platform`, or its only platform; several without a
// platform is kInvalidArgument naming them. Every layer is verified against
// its digest while it is read.
//
// Hostile layers are refused (kInvalidArgument naming the layer and entry):
// absolute names, ".." components, a hard link to a path that holds no
// regular file. Symlinks met as parents are resolved inside the image's
// root (as a runtime would), never on the host: nothing is written outside
// the target directory. See lib/archive/unpack.h for the details.
//
// Thread safety: independent calls may run concurrently.
#ifndef OCIB_INCLUDE_OCIB_UNPACK_H_
#define OCIB_INCLUDE_OCIB_UNPACK_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ocib/descriptor.h"
#include "ocib/export.h"
#include "ocib/image_location.h"
#include "ocib/io.h"
#include "ocib/platform.h"
#include "ocib/registry.h"
#include "ocib/status.h"

namespace ocib {

struct OCIB_EXPORT UnpackOptions {
  // The platform to take from an index; none: the index's only platform.
  std::optional<Platform> platform;
  // UnpackImage: create device nodes (only as root; skipped otherwise).
  bool devices = false;
};

struct OCIB_EXPORT UnpackReport {
  Descriptor manifest;  // the platform manifest unpacked or exported
  int64_t entries = 0;  // entries written
  // Things the caller should tell the user: device nodes skipped, owners
  // not kept (not root), modes widened for a readable tree.
  std::vector<std::string> notes;
};

// Writes the filesystem of `source` into `dir`, which must not exist or be
// empty (created when missing). As root, owners are the image's; otherwise
// files belong to the caller, files get the owner's read bit and
// directories rwx for the owner (noted). On failure `dir` may hold part of
// the tree, never anything outside it.
OCIB_EXPORT Result<UnpackReport> UnpackImage(const ImageLocation& source, const std::string& dir,
                                             const UnpackOptions& options,
                                             const RegistryOptions& registry = {});

// Writes the filesystem of `source` as one tar (ocib's tar writer: pax,
// owners, modes, times and link targets as in the image; device nodes and
// FIFOs skipped and noted) to `out`. `out` is not closed.
OCIB_EXPORT Result<UnpackReport> ExportImage(const ImageLocation& source, Writer& out,
                                             const UnpackOptions& options,
                                             const RegistryOptions& registry = {});

// ExportImage into the file `path`, atomically: a temporary file beside it,
// fsynced and renamed; nothing is left behind on failure.
OCIB_EXPORT Result<UnpackReport> ExportImageToFile(const ImageLocation& source,
                                                   const std::string& path,
                                                   const UnpackOptions& options,
                                                   const RegistryOptions& registry = {});

}  // namespace ocib

#endif  // OCIB_INCLUDE_OCIB_UNPACK_H_
