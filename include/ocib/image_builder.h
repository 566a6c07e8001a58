// File: ocib/image_builder.h
//
// BuildImage: the whole of `ocib build` as one library call. It builds one
// image per platform from a base (the embedded `static` base, `scratch`, or
// an image in an OCI layout), one shared layer with the `files` (identical on
// every platform, stored once), and one per-platform layer with that
// platform's binary; then an image index when there are several platforms,
// and writes everything to an OCI layout or an OCI archive.
//
// Every input is checked before anything is written: on bad input the
// output (an existing layout or archive) is left byte-for-byte unchanged.
// Builds are reproducible: the same inputs give the same digests on any
// machine, at any time, in any directory (timestamps come from
// `source_date_epoch`, never from the clock).
//
// Example:
//   ocib::BuildSpec spec;
//   spec.binaries = {{*ocib::Platform::Parse("linux/amd64"), "out/app-amd64"},
//                    {*ocib::Platform::Parse("linux/arm64"), "out/app-arm64"}};
//   spec.output = *ocib::ImageLocation::Parse("oci:out/layout:v1");
//   auto r = ocib::BuildImage(spec);
//   if (r) std::cout << r->descriptor.digest.ToString() << "\n";
//
// Registries: a `base` that is a registry reference is pulled first (see
// `base`), and with `tags` the result is pushed after it is written (see
// `tags`); both use `registry`.
#ifndef OCIB_INCLUDE_OCIB_IMAGE_BUILDER_H_
#define OCIB_INCLUDE_OCIB_IMAGE_BUILDER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "ocib/descriptor.h"
#include "ocib/export.h"
#include "ocib/image_location.h"
#include "ocib/layer.h"
#include "ocib/platform.h"
#include "ocib/progress.h"
#include "ocib/reference.h"
#include "ocib/registry.h"
#include "ocib/sbom.h"
#include "ocib/status.h"

namespace ocib {

// Receives progress and report lines (without a trailing newline).
using LogFunction = std::function<void(std::string_view)>;

// The embedded distroless-like base (`static`).
struct OCIB_EXPORT StaticBase {
  friend bool operator==(const StaticBase&, const StaticBase&) = default;
};
// No base layers (`scratch`).
struct OCIB_EXPORT ScratchBase {
  friend bool operator==(const ScratchBase&, const ScratchBase&) = default;
};
// What an image is built on: the embedded base, nothing, or an image at a
// location (an OCI layout, an oci-archive or docker-archive file, or a
// registry reference; ocib/image_location.h).
using BuildBase = std::variant<StaticBase, ScratchBase, ImageLocation>;

// Parses "static", "scratch" or an image location (ImageLocation::Parse).
// kInvalidArgument otherwise.
OCIB_EXPORT Result<BuildBase> ParseBuildBase(std::string_view text);
// "static", "scratch" or the location's text (ImageLocation::ToString).
OCIB_EXPORT std::string BuildBaseName(const BuildBase& base);

// A file or directory of the host put into the image.
struct OCIB_EXPORT FileMapping {
  std::string source;       // host path (a file or a directory, taken whole)
  std::string destination;  // absolute or relative path in the image
  // "SRC:DEST", split at the last ':' (SRC may hold ':'); both non-empty.
  // kInvalidArgument otherwise.
  static Result<FileMapping> Parse(std::string_view text);
  std::string ToString() const;  // "SRC:DEST"
  friend bool operator==(const FileMapping&, const FileMapping&) = default;
};

// A port the image's config lists in ExposedPorts.
struct OCIB_EXPORT ExposedPort {
  int port = 0;                  // 1-65535
  std::string protocol = "tcp";  // "tcp", "udp" or "sctp"
  // "PORT" or "PORT/PROTOCOL"; kInvalidArgument for a port outside 1-65535
  // or another protocol.
  static Result<ExposedPort> Parse(std::string_view text);
  std::string ToString() const;  // "PORT/PROTOCOL", the config's key
  friend bool operator==(const ExposedPort&, const ExposedPort&) = default;
};

// Keys with values, in order (a later key replaces an earlier one's value,
// except for env, where both are kept as the config lists them).
using KeyValues = std::vector<std::pair<std::string, std::string>>;

// Everything one build needs, as typed values: what BuildImage builds. The
// command line and build files (ocib/build_file.h) are two ways of filling
// one; a tool fills it directly.
// Fields are grouped by meaning, not packed: one value per build.
struct OCIB_EXPORT BuildSpec {  // NOLINT(clang-analyzer-optin.performance.Padding)
  // The base: `StaticBase`, `ScratchBase`, or a location. An OCI layout or
  // archive base is read in place (chosen as ocib/image_location.h says;
  // layer blobs are reused byte for byte). A registry base: the platforms
  // being built (all of them for `all_platforms`) are pulled and verified
  // into the base cache, the layout `cache_dir`/bases (default
  // $XDG_CACHE_HOME/ocib/bases, or ~/.cache/ocib/bases), tagged after the
  // reference, and the build continues from there; kNotFound when the
  // registry has no such image or platform. With `tags` and no `output`
  // only the base's documents (index, manifests, configs) are pulled: its
  // layers are mounted from the base repository when the destination is
  // in the same registry, and otherwise streamed from the base registry
  // into the destination upload, never stored on disk.
  BuildBase base = StaticBase{};
  // When set, written as org.opencontainers.image.base.name on each
  // manifest (the registry reference a layout base was pulled from; set to
  // the reference for a registry `base` when empty).
  std::string base_name;
  // For a layout base: layer blobs absent from the base layout are
  // accepted and not copied, so the output lacks them too (its manifests
  // still list them, with the sizes and diff_ids of the base's manifest and
  // config). Only for an output that is pushed, with a registry lending
  // those blobs (ocib/push.h: mount_sources, blob_source), then discarded:
  // the registry `base` with `tags` and no `output` builds that way, from
  // the base's documents alone (PullDocuments, ocib/pull.h), so that base
  // layers are never downloaded. Off: a missing base layer is kNotFound.
  bool absent_base_layers = false;
  // Platforms to build, each once; empty means the platforms of `binaries`.
  std::vector<Platform> platforms;
  // With `go_package` and no `platforms`: every platform of the base index,
  // or for the static and scratch bases linux/amd64, linux/arm64,
  // linux/arm/v7, linux/ppc64le, linux/s390x.
  bool all_platforms = false;
  // The executable (host path) for each platform, at most one per platform.
  std::vector<std::pair<Platform, std::string>> binaries;
  // Go package to build per platform instead of `binaries`:
  // `go build -trimpath -buildvcs=false` once per platform, in parallel, in
  // `go_dir` (default: the current directory), with GOOS/GOARCH from the
  // platform, GOARM from arm/v6|v7, GOAMD64 from amd64/v2|v3 and
  // CGO_ENABLED=0 unless the environment sets it. A failed build returns
  // kBuildFailed with the compiler's output.
  std::string go_package;
  std::string go_dir;
  std::vector<std::string> go_flags;  // extra `go build` arguments
  std::optional<std::string> go_ldflags;
  // Each binary is checked against its platform before anything is
  // written: an ELF executable must match the platform's os, architecture
  // and (arm) float ABI, a Go binary's GOOS/GOARCH/GOARM/GOAMD64 too, and a
  // platform whose os runs only ELF executables (linux...) refuses any
  // other file (kInvalidArgument). True skips these checks (a script, a
  // binary of a format ocib does not read).
  bool binary_unchecked = false;
  // Where the binary lands in the image.
  std::string binary_path = "/app";
  // Files or directories that are the same on every platform.
  std::vector<FileMapping> files;
  // Unset: the binary path. Set (even empty): exactly these.
  std::optional<std::vector<std::string>> entrypoint;
  std::optional<std::vector<std::string>> cmd;
  KeyValues env;          // keys non-empty, without '='
  KeyValues labels;       // config labels
  KeyValues annotations;  // on manifests and the index
  std::vector<ExposedPort> expose;
  std::optional<std::string> user;  // default: 65532:65532 on static, else the base's
  std::optional<std::string> workdir;
  Compression compression = Compression::kZstd;
  int compression_level = 0;  // 0: the compressor's default (zstd 3, gzip 6)
  // A layout (written by tag: LayoutLocation::digest must be empty; the tag
  // defaults to "latest"), an oci-archive, or a docker-archive (one platform
  // only; RepoTags empty when not given). Unset with `tags`: the image is
  // then built into a private temporary layout (mkdtemp under $TMPDIR or
  // /tmp), pushed from there and removed, whatever the outcome.
  std::optional<ImageLocation> output;
  // Registry references the built image is pushed to once it is written,
  // with its referrers (the SBOMs; see ocib/push.h). One push per
  // repository, in the order the repositories are first named; the tags of
  // one repository move together, after everything they name is in place.
  // A base pulled from the same registry lends its layers by
  // cross-repository mount. On a push error the output is kept and tags
  // pushed before stay pushed.
  std::vector<Reference> tags;
  // When every tag already names the built image, how its SBOMs are checked
  // (RegistryOptions::ReferrerCheck): kLast (the default) one HEAD of the
  // last SBOM pushed, exact for SBOMs ocib pushed (they go one after another
  // before the tags move; a new SBOM format of the same image is missing
  // and gets pushed), and none when this machine's push record (the cache
  // directory's "pushed", RegistryOptions::push_record_dir) lists that SBOM
  // for the image: a warm re-run there costs one request per tag; kEach
  // one HEAD per SBOM, pushing those missing; kNone the tag alone (one
  // request per warm image; a new SBOM format of an image already tagged
  // is then not pushed).
  RegistryOptions::ReferrerCheck check_sboms = RegistryOptions::ReferrerCheck::kLast;
  // For the base pull and the pushes: transport, credentials, insecure
  // registries, CA file, parallel transfers, progress (ocib/registry.h).
  RegistryOptions registry;
  // Layer cache directory (see ocib/layer_cache.h); empty means
  // $XDG_CACHE_HOME/ocib, else ~/.cache/ocib. `no_cache` neither reads nor
  // writes it. A cache that cannot be opened is an error before any write.
  // Registry bases are cached in its "bases" subdirectory either way.
  std::string cache_dir;
  bool no_cache = false;
  // SBOM for every platform image, made from the Go build information in
  // its binary and attached as an OCI 1.1 referrer (listed untagged in the
  // layout's index.json); none when unset. A binary without Go build
  // information gets no SBOM (a warning is logged).
  std::optional<SbomFormat> sbom = SbomFormat::kSpdx;
  // Seconds since the epoch for every timestamp; unset means 0 (1970-01-01).
  std::optional<int64_t> source_date_epoch;
  LogFunction log;
  // The new layers as they are compressed or taken from the cache (the
  // build's progress; the push's is in registry.events). Optional.
  BuildEvents events;
  // Called once the image is written, before it is pushed to `tags` (not
  // called when the build fails first). Optional; BuildImages uses it to
  // bound the builds running at once apart from the pushes.
  std::function<void()> on_written;
};

struct OCIB_EXPORT PlatformImage {
  Platform platform;
  Descriptor manifest;  // with platform set
  Descriptor config;
  int64_t binary_layer_bytes = 0;  // compressed size of the per-platform layer
  std::optional<Descriptor> sbom;  // the SBOM artifact manifest, when one was made
};

struct OCIB_EXPORT BuildResult {
  // The top-level document written and tagged: an image index for several
  // platforms, an image manifest for one.
  Descriptor descriptor;
  std::vector<PlatformImage> images;
  int64_t base_bytes = 0;    // compressed bytes of base layers (per platform)
  int64_t shared_bytes = 0;  // compressed size of the shared layer (stored once)
  // New layers (base, shared, per-platform) compressed in this build, and
  // those taken from the layer cache instead. Layers of an OCI layout base
  // are copied as they are and count in neither.
  int layers_compressed = 0;
  int layers_reused = 0;
  // Where the result was written (layout directory or archive file) and
  // tag; both empty when there was no `output`.
  std::string output_path;
  std::string tag;
  // "registry/repo:tag@sha256:..." for each of `tags`, in their order.
  std::vector<std::string> pushed;
};

// Builds and writes the image, then pushes it to `tags`. Errors:
// kInvalidArgument for bad options (unknown platform, a platform without a
// binary, a destination escaping the root, a corrupt output layout, an
// invalid tag...), kNotFound for missing inputs, kIo for filesystem
// failures, and the registry's errors (ocib/registry.h) for pulls and
// pushes.
OCIB_EXPORT Result<BuildResult> BuildImage(const BuildSpec& spec);

// Parses SOURCE_DATE_EPOCH text: decimal digits only, no sign, no fraction,
// within int64. kInvalidArgument otherwise.
OCIB_EXPORT Result<int64_t> ParseSourceDateEpoch(std::string_view text);

}  // namespace ocib

#endif  // OCIB_INCLUDE_OCIB_IMAGE_BUILDER_H_
