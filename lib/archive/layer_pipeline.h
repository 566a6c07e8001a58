// Internal entry points of the layer pipeline (ocib/layer.h has the public
// ones).
#ifndef OCIB_LIB_ARCHIVE_LAYER_PIPELINE_H_
#define OCIB_LIB_ARCHIVE_LAYER_PIPELINE_H_

#include <cstdint>
#include <string>

#include "ocib/blob_store.h"
#include "ocib/io.h"
#include "ocib/layer.h"
#include "ocib/status.h"

namespace ocib {

// BuildLayer, also giving (when `checksum` is not null) the checksum
// (lib/io/checksum.h) of the compressed bytes it wrote: what the layer cache
// records to check the blob on reuse.
Result<Layer> BuildLayer(const FileTree& tree, BlobStore& store, const LayerOptions& options,
                         std::string* checksum);

// Writes the tar stream of `tree` (its sorted entries, every one stamped
// with `mtime`, then the end-of-archive blocks) into `sink`, uncompressed:
// the bytes of BuildLayer's diff_id. Does not close `sink`.
Status WriteTreeTar(const FileTree& tree, Writer* sink, int64_t mtime);

}  // namespace ocib

#endif  // OCIB_LIB_ARCHIVE_LAYER_PIPELINE_H_
