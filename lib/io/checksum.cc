// XXH3-128 through xxhash's header (inlined: no library to link or ship).
#include "lib/io/checksum.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "lib/io/streams.h"

namespace ocib::io {

struct Checksummer::State {
  XXH3_state_t xxh;
};

Checksummer::Checksummer() : state_(std::make_unique<State>()) { XXH3_128bits_reset(&state_->xxh); }

Checksummer::~Checksummer() = default;

void Checksummer::Update(const void* data, size_t size) {
  if (size != 0) XXH3_128bits_update(&state_->xxh, data, size);
}

std::string Checksummer::Finish() {
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, XXH3_128bits_digest(&state_->xxh));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(kChecksumPrefix);
  for (unsigned char b : canonical.digest) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xf]);
  }
  return out;
}

std::string ChecksumOf(std::string_view bytes) {
  Checksummer sum;
  sum.Update(bytes.data(), bytes.size());
  return sum.Finish();
}

Status ChecksummingWriter::Write(const void* data, size_t size) {
  sum_.Update(data, size);
  return next_->Write(data, size);
}

Result<FileSums> SumFile(const std::string& path, bool with_sha256) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    return Error(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                 "open " + path + ": " + ErrnoText(err));
  }
  FileSums sums;
  Checksummer sum;
  std::optional<Sha256Hasher> sha;
  if (with_sha256) sha.emplace();
  std::string buf(size_t{1} << 20, '\0');
  while (true) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return IoError("read " + path + ": " + ErrnoText(err));
    }
    if (n == 0) break;
    sum.Update(buf.data(), static_cast<size_t>(n));
    if (sha) sha->Update(buf.data(), static_cast<size_t>(n));
    sums.size += n;
  }
  ::close(fd);
  sums.checksum = sum.Finish();
  if (sha) sums.sha256 = sha->Finish();
  return sums;
}

}  // namespace ocib::io
