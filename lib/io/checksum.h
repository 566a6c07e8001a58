// A fast whole-blob checksum (XXH3-128) for bytes whose sha256 was checked
// when they were written: the layer cache records it with an entry and
// compares it on every reuse, so a blob damaged in the cache (a flipped
// byte, a truncation, another file in its place) is detected at memory
// speed instead of at sha256 speed. Not a content address and not a defence
// against someone who can write the cache: whoever can change a cached blob
// can change its entry too, whatever hash the entry names.
#ifndef OCIB_LIB_IO_CHECKSUM_H_
#define OCIB_LIB_IO_CHECKSUM_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ocib/digest.h"
#include "ocib/io.h"
#include "ocib/status.h"

namespace ocib::io {

// The algorithm prefix of a checksum string: "xxh3-128:" + 32 hex digits.
inline constexpr std::string_view kChecksumPrefix = "xxh3-128:";

class Checksummer {
 public:
  Checksummer();
  ~Checksummer();
  Checksummer(const Checksummer&) = delete;
  Checksummer& operator=(const Checksummer&) = delete;
  void Update(const void* data, size_t size);
  // "xxh3-128:<32 lowercase hex>"; the object is spent afterwards.
  std::string Finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The checksum of `bytes`.
std::string ChecksumOf(std::string_view bytes);

// Sums what passes through to `next` (which must outlive it).
class ChecksummingWriter : public Writer {
 public:
  explicit ChecksummingWriter(Writer* next) : next_(next) {}
  Status Write(const void* data, size_t size) override;
  Status Close() override { return next_->Close(); }
  std::string Finish() { return sum_.Finish(); }

 private:
  Writer* next_;
  Checksummer sum_;
};

// One read of a file: its size, its checksum, and (when `with_sha256`) its
// sha256. kNotFound when it does not exist, kIo when it cannot be read.
struct FileSums {
  int64_t size = 0;
  std::string checksum;
  std::optional<Digest> sha256;
};
Result<FileSums> SumFile(const std::string& path, bool with_sha256);

}  // namespace ocib::io

#endif  // OCIB_LIB_IO_CHECKSUM_H_
