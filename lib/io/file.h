// Opening files that come from users (OCI layouts, build inputs): regular
// files only, without blocking, and, unless asked otherwise, without
// following a symbolic link. A FIFO, a device, a socket or a directory in
// place of a file is an error, never a hang or an endless read.
#ifndef OCIB_LIB_IO_FILE_H_
#define OCIB_LIB_IO_FILE_H_

#include <cstdint>
#include <string>

#include "ocib/status.h"

namespace ocib::io {

// Whether a symbolic link as the last component of a path is followed.
enum class Links { kRefuse, kFollow };

// A regular file open for reading (O_NONBLOCK, O_CLOEXEC, O_NOFOLLOW unless
// Links::kFollow), with its size when it was opened.
class RegularFile {
 public:
  // kNotFound when `path` does not exist; kInvalidArgument when it is a
  // symbolic link (with Links::kRefuse) or not a regular file; kIo otherwise.
  static Result<RegularFile> Open(const std::string& path, Links links = Links::kRefuse);
  ~RegularFile();
  RegularFile(RegularFile&& other) noexcept;
  RegularFile& operator=(RegularFile&& other) noexcept;
  RegularFile(const RegularFile&) = delete;
  RegularFile& operator=(const RegularFile&) = delete;

  int fd() const { return fd_; }
  int64_t size() const { return size_; }
  const std::string& path() const { return path_; }
  // Gives up ownership of the descriptor.
  int Release();

 private:
  RegularFile(int fd, int64_t size, std::string path)
      : fd_(fd), size_(size), path_(std::move(path)) {}
  int fd_ = -1;
  int64_t size_ = 0;
  std::string path_;
};

// Reads a whole regular file (opened as RegularFile::Open does): never more
// than its size when opened plus one byte, which detects a file that grows
// while it is read (kDataLoss). kInvalidArgument when it has more than
// `max_size` bytes.
Result<std::string> ReadRegularFile(const std::string& path, size_t max_size,
                                    Links links = Links::kRefuse);

}  // namespace ocib::io

#endif  // OCIB_LIB_IO_FILE_H_
