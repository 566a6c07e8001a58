#include "lib/layout/consistency.h"

#include <map>

#include <fmt/format.h>

#include "ocib/digest.h"
#include "ocib/media_type.h"

#include "lib/json/json_util.h"

namespace ocib::consistency {
namespace {

enum class Kind { kManifest, kIndex, kOther };

// What the document is by its own mediaType, or by its shape.
Kind DocumentKind(std::string_view bytes) {
  auto j = jsonutil::ParseObject(bytes, "document");
  if (!j) return Kind::kOther;
  auto mt = j->find("mediaType");
  if (mt != j->end() && mt->is_string()) {
    const auto& s = mt->get_ref<const std::string&>();
    if (media_type::IsManifest(s)) return Kind::kManifest;
    if (media_type::IsIndex(s)) return Kind::kIndex;
    return Kind::kOther;
  }
  if (j->contains("manifests")) return Kind::kIndex;
  if (j->contains("config")) return Kind::kManifest;
  return Kind::kOther;
}

std::string Name(const Descriptor& d) { return d.digest.ToString(); }

// Walks the documents of one image being sent, collecting problems.
class ImageChecker {
 public:
  ImageChecker(const std::vector<ImageDocument>& documents,
               const std::vector<ImageDocument>& referrers, const ConfigReader& read_config)
      : read_config_(read_config) {
    for (const auto& d : documents) bytes_.emplace(d.descriptor.digest, d.bytes);
    for (const auto& d : referrers) bytes_.emplace(d.descriptor.digest, d.bytes);
  }

  void Check(const Descriptor& d, std::string_view bytes, int depth) {
    CheckTarget(d, bytes, problems_);
    if (depth > 8) {
      problems_.push_back("indexes nested deeper than 8 levels");
      return;
    }
    if (media_type::IsIndex(d.media_type)) {
      auto idx = Index::Parse(bytes);
      if (!idx) {
        problems_.push_back(fmt::format("index {}: {}", Name(d), idx.error().ToString()));
        return;
      }
      for (const Descriptor& child : idx->manifests) {
        auto it = bytes_.find(child.digest);
        if (it != bytes_.end()) Check(child, it->second, depth + 1);
      }
    } else if (media_type::IsManifest(d.media_type)) {
      CheckManifestDocument(d, bytes);
    }
  }

  const Problems& problems() const { return problems_; }

 private:
  void CheckManifestDocument(const Descriptor& d, std::string_view bytes) {
    auto m = Manifest::Parse(bytes);
    if (!m) {
      problems_.push_back(fmt::format("manifest {}: {}", Name(d), m.error().ToString()));
      return;
    }
    CheckManifest(d, *m, problems_);
    if (!IsImageConfig(m->config.media_type)) return;
    if (m->config.size < 0 || m->config.size > kMaxConfigBytes) {
      problems_.push_back(fmt::format("config {}: size {} is not between 0 and {}", Name(m->config),
                                      m->config.size, kMaxConfigBytes));
      return;
    }
    auto cbytes = read_config_(m->config);
    if (!cbytes) {
      problems_.push_back(fmt::format("config {}: {}", Name(m->config), cbytes.error().ToString()));
      return;
    }
    CheckTarget(m->config, *cbytes, problems_);
    auto cfg = ImageConfig::Parse(*cbytes);
    if (!cfg) {
      problems_.push_back(fmt::format("config {}: {}", Name(m->config), cfg.error().ToString()));
      return;
    }
    CheckManifestConfig(d, *m, *cfg, problems_);
  }

  const ConfigReader& read_config_;
  std::map<Digest, std::string> bytes_;
  Problems problems_;
};

}  // namespace

bool IsImageConfig(std::string_view media_type) {
  return media_type == media_type::kImageConfig || media_type == media_type::kDockerConfig;
}

void CheckTarget(const Descriptor& d, std::string_view bytes, Problems& out) {
  if (d.size != static_cast<int64_t>(bytes.size())) {
    out.push_back(fmt::format("{}: size is {}, descriptor says {}", Name(d), bytes.size(), d.size));
  }
  if (d.digest.algorithm() == "sha256" && Digest::Sha256Of(bytes) != d.digest) {
    out.push_back(fmt::format("{}: content does not match the digest", Name(d)));
  }
  CheckKind(d, bytes, out);
}

void CheckKind(const Descriptor& d, std::string_view bytes, Problems& out) {
  const bool manifest = media_type::IsManifest(d.media_type);
  const bool index = media_type::IsIndex(d.media_type);
  if (!manifest && !index) return;
  Kind kind = DocumentKind(bytes);
  if ((manifest && kind != Kind::kManifest) || (index && kind != Kind::kIndex)) {
    out.push_back(fmt::format("{}: descriptor says {} but the document is {}", Name(d),
                              d.media_type,
                              kind == Kind::kManifest ? "a manifest"
                              : kind == Kind::kIndex  ? "an index"
                                                      : "neither a manifest nor an index"));
  }
}

void CheckManifest(const Descriptor& d, const Manifest& m, Problems& out) {
  if (m.config.media_type == media_type::kEmpty && m.artifact_type.empty()) {
    out.push_back(fmt::format(
        "manifest {}: its config is the empty descriptor ({}) but it has no artifactType", Name(d),
        media_type::kEmpty));
  }
  if (media_type::IsManifest(m.config.media_type) || media_type::IsIndex(m.config.media_type)) {
    out.push_back(fmt::format("manifest {}: config descriptor has the media type {}", Name(d),
                              m.config.media_type));
  }
}

void CheckManifestConfig(const Descriptor& d, const Manifest& m, const ImageConfig& c,
                         Problems& out) {
  if (c.diff_ids.size() != m.layers.size()) {
    out.push_back(fmt::format("manifest {}: {} layers but {} diff_ids", Name(d), m.layers.size(),
                              c.diff_ids.size()));
    return;
  }
  size_t non_empty = 0;
  for (const auto& h : c.history) non_empty += h.empty_layer ? 0 : 1;
  if (!c.history.empty() && non_empty != m.layers.size()) {
    out.push_back(fmt::format("config {}: {} history entries with layers for {} layers",
                              Name(m.config), non_empty, m.layers.size()));
  }
  if (d.platform) {
    Platform p = c.platform();
    // Spellings of one platform (arm64 and arm64/v8) agree.
    if (!d.platform->Matches(p)) {
      out.push_back(
          fmt::format("manifest {}: descriptor platform {} differs from config platform {}",
                      Name(d), d.platform->ToString(), p.ToString()));
    }
  }
}

Status CheckImage(const Descriptor& root, std::string_view root_bytes,
                  const std::vector<ImageDocument>& documents,
                  const std::vector<ImageDocument>& referrers, const ConfigReader& read_config) {
  ImageChecker checker(documents, referrers, read_config);
  checker.Check(root, root_bytes, 0);
  for (const auto& r : referrers) checker.Check(r.descriptor, r.bytes, 0);
  const Problems& problems = checker.problems();
  if (problems.empty()) return {};
  constexpr size_t kShown = 5;
  std::string text;
  for (size_t i = 0; i < problems.size() && i < kShown; ++i) {
    text += (i == 0 ? "" : "; ") + problems[i];
  }
  if (problems.size() > kShown) text += fmt::format("; and {} more", problems.size() - kShown);
  return InvalidArgument(
      fmt::format("image {} is not valid, nothing was sent: {}", Name(root), text));
}

}  // namespace ocib::consistency
