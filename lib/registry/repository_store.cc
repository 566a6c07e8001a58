// RegistryBlobStore (ocib/registry_store.h).
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "ocib/registry_store.h"

#include "lib/io/fs_util.h"
#include "lib/io/open_file.h"
#include "lib/io/streams.h"
#include "lib/registry/remote_blob.h"

namespace ocib {
namespace {

// Blobs up to this size stay in memory; larger ones go to an unnamed
// temporary file.
constexpr size_t kInMemoryBytes = size_t{8} << 20;

// Keeps the bytes (in memory, or past kInMemoryBytes in an unnamed file
// under $TMPDIR, gone when closed) and hashes them as they come; Commit
// uploads them unless the repository has them.
class RegistryBlobWriter : public BlobWriter {
 public:
  RegistryBlobWriter(RegistryClient& client, std::string repo)
      : client_(client), repo_(std::move(repo)) {}

  Status Write(const void* data, size_t size) override {
    hasher_.Update(data, size);
    size_ += static_cast<int64_t>(size);
    if (spill_ == nullptr && bytes_.size() + size <= kInMemoryBytes) {
      bytes_.append(static_cast<const char*>(data), size);
      return OkStatus();
    }
    if (spill_ == nullptr) {
      OCIB_RETURN_IF_ERROR(Spill());
    }
    return WriteAll(data, size);
  }

  // NOLINTNEXTLINE(google-default-arguments): declared without a default.
  Result<Descriptor> Commit(std::string_view media_type, std::optional<Digest> expected) override {
    Descriptor d;
    d.media_type = std::string(media_type);
    d.digest = hasher_.Finish();
    d.size = size_;
    if (expected && *expected != d.digest) {
      return DataLoss(fmt::format("blob for {} has digest {} instead of {}", repo_,
                                  d.digest.ToString(), expected->ToString()));
    }
    BlobOpener open;
    if (spill_ != nullptr) {
      open = [file = spill_](int64_t offset, int64_t length) -> Result<std::unique_ptr<Reader>> {
        return std::unique_ptr<Reader>(
            std::make_unique<archive::MemberReader>(file, offset, length));
      };
    } else {
      open = [bytes = std::move(bytes_)](int64_t offset,
                                         int64_t length) -> Result<std::unique_ptr<Reader>> {
        return std::unique_ptr<Reader>(std::make_unique<io::StringReader>(
            bytes.substr(static_cast<size_t>(offset), static_cast<size_t>(length))));
      };
    }
    bytes_.clear();
    auto pushed = client_.PushBlob(repo_, d, open);
    spill_.reset();
    if (!pushed) {
      return std::move(pushed).error().With(
          fmt::format("uploading {} to {}", d.digest.ToString(), repo_));
    }
    return d;
  }

  void Abort() override {
    bytes_.clear();
    spill_.reset();
  }

 private:
  // Moves what is in memory to a new unnamed temporary file.
  Status Spill() {
    OCIB_ASSIGN_OR_RETURN(const int fd, fsutil::OpenUnnamedTempFile("for a blob of " + repo_));
    spill_ = std::make_shared<archive::OpenFile>(
        fd, fmt::format("a temporary file in {} (blob for {})", fsutil::TempDir(), repo_));
    std::string held = std::move(bytes_);
    bytes_.clear();
    return WriteAll(held.data(), held.size());
  }

  Status WriteAll(const void* data, size_t size) {
    return fsutil::WriteAll(spill_->fd, data, size, spill_->path);
  }

  RegistryClient& client_;
  std::string repo_;
  std::string bytes_;
  std::shared_ptr<archive::OpenFile> spill_;
  Sha256Hasher hasher_;
  int64_t size_ = 0;
};

}  // namespace

Result<bool> RegistryBlobStore::Has(const Digest& digest) {
  OCIB_ASSIGN_OR_RETURN(std::optional<Descriptor> d, client_->StatBlob(repo_, digest));
  return d.has_value();
}

Result<std::unique_ptr<BlobWriter>> RegistryBlobStore::NewWriter() {
  return std::unique_ptr<BlobWriter>(std::make_unique<RegistryBlobWriter>(*client_, repo_));
}

Result<std::unique_ptr<Reader>> RegistryBlobStore::Open(const Digest& digest) {
  OCIB_ASSIGN_OR_RETURN(std::optional<Descriptor> d, client_->StatBlob(repo_, digest));
  if (!d) return NotFound(fmt::format("blob {} is not in {}", digest.ToString(), repo_));
  return OpenRange(digest, 0, d->size);
}

Result<std::unique_ptr<Reader>> RegistryBlobStore::OpenRange(const Digest& digest, int64_t offset,
                                                             int64_t length) {
  return registry::RemoteBlobOpener(*client_, repo_, digest)(offset, length);
}

}  // namespace ocib
