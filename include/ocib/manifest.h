// File: ocib/manifest.h
//
// OCI image manifests and image indexes: parse from bytes, serialize to the
// bytes that are hashed. Serialization is canonical: object keys sorted, no
// insignificant whitespace, arrays in the given order. A document that was
// read is never re-serialized before hashing: keep its bytes.
//
// Parse accepts the Docker v2 schema 2 equivalents and unknown fields and
// media types (it must not fail on them); it fails with kInvalidArgument on
// malformed JSON, a schemaVersion other than 2, or a bad descriptor.
#ifndef OCIB_INCLUDE_OCIB_MANIFEST_H_
#define OCIB_INCLUDE_OCIB_MANIFEST_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ocib/descriptor.h"
#include "ocib/export.h"
#include "ocib/status.h"

namespace ocib {

struct OCIB_EXPORT Manifest {
  std::string media_type;  // empty when the document has none
  std::string artifact_type;
  Descriptor config;
  std::vector<Descriptor> layers;
  std::optional<Descriptor> subject;
  Annotations annotations;

  static Result<Manifest> Parse(std::string_view bytes);
  std::string Serialize() const;
};

struct OCIB_EXPORT Index {
  std::string media_type;
  std::string artifact_type;
  std::vector<Descriptor> manifests;
  std::optional<Descriptor> subject;
  Annotations annotations;

  static Result<Index> Parse(std::string_view bytes);
  std::string Serialize() const;
};

// Serialized bytes paired with their descriptor: what gets stored.
struct OCIB_EXPORT Document {
  Descriptor descriptor;
  std::string bytes;
};

// Makes a descriptor for `bytes` of `media_type` (sha256, size).
OCIB_EXPORT Descriptor DescribeBytes(std::string_view media_type, std::string_view bytes);

}  // namespace ocib

#endif  // OCIB_INCLUDE_OCIB_MANIFEST_H_
