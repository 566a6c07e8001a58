// File: ocib/platform.h
//
// An OCI platform: os, architecture and optional variant, os.version and
// os.features. `linux/arm64` and `linux/arm64/v8` are the same platform for
// matching; ocib writes arm64 with variant v8.
//
// Example:
//   auto p = ocib::Platform::Parse("linux/arm/v7");   // {linux, arm, v7}
//   p->Matches(*ocib::Platform::Parse("linux/arm"));  // false: v7 vs (none)
#ifndef OCIB_INCLUDE_OCIB_PLATFORM_H_
#define OCIB_INCLUDE_OCIB_PLATFORM_H_

#include <string>
#include <string_view>
#include <vector>

#include "ocib/export.h"
#include "ocib/status.h"

namespace ocib {

struct OCIB_EXPORT Platform {
  std::string os;
  std::string architecture;
  std::string variant;
  std::string os_version;
  std::vector<std::string> os_features;

  // Parses `os/arch[/variant]`. Architecture aliases are normalized
  // (x86_64 -> amd64, aarch64 -> arm64, armhf -> arm/v7, armel -> arm/v6,
  // i386 -> 386). Returns kInvalidArgument for a malformed or unknown string.
  static Result<Platform> Parse(std::string_view text);

  // Parses a comma-separated list; returns kInvalidArgument for any bad item
  // or a duplicate.
  static Result<std::vector<Platform>> ParseList(std::string_view text);

  // The form with default variants filled in: arm64 -> v8, arm -> v7 when
  // no variant is given. Used for matching and for what ocib writes.
  Platform Normalized() const;

  // `os/arch[/variant]`.
  std::string ToString() const;

  // True when both name the same os, architecture and (normalized) variant.
  bool Matches(const Platform& other) const;

  friend bool operator==(const Platform& a, const Platform& b) = default;
};

}  // namespace ocib

#endif  // OCIB_INCLUDE_OCIB_PLATFORM_H_
