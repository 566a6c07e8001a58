#include "ocib/sbom_query.h"

#include <memory>
#include <optional>

#include <fmt/format.h>

#include "ocib/image_location.h"
#include "ocib/manifest.h"
#include "ocib/media_type.h"
#include "ocib/oci_layout.h"
#include "ocib/referrers.h"
#include "ocib/registry_referrers.h"
#include "ocib/sbom.h"

#include "lib/json/json_util.h"
#include "lib/layout/image_source.h"

namespace ocib {
namespace {

constexpr int64_t kMaxSbomBytes = int64_t{64} << 20;

// The tagged document, then the manifests of an index.
struct Target {
  std::unique_ptr<ImageSource> layout;
  Index index;
  std::vector<Descriptor> subjects;
};

Result<Target> Open(const std::string& reference) {
  OCIB_ASSIGN_OR_RETURN(ImageLocation where, ImageLocation::Parse(reference));
  Target t;
  OCIB_ASSIGN_OR_RETURN(t.layout, OpenImageSource(where));
  OCIB_ASSIGN_OR_RETURN(t.index, t.layout->ReadIndex());
  OCIB_ASSIGN_OR_RETURN(Descriptor top, ResolveImage(*t.layout, where));
  t.subjects.push_back(top);
  if (media_type::IsIndex(top.media_type)) {
    OCIB_ASSIGN_OR_RETURN(std::string bytes, t.layout->ReadAll(top.digest));
    OCIB_ASSIGN_OR_RETURN(Index idx, Index::Parse(bytes));
    for (const auto& m : idx.manifests) t.subjects.push_back(m);
  }
  return t;
}

// One output line of `ocib referrers`.
std::string ReferrerLine(const Digest& subject, const Descriptor& referrer) {
  nlohmann::json j = jsonutil::DescriptorToJson(referrer);
  j["subject"] = subject.ToString();
  return jsonutil::Dump(j);
}

// The image manifest among `subjects` whose SBOM `ocib sbom` prints: the one
// for `platform`, or the only one, or linux/amd64 when there are several.
Result<Descriptor> ChooseImage(const std::vector<Descriptor>& subjects,
                               const std::string& platform) {
  std::optional<Platform> want;
  if (!platform.empty()) {
    OCIB_ASSIGN_OR_RETURN(Platform p, Platform::Parse(platform));
    want = p;
  }
  std::vector<Descriptor> images;
  for (const auto& s : subjects) {
    if (media_type::IsManifest(s.media_type)) images.push_back(s);
  }
  for (const auto& d : images) {
    if (want && (!d.platform || !d.platform->Matches(*want))) continue;
    if (!want && images.size() > 1 &&
        (!d.platform || !d.platform->Matches(*Platform::Parse("linux/amd64")))) {
      continue;
    }
    return d;
  }
  if (want) return NotFound(fmt::format("no image for platform {}", want->ToString()));
  return NotFound("no image");
}

// Collects a blob in memory, up to a limit.
class StringSink : public Writer {
 public:
  explicit StringSink(int64_t limit) : limit_(limit) {}
  Status Write(const void* data, size_t size) override {
    if (static_cast<int64_t>(bytes_.size() + size) > limit_) {
      return DataLoss(fmt::format("more than the expected {} bytes", limit_));
    }
    bytes_.append(static_cast<const char*>(data), size);
    return OkStatus();
  }
  Status Close() override { return OkStatus(); }
  std::string& bytes() { return bytes_; }

 private:
  int64_t limit_;
  std::string bytes_;
};

}  // namespace

Result<std::vector<std::string>> LayoutReferrers(const std::string& reference,
                                                 const std::string& artifact_type) {
  OCIB_ASSIGN_OR_RETURN(Target t, Open(reference));
  std::vector<std::string> out;
  for (const auto& s : t.subjects) {
    OCIB_ASSIGN_OR_RETURN(auto refs, ListIndexReferrers(*t.layout, t.index, s.digest, artifact_type,
                                                        t.layout->name()));
    for (const auto& r : refs) out.push_back(ReferrerLine(s.digest, r));
  }
  return out;
}

Result<std::string> LayoutSbom(const std::string& reference, const std::string& platform) {
  OCIB_ASSIGN_OR_RETURN(Target t, Open(reference));
  OCIB_ASSIGN_OR_RETURN(Descriptor chosen, ChooseImage(t.subjects, platform));
  for (SbomFormat f : {SbomFormat::kSpdx, SbomFormat::kCycloneDx}) {
    OCIB_ASSIGN_OR_RETURN(auto refs, ListIndexReferrers(*t.layout, t.index, chosen.digest,
                                                        SbomMediaType(f), t.layout->name()));
    if (refs.empty()) continue;
    OCIB_ASSIGN_OR_RETURN(std::string mbytes, t.layout->ReadAll(refs.front().digest));
    OCIB_ASSIGN_OR_RETURN(Manifest m, Manifest::Parse(mbytes));
    if (m.layers.empty()) {
      return DataLoss(fmt::format("SBOM artifact {} has no layer", refs.front().digest.ToString()));
    }
    return t.layout->ReadAll(m.layers.front().digest, size_t{64} << 20);
  }
  return NotFound(fmt::format("image {} has no SBOM", chosen.digest.ToString()));
}

namespace {

struct RemoteTarget {
  std::unique_ptr<RegistryClient> client;
  std::string repo;
  std::vector<Descriptor> subjects;
};

Result<RemoteTarget> OpenRemote(const Reference& reference, const RegistryOptions& options) {
  RemoteTarget t;
  OCIB_ASSIGN_OR_RETURN(t.client, RegistryClient::Create(reference.domain(), options));
  t.repo = reference.path();
  OCIB_ASSIGN_OR_RETURN(RemoteManifest top, t.client->GetManifest(t.repo, reference.Identifier()));
  Descriptor d;
  d.media_type = top.media_type;
  d.digest = top.digest;
  d.size = static_cast<int64_t>(top.bytes.size());
  t.subjects.push_back(d);
  if (media_type::IsIndex(top.media_type)) {
    OCIB_ASSIGN_OR_RETURN(Index idx, Index::Parse(top.bytes));
    for (const auto& m : idx.manifests) t.subjects.push_back(m);
  }
  return t;
}

}  // namespace

Result<std::vector<std::string>> RegistryReferrers(const Reference& reference,
                                                   const RegistryOptions& options,
                                                   const std::string& artifact_type) {
  auto run = [&]() -> Result<std::vector<std::string>> {
    OCIB_ASSIGN_OR_RETURN(RemoteTarget t, OpenRemote(reference, options));
    std::vector<std::string> out;
    for (const auto& s : t.subjects) {
      OCIB_ASSIGN_OR_RETURN(auto refs,
                            ListRegistryReferrers(*t.client, t.repo, s.digest, artifact_type));
      for (const auto& r : refs) out.push_back(ReferrerLine(s.digest, r));
    }
    return out;
  };
  auto r = run();
  if (!r) {
    return std::move(r).error().With(
        fmt::format("listing the referrers of {}", reference.String()));
  }
  return r;
}

Result<std::string> RegistrySbom(const Reference& reference, const std::string& platform,
                                 const RegistryOptions& options) {
  auto run = [&]() -> Result<std::string> {
    OCIB_ASSIGN_OR_RETURN(RemoteTarget t, OpenRemote(reference, options));
    OCIB_ASSIGN_OR_RETURN(Descriptor chosen, ChooseImage(t.subjects, platform));
    for (SbomFormat f : {SbomFormat::kSpdx, SbomFormat::kCycloneDx}) {
      OCIB_ASSIGN_OR_RETURN(
          auto refs, ListRegistryReferrers(*t.client, t.repo, chosen.digest, SbomMediaType(f)));
      if (refs.empty()) continue;
      const Digest& art = refs.front().digest;
      OCIB_ASSIGN_OR_RETURN(RemoteManifest mbytes, t.client->GetManifest(t.repo, art.ToString()));
      OCIB_ASSIGN_OR_RETURN(Manifest m, Manifest::Parse(mbytes.bytes));
      if (m.layers.empty()) {
        return DataLoss(fmt::format("SBOM artifact {} has no layer", art.ToString()));
      }
      const Descriptor& layer = m.layers.front();
      if (layer.size > kMaxSbomBytes) {
        return InvalidArgument(fmt::format("SBOM {} of artifact {} is larger than 64 MiB",
                                           layer.digest.ToString(), art.ToString()));
      }
      StringSink sink(layer.size);
      Status st = t.client->ReadBlob(t.repo, layer.digest, 0, sink);
      if (!st)
        return std::move(st).error().With(fmt::format("reading SBOM {}", layer.digest.ToString()));
      if (static_cast<int64_t>(sink.bytes().size()) != layer.size ||
          Digest::Sha256Of(sink.bytes()) != layer.digest) {
        return DataLoss(fmt::format(
            "SBOM blob {} of artifact {}: the registry sent other content ({} bytes, {})",
            layer.digest.ToString(), art.ToString(), sink.bytes().size(),
            Digest::Sha256Of(sink.bytes()).ToString()));
      }
      return std::move(sink.bytes());
    }
    return NotFound(fmt::format("image {} has no SBOM", chosen.digest.ToString()));
  };
  auto r = run();
  if (!r)
    return std::move(r).error().With(fmt::format("reading the SBOM of {}", reference.String()));
  return r;
}

}  // namespace ocib
