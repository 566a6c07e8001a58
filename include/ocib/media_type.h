// File: ocib/media_type.h
//
// Media types of the OCI image spec (v1.1.1) and their Docker equivalents.
#ifndef OCIB_INCLUDE_OCIB_MEDIA_TYPE_H_
#define OCIB_INCLUDE_OCIB_MEDIA_TYPE_H_

#include <string_view>

#include "ocib/export.h"

namespace ocib::media_type {

inline constexpr std::string_view kLayoutHeader = "application/vnd.oci.layout.header.v1+json";
inline constexpr std::string_view kImageIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kImageManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kImageConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kEmpty = "application/vnd.oci.empty.v1+json";
inline constexpr std::string_view kLayerTar = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view kLayerTarGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kLayerTarZstd = "application/vnd.oci.image.layer.v1.tar+zstd";

inline constexpr std::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kDockerLayerGzip =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";

// True for an OCI image index or a Docker manifest list.
OCIB_EXPORT bool IsIndex(std::string_view media_type);
// True for an OCI image manifest or a Docker v2 schema 2 manifest.
OCIB_EXPORT bool IsManifest(std::string_view media_type);
// True for the layer types ocib can decompress: tar, tar+gzip, tar+zstd and
// the Docker gzip layer.
OCIB_EXPORT bool IsLayer(std::string_view media_type);

}  // namespace ocib::media_type

#endif  // OCIB_INCLUDE_OCIB_MEDIA_TYPE_H_
