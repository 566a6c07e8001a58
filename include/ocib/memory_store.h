// File: ocib/memory_store.h
//
// MemoryBlobStore: a BlobStore that keeps every blob in memory. For tests,
// and for tools that assemble small images (or documents) before writing
// them to a layout or a registry.
//
// Contract: as BlobStore (include/ocib/blob_store.h). A blob becomes visible
// only when its writer commits; Commit checks `expected` and stores nothing
// on a mismatch (kDataLoss). Blobs are never removed.
//
// Example:
//   ocib::MemoryBlobStore mem;
//   auto d = mem.Put(ocib::kMediaTypeImageConfig, config_bytes);
//   ...
//   auto copied = layout->CopyFrom(mem, *d);
//
// Thread safety: safe for concurrent use; each writer by one thread at a time.
#ifndef OCIB_INCLUDE_OCIB_MEMORY_STORE_H_
#define OCIB_INCLUDE_OCIB_MEMORY_STORE_H_

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "ocib/blob_store.h"
#include "ocib/export.h"

namespace ocib {

class OCIB_EXPORT MemoryBlobStore : public BlobStore {
 public:
  Result<bool> Has(const Digest& digest) override;
  Result<std::unique_ptr<BlobWriter>> NewWriter() override;
  // kNotFound if absent. The reader holds its own reference to the bytes.
  Result<std::unique_ptr<Reader>> Open(const Digest& digest) override;

  // Number of blobs stored, and their total size in bytes.
  size_t size() const;
  size_t bytes() const;

 private:
  friend class MemoryBlobWriter;
  void Store(const Digest& digest, std::string bytes);

  mutable std::mutex mu_;
  std::map<Digest, std::shared_ptr<const std::string>> blobs_;
};

}  // namespace ocib

#endif  // OCIB_INCLUDE_OCIB_MEMORY_STORE_H_
