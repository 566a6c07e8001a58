// Flattening image layers: what the filesystem of an image holds once its
// layers are applied in order, and writing that into a directory (unpack)
// or one tar (export).
//
// Layers are read with libarchive (tar; uncompressed, gzip or zstd). Two
// passes over the layers: the first reads only headers and works out the
// final tree (whiteouts ".wh.NAME" hide NAME of the layers below, an opaque
// marker ".wh..wh..opq" hides everything the layers below put in its
// directory, a non-directory replaces a directory with its subtree, a
// directory over a directory keeps the children); the second streams the
// layers again and hands each entry that survives to a sink, in layer
// order, with its data.
//
// Paths are resolved against the tree as it stands, as a container runtime
// would inside its root: a symlink met as a parent is followed, an absolute
// target or a ".." never leaves the root (RESOLVE_IN_ROOT semantics), at
// most 40 symlinks per path. Entries are refused (kInvalidArgument naming
// the layer and entry) when their name is absolute or has a ".." component,
// when a parent is neither a directory nor a symlink to one, when a hard
// link names a path that does not hold a regular file at that point, or
// when a layer is not a readable tar. So a sink only ever gets canonical
// paths inside the root whose parents are directories of the final tree.
//
// Limits: 4 Mi entries per image, paths and link targets of 4096 bytes.
#ifndef OCIB_LIB_ARCHIVE_UNPACK_H_
#define OCIB_LIB_ARCHIVE_UNPACK_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ocib/digest.h"
#include "ocib/io.h"
#include "ocib/status.h"

namespace ocib::archive {

enum class NodeType { kDirectory, kRegular, kSymlink, kHardlink, kCharDevice, kBlockDevice, kFifo };

// One entry of the flattened tree.
struct FlatEntry {
  std::string path;  // canonical: relative, no "." or ".." components
  NodeType type = NodeType::kRegular;
  uint32_t mode = 0;  // permission bits (07777)
  int64_t uid = 0;
  int64_t gid = 0;
  int64_t mtime = 0;
  int64_t size = 0;  // regular files
  // Symlinks: the target as stored. Hard links: the canonical path of the
  // entry linked to (always handed to the sink before the link).
  std::string link;
  uint32_t dev_major = 0;
  uint32_t dev_minor = 0;
};

// Where flattened entries go.
class FlatSink {
 public:
  virtual ~FlatSink() = default;
  // One entry; a regular file's `size` bytes are read from `data` (null for
  // other types).
  virtual Status Add(const FlatEntry& entry, Reader* data) = 0;
  // After the last entry.
  virtual Status Finish() = 0;
};

// Opens the (possibly compressed) bytes of layer i, verified against its
// digest as they are read. Called twice per layer.
using LayerOpener = std::function<Result<std::unique_ptr<Reader>>()>;

struct NamedLayer {
  std::string name;  // for messages, e.g. the layer's digest
  LayerOpener open;
};

// The layer `digest` of `size` bytes read through `range` (a store's or a
// source's OpenRange), every byte verified against the digest as it is
// read, named by its digest.
NamedLayer VerifiedLayer(const Digest& digest, int64_t size,
                         std::function<Result<std::unique_ptr<Reader>>(int64_t, int64_t)> range);

// Applies `layers` (bottom first) and hands the result to `sink`. Returns
// the number of entries handed over.
Result<int64_t> Flatten(const std::vector<NamedLayer>& layers, FlatSink& sink);

// Writes entries under the directory `dir`, which must not exist or be
// empty (it is created with mode 0755 when missing). Every path is walked
// from `dir` with openat(O_NOFOLLOW | O_DIRECTORY) one component at a time,
// and every entry is created with O_EXCL / mkdirat / symlinkat / linkat
// relative to its parent's descriptor: a symlink on disk is never followed,
// so nothing can land outside `dir`. Owners are set only when running as
// root; otherwise files belong to the caller, regular files get the owner's
// read bit and directories rwx for the owner (a readable, removable tree).
// Device nodes are created only as root and when `devices` is true, and
// skipped (counted) otherwise. Directory modes and times are set last.
struct DirectorySinkOptions {
  bool devices = false;
};
struct DirectorySinkReport {
  int64_t skipped_devices = 0;
  bool owners_kept = false;  // running as root: owners as in the image
  bool modes_widened = false;
};
Result<std::unique_ptr<FlatSink>> NewDirectorySink(const std::string& dir,
                                                   const DirectorySinkOptions& options,
                                                   DirectorySinkReport* report);

// Writes entries as one tar to `out` (ocib's tar writer: owners, modes,
// times and link targets as in the image). Device nodes and FIFOs, which
// the tar writer does not write, are skipped and counted in `*skipped`.
std::unique_ptr<FlatSink> NewTarSink(Writer& out, int64_t* skipped);

// The canonical form of a layer entry name: no leading "./", no "." or
// empty components, no trailing "/"; "" for the root. kInvalidArgument for
// an absolute name, a ".." component, or more than 4096 bytes.
Result<std::string> CanonicalEntryName(std::string_view name);

}  // namespace ocib::archive

#endif  // OCIB_LIB_ARCHIVE_UNPACK_H_
