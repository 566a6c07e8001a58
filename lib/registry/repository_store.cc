// RegistryBlobStore (ocib/registry_store.h).
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "ocib/registry_store.h"

#include "lib/io/streams.h"
#include "lib/registry/image_walk.h"

namespace ocib {
namespace {

// Keeps the bytes; Commit uploads them unless the repository has them.
class RegistryBlobWriter : public BlobWriter {
 public:
  RegistryBlobWriter(RegistryClient& client, std::string repo)
      : client_(client), repo_(std::move(repo)) {}

  Status Write(const void* data, size_t size) override {
    bytes_.append(static_cast<const char*>(data), size);
    return OkStatus();
  }

  // NOLINTNEXTLINE(google-default-arguments): declared without a default.
  Result<Descriptor> Commit(std::string_view media_type, std::optional<Digest> expected) override {
    Descriptor d = DescribeBytes(media_type, bytes_);
    if (expected && *expected != d.digest) {
      return DataLoss(fmt::format("blob for {} has digest {} instead of {}", repo_,
                                  d.digest.ToString(), expected->ToString()));
    }
    std::string bytes = std::move(bytes_);
    bytes_.clear();
    auto open = [bytes](int64_t offset, int64_t length) -> Result<std::unique_ptr<Reader>> {
      return std::unique_ptr<Reader>(std::make_unique<io::StringReader>(
          bytes.substr(static_cast<size_t>(offset), static_cast<size_t>(length))));
    };
    auto pushed = client_.PushBlob(repo_, d, open);
    if (!pushed) {
      return std::move(pushed).error().With(
          fmt::format("uploading {} to {}", d.digest.ToString(), repo_));
    }
    return d;
  }

  void Abort() override { bytes_.clear(); }

 private:
  RegistryClient& client_;
  std::string repo_;
  std::string bytes_;
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
