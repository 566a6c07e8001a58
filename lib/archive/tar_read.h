// Reading a layer's content from a tarball (.tar, .tar.gz, .tar.zst; the
// compression is recognised from the bytes) with libarchive, into a
// FileTree that ocib's own tar writer writes again under ocib's rules
// (sorted, 0:0, one mtime, modes 0755/0644, directories 0755): the layer's
// bytes depend on the entries, never on libarchive's version.
//
// Refused (kInvalidArgument naming the entry), before anything is built:
// absolute paths and paths with a ".." component, names longer than
// NAME_MAX or paths longer than PATH_MAX (lib/builder/input_checks.h), two
// entries at one path (except one directory twice), entries whose name
// starts with ".wh." (whiteouts: they would delete files of the image)
// unless `keep_whiteouts`, device, FIFO and socket entries, a hard link to
// a path that is not an earlier regular file (a valid one becomes a copy of
// its target's content), and more than `max_entries` entries or
// `max_bytes` bytes of content (the content is held in memory).
#ifndef OCIB_LIB_ARCHIVE_TAR_READ_H_
#define OCIB_LIB_ARCHIVE_TAR_READ_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "ocib/layer.h"
#include "ocib/status.h"

namespace ocib::tar {

struct ReadOptions {
  bool keep_whiteouts = false;
  size_t max_entries = size_t{1} << 20;
  int64_t max_bytes = int64_t{1} << 30;
};

// The tarball at `path` (a regular file, not a symbolic link).
Result<FileTree> ReadTarFile(const std::string& path, const ReadOptions& options);
// A tarball held in memory; `name` names it in messages.
Result<FileTree> ReadTarBytes(const void* data, size_t size, const std::string& name,
                              const ReadOptions& options);

// The directory at `path` (not a symbolic link), as `build --file DIR:/`
// reads it (symlinks kept, never followed), with the checks above.
Result<FileTree> ReadDirectory(const std::string& path, const ReadOptions& options);

}  // namespace ocib::tar

#endif  // OCIB_LIB_ARCHIVE_TAR_READ_H_
