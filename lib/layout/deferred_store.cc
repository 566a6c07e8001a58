#include "lib/layout/deferred_store.h"

#include <cstring>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "lib/io/streams.h"

namespace ocib {

class DeferredBlobWriter final : public BlobWriter {
 public:
  explicit DeferredBlobWriter(DeferredBlobStore& store) : store_(store) {}
  Status Write(const void* data, size_t size) override {
    if (done_) return Internal("write to a committed or aborted blob writer");
    bytes_.append(static_cast<const char*>(data), size);
    return {};
  }
  Result<Descriptor> Commit(std::string_view media_type, std::optional<Digest> expected) override {
    if (done_) return Internal("commit of a committed or aborted blob writer");
    done_ = true;
    Descriptor d;
    d.media_type = std::string(media_type);
    d.digest = Digest::Sha256Of(bytes_);
    d.size = static_cast<int64_t>(bytes_.size());
    if (expected && *expected != d.digest) {
      bytes_.clear();
      return Error(ErrorCode::kDataLoss, fmt::format("blob content has digest {}, expected {}",
                                                     d.digest.ToString(), expected->ToString()));
    }
    store_.Add(d.digest, d.media_type, std::move(bytes_));
    return d;
  }
  void Abort() override {
    done_ = true;
    bytes_.clear();
  }

 private:
  DeferredBlobStore& store_;
  std::string bytes_;
  bool done_ = false;
};

Result<bool> DeferredBlobStore::Has(const Digest& digest) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (pending_.contains(digest)) return true;
  }
  return target_.Has(digest);
}

Result<std::unique_ptr<BlobWriter>> DeferredBlobStore::NewWriter() {
  return std::unique_ptr<BlobWriter>(std::make_unique<DeferredBlobWriter>(*this));
}

Result<std::unique_ptr<Reader>> DeferredBlobStore::Open(const Digest& digest) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pending_.find(digest);
    if (it != pending_.end()) {
      return std::unique_ptr<Reader>(std::make_unique<io::StringReader>(it->second.bytes));
    }
  }
  return target_.Open(digest);
}

void DeferredBlobStore::Add(const Digest& digest, std::string media_type, std::string bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  pending_.try_emplace(digest, Pending{std::move(media_type), std::move(bytes)});
}

size_t DeferredBlobStore::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pending_.size();
}

Status DeferredBlobStore::Flush() {
  std::vector<std::pair<Digest, Pending>> work;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [digest, p] : pending_) work.emplace_back(digest, std::move(p));
    pending_.clear();
  }
  // One round of flushes for all of them where the target can (OciLayout::PutAll).
  std::vector<BlobBytes> blobs;
  blobs.reserve(work.size());
  for (const auto& [digest, p] : work) blobs.push_back({p.bytes, digest});
  if (Status st = target_.PutAll(blobs); !st) {
    return std::move(st).error().With(fmt::format("writing {} documents", work.size()));
  }
  return {};
}

}  // namespace ocib
