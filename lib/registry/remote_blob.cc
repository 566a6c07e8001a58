// RemoteBlobOpener (lib/registry/remote_blob.h).
#include "lib/registry/remote_blob.h"

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "ocib/io.h"
#include "ocib/status.h"

namespace ocib::registry {
namespace {

// A bounded byte pipe between a download (producer thread) and an upload
// (consumer: curl's read callback).
class BlobPipe {
 public:
  Status Write(const void* data, size_t size) {
    const char* p = static_cast<const char*>(data);
    std::unique_lock<std::mutex> lock(mu_);
    while (size > 0) {
      cv_.wait(lock, [&] { return cancelled_ || buf_.size() < kCapacity; });
      if (cancelled_) return Error(ErrorCode::kUnavailable, "upload side closed the stream");
      size_t n = std::min(size, kCapacity - buf_.size());
      buf_.insert(buf_.end(), p, p + n);
      p += n;
      size -= n;
      cv_.notify_all();
    }
    return OkStatus();
  }
  void Finish(Status status) {
    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
    if (!status) error_ = std::move(status).error();
    cv_.notify_all();
  }
  void Cancel() {
    std::lock_guard<std::mutex> lock(mu_);
    cancelled_ = true;
    cv_.notify_all();
  }
  Result<size_t> Read(void* data, size_t size) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !buf_.empty() || done_; });
    if (buf_.empty()) {
      if (error_) return *error_;
      return size_t{0};
    }
    size_t n = std::min(size, buf_.size());
    std::copy_n(buf_.begin(), n, static_cast<char*>(data));
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(n));
    cv_.notify_all();
    return n;
  }

 private:
  static constexpr size_t kCapacity = size_t{4} << 20;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<char> buf_;
  bool done_ = false;
  bool cancelled_ = false;
  std::optional<Error> error_;
};

// Reads `length` bytes of a remote blob from `offset`, downloaded by a
// background thread while the consumer uploads them.
class RemoteBlobReader : public Reader {
 public:
  RemoteBlobReader(RegistryClient& source, std::string repo, const Digest& digest, int64_t offset,
                   int64_t length)
      : remaining_(length) {
    thread_ = std::thread([this, &source, repo = std::move(repo), digest, offset] {
      struct Sink : Writer {
        BlobPipe* pipe;
        Status Write(const void* d, size_t n) override { return pipe->Write(d, n); }
        Status Close() override { return OkStatus(); }
      } sink;
      sink.pipe = &pipe_;
      pipe_.Finish(source.ReadBlob(repo, digest, offset, sink));
    });
  }
  ~RemoteBlobReader() override {
    pipe_.Cancel();
    thread_.join();
  }
  RemoteBlobReader(const RemoteBlobReader&) = delete;
  RemoteBlobReader& operator=(const RemoteBlobReader&) = delete;

  Result<size_t> Read(void* data, size_t size) override {
    if (remaining_ <= 0) return size_t{0};
    size_t want = static_cast<size_t>(std::min<int64_t>(remaining_, static_cast<int64_t>(size)));
    OCIB_ASSIGN_OR_RETURN(size_t n, pipe_.Read(data, want));
    if (n == 0) return DataLoss("source blob ended early");
    remaining_ -= static_cast<int64_t>(n);
    return n;
  }

 private:
  int64_t remaining_;
  BlobPipe pipe_;
  std::thread thread_;
};

}  // namespace

BlobOpener RemoteBlobOpener(RegistryClient& source, const std::string& repo, const Digest& digest) {
  RegistryClient* from = &source;
  return [from, repo, digest](int64_t offset, int64_t length) -> Result<std::unique_ptr<Reader>> {
    return std::unique_ptr<Reader>(new RemoteBlobReader(*from, repo, digest, offset, length));
  };
}

}  // namespace ocib::registry
