// Checks of a layer blob taken from a layout ocib did not write (a base).
#ifndef OCIB_LIB_LAYOUT_LAYER_CHECK_H_
#define OCIB_LIB_LAYOUT_LAYER_CHECK_H_

#include <string_view>

#include "ocib/blob_store.h"
#include "ocib/descriptor.h"
#include "ocib/status.h"

namespace ocib {

// The compression the first bytes of a blob show: "gzip", "zstd" or ""
// (neither: an uncompressed tar, or something else).
std::string_view CompressionOfMagic(std::string_view head);

// Reads the layer `layer` from `store` once and checks its size and digest
// (kDataLoss when either differs) and, for the layer types ocib knows, that
// its first bytes are those of its media type's compression: a gzip type on
// zstd bytes is kInvalidArgument. Other media types get the size and digest
// checks only.
Status CheckLayerBlob(BlobStore& store, const Descriptor& layer);

}  // namespace ocib

#endif  // OCIB_LIB_LAYOUT_LAYER_CHECK_H_
