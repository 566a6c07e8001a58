// The image model's internal helper (lib/image only): an image made afresh
// from a typed config and the layers it lists.
#ifndef OCIB_LIB_IMAGE_FRESH_IMAGE_H_
#define OCIB_LIB_IMAGE_FRESH_IMAGE_H_

#include <vector>

#include "ocib/descriptor.h"
#include "ocib/image.h"
#include "ocib/image_config.h"
#include "ocib/platform.h"

namespace ocib::image {

// An image whose config is `config` (serialised) and whose manifest, a new
// OCI image manifest, lists that config, `layers` and `annotations`, for
// `platform`. Blob stores, diff_ids and added layers are the caller's to
// fill in.
Image FreshImage(const ImageConfig& config, const std::vector<Descriptor>& layers,
                 const Annotations& annotations, const Platform& platform);

}  // namespace ocib::image

#endif  // OCIB_LIB_IMAGE_FRESH_IMAGE_H_
