// export and unpack: an image's flattened filesystem as a tar or in a
// directory (ocib/unpack.h).

#include <cerrno>
#include <cstdlib>
#include <memory>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "ocib/manifest.h"
#include "ocib/media_type.h"
#include "ocib/pull.h"
#include "ocib/unpack.h"

#include "lib/archive/unpack.h"
#include "lib/io/fs_util.h"
#include "lib/io/streams.h"
#include "lib/layout/docker_archive.h"
#include "lib/layout/image_source.h"

namespace ocib {
namespace {

constexpr size_t kMaxManifest = size_t{4} << 20;

// An image source and the platform manifest to flatten; a registry image
// is pulled into a temporary layout, removed with this.
struct Opened {
  std::string temp_dir;
  std::unique_ptr<ImageSource> source;
  Descriptor manifest;
  Opened() = default;
  Opened(const Opened&) = delete;
  Opened& operator=(const Opened&) = delete;
  ~Opened() {
    source.reset();
    if (!temp_dir.empty()) fsutil::RemoveAll(temp_dir);
  }
};

Result<std::string> MakeTempDir() {
  std::string pattern = fsutil::TempDir() + "/ocib-unpack-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    return IoError(
        fmt::format("creating a temporary directory {}: {}", pattern, io::ErrnoText(errno)));
  }
  return pattern;
}

Status OpenSource(const ImageLocation& where, const UnpackOptions& options,
                  const RegistryOptions& registry, Opened& out) {
  ImageLocation local = where;
  if (const RegistryLocation* r = where.registry()) {
    OCIB_ASSIGN_OR_RETURN(out.temp_dir, MakeTempDir());
    const std::string layout = out.temp_dir + "/layout";
    std::vector<Platform> platforms;
    if (options.platform) platforms.push_back(*options.platform);
    CopyOptions copy;
    copy.referrers = false;
    OCIB_RETURN_IF_ERROR(Pull(r->reference, layout, "image", platforms, registry, copy));
    local.where = LayoutLocation{layout, "image", true, ""};
  }
  OCIB_ASSIGN_OR_RETURN(out.source, OpenImageSource(local));
  OCIB_ASSIGN_OR_RETURN(Descriptor root, ResolveImage(*out.source, local));
  OCIB_ASSIGN_OR_RETURN(out.manifest,
                        ChoosePlatformManifest(*out.source, root, options.platform,
                                               "export and unpack take one platform"));
  return {};
}

bool IsLayerType(std::string_view t) {
  return t == media_type::kLayerTar || t == media_type::kLayerTarGzip ||
         t == media_type::kLayerTarZstd || t == media_type::kDockerLayerGzip ||
         t == "application/vnd.oci.image.layer.nondistributable.v1.tar" ||
         t == "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip" ||
         t == "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd" ||
         t == "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
}

// The layers of the manifest, each read verified against its digest.
Result<std::vector<archive::NamedLayer>> Layers(ImageSource& source, const Descriptor& manifest) {
  OCIB_ASSIGN_OR_RETURN(std::string bytes, source.ReadAll(manifest.digest, kMaxManifest));
  OCIB_ASSIGN_OR_RETURN(Manifest m, Manifest::Parse(bytes));
  std::vector<archive::NamedLayer> layers;
  for (const Descriptor& d : m.layers) {
    if (!IsLayerType(d.media_type)) {
      return InvalidArgument(fmt::format("manifest {}: layer {} has media type {}, not a tar layer",
                                         manifest.digest.ToString(), d.digest.ToString(),
                                         d.media_type));
    }
    ImageSource* src = &source;
    const Digest digest = d.digest;
    layers.push_back(
        archive::VerifiedLayer(d.digest, d.size, [src, digest](int64_t offset, int64_t length) {
          return src->OpenRange(digest, offset, length);
        }));
  }
  return layers;
}

}  // namespace

Result<UnpackReport> UnpackImage(const ImageLocation& source, const std::string& dir,
                                 const UnpackOptions& options, const RegistryOptions& registry) {
  Opened opened;
  OCIB_RETURN_IF_ERROR(OpenSource(source, options, registry, opened));
  OCIB_ASSIGN_OR_RETURN(std::vector<archive::NamedLayer> layers,
                        Layers(*opened.source, opened.manifest));
  archive::DirectorySinkReport sink_report;
  OCIB_ASSIGN_OR_RETURN(std::unique_ptr<archive::FlatSink> sink,
                        archive::NewDirectorySink(dir, {options.devices}, &sink_report));
  auto count = archive::Flatten(layers, *sink);
  if (!count) {
    return std::move(count).error().With(
        fmt::format("unpacking {} into {}", source.ToString(), dir));
  }
  UnpackReport report;
  report.manifest = opened.manifest;
  report.entries = *count;
  if (!sink_report.owners_kept) {
    report.notes.emplace_back(
        "not running as root: files belong to the current user, not to "
        "the owners the image names");
  }
  if (sink_report.modes_widened) {
    report.notes.emplace_back(
        "some modes were widened so that the tree is readable (files u+r, directories u+rwx)");
  }
  if (sink_report.skipped_devices > 0) {
    report.notes.push_back(fmt::format(
        "{} device node(s) skipped (created only as root and when device nodes are asked for)",
        sink_report.skipped_devices));
  }
  return report;
}

Result<UnpackReport> ExportImage(const ImageLocation& source, Writer& out,
                                 const UnpackOptions& options, const RegistryOptions& registry) {
  Opened opened;
  OCIB_RETURN_IF_ERROR(OpenSource(source, options, registry, opened));
  OCIB_ASSIGN_OR_RETURN(std::vector<archive::NamedLayer> layers,
                        Layers(*opened.source, opened.manifest));
  int64_t skipped = 0;
  std::unique_ptr<archive::FlatSink> sink = archive::NewTarSink(out, &skipped);
  auto count = archive::Flatten(layers, *sink);
  if (!count) return std::move(count).error().With(fmt::format("exporting {}", source.ToString()));
  UnpackReport report;
  report.manifest = opened.manifest;
  report.entries = *count;
  if (skipped > 0) {
    report.notes.push_back(
        fmt::format("{} device node(s) or FIFO(s) left out of the tar", skipped));
  }
  return report;
}

Result<UnpackReport> ExportImageToFile(const ImageLocation& source, const std::string& path,
                                       const UnpackOptions& options,
                                       const RegistryOptions& registry) {
  std::optional<UnpackReport> report;
  OCIB_RETURN_IF_ERROR(fsutil::WriteFileAtomicWith(path, [&](Writer& out) -> Status {
    OCIB_ASSIGN_OR_RETURN(report, ExportImage(source, out, options, registry));
    return OkStatus();
  }));
  return *std::move(report);
}

}  // namespace ocib
