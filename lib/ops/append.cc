// Append (ocib/append.h): read every input into a layer first (bad input
// is refused before the source is read), then append them to each image.
#include "ocib/append.h"

#include <memory>
#include <utility>

#include <fmt/format.h>

#include "ocib/image.h"
#include "ocib/image_config.h"
#include "ocib/memory_store.h"

#include "lib/archive/tar_read.h"
#include "lib/ops/location.h"
#include <sys/stat.h>

namespace ocib {
namespace {

struct BuiltLayer {
  std::optional<Platform> platform;
  NewLayer layer;
  std::string created_by;
};

Result<FileTree> ReadInput(const std::string& path, bool keep_whiteouts) {
  tar::ReadOptions o;
  o.keep_whiteouts = keep_whiteouts;
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return tar::ReadDirectory(path, o);
  }
  return tar::ReadTarFile(path, o);
}

std::string BaseName(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  size_t slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

Result<std::vector<BuiltLayer>> BuildLayers(const AppendOptions& a,
                                            const std::shared_ptr<BlobStore>& store) {
  if (a.layers.empty()) return InvalidArgument("no layer to append");
  LayerOptions lopts;
  lopts.compression = a.compression;
  lopts.mtime = a.source_date_epoch;
  std::vector<BuiltLayer> out;
  for (const AppendInput& in : a.layers) {
    auto tree = ReadInput(in.path, a.keep_whiteouts);
    if (!tree) return std::move(tree).error().With(fmt::format("reading layer {}", in.path));
    if (tree->empty()) return InvalidArgument(fmt::format("layer {} has no entries", in.path));
    OCIB_ASSIGN_OR_RETURN(Layer built, BuildLayer(*tree, *store, lopts));
    out.push_back({in.platform,
                   {built.descriptor, built.diff_id, store},
                   fmt::format("ocib append: {}", BaseName(in.path))});
  }
  return out;
}

// Every layer's platform must be one of the image's.
Status CheckLayerPlatforms(const std::vector<BuiltLayer>& layers, const ImageIndex& in) {
  for (const BuiltLayer& l : layers) {
    if (!l.platform) continue;
    OCIB_RETURN_IF_ERROR(FindPlatform(in, *l.platform));
  }
  return OkStatus();
}

Result<MutateResult> AppendImpl(const ImageLocation& source, const ImageLocation& destination,
                                const AppendOptions& a, const RegistryOptions& options) {
  auto store = std::make_shared<MemoryBlobStore>();
  OCIB_ASSIGN_OR_RETURN(std::vector<BuiltLayer> layers, BuildLayers(a, store));
  OCIB_ASSIGN_OR_RETURN(ImageIndex in, ReadImage(source, options, a.platforms));
  OCIB_RETURN_IF_ERROR(CheckLayerPlatforms(layers, in));
  const std::string created = FormatRfc3339(a.source_date_epoch);
  std::vector<Image> images;
  for (Image image : in.images) {
    for (const BuiltLayer& l : layers) {
      if (l.platform && !l.platform->Matches(image.platform)) continue;
      auto next = AppendLayer(image, l.layer, created, l.created_by);
      if (!next) {
        return std::move(next).error().With(
            fmt::format("appending to {}", image.platform.ToString()));
      }
      image = std::move(*next);
    }
    images.push_back(std::move(image));
  }
  OCIB_ASSIGN_OR_RETURN(ImageIndex out, Reindex(in, std::move(images)));
  return ops::Publish(in, out, source, destination, a.sbom, options);
}

}  // namespace

Result<MutateResult> Append(const ImageLocation& source, const ImageLocation& destination,
                            const AppendOptions& append, const RegistryOptions& options) {
  Result<MutateResult> r = InvalidArgument("the destination must be a tag, not a digest");
  if (destination.registry() == nullptr || destination.registry()->reference.digest().empty()) {
    r = AppendImpl(source, destination, append, options);
  }
  if (!r) {
    return std::move(r).error().With(
        fmt::format("append {} {}", source.ToString(), destination.ToString()));
  }
  return r;
}

}  // namespace ocib
