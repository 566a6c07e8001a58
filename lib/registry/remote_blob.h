// Streaming a blob out of a registry repository: the bytes a background
// download hands to a reader (an upload elsewhere) through a bounded pipe.
#ifndef OCIB_LIB_REGISTRY_REMOTE_BLOB_H_
#define OCIB_LIB_REGISTRY_REMOTE_BLOB_H_

#include <string>

#include "ocib/descriptor.h"
#include "ocib/registry.h"

namespace ocib::registry {

// Opens byte ranges of the blob `digest` of `repo` at `source`, downloaded
// by a background thread into a bounded in-memory pipe while the caller
// reads (uploads) them: nothing touches the disk. Unverified (the
// destination verifies the digest on PUT ?digest=). `source` must outlive
// every reader.
BlobOpener RemoteBlobOpener(RegistryClient& source, const std::string& repo, const Digest& digest);

}  // namespace ocib::registry

#endif  // OCIB_LIB_REGISTRY_REMOTE_BLOB_H_
