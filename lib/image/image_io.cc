// Reading the image model (ocib/image.h) from a layout, an archive or a
// registry.
#include <algorithm>
#include <memory>
#include <set>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ocib/image.h"
#include "ocib/media_type.h"
#include "ocib/oci_layout.h"
#include "ocib/referrers.h"
#include "ocib/registry_referrers.h"
#include "ocib/registry_store.h"

#include "lib/io/streams.h"
#include "lib/json/json_util.h"
#include "lib/layout/image_source.h"
#include "lib/transfer/image_walk.h"

namespace ocib {
namespace {

using json = nlohmann::json;

constexpr size_t kMaxDocument = size_t{4} << 20;

// Collects what is written into a string, failing beyond `limit` bytes.
class StringSink : public Writer {
 public:
  explicit StringSink(size_t limit) : limit_(limit) {}
  Status Write(const void* data, size_t size) override {
    if (bytes_.size() + size > limit_) {
      return InvalidArgument(fmt::format("larger than {} bytes", limit_));
    }
    bytes_.append(static_cast<const char*>(data), size);
    return OkStatus();
  }
  Status Close() override { return OkStatus(); }
  std::string& bytes() { return bytes_; }

 private:
  size_t limit_;
  std::string bytes_;
};

Status Verify(const Descriptor& d, const std::string& bytes) {
  if (Digest::Sha256Of(bytes) != d.digest || static_cast<int64_t>(bytes.size()) != d.size) {
    return DataLoss(fmt::format("{} does not match its descriptor (size {}, digest {})",
                                d.digest.ToString(), bytes.size(),
                                Digest::Sha256Of(bytes).ToString()));
  }
  return OkStatus();
}

// The location being read: a layout, an archive (read in place) or a
// registry repository.
struct Origin {
  std::shared_ptr<OciLayout> layout;
  // A layout's or an archive's blobs and index (for a layout, a view of
  // `layout`, declared after it so that it is destroyed first).
  std::shared_ptr<ImageSource> local;
  std::shared_ptr<RegistryClient> client;
  std::string repo;
  BlobSource blobs;

  Result<Document> Root(const ImageLocation& location) const {
    if (local) {
      OCIB_ASSIGN_OR_RETURN(Descriptor d, ResolveImage(*local, location));
      OCIB_ASSIGN_OR_RETURN(std::string bytes, local->ReadAll(d.digest, kMaxDocument));
      OCIB_RETURN_IF_ERROR(Verify(d, bytes));
      return Document{d, std::move(bytes)};
    }
    OCIB_ASSIGN_OR_RETURN(RemoteManifest m,
                          client->GetManifest(repo, location.registry()->reference.Identifier()));
    Descriptor d;
    d.media_type = m.media_type;
    d.digest = m.digest;
    d.size = static_cast<int64_t>(m.bytes.size());
    return Document{d, std::move(m.bytes)};
  }

  // A manifest or config blob, verified against `d`.
  Result<std::string> Read(const Descriptor& d, bool manifest) const {
    std::string bytes;
    if (local) {
      OCIB_ASSIGN_OR_RETURN(bytes, local->ReadAll(d.digest, kMaxDocument));
    } else if (manifest) {
      OCIB_ASSIGN_OR_RETURN(RemoteManifest m, client->GetManifest(repo, d.digest.ToString()));
      bytes = std::move(m.bytes);
    } else {
      if (d.size < 0 || static_cast<size_t>(d.size) > kMaxDocument) {
        return InvalidArgument(fmt::format("config {} is larger than 4 MiB", d.digest.ToString()));
      }
      StringSink sink(kMaxDocument);
      OCIB_RETURN_IF_ERROR(client->ReadBlob(repo, d.digest, 0, sink));
      bytes = std::move(sink.bytes());
    }
    OCIB_RETURN_IF_ERROR(Verify(d, bytes));
    return bytes;
  }
};

Result<Origin> OpenOrigin(const ImageLocation& loc, const RegistryOptions& options) {
  Origin o;
  if (loc.archive() != nullptr) {
    OCIB_ASSIGN_OR_RETURN(std::unique_ptr<ImageSource> a, OpenImageSource(loc));
    o.local = std::move(a);
    o.blobs.store = o.local;
    return o;
  }
  if (loc.layout() != nullptr) {
    OCIB_ASSIGN_OR_RETURN(std::unique_ptr<OciLayout> l, OciLayout::Open(loc.layout()->path));
    o.layout = std::move(l);
    o.local = LayoutImageSource(*o.layout);
    o.blobs.store = o.layout;
    return o;
  }
  const Reference& ref = loc.registry()->reference;
  OCIB_ASSIGN_OR_RETURN(std::unique_ptr<RegistryClient> c,
                        RegistryClient::Create(ref.domain(), options));
  o.client = std::move(c);
  o.repo = ref.path();
  o.blobs.store = std::make_shared<RegistryBlobStore>(o.client, o.repo);
  o.blobs.repository = ref.domain() + "/" + ref.path();
  return o;
}

// rootfs.diff_ids of a config (those that parse).
std::vector<Digest> DiffIds(const json& cfg) {
  std::vector<Digest> out;
  if (!cfg.contains("rootfs") || !cfg["rootfs"].is_object()) return out;
  const json& ids = cfg["rootfs"].value("diff_ids", json::array());
  for (const json& id : ids) {
    if (!id.is_string()) continue;
    if (auto d = Digest::Parse(id.get<std::string>()); d) out.push_back(*d);
  }
  return out;
}

Result<Image> LoadImage(const Origin& origin, Document manifest) {
  OCIB_ASSIGN_OR_RETURN(Manifest typed, Manifest::Parse(manifest.bytes));
  auto config_bytes = origin.Read(typed.config, false);
  if (!config_bytes) {
    return std::move(config_bytes)
        .error()
        .With(fmt::format("reading config {}", typed.config.digest.ToString()));
  }
  OCIB_ASSIGN_OR_RETURN(json cfg, jsonutil::ParseObject(*config_bytes, "config"));
  Image image;
  image.platform.os = cfg.value("os", "");
  image.platform.architecture = cfg.value("architecture", "");
  image.platform.variant = cfg.value("variant", "");
  if (manifest.descriptor.platform) image.platform = *manifest.descriptor.platform;
  image.manifest = std::move(manifest);
  image.config = {typed.config, std::move(*config_bytes)};
  image.layers = typed.layers;
  image.diff_ids = DiffIds(cfg);
  image.blobs = origin.blobs;
  return image;
}

bool Wanted(const std::vector<Platform>& wanted, const Platform& p) {
  return wanted.empty() ||
         std::ranges::any_of(wanted, [&](const Platform& w) { return w.Matches(p); });
}

Status CheckWanted(const std::vector<Platform>& wanted, const std::vector<Platform>& have) {
  std::string list;
  for (const Platform& h : have) list += (list.empty() ? "" : ", ") + h.ToString();
  for (const Platform& w : wanted) {
    if (!Wanted(have, w)) {
      return NotFound(fmt::format("platform {} is not in the source (it has: {})", w.ToString(),
                                  list.empty() ? "none" : list));
    }
  }
  return OkStatus();
}

Result<ImageIndex> LoadIndex(const Origin& origin, Document root,
                             const std::vector<Platform>& wanted) {
  OCIB_ASSIGN_OR_RETURN(Index typed, Index::Parse(root.bytes));
  ImageIndex out;
  std::vector<Platform> have;
  out.is_index = true;
  out.source_digests.push_back(root.descriptor.digest);
  out.root = std::move(root);
  for (size_t i = 0; i < typed.manifests.size(); ++i) {
    const Descriptor& d = typed.manifests[i];
    if (!media_type::IsManifest(d.media_type) || !d.platform || d.platform->os == "unknown") {
      out.others.push_back(d);
      continue;
    }
    have.push_back(*d.platform);
    if (!Wanted(wanted, *d.platform)) continue;
    auto bytes = origin.Read(d, true);
    if (!bytes)
      return std::move(bytes).error().With(fmt::format("reading manifest {}", d.digest.ToString()));
    auto image = LoadImage(origin, {d, std::move(*bytes)});
    if (!image)
      return std::move(image).error().With(fmt::format("reading {}", d.platform->ToString()));
    out.images.push_back(std::move(*image));
    out.entries.push_back(i);
    out.source_digests.push_back(d.digest);
  }
  OCIB_RETURN_IF_ERROR(CheckWanted(wanted, have));
  if (out.images.empty()) return NotFound("the source index lists no platform image");
  return out;
}

}  // namespace

Result<ImageIndex> ReadImage(const ImageLocation& from, const RegistryOptions& options,
                             const std::vector<Platform>& platforms) {
  OCIB_ASSIGN_OR_RETURN(Origin origin, OpenOrigin(from, options));
  OCIB_ASSIGN_OR_RETURN(Document root, origin.Root(from));
  if (media_type::IsIndex(root.descriptor.media_type)) {
    return LoadIndex(origin, std::move(root), platforms);
  }
  if (!media_type::IsManifest(root.descriptor.media_type)) {
    return InvalidArgument(
        fmt::format("unsupported media type \"{}\" (not an image)", root.descriptor.media_type));
  }
  ImageIndex out;
  out.source_digests.push_back(root.descriptor.digest);
  out.root = root;
  OCIB_ASSIGN_OR_RETURN(Image image, LoadImage(origin, std::move(root)));
  OCIB_RETURN_IF_ERROR(CheckWanted(platforms, {image.platform}));
  out.images.push_back(std::move(image));
  return out;
}

ReferrerCount CountReferrers(const ImageLocation& from, const std::vector<Digest>& subjects,
                             const RegistryOptions& options) {
  ReferrerCount out;
  auto origin = OpenOrigin(from, options);
  // An archive's referrers are not counted: it is read, never changed.
  if (origin && origin->local && !origin->layout) return out;
  for (const Digest& d : subjects) {
    auto r = !origin          ? Result<std::vector<Descriptor>>(origin.error())
             : origin->layout ? ListLayoutReferrers(*origin->layout, d)
                              : ListRegistryReferrers(*origin->client, origin->repo, d);
    if (r) {
      out.total += static_cast<int>(r->size());
    } else {
      out.notes.push_back(fmt::format("could not list the referrers of {}", d.ToString()));
    }
  }
  return out;
}

}  // namespace ocib
