#include "ocib/memory_store.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include <fmt/format.h>

namespace ocib {

class MemoryBlobWriter final : public BlobWriter {
 public:
  explicit MemoryBlobWriter(MemoryBlobStore& store) : store_(store) {}

  Status Write(const void* data, size_t size) override {
    if (done_) return Internal("write to a committed or aborted blob writer");
    bytes_.append(static_cast<const char*>(data), size);
    return {};
  }

  Result<Descriptor> Commit(std::string_view media_type, std::optional<Digest> expected) override {
    if (done_) return Internal("commit of a committed or aborted blob writer");
    done_ = true;
    Digest actual = Digest::Sha256Of(bytes_);
    if (expected && *expected != actual) {
      return DataLoss(fmt::format("content digest {} does not match expected {}", actual.ToString(),
                                  expected->ToString()));
    }
    Descriptor d;
    d.media_type = std::string(media_type);
    d.digest = actual;
    d.size = static_cast<int64_t>(bytes_.size());
    store_.Store(actual, std::move(bytes_));
    return d;
  }

  void Abort() override {
    done_ = true;
    bytes_.clear();
  }

 private:
  MemoryBlobStore& store_;
  std::string bytes_;
  bool done_ = false;
};

namespace {

class SharedStringReader : public Reader {
 public:
  explicit SharedStringReader(std::shared_ptr<const std::string> bytes)
      : bytes_(std::move(bytes)) {}
  Result<size_t> Read(void* data, size_t size) override {
    size_t n = std::min(size, bytes_->size() - offset_);
    if (n > 0) std::memcpy(data, bytes_->data() + offset_, n);
    offset_ += n;
    return n;
  }

 private:
  std::shared_ptr<const std::string> bytes_;
  size_t offset_ = 0;
};

}  // namespace

Result<bool> MemoryBlobStore::Has(const Digest& digest) {
  std::lock_guard<std::mutex> lock(mu_);
  return blobs_.contains(digest);
}

Result<std::unique_ptr<BlobWriter>> MemoryBlobStore::NewWriter() {
  return std::unique_ptr<BlobWriter>(new MemoryBlobWriter(*this));
}

Result<std::unique_ptr<Reader>> MemoryBlobStore::Open(const Digest& digest) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = blobs_.find(digest);
  if (it == blobs_.end()) {
    return NotFound(fmt::format("blob {} is not in the in-memory store", digest.ToString()));
  }
  return std::unique_ptr<Reader>(new SharedStringReader(it->second));
}

size_t MemoryBlobStore::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return blobs_.size();
}

size_t MemoryBlobStore::bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t total = 0;
  for (const auto& [digest, b] : blobs_) total += b->size();
  return total;
}

void MemoryBlobStore::Store(const Digest& digest, std::string bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  blobs_.try_emplace(digest, std::make_shared<const std::string>(std::move(bytes)));
}

}  // namespace ocib
