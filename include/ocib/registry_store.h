// File: ocib/registry_store.h
//
// A registry repository as a BlobStore: Has is a HEAD of the blob, Open and
// OpenRange stream it (GET, with a Range for a range; not stored on disk),
// and a writer keeps the bytes (in memory up to 8 MiB, past that in an
// unnamed temporary file under $TMPDIR) and uploads them on Commit (HEAD,
// then POST + PUT ?digest=, or chunks past RegistryOptions::chunk_threshold;
// the registry checks the digest). A blob already on disk is better moved
// with RegistryClient::PushBlob from its file (no copy).
//
// Thread safety: as RegistryClient (safe for concurrent use).
#ifndef OCIB_INCLUDE_OCIB_REGISTRY_STORE_H_
#define OCIB_INCLUDE_OCIB_REGISTRY_STORE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "ocib/blob_store.h"
#include "ocib/export.h"
#include "ocib/registry.h"

namespace ocib {

class OCIB_EXPORT RegistryBlobStore : public BlobStore {
 public:
  // The repository `repo` ("team/app") on `client`'s registry.
  RegistryBlobStore(std::shared_ptr<RegistryClient> client, std::string repo)
      : client_(std::move(client)), repo_(std::move(repo)) {}

  Result<bool> Has(const Digest& digest) override;
  Result<std::unique_ptr<BlobWriter>> NewWriter() override;
  Result<std::unique_ptr<Reader>> Open(const Digest& digest) override;
  Result<std::unique_ptr<Reader>> OpenRange(const Digest& digest, int64_t offset,
                                            int64_t length) override;

  RegistryClient& client() { return *client_; }
  const std::string& repository() const { return repo_; }

 private:
  std::shared_ptr<RegistryClient> client_;
  std::string repo_;
};

}  // namespace ocib

#endif  // OCIB_INCLUDE_OCIB_REGISTRY_STORE_H_
