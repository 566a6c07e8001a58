// The checks of ValidateLayout over any blob store (tests count its reads).
#ifndef OCIB_LIB_LAYOUT_VALIDATE_STORE_H_
#define OCIB_LIB_LAYOUT_VALIDATE_STORE_H_

#include "ocib/blob_store.h"
#include "ocib/manifest.h"
#include "ocib/validate.h"

namespace ocib {

// Checks everything `index` reaches in `store`, adding to `report`. Each
// blob is opened and read once, however many entries, manifests or indexes
// name it: documents are hashed and parsed from one read, layers are hashed
// and decompressed from one read, and a later reference to a blob reuses
// the first finding.
void ValidateIndex(BlobStore& store, const Index& index, ValidationReport& report);

}  // namespace ocib

#endif  // OCIB_LIB_LAYOUT_VALIDATE_STORE_H_
