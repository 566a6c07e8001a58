// Rebase (ocib/rebase.h): find each platform's old and new base, replace
// the base layers, write the new index.
#include "ocib/rebase.h"

#include <map>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "ocib/image.h"

#include "lib/ops/location.h"

namespace ocib {
namespace {

constexpr const char* kBaseDigest = "org.opencontainers.image.base.digest";
constexpr const char* kBaseName = "org.opencontainers.image.base.name";

// The old base of `image` from its annotations: the named base at the
// recorded digest.
// Bases already read, by location.
using BaseCache = std::map<std::string, ImageIndex>;

Result<Image> AnnotatedBase(const Image& image, BaseCache& cache, const RegistryOptions& options) {
  OCIB_ASSIGN_OR_RETURN(Manifest m, Manifest::Parse(image.manifest.bytes));
  auto name = m.annotations.find(kBaseName);
  auto digest = m.annotations.find(kBaseDigest);
  if (name == m.annotations.end() || digest == m.annotations.end()) {
    return InvalidArgument(fmt::format(
        "platform {}: the image does not name its base (annotations {} and {}); name the old "
        "base explicitly",
        image.platform.ToString(), kBaseName, kBaseDigest));
  }
  auto where = ImageLocation::Parse(name->second);
  if (!where) return std::move(where).error().With(fmt::format("the image's {}", kBaseName));
  // The named base, when it still holds the recorded manifest.
  if (!cache.contains(name->second)) {
    if (auto named = ReadImage(*where, options); named) cache[name->second] = std::move(*named);
  }
  if (auto named = cache.find(name->second); named != cache.end()) {
    auto found = FindPlatform(named->second, image.platform);
    if (found && found->manifest.descriptor.digest.ToString() == digest->second) return found;
  }
  if (where->registry() == nullptr) {
    return InvalidArgument(fmt::format(
        "platform {}: the old base {} does not hold {} (recorded in the image) any more; name "
        "the old base explicitly",
        image.platform.ToString(), name->second, digest->second));
  }
  // A registry base whose tag moved: read it by digest.
  OCIB_ASSIGN_OR_RETURN(
      ImageLocation old,
      ImageLocation::Parse(where->registry()->reference.WithDigest(digest->second).String()));
  auto base = ReadImage(old, options);
  if (!base) {
    return std::move(base).error().With(fmt::format("reading the old base {}", old.ToString()));
  }
  return FindPlatform(*base, image.platform);
}

bool NamesBase(const Image& image) {
  auto m = Manifest::Parse(image.manifest.bytes);
  return m && m->annotations.contains(kBaseName);
}

Result<Image> RebaseOne(const Image& image, const std::optional<ImageIndex>& old_base,
                        const ImageIndex& new_base, const RebaseOptions& r, BaseCache& cache,
                        const RegistryOptions& options) {
  OCIB_ASSIGN_OR_RETURN(Image old, old_base ? FindPlatform(*old_base, image.platform)
                                            : AnnotatedBase(image, cache, options));
  auto fresh = FindPlatform(new_base, image.platform);
  if (!fresh) return std::move(fresh).error().With("in the new base");
  std::string name = r.base_name.value_or(NamesBase(image) ? r.new_base.ToString() : "");
  return ReplaceBase(image, old, *fresh, name);
}

Result<MutateResult> RebaseImpl(const ImageLocation& source, const ImageLocation& destination,
                                const RebaseOptions& r, const RegistryOptions& options) {
  OCIB_ASSIGN_OR_RETURN(ImageIndex in, ReadImage(source, options, r.platforms));
  std::optional<ImageIndex> old_base;
  if (r.old_base) {
    auto read = ReadImage(*r.old_base, options);
    if (!read) return std::move(read).error().With("reading the old base");
    old_base = std::move(*read);
  }
  auto new_base = ReadImage(r.new_base, options);
  if (!new_base) return std::move(new_base).error().With("reading the new base");
  std::vector<Image> images;
  BaseCache cache;
  for (const Image& image : in.images) {
    OCIB_ASSIGN_OR_RETURN(Image rebased, RebaseOne(image, old_base, *new_base, r, cache, options));
    images.push_back(std::move(rebased));
  }
  OCIB_ASSIGN_OR_RETURN(ImageIndex out, Reindex(in, std::move(images)));
  return ops::Publish(in, out, source, destination, r.sbom, options);
}

}  // namespace

Result<MutateResult> Rebase(const ImageLocation& source, const ImageLocation& destination,
                            const RebaseOptions& rebase, const RegistryOptions& options) {
  Result<MutateResult> r = InvalidArgument("the destination must be a tag, not a digest");
  if (destination.registry() == nullptr || destination.registry()->reference.digest().empty()) {
    r = RebaseImpl(source, destination, rebase, options);
  }
  if (!r) {
    return std::move(r).error().With(
        fmt::format("rebase {} {}", source.ToString(), destination.ToString()));
  }
  return r;
}

}  // namespace ocib
