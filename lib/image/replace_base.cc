// ReplaceBase and ImageOnBase (ocib/image.h): the config and manifest of an
// image on a base, as `build` writes them, so a rebase and a build on the
// new base agree.
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "ocib/image.h"
#include "ocib/image_config.h"
#include "ocib/media_type.h"

#include "lib/image/fresh_image.h"
#include "lib/json/json_util.h"

namespace ocib {
namespace {

constexpr const char* kBaseDigest = "org.opencontainers.image.base.digest";
constexpr const char* kBaseName = "org.opencontainers.image.base.name";

bool SameEntry(const HistoryEntry& a, const HistoryEntry& b) {
  return a.created == b.created && a.created_by == b.created_by && a.author == b.author &&
         a.comment == b.comment && a.empty_layer == b.empty_layer;
}

size_t NonEmpty(const std::vector<HistoryEntry>& history) {
  size_t n = 0;
  for (const HistoryEntry& h : history) n += h.empty_layer ? size_t{0} : size_t{1};
  return n;
}

// The history a build on `base` (with `layers` layers) starts with: the
// base's own when it has one entry per layer, else one entry per layer.
std::vector<HistoryEntry> BaseHistory(const ImageConfig& base, size_t layers) {
  if (NonEmpty(base.history) == layers) return base.history;
  std::vector<HistoryEntry> out;
  for (size_t k = 0; k < layers; ++k) {
    out.push_back({base.created, fmt::format("base layer {}", k), "", "", false});
  }
  return out;
}

// How many of `history`'s first entries belong to the old base: all of
// `old` when the image's history starts with it, else the entries up to
// and including the `layers`-th non-empty one.
size_t BaseEntries(const std::vector<HistoryEntry>& history, const std::vector<HistoryEntry>& old,
                   size_t layers) {
  bool prefix = history.size() >= old.size();
  for (size_t i = 0; prefix && i < old.size(); ++i) prefix = SameEntry(history[i], old[i]);
  if (prefix) return old.size();
  size_t seen = 0;
  size_t i = 0;
  while (i < history.size() && seen < layers)
    seen += history[i++].empty_layer ? size_t{0} : size_t{1};
  return i;
}

Status CheckPrefix(const Image& image, const Image& old_base) {
  const size_t n = old_base.layers.size();
  bool prefix = image.layers.size() >= n && image.diff_ids.size() >= n;
  for (size_t k = 0; prefix && k < n; ++k) {
    prefix = image.layers[k].digest == old_base.layers[k].digest;
  }
  if (prefix) return OkStatus();
  return InvalidArgument(fmt::format(
      "platform {}: the old base's {} layer(s) ({}) are not the first layers of the image "
      "(it has {})",
      image.platform.ToString(), n, old_base.manifest.descriptor.digest.ToString(),
      image.layers.size()));
}

}  // namespace

Result<Image> ImageOnBase(const Image& base, const std::string& base_name) {
  OCIB_RETURN_IF_ERROR(jsonutil::CheckUtf8(base_name, "the base name"));
  OCIB_ASSIGN_OR_RETURN(ImageConfig cfg, ImageConfig::Parse(base.config.bytes));
  if (cfg.diff_ids.size() != base.layers.size()) {
    return InvalidArgument(fmt::format(
        "base manifest {} has {} layers but its config has {} diff_ids",
        base.manifest.descriptor.digest.ToString(), base.layers.size(), cfg.diff_ids.size()));
  }
  cfg.history = BaseHistory(cfg, base.layers.size());
  Annotations annotations{{kBaseDigest, base.manifest.descriptor.digest.ToString()}};
  if (!base_name.empty()) annotations[kBaseName] = base_name;
  Image out = image::FreshImage(cfg, base.layers, annotations, base.platform);
  out.diff_ids = cfg.diff_ids;
  out.blobs = base.blobs;
  out.added = base.added;
  return out;
}

Result<Image> ReplaceBase(const Image& image, const Image& old_base, const Image& new_base,
                          const std::string& base_name) {
  OCIB_RETURN_IF_ERROR(jsonutil::CheckUtf8(base_name, "the base name"));
  OCIB_RETURN_IF_ERROR(CheckPrefix(image, old_base));
  const size_t n = old_base.layers.size();
  OCIB_ASSIGN_OR_RETURN(ImageConfig cfg, ImageConfig::Parse(image.config.bytes));
  OCIB_ASSIGN_OR_RETURN(ImageConfig old_cfg, ImageConfig::Parse(old_base.config.bytes));
  OCIB_ASSIGN_OR_RETURN(ImageConfig new_cfg, ImageConfig::Parse(new_base.config.bytes));
  // The image's history, when it describes its layers, is the new base's
  // and the image's own entries; otherwise it stays empty.
  std::vector<HistoryEntry> history;
  if (NonEmpty(cfg.history) == image.layers.size()) {
    history = BaseHistory(new_cfg, new_base.layers.size());
    size_t skip = BaseEntries(cfg.history, BaseHistory(old_cfg, n), n);
    history.insert(history.end(), cfg.history.begin() + static_cast<std::ptrdiff_t>(skip),
                   cfg.history.end());
  }
  cfg.history = std::move(history);
  std::vector<Digest> diff_ids = new_base.diff_ids;
  diff_ids.insert(diff_ids.end(), image.diff_ids.begin() + static_cast<std::ptrdiff_t>(n),
                  image.diff_ids.end());
  cfg.diff_ids = diff_ids;
  std::vector<Descriptor> layers = new_base.layers;
  layers.insert(layers.end(), image.layers.begin() + static_cast<std::ptrdiff_t>(n),
                image.layers.end());

  OCIB_ASSIGN_OR_RETURN(Manifest m, Manifest::Parse(image.manifest.bytes));
  Image out = image;
  out.config.bytes = cfg.Serialize();
  out.config.descriptor = DescribeBytes(m.config.media_type, out.config.bytes);
  m.config = out.config.descriptor;
  m.layers = layers;
  m.annotations[kBaseDigest] = new_base.manifest.descriptor.digest.ToString();
  if (base_name.empty()) {
    m.annotations.erase(kBaseName);
  } else {
    m.annotations[kBaseName] = base_name;
  }
  out.manifest.bytes = m.Serialize();
  out.manifest.descriptor.digest = Digest::Sha256Of(out.manifest.bytes);
  out.manifest.descriptor.size = static_cast<int64_t>(out.manifest.bytes.size());
  for (const Descriptor& l : new_base.layers) out.added[l.digest] = new_base.SourceOf(l.digest);
  out.layers = std::move(layers);
  out.diff_ids = std::move(diff_ids);
  return out;
}

}  // namespace ocib
