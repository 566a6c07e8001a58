#include "lib/layout/deferred_store.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <thread>
#include <utility>
#include <vector>

#include "ocib/oci_layout.h"

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
      return Error(ErrorCode::kDataLoss, "blob content has digest " + d.digest.ToString() +
                                             ", expected " + expected->ToString());
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
  if (auto* layout = dynamic_cast<OciLayout*>(&target_)) {
    // One round of flushes for all of them (see OciLayout::PutAll).
    std::vector<OciLayout::BlobBytes> blobs;
    blobs.reserve(work.size());
    for (const auto& [digest, p] : work) blobs.push_back({p.bytes, digest});
    if (Status st = layout->PutAll(blobs); !st) {
      return std::move(st).error().With("writing " + std::to_string(work.size()) + " documents");
    }
    return {};
  }
  std::vector<Status> results(work.size());
  std::atomic<size_t> next{0};
  auto run = [&]() {
    for (size_t i = next.fetch_add(1); i < work.size(); i = next.fetch_add(1)) {
      const auto& [digest, p] = work[i];
      auto stored = target_.Put(p.media_type, p.bytes, digest);
      if (!stored) results[i] = std::move(stored).error();
    }
  };
  std::vector<std::thread> threads;
  const size_t n = std::min(work.size(), static_cast<size_t>(parallelism_));
  for (size_t t = 1; t < n; ++t) threads.emplace_back(run);
  run();
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < work.size(); ++i) {
    if (!results[i])
      return std::move(results[i]).error().With("writing " + work[i].first.ToString());
  }
  return {};
}

}  // namespace ocib
