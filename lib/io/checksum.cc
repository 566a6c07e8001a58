// XXH3-128 through xxhash's header (inlined: no library to link or ship).
#include "lib/io/checksum.h"

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
  OCIB_ASSIGN_OR_RETURN(auto reader, FileReader::Open(path));
  FileSums sums;
  Checksummer sum;
  std::optional<Sha256Hasher> sha;
  if (with_sha256) sha.emplace();
  std::string buf(size_t{1} << 20, '\0');
  while (true) {
    OCIB_ASSIGN_OR_RETURN(size_t n, reader->Read(buf.data(), buf.size()));
    if (n == 0) break;
    sum.Update(buf.data(), n);
    if (sha) sha->Update(buf.data(), n);
    sums.size += static_cast<int64_t>(n);
  }
  sums.checksum = sum.Finish();
  if (sha) sums.sha256 = sha->Finish();
  return sums;
}

}  // namespace ocib::io
