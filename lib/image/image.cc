// Operations on the image model (ocib/image.h): each parses the documents
// it changes, edits them and writes them in canonical form.
#include "ocib/image.h"

#include <algorithm>
#include <functional>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ocib/image_config.h"
#include "ocib/manifest.h"
#include "ocib/media_type.h"

#include "lib/archive/layer_pipeline.h"
#include "lib/archive/tar_read.h"
#include "lib/image/fresh_image.h"
#include "lib/io/streams.h"
#include "lib/json/json_util.h"

namespace ocib {
namespace {

using json = nlohmann::json;

// `doc` with new bytes: same media type, platform and annotations.
Document Redescribe(const Document& doc, std::string bytes) {
  Document out;
  out.descriptor = doc.descriptor;
  out.descriptor.digest = Digest::Sha256Of(bytes);
  out.descriptor.size = static_cast<int64_t>(bytes.size());
  out.bytes = std::move(bytes);
  return out;
}

// `image` with a new config document: the manifest points at it, and is
// edited by `edit` (when given) in the same pass.
Result<Image> WithConfig(const Image& image, std::string config_bytes,
                         const std::function<void(json&)>& edit = nullptr) {
  Image out = image;
  out.config = Redescribe(image.config, std::move(config_bytes));
  OCIB_ASSIGN_OR_RETURN(json mj, jsonutil::ParseObject(image.manifest.bytes, "manifest"));
  mj["config"]["digest"] = out.config.descriptor.digest.ToString();
  mj["config"]["size"] = out.config.descriptor.size;
  if (edit) edit(mj);
  out.manifest = Redescribe(image.manifest, jsonutil::Dump(mj));
  return out;
}

// `image` with `config_bytes` as its config and `layers` appended (in one
// pass over the manifest; their descriptors without a platform), their
// diff_ids and the stores they are read from.
Result<Image> WithLayers(const Image& image, std::string config_bytes,
                         const std::vector<NewLayer>& layers) {
  std::vector<Descriptor> blobs;
  for (const NewLayer& l : layers) {
    blobs.push_back(l.blob);
    blobs.back().platform.reset();
  }
  OCIB_ASSIGN_OR_RETURN(Image out, WithConfig(image, std::move(config_bytes), [&](json& mj) {
                          if (blobs.empty()) return;
                          if (!mj.contains("layers") || !mj["layers"].is_array()) {
                            mj["layers"] = json::array();
                          }
                          for (const Descriptor& b : blobs) {
                            mj["layers"].push_back(jsonutil::DescriptorToJson(b));
                          }
                        }));
  for (size_t i = 0; i < layers.size(); ++i) {
    out.layers.push_back(blobs[i]);
    out.diff_ids.push_back(layers[i].diff_id);
    if (layers[i].store) out.added[blobs[i].digest] = BlobSource{layers[i].store, ""};
  }
  return out;
}

// WithLayers with the typed `config` (whose diff_ids the caller checked);
// the image's platform becomes the config's.
Result<Image> WithTypedConfig(const Image& image, const ImageConfig& config,
                              const std::vector<NewLayer>& layers) {
  OCIB_ASSIGN_OR_RETURN(Image out, WithLayers(image, config.Serialize(), layers));
  out.platform = config.platform();
  if (out.manifest.descriptor.platform) out.manifest.descriptor.platform = out.platform;
  return out;
}

void SetEnv(json& c, const std::vector<std::string>& env) {
  if (env.empty()) return;
  if (!c.contains("Env") || !c["Env"].is_array()) c["Env"] = json::array();
  for (const std::string& e : env) {
    std::string key = e.substr(0, e.find('=') + 1);
    bool replaced = false;
    for (json& have : c["Env"]) {
      if (have.is_string() && have.get<std::string>().rfind(key, 0) == 0) {
        have = e;
        replaced = true;
      }
    }
    if (!replaced) c["Env"].push_back(e);
  }
}

void SetArgs(json& c, const char* key, const std::optional<std::vector<std::string>>& args) {
  if (!args) return;
  if (args->empty()) {
    c.erase(key);
  } else {
    c[key] = *args;
  }
}

json& Object(json& parent, const char* key) {
  if (!parent.contains(key) || !parent[key].is_object()) parent[key] = json::object();
  return parent[key];
}

// "80" -> "80/tcp"; kInvalidArgument for anything but PORT[/tcp|/udp].
Result<std::string> NormalPort(const std::string& p) {
  std::string num = p.substr(0, p.find('/'));
  std::string proto = p.find('/') == std::string::npos ? "tcp" : p.substr(p.find('/') + 1);
  bool digits =
      !num.empty() && num.size() <= 5 && num.find_first_not_of("0123456789") == std::string::npos;
  if (!digits || std::stoi(num) < 1 || std::stoi(num) > 65535 ||
      (proto != "tcp" && proto != "udp")) {
    return InvalidArgument(fmt::format("port \"{}\" is not PORT[/tcp|/udp]", p));
  }
  return num + "/" + proto;
}

// The history entries of a config that have a layer (none without history).
size_t HistoryLayers(const json& cfg) {
  if (!cfg.contains("history") || !cfg["history"].is_array()) return 0;
  size_t n = 0;
  for (const json& h : cfg["history"]) {
    bool empty = h.is_object() && h.value("empty_layer", false);
    n += empty ? size_t{0} : size_t{1};
  }
  return n;
}

std::string PlatformList(const std::vector<Image>& images) {
  std::string out;
  for (const Image& i : images) out += (out.empty() ? "" : ", ") + i.platform.ToString();
  return out.empty() ? "none" : out;
}

}  // namespace

namespace {

// Every text of `changes` is valid UTF-8 (it goes into JSON).
Status CheckChangeText(const ConfigChanges& changes) {
  std::vector<std::pair<const char*, const std::string*>> texts;
  for (const auto* list : {&changes.entrypoint, &changes.cmd}) {
    if (*list) {
      for (const std::string& a : **list) texts.emplace_back("an argument", &a);
    }
  }
  for (const std::string& e : changes.env) texts.emplace_back("an environment entry", &e);
  for (const auto& [k, v] : changes.labels) {
    texts.emplace_back("a label", &k);
    texts.emplace_back("a label", &v);
  }
  if (changes.user) texts.emplace_back("the user", &*changes.user);
  if (changes.working_dir) texts.emplace_back("the working directory", &*changes.working_dir);
  for (const auto& [what, text] : texts) OCIB_RETURN_IF_ERROR(jsonutil::CheckUtf8(*text, what));
  return OkStatus();
}

}  // namespace

Status CheckConfigChanges(const ConfigChanges& changes) {
  OCIB_RETURN_IF_ERROR(CheckChangeText(changes));
  for (const std::string& e : changes.env) {
    if (e.empty() || e.front() == '=' || e.find('=') == std::string::npos) {
      return InvalidArgument(fmt::format("environment entry \"{}\" is not K=V", e));
    }
  }
  for (const std::string& p : changes.expose) OCIB_RETURN_IF_ERROR(NormalPort(p));
  return OkStatus();
}

Result<Image> SetConfig(const Image& image, const ConfigChanges& changes) {
  OCIB_RETURN_IF_ERROR(CheckConfigChanges(changes));
  OCIB_ASSIGN_OR_RETURN(json cfg, jsonutil::ParseObject(image.config.bytes, "config"));
  json& c = Object(cfg, "config");
  SetArgs(c, "Entrypoint", changes.entrypoint);
  SetArgs(c, "Cmd", changes.cmd);
  SetEnv(c, changes.env);
  for (const auto& [k, v] : changes.labels) Object(c, "Labels")[k] = v;
  if (changes.user) c["User"] = *changes.user;
  if (changes.working_dir) c["WorkingDir"] = *changes.working_dir;
  for (const std::string& p : changes.expose) {
    OCIB_ASSIGN_OR_RETURN(std::string port, NormalPort(p));
    Object(c, "ExposedPorts")[port] = json::object();
  }
  return WithConfig(image, jsonutil::Dump(cfg));
}

Result<Image> SetAnnotations(const Image& image, const std::map<std::string, std::string>& set) {
  for (const auto& [k, v] : set) {
    OCIB_RETURN_IF_ERROR(jsonutil::CheckUtf8(k, "an annotation"));
    OCIB_RETURN_IF_ERROR(jsonutil::CheckUtf8(v, "an annotation"));
  }
  if (set.empty()) return image;
  OCIB_ASSIGN_OR_RETURN(json mj, jsonutil::ParseObject(image.manifest.bytes, "manifest"));
  for (const auto& [k, v] : set) Object(mj, "annotations")[k] = v;
  Image out = image;
  out.manifest = Redescribe(image.manifest, jsonutil::Dump(mj));
  return out;
}

Result<Image> AppendLayers(const Image& image, const std::vector<NewLayer>& layers,
                           const std::string& created, const std::vector<std::string>& created_by) {
  if (created_by.size() != layers.size()) {
    return InvalidArgument(fmt::format("{} layers to append with {} history entries", layers.size(),
                                       created_by.size()));
  }
  OCIB_RETURN_IF_ERROR(jsonutil::CheckUtf8(created, "the history entry's time"));
  for (const std::string& by : created_by) {
    OCIB_RETURN_IF_ERROR(jsonutil::CheckUtf8(by, "the history entry"));
  }
  OCIB_ASSIGN_OR_RETURN(json cfg, jsonutil::ParseObject(image.config.bytes, "config"));
  json& rootfs = Object(cfg, "rootfs");
  rootfs["type"] = "layers";
  if (!rootfs.contains("diff_ids") || !rootfs["diff_ids"].is_array()) {
    rootfs["diff_ids"] = json::array();
  }
  // History entries only where the history describes every layer (an
  // image with layers and without history stays without; one with no
  // layers and no history describes all none of them).
  const bool history = HistoryLayers(cfg) == image.layers.size();
  for (size_t i = 0; i < layers.size(); ++i) {
    rootfs["diff_ids"].push_back(layers[i].diff_id.ToString());
    if (history) {
      json entry = json::object();
      if (!created.empty()) entry["created"] = created;
      entry["created_by"] = created_by[i];
      cfg["history"].push_back(std::move(entry));
    }
  }
  return WithLayers(image, jsonutil::Dump(cfg), layers);
}

Result<Image> AppendLayersWithConfig(const Image& image, const std::vector<NewLayer>& layers,
                                     const ImageConfig& config) {
  std::vector<Digest> diff_ids = image.diff_ids;
  for (const NewLayer& l : layers) diff_ids.push_back(l.diff_id);
  if (config.diff_ids != diff_ids) {
    return InvalidArgument(fmt::format(
        "platform {}: the config lists {} diff_ids, the image has {} layers and {} to append",
        image.platform.ToString(), config.diff_ids.size(), image.layers.size(), layers.size()));
  }
  return WithTypedConfig(image, config, layers);
}

Result<Image> AppendLayer(const Image& image, const NewLayer& layer, const std::string& created,
                          const std::string& created_by) {
  return AppendLayers(image, {layer}, created, {created_by});
}

Result<Image> AppendTree(const Image& image, const FileTree& tree,
                         const std::shared_ptr<BlobStore>& store, const LayerOptions& options,
                         const std::string& created_by) {
  OCIB_ASSIGN_OR_RETURN(Layer built, BuildLayer(tree, *store, options, nullptr));
  return AppendLayer(image, {built.descriptor, built.diff_id, store}, FormatRfc3339(options.mtime),
                     created_by);
}

Result<Image> EmptyImage(const ImageConfig& config) {
  if (!config.diff_ids.empty()) {
    return InvalidArgument(
        fmt::format("an image with no layers cannot have {} diff_ids", config.diff_ids.size()));
  }
  return image::FreshImage(config, {}, {}, config.platform());
}

Result<Image> WithConfigFile(const Image& image, const ImageConfig& config) {
  if (config.diff_ids != image.diff_ids) {
    return InvalidArgument(
        fmt::format("platform {}: the config lists {} diff_ids, the image has {} layers",
                    image.platform.ToString(), config.diff_ids.size(), image.diff_ids.size()));
  }
  return WithTypedConfig(image, config, {});
}

Result<Image> AppendTar(const Image& image, Reader& tar, const std::string& name,
                        const std::shared_ptr<BlobStore>& store, const LayerOptions& options,
                        const std::string& created_by) {
  const tar::ReadOptions limits;
  OCIB_ASSIGN_OR_RETURN(std::string bytes,
                        io::ReadAtMost(tar, static_cast<size_t>(limits.max_bytes)));
  if (static_cast<int64_t>(bytes.size()) > limits.max_bytes) {
    return InvalidArgument(
        fmt::format("tar stream {} is larger than {} bytes", name, limits.max_bytes));
  }
  OCIB_ASSIGN_OR_RETURN(FileTree tree, tar::ReadTarBytes(bytes.data(), bytes.size(), name, limits));
  return AppendTree(image, tree, store, options, created_by);
}

Result<ImageIndex> SelectPlatforms(const ImageIndex& index,
                                   const std::vector<Platform>& platforms) {
  if (platforms.empty()) return index;
  for (const Platform& w : platforms) {
    if (std::ranges::none_of(index.images, [&](const Image& i) { return w.Matches(i.platform); })) {
      return NotFound(fmt::format("platform {} is not in the image (it has: {})", w.ToString(),
                                  PlatformList(index.images)));
    }
  }
  ImageIndex out = index;
  out.images.clear();
  out.entries.clear();
  for (size_t i = 0; i < index.images.size(); ++i) {
    const Platform& p = index.images[i].platform;
    if (std::ranges::any_of(platforms, [&](const Platform& w) { return w.Matches(p); })) {
      out.images.push_back(index.images[i]);
      if (i < index.entries.size()) out.entries.push_back(index.entries[i]);
    }
  }
  std::erase_if(out.attachments, [&](const Attachment& a) {
    return std::ranges::none_of(
        out.images, [&](const Image& i) { return i.manifest.descriptor.digest == a.subject; });
  });
  return out;
}

Result<Image> FindPlatform(const ImageIndex& index, const Platform& platform) {
  for (const Image& i : index.images) {
    if (platform.Matches(i.platform)) return i;
  }
  return NotFound(fmt::format("platform {} is not in the image (it has: {})", platform.ToString(),
                              PlatformList(index.images)));
}

Result<ImageIndex> MakeIndex(std::vector<Image> images,
                             const std::map<std::string, std::string>& annotations) {
  if (images.empty()) return InvalidArgument("an index of no images");
  for (const auto& [k, v] : annotations) {
    OCIB_RETURN_IF_ERROR(jsonutil::CheckUtf8(k, "an annotation"));
    OCIB_RETURN_IF_ERROR(jsonutil::CheckUtf8(v, "an annotation"));
  }
  ImageIndex out;
  if (images.size() == 1) {
    if (!annotations.empty()) {
      return InvalidArgument("the root of one image is its manifest: annotate the image");
    }
    out.root = images.front().manifest;
    out.images = std::move(images);
    return out;
  }
  Index idx;
  idx.media_type = std::string(media_type::kImageIndex);
  for (size_t i = 0; i < images.size(); ++i) {
    Descriptor entry = images[i].manifest.descriptor;
    entry.platform = images[i].platform;
    idx.manifests.push_back(std::move(entry));
    out.entries.push_back(i);
  }
  idx.annotations = annotations;
  out.root.bytes = idx.Serialize();
  out.root.descriptor = DescribeBytes(media_type::kImageIndex, out.root.bytes);
  out.is_index = true;
  out.images = std::move(images);
  return out;
}

Result<ImageIndex> Reindex(const ImageIndex& index, std::vector<Image> images,
                           const std::map<std::string, std::string>& annotations) {
  if (images.size() != index.images.size()) {
    return InvalidArgument(
        fmt::format("reindex: {} images for {} entries", images.size(), index.images.size()));
  }
  ImageIndex out = index;
  out.images = std::move(images);
  out.others.clear();
  out.attachments.clear();
  if (!index.is_index) {
    if (out.images.empty()) return InvalidArgument("an image without a manifest");
    out.root = out.images.front().manifest;
    out.root.descriptor.platform.reset();
    out.root.descriptor.annotations.clear();
    return out;
  }
  OCIB_ASSIGN_OR_RETURN(json ij, jsonutil::ParseObject(index.root.bytes, "index"));
  json entries = json::array();
  for (size_t i = 0; i < out.images.size(); ++i) {
    json e = ij["manifests"][index.entries[i]];
    e["digest"] = out.images[i].manifest.descriptor.digest.ToString();
    e["size"] = out.images[i].manifest.descriptor.size;
    entries.push_back(std::move(e));
    out.entries[i] = i;
  }
  if (entries.empty()) return NotFound("the index lists no platform image");
  ij["manifests"] = std::move(entries);
  for (const auto& [k, v] : annotations) Object(ij, "annotations")[k] = v;
  out.root = Redescribe(index.root, jsonutil::Dump(ij));
  return out;
}

namespace image {

Image FreshImage(const ImageConfig& config, const std::vector<Descriptor>& layers,
                 const Annotations& annotations, const Platform& platform) {
  Image out;
  out.config.bytes = config.Serialize();
  out.config.descriptor = DescribeBytes(media_type::kImageConfig, out.config.bytes);
  Manifest m;
  m.media_type = std::string(media_type::kImageManifest);
  m.config = out.config.descriptor;
  m.layers = layers;
  m.annotations = annotations;
  out.manifest.bytes = m.Serialize();
  out.manifest.descriptor = DescribeBytes(media_type::kImageManifest, out.manifest.bytes);
  out.platform = platform;
  out.manifest.descriptor.platform = platform;
  out.layers = layers;
  return out;
}

}  // namespace image
}  // namespace ocib
