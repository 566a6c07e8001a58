#include "ocib/media_type.h"

namespace ocib::media_type {

bool IsIndex(std::string_view media_type) {
  return media_type == kImageIndex || media_type == kDockerManifestList;
}

bool IsManifest(std::string_view media_type) {
  return media_type == kImageManifest || media_type == kDockerManifest;
}

bool IsLayer(std::string_view media_type) {
  return media_type == kLayerTar || media_type == kLayerTarGzip || media_type == kLayerTarZstd ||
         media_type == kDockerLayerGzip;
}

}  // namespace ocib::media_type
