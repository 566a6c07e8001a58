// File: ocib/layer.h
//
// Layers: a FileTree (what goes into the tar) and BuildLayer, the one-pass
// streaming pipeline
//   FileTree -> tar (pax) -> sha256 (diff_id) -> zstd|gzip|none
//            -> sha256 (digest) -> BlobWriter
// in constant memory. Entries are sorted bytewise by path, owned by 0:0 with
// empty names, stamped with one mtime, and keep only the exec bit of the
// host mode (0755 or 0644; directories 0755; symlinks 0777) unless a mode is
// set explicitly. Implied parent directories are not written.
#ifndef OCIB_INCLUDE_OCIB_LAYER_H_
#define OCIB_INCLUDE_OCIB_LAYER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ocib/blob_store.h"
#include "ocib/descriptor.h"
#include "ocib/export.h"
#include "ocib/status.h"

namespace ocib {

enum class Compression { kZstd, kGzip, kNone };

// "zstd" | "gzip" | "none".
OCIB_EXPORT Result<Compression> ParseCompression(std::string_view text);
OCIB_EXPORT std::string_view CompressionName(Compression c);
// The OCI layer media type for `c`.
OCIB_EXPORT std::string_view LayerMediaType(Compression c);

struct OCIB_EXPORT LayerOptions {
  Compression compression = Compression::kZstd;
  // Compression level; 0 means the default (zstd 3, gzip 6).
  int level = 0;
  // mtime of every entry (seconds since the epoch).
  int64_t mtime = 0;
  // zstd worker threads (0: one per hardware thread). The output does not
  // depend on this number.
  int threads = 0;
  // Uncompressed tar bytes written so far (at most every 256 KiB and once at
  // the end). Optional; the output does not depend on it.
  std::function<void(int64_t done)> on_bytes;
};

struct OCIB_EXPORT Layer {
  Descriptor descriptor;  // the compressed blob
  Digest diff_id;         // sha256 of the uncompressed tar
  int64_t uncompressed_size = 0;
};

struct OCIB_EXPORT FileEntry {
  enum class Type { kRegular, kDirectory, kSymlink, kHardlink };
  std::string path;  // relative, normalized ("etc/passwd"), no trailing '/'
  Type type = Type::kRegular;
  uint32_t mode = 0644;  // permission bits, including setuid/setgid/sticky
  int64_t uid = 0;
  int64_t gid = 0;
  std::string source;                  // host file with the content, or
  std::optional<std::string> content;  // inline content
  std::string link_target;             // symlink target, or hardlink's first path
  int64_t size = 0;                    // regular files: content size
  uint64_t host_dev = 0;               // host identity, for hard-link detection
  uint64_t host_ino = 0;
};

// The entries of one layer. Add* validate and normalize destination paths:
// absolute or relative, "." and duplicate '/' removed; ".." that escapes the
// root, NUL and empty paths are kInvalidArgument.
class OCIB_EXPORT FileTree {
 public:
  // Adds the host file or directory `source` at `dest`. A directory is added
  // with everything below it (symlinks kept as symlinks, never followed;
  // files with several links in the tree become hard links to the first path
  // in sorted order). A later entry at the same path replaces an earlier one.
  Status AddHostPath(const std::string& source, std::string_view dest);
  // Adds a host regular file at `dest` with an explicit mode.
  Status AddHostFile(const std::string& source, std::string_view dest, uint32_t mode);
  Status AddFile(std::string_view dest, std::string content, uint32_t mode, int64_t uid = 0,
                 int64_t gid = 0);
  Status AddDirectory(std::string_view dest, uint32_t mode, int64_t uid = 0, int64_t gid = 0);
  Status AddSymlink(std::string_view dest, std::string target);
  // Adds every entry of `other`, in its order, as the Add* calls would.
  void Merge(const FileTree& other);
  // Removes the entries for which `drop` is true.
  void EraseIf(const std::function<bool(const FileEntry&)>& drop);

  // Names the tree's whole content, for a tree a caller knows by a digest
  // (ocib's embedded static base): LayerCache keys such a tree on the name
  // and never reads its entries. The name must change whenever the entries
  // would. Any later Add* call clears it.
  void SetContentId(std::string id) { content_id_ = std::move(id); }
  const std::string& content_id() const { return content_id_; }

  // The entry at `path` (normalized, as stored), or null. Valid until the
  // next change to the tree.
  const FileEntry* Find(std::string_view path) const;
  // Entries sorted bytewise by path.
  std::vector<FileEntry> SortedEntries() const;
  int64_t ContentBytes() const;
  bool empty() const { return entries_.empty(); }

  // Normalizes a destination path; see the class comment.
  static Result<std::string> NormalizePath(std::string_view dest);

 private:
  void Put(FileEntry e);
  std::vector<FileEntry> entries_;
  std::unordered_map<std::string, size_t> index_;  // path -> position in entries_
  std::string content_id_;
};

// Writes `tree` as one layer into `store` in a single streaming pass.
// On failure nothing is committed to the store.
OCIB_EXPORT Result<Layer> BuildLayer(const FileTree& tree, BlobStore& store,
                                     const LayerOptions& options);

// Decompresses a stored layer blob of `media_type` into `sink` (used to
// verify diff_ids). Returns kInvalidArgument for unknown media types.
OCIB_EXPORT Status DecompressLayer(Reader& blob, std::string_view media_type, Writer& sink);

}  // namespace ocib

#endif  // OCIB_INCLUDE_OCIB_LAYER_H_
