// Internal filesystem helpers (POSIX).
#ifndef OCIB_LIB_LAYOUT_FS_UTIL_H_
#define OCIB_LIB_LAYOUT_FS_UTIL_H_

#include <string>
#include <string_view>

#include "ocib/status.h"

namespace ocib::fsutil {

Status WriteAll(int fd, const void* data, size_t size, const std::string& what);
// Reads a whole file; kNotFound if absent, kInvalidArgument if larger than max.
Result<std::string> ReadFile(const std::string& path, size_t max_size);
// Writes `bytes` to `path` via a temp file in the same directory, fsync,
// rename, fsync of the directory.
Status AtomicWriteFile(const std::string& path, std::string_view bytes);
// The first half of AtomicWriteFile: writes and fsyncs `bytes` to a new
// temporary file next to `path` and returns its name, for a caller that
// renames several files in an order of its choosing.
Result<std::string> WriteTempFileFor(const std::string& path, std::string_view bytes);
// mkdir -p with mode 0755.
Status MakeDirs(const std::string& path);
void FsyncDir(const std::string& path);
// Removes a file tree (best effort).
void RemoveAll(const std::string& path);

}  // namespace ocib::fsutil

#endif  // OCIB_LIB_LAYOUT_FS_UTIL_H_
