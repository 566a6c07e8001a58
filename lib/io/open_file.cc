// OpenFile and MemberReader (lib/io/open_file.h).
#include "lib/io/open_file.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

#include "lib/io/streams.h"

namespace ocib::archive {

OpenFile::~OpenFile() {
  if (fd >= 0) ::close(fd);
}

Result<size_t> MemberReader::Read(void* data, size_t size) {
  if (remaining_ <= 0) return size_t{0};
  const size_t want = std::min(size, static_cast<size_t>(remaining_));
  while (true) {
    ssize_t n = ::pread(file_->fd, data, want, offset_);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError(fmt::format("reading {}: {}", file_->path, io::ErrnoText(errno)));
    if (n == 0) return DataLoss(fmt::format("{} ends inside a member", file_->path));
    offset_ += n;
    remaining_ -= n;
    return static_cast<size_t>(n);
  }
}

}  // namespace ocib::archive
