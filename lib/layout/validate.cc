#include "ocib/validate.h"

#include <set>

#include "ocib/image_builder.h"
#include "ocib/image_config.h"
#include "ocib/inspect.h"
#include "ocib/layer.h"
#include "ocib/manifest.h"
#include "ocib/media_type.h"
#include "ocib/oci_layout.h"

#include "lib/io/streams.h"
#include "lib/layout/consistency.h"

namespace ocib {
namespace {

class Validator {
 public:
  Validator(OciLayout& layout, ValidationReport& report) : layout_(layout), report_(report) {}

  void Problem(const std::string& what) { report_.problems.push_back(what); }

  // Recomputes size and digest; returns false when they do not hold.
  bool CheckBlob(const Descriptor& d) {
    if (checked_.contains(d.digest)) return ok_.contains(d.digest);
    checked_.insert(d.digest);
    auto reader = layout_.Open(d.digest);
    if (!reader) {
      Problem("blob " + d.digest.ToString() + ": " + reader.error().ToString());
      return false;
    }
    Sha256Hasher h;
    int64_t size = 0;
    std::vector<char> buf(1 << 17);
    while (true) {
      auto n = (*reader)->Read(buf.data(), buf.size());
      if (!n) {
        Problem("blob " + d.digest.ToString() + ": " + n.error().ToString());
        return false;
      }
      if (*n == 0) break;
      h.Update(buf.data(), *n);
      size += static_cast<int64_t>(*n);
    }
    ++report_.blobs;
    if (size != d.size) {
      Problem("blob " + d.digest.ToString() + ": size is " + std::to_string(size) +
              ", descriptor says " + std::to_string(d.size));
      return false;
    }
    if (d.digest.algorithm() == "sha256" && h.Finish() != d.digest) {
      Problem("blob " + d.digest.ToString() + ": content does not match the digest");
      return false;
    }
    ok_.insert(d.digest);
    return true;
  }

  void CheckLayer(const Descriptor& d, const Digest& diff_id) {
    if (!CheckBlob(d)) return;
    if (!media_type::IsLayer(d.media_type)) return;  // unknown types are opaque
    auto reader = layout_.Open(d.digest);
    if (!reader) return;
    class HashSink : public Writer {
     public:
      Status Write(const void* p, size_t n) override {
        h.Update(p, n);
        return {};
      }
      Status Close() override { return {}; }
      Sha256Hasher h;
    } sink;
    Status st = DecompressLayer(**reader, d.media_type, sink);
    if (!st) {
      Problem("layer " + d.digest.ToString() + ": " + st.error().ToString());
      return;
    }
    ++report_.layers;
    Digest got = sink.h.Finish();
    if (got != diff_id) {
      Problem("layer " + d.digest.ToString() + ": diff_id is " + got.ToString() + ", config says " +
              diff_id.ToString());
    }
  }

  void CheckManifest(const Descriptor& d) {
    if (!CheckBlob(d)) return;
    auto bytes = layout_.ReadAll(d.digest);
    if (!bytes) return;
    auto m = Manifest::Parse(*bytes);
    if (!m) {
      Problem("manifest " + d.digest.ToString() + ": " + m.error().ToString());
      return;
    }
    ++report_.documents;
    consistency::CheckKind(d, *bytes, report_.problems);
    consistency::CheckManifest(d, *m, report_.problems);
    if (!CheckBlob(m->config)) return;
    if (!consistency::IsImageConfig(m->config.media_type)) {
      for (const auto& l : m->layers) CheckBlob(l);
      return;
    }
    auto cbytes = layout_.ReadAll(m->config.digest);
    if (!cbytes) return;
    auto cfg = ImageConfig::Parse(*cbytes);
    if (!cfg) {
      Problem("config " + m->config.digest.ToString() + ": " + cfg.error().ToString());
      return;
    }
    ++report_.documents;
    consistency::CheckManifestConfig(d, *m, *cfg, report_.problems);
    if (cfg->diff_ids.size() != m->layers.size()) return;
    for (size_t i = 0; i < m->layers.size(); ++i) CheckLayer(m->layers[i], cfg->diff_ids[i]);
  }

  void CheckIndex(const Descriptor& d, int depth) {
    if (!CheckBlob(d)) return;
    auto bytes = layout_.ReadAll(d.digest);
    if (!bytes) return;
    auto idx = Index::Parse(*bytes);
    if (!idx) {
      Problem("index " + d.digest.ToString() + ": " + idx.error().ToString());
      return;
    }
    ++report_.documents;
    consistency::CheckKind(d, *bytes, report_.problems);
    CheckEntries(idx->manifests, depth + 1);
  }

  void CheckEntries(const std::vector<Descriptor>& entries, int depth) {
    if (depth > 8) {
      Problem("indexes nested deeper than 8 levels");
      return;
    }
    for (const auto& e : entries) {
      if (media_type::IsIndex(e.media_type)) {
        CheckIndex(e, depth);
      } else if (media_type::IsManifest(e.media_type)) {
        CheckManifest(e);
      } else {
        CheckBlob(e);
      }
    }
  }

 private:
  OciLayout& layout_;
  ValidationReport& report_;
  std::set<Digest> checked_;
  std::set<Digest> ok_;
};

}  // namespace

Result<ValidationReport> ValidateLayout(const std::string& dir) {
  OCIB_ASSIGN_OR_RETURN(auto layout, OciLayout::Open(dir));
  OCIB_ASSIGN_OR_RETURN(Index idx, layout->ReadIndex());
  ValidationReport report;
  report.documents = 1;
  Validator v(*layout, report);
  for (const auto& e : idx.manifests) {
    auto it = e.annotations.find(kRefNameAnnotation);
    if (it != e.annotations.end() && !IsValidRefName(it->second)) {
      v.Problem("index.json: invalid ref.name \"" + it->second + "\"");
    }
  }
  v.CheckEntries(idx.manifests, 0);
  return report;
}

Result<std::vector<std::string>> InspectLayout(const std::string& reference) {
  OCIB_ASSIGN_OR_RETURN(LayoutReference ref, ParseLayoutReference(reference));
  if (ref.kind != LayoutReference::Kind::kLayout) {
    return InvalidArgument("inspect reads oci:DIR[:TAG] layouts, not archives");
  }
  OCIB_ASSIGN_OR_RETURN(auto layout, OciLayout::Open(ref.path));
  OCIB_ASSIGN_OR_RETURN(Descriptor top, layout->Resolve(ref.tag));
  std::vector<std::string> out;
  OCIB_ASSIGN_OR_RETURN(std::string bytes, layout->ReadAll(top.digest));
  out.push_back(bytes);
  std::vector<Descriptor> manifests;
  if (media_type::IsIndex(top.media_type)) {
    OCIB_ASSIGN_OR_RETURN(Index idx, Index::Parse(bytes));
    manifests = idx.manifests;
  } else {
    manifests.push_back(top);
  }
  for (const auto& d : manifests) {
    if (!media_type::IsManifest(d.media_type)) continue;
    OCIB_ASSIGN_OR_RETURN(std::string mbytes, layout->ReadAll(d.digest));
    OCIB_ASSIGN_OR_RETURN(Manifest m, Manifest::Parse(mbytes));
    if (m.config.media_type != media_type::kImageConfig &&
        m.config.media_type != media_type::kDockerConfig) {
      continue;
    }
    OCIB_ASSIGN_OR_RETURN(std::string cbytes, layout->ReadAll(m.config.digest));
    out.push_back(cbytes);
  }
  return out;
}

}  // namespace ocib
