#include "lib/io/file_range_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

#include "lib/io/file.h"
#include "lib/io/streams.h"

namespace ocib::io {

Result<std::unique_ptr<Reader>> FileRangeReader::Open(const std::string& path, int64_t offset,
                                                      int64_t length) {
  if (offset < 0 || length < 0) {
    return InvalidArgument(fmt::format("reading {}: invalid range {}+{}", path, offset, length));
  }
  // No symbolic links, regular files only (lib/io/file.h): a FIFO or a
  // device never blocks or streams forever.
  OCIB_ASSIGN_OR_RETURN(RegularFile file, RegularFile::Open(path));
  return std::unique_ptr<Reader>(new FileRangeReader(file.Release(), path, offset, length));
}

FileRangeReader::~FileRangeReader() { ::close(fd_); }

Result<size_t> FileRangeReader::Read(void* data, size_t size) {
  if (remaining_ <= 0) return size_t{0};
  size_t want = std::min(size, static_cast<size_t>(remaining_));
  while (true) {
    ssize_t n = ::pread(fd_, data, want, offset_);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError(fmt::format("reading {}: {}", path_, ErrnoText(errno)));
    if (n == 0) return DataLoss(fmt::format("{} is shorter than its descriptor says", path_));
    offset_ += n;
    remaining_ -= n;
    return static_cast<size_t>(n);
  }
}

}  // namespace ocib::io
