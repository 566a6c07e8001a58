// Docker archives (`docker save` format): reading as an image source and
// writing with ocib's tar writer.
#include "lib/layout/docker_archive.h"

#include <cerrno>
#include <set>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ocib/image_config.h"
#include "ocib/layer.h"
#include "ocib/manifest.h"
#include "ocib/media_type.h"
#include "ocib/reference.h"

#include "lib/archive/tar_writer.h"
#include "lib/io/fs_util.h"
#include "lib/io/streams.h"
#include "lib/json/json_util.h"
#include "lib/layout/oci_archive.h"

namespace ocib {
namespace {

constexpr size_t kMaxManifestJson = size_t{4} << 20;
constexpr size_t kMaxConfig = size_t{16} << 20;
constexpr size_t kMaxImages = 4096;

class DockerArchiveSource : public ImageSource {
 public:
  DockerArchiveSource(std::shared_ptr<archive::OpenFile> file,
                      std::map<std::string, archive::Member> members)
      : file_(std::move(file)),
        members_(std::move(members)),
        name_("docker-archive:" + file_->path) {}

  Status Load();

  Result<bool> Has(const Digest& d) override { return docs_.contains(d) || layers_.contains(d); }
  Result<std::unique_ptr<Reader>> Open(const Digest& d) override {
    if (auto it = docs_.find(d); it != docs_.end()) {
      return std::unique_ptr<Reader>(new io::StringReader(it->second));
    }
    auto it = layers_.find(d);
    if (it == layers_.end())
      return NotFound(fmt::format("blob {} is not in {}", d.ToString(), name_));
    return std::unique_ptr<Reader>(
        new archive::MemberReader(file_, it->second.offset, it->second.size));
  }
  Result<std::unique_ptr<Reader>> OpenRange(const Digest& d, int64_t offset,
                                            int64_t length) override {
    if (auto it = docs_.find(d); it != docs_.end()) {
      const std::string& b = it->second;
      if (offset < 0 || length < 0 || static_cast<size_t>(offset) > b.size() ||
          static_cast<size_t>(length) > b.size() - static_cast<size_t>(offset)) {
        return InvalidArgument(fmt::format("range outside blob {}", d.ToString()));
      }
      return std::unique_ptr<Reader>(
          new io::StringReader(b.substr(static_cast<size_t>(offset), static_cast<size_t>(length))));
    }
    auto it = layers_.find(d);
    if (it == layers_.end())
      return NotFound(fmt::format("blob {} is not in {}", d.ToString(), name_));
    if (offset < 0 || length < 0 || offset > it->second.size || length > it->second.size - offset) {
      return InvalidArgument(fmt::format("range outside blob {}", d.ToString()));
    }
    return std::unique_ptr<Reader>(
        new archive::MemberReader(file_, it->second.offset + offset, length));
  }
  Result<Index> ReadIndex() override { return index_; }
  const std::string& name() const override { return name_; }

 private:
  Result<Descriptor> LoadImage(const nlohmann::json& item);
  Result<Descriptor> LayerDescriptor(const std::string& member, const Digest& diff_id);

  std::shared_ptr<archive::OpenFile> file_;
  std::map<std::string, archive::Member> members_;
  std::string name_;
  std::map<Digest, std::string> docs_;
  std::map<Digest, archive::Member> layers_;
  Index index_;
};

// The descriptor of a layer member: an uncompressed tar has its diff_id as
// digest (verified wherever it is copied to); a compressed one is hashed.
Result<Descriptor> DockerArchiveSource::LayerDescriptor(const std::string& member,
                                                        const Digest& diff_id) {
  auto it = members_.find(member);
  if (it == members_.end()) return NotFound(fmt::format("{} has no layer {}", name_, member));
  const archive::Member m = it->second;
  unsigned char magic[4] = {0, 0, 0, 0};
  archive::MemberReader head(file_, m.offset, std::min<int64_t>(m.size, 4));
  size_t got = 0;
  while (got < sizeof magic) {
    OCIB_ASSIGN_OR_RETURN(size_t n, head.Read(magic + got, sizeof magic - got));
    if (n == 0) break;
    got += n;
  }
  Descriptor d;
  d.size = m.size;
  const bool gzip = got >= 2 && magic[0] == 0x1f && magic[1] == 0x8b;
  const bool zstd =
      got == 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd;
  if (!gzip && !zstd) {
    d.media_type = std::string(media_type::kLayerTar);
    d.digest = diff_id;
  } else {
    d.media_type = std::string(gzip ? media_type::kLayerTarGzip : media_type::kLayerTarZstd);
    archive::MemberReader all(file_, m.offset, m.size);
    io::NullWriter null;
    io::HashingWriter hash(&null);
    std::vector<char> buf(1 << 16);
    while (true) {
      OCIB_ASSIGN_OR_RETURN(size_t n, all.Read(buf.data(), buf.size()));
      if (n == 0) break;
      OCIB_RETURN_IF_ERROR(hash.Write(buf.data(), n));
    }
    d.digest = hash.Finish();
  }
  layers_[d.digest] = m;
  return d;
}

Result<Descriptor> DockerArchiveSource::LoadImage(const nlohmann::json& item) {
  OCIB_ASSIGN_OR_RETURN(std::string config_name, jsonutil::GetString(item, "Config", true));
  OCIB_ASSIGN_OR_RETURN(std::vector<std::string> layers, jsonutil::GetStringArray(item, "Layers"));
  OCIB_ASSIGN_OR_RETURN(std::string config_bytes,
                        archive::ReadMember(*file_, members_, config_name, kMaxConfig));
  auto config = ImageConfig::Parse(config_bytes);
  if (!config) return std::move(config).error().With(config_name);
  if (config->diff_ids.size() != layers.size()) {
    return InvalidArgument(fmt::format("{} lists {} layers and its config {} diff_ids", config_name,
                                       layers.size(), config->diff_ids.size()));
  }
  Manifest m;
  m.media_type = std::string(media_type::kImageManifest);
  m.config = DescribeBytes(media_type::kImageConfig, config_bytes);
  docs_[m.config.digest] = std::move(config_bytes);
  for (size_t i = 0; i < layers.size(); ++i) {
    auto layer = LayerDescriptor(layers[i], config->diff_ids[i]);
    if (!layer) return std::move(layer).error().With(fmt::format("layer {}", layers[i]));
    m.layers.push_back(*layer);
  }
  std::string bytes = m.Serialize();
  Descriptor d = DescribeBytes(media_type::kImageManifest, bytes);
  d.platform = config->platform();
  docs_[d.digest] = std::move(bytes);
  return d;
}

Status DockerArchiveSource::Load() {
  OCIB_ASSIGN_OR_RETURN(std::string bytes,
                        archive::ReadMember(*file_, members_, "manifest.json", kMaxManifestJson));
  nlohmann::json items = nlohmann::json::parse(bytes, nullptr, false);
  if (!items.is_array() || items.empty()) {
    return InvalidArgument(fmt::format("{}: manifest.json is not a non-empty JSON array", name_));
  }
  if (items.size() > kMaxImages) {
    return InvalidArgument(fmt::format("{}: more than {} images", name_, kMaxImages));
  }
  index_.media_type = std::string(media_type::kImageIndex);
  for (const auto& item : items) {
    if (!item.is_object())
      return InvalidArgument(fmt::format("{}: manifest.json has a non-object entry", name_));
    auto d = LoadImage(item);
    if (!d) return std::move(d).error().With(name_);
    auto tags = jsonutil::GetStringArray(item, "RepoTags");
    if (!tags || tags->empty()) {
      index_.manifests.push_back(*d);
      continue;
    }
    for (const std::string& tag : *tags) {
      auto ref = Reference::Parse(tag);
      if (!ref) return std::move(ref).error().With(fmt::format("{}: RepoTags", name_));
      Descriptor tagged = *d;
      tagged.annotations[kRefNameAnnotation] = ref->String();
      index_.manifests.push_back(std::move(tagged));
    }
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<ImageSource>> OpenDockerArchive(
    std::shared_ptr<archive::OpenFile> file, std::map<std::string, archive::Member> members) {
  auto source = std::make_unique<DockerArchiveSource>(std::move(file), std::move(members));
  OCIB_RETURN_IF_ERROR(source->Load());
  return std::unique_ptr<ImageSource>(std::move(source));
}

namespace {

// Passes layer bytes into the tar writer's current entry.
class TarDataSink : public Writer {
 public:
  explicit TarDataSink(tar::TarWriter& tar) : tar_(tar) {}
  Status Write(const void* data, size_t size) override { return tar_.WriteData(data, size); }
  Status Close() override { return {}; }

 private:
  tar::TarWriter& tar_;
};

// Decompresses `layer` into `sink`.
Status Decompress(ImageSource& source, const Descriptor& layer, Writer& sink) {
  OCIB_ASSIGN_OR_RETURN(std::unique_ptr<Reader> r, source.Open(layer.digest));
  return DecompressLayer(*r, layer.media_type, sink);
}

// Writes one layer as "<diff_id hex>.tar": a first pass for its size and
// diff_id, a second into the archive.
Status WriteLayer(ImageSource& source, const Descriptor& layer, const Digest& diff_id,
                  tar::TarWriter& tar) {
  io::NullWriter null;
  io::HashingWriter count(&null);
  OCIB_RETURN_IF_ERROR(Decompress(source, layer, count));
  const Digest got = count.Finish();
  if (got != diff_id) {
    return DataLoss(fmt::format("layer {} decompresses to {}, its config says {}",
                                layer.digest.ToString(), got.ToString(), diff_id.ToString()));
  }
  tar::Header h;
  h.path = diff_id.encoded() + ".tar";
  h.size = count.count();
  OCIB_RETURN_IF_ERROR(tar.WriteHeader(h));
  TarDataSink sink(tar);
  io::HashingWriter again(&sink);
  OCIB_RETURN_IF_ERROR(Decompress(source, layer, again));
  if (again.Finish() != diff_id) {
    return DataLoss(fmt::format("layer {} changed while it was written", layer.digest.ToString()));
  }
  return {};
}

Status WriteMember(tar::TarWriter& tar, const std::string& name, std::string_view bytes) {
  tar::Header h;
  h.path = name;
  h.size = static_cast<int64_t>(bytes.size());
  OCIB_RETURN_IF_ERROR(tar.WriteHeader(h));
  return tar.WriteData(bytes.data(), bytes.size());
}

// The archive's entries, in order: config, layers, manifest.json.
Status WriteEntries(ImageSource& source, const Descriptor& manifest_desc,
                    const std::vector<std::string>& repo_tags, tar::TarWriter& tar) {
  OCIB_ASSIGN_OR_RETURN(std::string mbytes, source.ReadAll(manifest_desc.digest, size_t{4} << 20));
  OCIB_ASSIGN_OR_RETURN(Manifest m, Manifest::Parse(mbytes));
  OCIB_ASSIGN_OR_RETURN(std::string cbytes, source.ReadAll(m.config.digest, kMaxConfig));
  OCIB_ASSIGN_OR_RETURN(ImageConfig config, ImageConfig::Parse(cbytes));
  if (config.diff_ids.size() != m.layers.size()) {
    return InvalidArgument(fmt::format("manifest {} has {} layers and its config {} diff_ids",
                                       manifest_desc.digest.ToString(), m.layers.size(),
                                       config.diff_ids.size()));
  }
  const std::string config_name = m.config.digest.encoded() + ".json";
  OCIB_RETURN_IF_ERROR(WriteMember(tar, config_name, cbytes));
  nlohmann::json layers = nlohmann::json::array();
  std::set<Digest> written;
  for (size_t i = 0; i < m.layers.size(); ++i) {
    const Digest& diff_id = config.diff_ids[i];
    if (written.insert(diff_id).second) {
      Status s = WriteLayer(source, m.layers[i], diff_id, tar);
      if (!s)
        return std::move(s).error().With(fmt::format("layer {}", m.layers[i].digest.ToString()));
    }
    layers.push_back(diff_id.encoded() + ".tar");
  }
  nlohmann::json item = {{"Config", config_name}, {"RepoTags", repo_tags}, {"Layers", layers}};
  return WriteMember(tar, "manifest.json", jsonutil::Dump(nlohmann::json::array({item})));
}

}  // namespace

Result<Descriptor> ChoosePlatformManifest(ImageSource& source, const Descriptor& root,
                                          const std::optional<Platform>& platform,
                                          std::string_view why) {
  if (media_type::IsManifest(root.media_type)) return root;
  OCIB_ASSIGN_OR_RETURN(std::string bytes, source.ReadAll(root.digest, size_t{4} << 20));
  OCIB_ASSIGN_OR_RETURN(Index index, Index::Parse(bytes));
  std::vector<Descriptor> images;
  std::vector<std::string> names;
  for (const Descriptor& d : index.manifests) {
    if (!media_type::IsManifest(d.media_type) || !d.platform) continue;
    if (d.platform->os == "unknown") continue;  // attestations
    if (platform && !d.platform->Matches(*platform)) continue;
    images.push_back(d);
    names.push_back(d.platform->ToString());
  }
  if (images.size() == 1) return images.front();
  if (images.empty()) {
    return NotFound(fmt::format("{} has no image{}", root.digest.ToString(),
                                platform ? " for platform " + platform->ToString() : ""));
  }
  return InvalidArgument(fmt::format("{} and {} has {} ({}); select one platform", why,
                                     root.digest.ToString(), images.size(),
                                     fmt::join(names, ", ")));
}

Status WriteDockerArchive(ImageSource& source, const Descriptor& root,
                          const std::optional<Platform>& platform,
                          const std::vector<std::string>& repo_tags, const std::string& file) {
  OCIB_ASSIGN_OR_RETURN(
      Descriptor manifest,
      ChoosePlatformManifest(source, root, platform, "a docker archive holds one platform"));
  return fsutil::WriteFileAtomicWith(file, [&](Writer& out) -> Status {
    tar::TarWriter tar(&out);
    OCIB_RETURN_IF_ERROR(WriteEntries(source, manifest, repo_tags, tar));
    return tar.Finish();
  });
}

Status WriteArchiveFromLayout(const std::string& layout_dir, const std::string& tag,
                              const ArchiveLocation& archive, int64_t mtime) {
  if (archive.kind == ArchiveLocation::Kind::kOci) {
    return WriteOciArchive(layout_dir, archive.path, mtime);
  }
  OCIB_ASSIGN_OR_RETURN(std::unique_ptr<OciLayout> layout, OciLayout::Open(layout_dir));
  std::unique_ptr<ImageSource> source = LayoutImageSource(*layout);
  OCIB_ASSIGN_OR_RETURN(Index index, source->ReadIndex());
  OCIB_ASSIGN_OR_RETURN(Descriptor root, SelectImage(index, tag, true, "", source->name()));
  std::vector<std::string> tags;
  if (!archive.repo_tag.empty()) tags.push_back(archive.repo_tag);
  return WriteDockerArchive(*source, root, std::nullopt, tags, archive.path);
}

Result<std::vector<Platform>> ImagePlatforms(ImageSource& source, const Descriptor& root) {
  std::vector<Platform> out;
  if (media_type::IsIndex(root.media_type)) {
    OCIB_ASSIGN_OR_RETURN(std::string bytes, source.ReadAll(root.digest, size_t{4} << 20));
    OCIB_ASSIGN_OR_RETURN(Index index, Index::Parse(bytes));
    for (const Descriptor& d : index.manifests) {
      if (media_type::IsManifest(d.media_type) && d.platform && d.platform->os != "unknown") {
        out.push_back(*d.platform);
      }
    }
    return out;
  }
  OCIB_ASSIGN_OR_RETURN(std::string mbytes, source.ReadAll(root.digest, size_t{4} << 20));
  OCIB_ASSIGN_OR_RETURN(Manifest m, Manifest::Parse(mbytes));
  OCIB_ASSIGN_OR_RETURN(std::string cbytes, source.ReadAll(m.config.digest, kMaxConfig));
  OCIB_ASSIGN_OR_RETURN(ImageConfig config, ImageConfig::Parse(cbytes));
  out.push_back(config.platform());
  return out;
}

}  // namespace ocib
