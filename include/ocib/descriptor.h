// File: ocib/descriptor.h
//
// A content descriptor: media type, digest and size of a blob, plus the
// optional platform, annotations, artifact type and urls.
#ifndef OCIB_INCLUDE_OCIB_DESCRIPTOR_H_
#define OCIB_INCLUDE_OCIB_DESCRIPTOR_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ocib/digest.h"
#include "ocib/export.h"
#include "ocib/platform.h"

namespace ocib {

// Annotations are string maps; std::map keeps their order fixed.
using Annotations = std::map<std::string, std::string>;

// The annotation key that names a tag in an OCI layout's index.json.
inline constexpr const char* kRefNameAnnotation = "org.opencontainers.image.ref.name";

struct OCIB_EXPORT Descriptor {
  std::string media_type;
  Digest digest;
  int64_t size = 0;
  std::optional<Platform> platform;
  Annotations annotations;
  std::string artifact_type;
  std::vector<std::string> urls;

  friend bool operator==(const Descriptor& a, const Descriptor& b) = default;
};

}  // namespace ocib

#endif  // OCIB_INCLUDE_OCIB_DESCRIPTOR_H_
