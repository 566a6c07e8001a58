// File: ocib/sbom.h
//
// Software bills of materials for a Go binary in an image, from the build
// information the toolchain embedded in it (ocib/go_buildinfo.h): SPDX 2.3
// JSON and CycloneDX 1.5 JSON.
//
// Output is reproducible: the same build info and subject give the same
// bytes on any machine at any time. No wall clock, no random UUID: the
// timestamp is the caller's (SOURCE_DATE_EPOCH), and the SPDX
// documentNamespace / CycloneDX serialNumber are name-based UUIDs (version 5)
// derived from the document's own content. Documents are written compactly
// with object keys sorted.
//
// Mapping (both formats):
// * The image (when `subject.digest` is set): SPDX package
//   "SPDXRef-Image" / CycloneDX metadata.component of type "container", with
//   purl pkg:oci/NAME@sha256%3AHEX?arch=..&repository_url=..&tag=.. and a
//   SHA-256 checksum equal to the manifest digest.
// * The main module: the application package (purl pkg:golang/PATH@VERSION;
//   the version is left out of the purl when it is "(devel)" or empty).
//   Build settings are SPDX annotations on it (type OTHER, comment
//   "go build setting: KEY=VALUE", in order) and CycloneDX properties named
//   "ocib:go:build:KEY".
// * The Go standard library: package "stdlib", version = the toolchain
//   version (e.g. "go1.21.5"), purl pkg:golang/stdlib@1.21.5.
// * Each dependency: name = module path, version = the version of the code
//   that was linked (the replacement's when go.mod replaced it, so a local
//   directory replacement shows "(devel)" exactly as `go version -m` prints
//   it). The go.sum hash "h1:<base64>" is kept verbatim (SPDX package
//   comment "go.sum: h1:...", CycloneDX property "ocib:go:sum") and, being
//   the SHA-256 of the module's dirhash summary, also given in hex as an
//   SHA256 checksum / SHA-256 hash. A replacement is recorded as
//   "replaced: PATH VERSION => RPATH RVERSION" (SPDX comment) and CycloneDX
//   properties "ocib:go:replace:path" / "ocib:go:replace:version" /
//   "ocib:go:required:version".
// * Relationships: document DESCRIBES image (or the application when there
//   is no image digest), image CONTAINS application, application
//   DEPENDS_ON stdlib and every dependency (CycloneDX: `dependencies`).
//
// Example:
//   OCIB_ASSIGN_OR_RETURN(ocib::GoBuildInfo info, ocib::ReadGoBuildInfo("out/app"));
//   ocib::SbomSubject s{"registry.example/app:1.0", platform, manifest.digest, "/app",
//                       ocib::FormatRfc3339Utc(source_date_epoch)};
//   OCIB_ASSIGN_OR_RETURN(std::string spdx, ocib::MakeSpdxSbom(info, s));
//
// Thread safety: free functions on values; safe to call concurrently.
#ifndef OCIB_INCLUDE_OCIB_SBOM_H_
#define OCIB_INCLUDE_OCIB_SBOM_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ocib/blob_store.h"
#include "ocib/descriptor.h"
#include "ocib/digest.h"
#include "ocib/export.h"
#include "ocib/go_buildinfo.h"
#include "ocib/platform.h"
#include "ocib/status.h"

namespace ocib {

inline constexpr std::string_view kSpdxJsonMediaType = "application/spdx+json";
inline constexpr std::string_view kCycloneDxJsonMediaType = "application/vnd.cyclonedx+json";

enum class SbomFormat { kSpdx, kCycloneDx };

// Parses "spdx" or "cyclonedx" (the CLI's --sbom values; "none" is the
// caller's business). kInvalidArgument otherwise.
OCIB_EXPORT Result<SbomFormat> ParseSbomFormat(std::string_view text);
// "application/spdx+json" or "application/vnd.cyclonedx+json".
OCIB_EXPORT std::string_view SbomMediaType(SbomFormat format);

// What the SBOM describes.
struct OCIB_EXPORT SbomSubject {
  // Image reference or name, e.g. "registry.example/team/app:1.0" (may be
  // empty: then the main module path names the document).
  std::string name;
  // The platform of the image manifest, if it is a single-platform image.
  std::optional<Platform> platform;
  // Digest of the image manifest the SBOM describes (empty: describe the
  // binary alone).
  Digest digest;
  // Path of the binary inside the image, e.g. "/app" (optional; recorded as
  // a comment / property).
  std::string binary_path;
  // Creation time, RFC 3339 UTC "YYYY-MM-DDTHH:MM:SSZ"; use
  // FormatRfc3339Utc(SOURCE_DATE_EPOCH or 0). Empty means
  // "1970-01-01T00:00:00Z". Never the wall clock.
  std::string created;
};

// Whether `text` has the form SbomSubject::created takes,
// "YYYY-MM-DDTHH:MM:SSZ" (digits where the letters are).
OCIB_EXPORT bool IsSbomTime(std::string_view text);

// "YYYY-MM-DDTHH:MM:SSZ" for a Unix time (UTC). Negative times are clamped to 0.
OCIB_EXPORT std::string FormatRfc3339Utc(int64_t unix_seconds);

// The SPDX 2.3 JSON document. kInvalidArgument if `subject.created` is not
// of the form above or `info` has no main module path and no `path`.
OCIB_EXPORT Result<std::string> MakeSpdxSbom(const GoBuildInfo& info, const SbomSubject& subject);

// The CycloneDX 1.5 JSON BOM. Same errors as MakeSpdxSbom.
OCIB_EXPORT Result<std::string> MakeCycloneDxSbom(const GoBuildInfo& info,
                                                  const SbomSubject& subject);

// Either of the above.
OCIB_EXPORT Result<std::string> MakeSbom(SbomFormat format, const GoBuildInfo& info,
                                         const SbomSubject& subject);

// Makes the SBOM and attaches it to `image_manifest` as an OCI 1.1 artifact
// in `store` (see AttachArtifact in ocib/referrers.h): artifactType and the
// layer media type are SbomMediaType(format); the artifact manifest is
// annotated org.opencontainers.image.created = subject.created. Returns the
// artifact manifest's descriptor (artifactType set); to make it visible in
// an OCI layout, also call AddReferrerToLayout. `subject.digest` should
// equal `image_manifest.digest` (it is filled in from it when empty).
OCIB_EXPORT Result<Descriptor> AttachSbom(BlobStore& store, const Descriptor& image_manifest,
                                          SbomFormat format, const GoBuildInfo& info,
                                          SbomSubject subject);

}  // namespace ocib

#endif  // OCIB_INCLUDE_OCIB_SBOM_H_
