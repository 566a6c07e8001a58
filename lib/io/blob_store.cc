// The BlobStore defaults that stores without a faster way inherit.
#include "ocib/blob_store.h"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

namespace ocib {
namespace {

// Skips `offset` bytes of `inner` on the first read, then passes at most
// `length` bytes; a blob that ends early is kDataLoss.
class RangeReader : public Reader {
 public:
  RangeReader(std::unique_ptr<Reader> inner, Digest digest, int64_t offset, int64_t length)
      : inner_(std::move(inner)), digest_(std::move(digest)), skip_(offset), remaining_(length) {}

  Result<size_t> Read(void* data, size_t size) override {
    if (skip_ > 0) OCIB_RETURN_IF_ERROR(Skip());
    if (remaining_ <= 0) return size_t{0};
    size_t want = std::min(size, static_cast<size_t>(remaining_));
    OCIB_ASSIGN_OR_RETURN(size_t n, inner_->Read(data, want));
    if (n == 0) return Short();
    remaining_ -= static_cast<int64_t>(n);
    return n;
  }

 private:
  Status Skip() {
    std::vector<char> buf(size_t{64} << 10);
    while (skip_ > 0) {
      size_t want = std::min(buf.size(), static_cast<size_t>(skip_));
      OCIB_ASSIGN_OR_RETURN(size_t n, inner_->Read(buf.data(), want));
      if (n == 0) return Short().error();
      skip_ -= static_cast<int64_t>(n);
    }
    return {};
  }
  Result<size_t> Short() const {
    return DataLoss(fmt::format("blob {} ends before the range being read", digest_.ToString()));
  }

  std::unique_ptr<Reader> inner_;
  Digest digest_;
  int64_t skip_;
  int64_t remaining_;
};

}  // namespace

Result<std::unique_ptr<Reader>> BlobStore::OpenRange(const Digest& digest, int64_t offset,
                                                     int64_t length) {
  if (offset < 0 || length < 0) {
    return InvalidArgument(
        fmt::format("reading blob {}: invalid range {}+{}", digest.ToString(), offset, length));
  }
  OCIB_ASSIGN_OR_RETURN(auto reader, Open(digest));
  return std::unique_ptr<Reader>(new RangeReader(std::move(reader), digest, offset, length));
}

Status BlobStore::PutAll(const std::vector<BlobBytes>& blobs) {
  for (const BlobBytes& b : blobs) {
    auto stored = Put("", b.bytes, b.digest);
    if (!stored) return std::move(stored).error();
  }
  return {};
}

std::optional<std::string> BlobStore::LocalFile(const Digest& /*digest*/) const {
  return std::nullopt;
}

bool BlobStore::LinkFile(const std::string& /*path*/, const Digest& /*digest*/) { return false; }

}  // namespace ocib
