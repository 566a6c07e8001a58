#include "ocib/validate.h"

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include <fmt/format.h>

#include "ocib/image_config.h"
#include "ocib/image_location.h"
#include "ocib/inspect.h"
#include "ocib/layer.h"
#include "ocib/manifest.h"
#include "ocib/media_type.h"
#include "ocib/oci_layout.h"

#include "lib/io/streams.h"
#include "lib/layout/consistency.h"
#include "lib/layout/image_source.h"
#include "lib/layout/validate_store.h"

namespace ocib {
namespace {

constexpr size_t kMaxDocumentBytes = size_t{16} << 20;

// Hashes and counts what is read through it.
class HashingReader : public Reader {
 public:
  HashingReader(Reader& inner, std::string_view algorithm) : inner_(inner), hasher_(algorithm) {}
  Result<size_t> Read(void* data, size_t size) override {
    OCIB_ASSIGN_OR_RETURN(size_t n, inner_.Read(data, size));
    hasher_.Update(data, n);
    count_ += static_cast<int64_t>(n);
    return n;
  }
  // Reads the rest (what a decompressor left unread).
  Status Drain() {
    std::vector<char> buf(size_t{1} << 17);
    while (true) {
      OCIB_ASSIGN_OR_RETURN(size_t n, Read(buf.data(), buf.size()));
      if (n == 0) return {};
    }
  }
  Digest Finish() { return hasher_.Finish(); }
  int64_t count() const { return count_; }

 private:
  Reader& inner_;
  DigestHasher hasher_;
  int64_t count_ = 0;
};

class DiffIdSink : public Writer {
 public:
  Status Write(const void* p, size_t n) override {
    hasher.Update(p, n);
    return {};
  }
  Status Close() override { return {}; }
  Sha256Hasher hasher;
};

class Validator {
 public:
  Validator(BlobStore& store, ValidationReport& report) : store_(store), report_(report) {}

  void Problem(const std::string& what) { report_.problems.push_back(what); }

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
  // Whether `d`'s size and digest hold for what `reader` read.
  bool Verdict(const Descriptor& d, HashingReader& reader) {
    ++report_.blobs;
    if (reader.count() != d.size) {
      Problem(fmt::format("blob {}: size is {}, descriptor says {}", d.digest.ToString(),
                          reader.count(), d.size));
      return false;
    }
    if (reader.Finish() != d.digest) {
      Problem(fmt::format("blob {}: content does not match the digest", d.digest.ToString()));
      return false;
    }
    return true;
  }

  // Opens `d` once; records a problem and returns null when it cannot.
  std::unique_ptr<Reader> OpenOnce(const Descriptor& d) {
    if (!Digest::IsSupportedAlgorithm(d.digest.algorithm())) {
      Problem(fmt::format("blob \"{}\": digest algorithm not supported", d.digest.ToString()));
      return nullptr;
    }
    auto reader = store_.Open(d.digest);
    if (!reader) {
      Problem(fmt::format("blob {}: {}", d.digest.ToString(), reader.error().ToString()));
      return nullptr;
    }
    return std::move(*reader);
  }

  // Recomputes size and digest of an opaque blob; once per digest (a blob
  // read as a document or a layer is not read again).
  void CheckBlob(const Descriptor& d) {
    if (!read_.insert(d.digest).second) return;
    auto raw = OpenOnce(d);
    if (!raw) return;
    HashingReader reader(*raw, d.digest.algorithm());
    if (Status st = reader.Drain(); !st) {
      Problem(fmt::format("blob {}: {}", d.digest.ToString(), st.error().ToString()));
      return;
    }
    Verdict(d, reader);
  }

  // A document's bytes, read and checked once (later calls get the first
  // read's bytes); nullopt after a problem.
  std::optional<std::string> ReadDocument(const Descriptor& d) {
    auto cached = documents_.find(d.digest);
    if (cached == documents_.end()) {
      cached = documents_.emplace(d.digest, ReadDocumentOnce(d)).first;
    }
    return cached->second;
  }

  std::optional<std::string> ReadDocumentOnce(const Descriptor& d) {
    read_.insert(d.digest);
    if (d.size < 0 || static_cast<uint64_t>(d.size) > kMaxDocumentBytes) {
      Problem(fmt::format("blob {}: a document of {} bytes (at most {})", d.digest.ToString(),
                          d.size, kMaxDocumentBytes));
      return std::nullopt;
    }
    auto raw = OpenOnce(d);
    if (!raw) return std::nullopt;
    HashingReader reader(*raw, d.digest.algorithm());
    std::string bytes;
    std::vector<char> buf(size_t{1} << 16);
    while (bytes.size() <= static_cast<size_t>(d.size)) {
      auto n = reader.Read(buf.data(), buf.size());
      if (!n) {
        Problem(fmt::format("blob {}: {}", d.digest.ToString(), n.error().ToString()));
        return std::nullopt;
      }
      if (*n == 0) break;
      bytes.append(buf.data(), *n);
    }
    if (!Verdict(d, reader)) return std::nullopt;
    return bytes;
  }

  void CheckLayer(const Descriptor& d, const Digest& diff_id) {
    if (!media_type::IsLayer(d.media_type)) {  // unknown types are opaque
      CheckBlob(d);
      return;
    }
    auto done = layer_diff_ids_.find(d.digest);
    if (done == layer_diff_ids_.end()) done = layer_diff_ids_.emplace(d.digest, ReadLayer(d)).first;
    if (done->second && *done->second != diff_id) {
      Problem(fmt::format("layer {}: diff_id is {}, config says {}", d.digest.ToString(),
                          done->second->ToString(), diff_id.ToString()));
    }
  }

  // Hashes and decompresses a layer in one read; its diff_id, or nullopt
  // after a problem.
  std::optional<Digest> ReadLayer(const Descriptor& d) {
    read_.insert(d.digest);
    auto raw = OpenOnce(d);
    if (!raw) return std::nullopt;
    HashingReader reader(*raw, d.digest.algorithm());
    DiffIdSink sink;
    Status st = DecompressLayer(reader, d.media_type, sink);
    Status drained = reader.Drain();
    if (!drained) {
      Problem(fmt::format("blob {}: {}", d.digest.ToString(), drained.error().ToString()));
      return std::nullopt;
    }
    if (!Verdict(d, reader)) return std::nullopt;
    if (!st) {
      Problem(fmt::format("layer {}: {}", d.digest.ToString(), st.error().ToString()));
      return std::nullopt;
    }
    ++report_.layers;
    return sink.hasher.Finish();
  }

  void CheckManifest(const Descriptor& d) {
    auto seen = manifest_platforms_.find(d.digest);
    if (seen != manifest_platforms_.end()) {
      CheckPlatform(d, seen->second);
      return;
    }
    std::optional<Platform>& config_platform = manifest_platforms_[d.digest];
    auto bytes = ReadDocument(d);
    if (!bytes) return;
    auto m = Manifest::Parse(*bytes);
    if (!m) {
      Problem(fmt::format("manifest {}: {}", d.digest.ToString(), m.error().ToString()));
      return;
    }
    ++report_.documents;
    consistency::CheckKind(d, *bytes, report_.problems);
    consistency::CheckManifest(d, *m, report_.problems);
    if (!consistency::IsImageConfig(m->config.media_type)) {
      CheckBlob(m->config);
      for (const auto& l : m->layers) CheckBlob(l);
      return;
    }
    auto cbytes = ReadDocument(m->config);
    if (!cbytes) return;
    auto cfg = ImageConfig::Parse(*cbytes);
    if (!cfg) {
      Problem(fmt::format("config {}: {}", m->config.digest.ToString(), cfg.error().ToString()));
      return;
    }
    ++report_.documents;
    config_platform = cfg->platform();
    // Layer count against diff_ids, history, and the platform (lib/layout/consistency.h).
    consistency::CheckManifestConfig(d, *m, *cfg, report_.problems);
    if (cfg->diff_ids.size() != m->layers.size()) return;
    for (size_t i = 0; i < m->layers.size(); ++i) CheckLayer(m->layers[i], cfg->diff_ids[i]);
  }

  // The platform a descriptor states against its config's, for a manifest
  // named again (spellings of one platform, arm64 and arm64/v8, agree).
  void CheckPlatform(const Descriptor& d, const std::optional<Platform>& p) {
    if (!d.platform || !p) return;
    if (!d.platform->Matches(*p)) {
      Problem(fmt::format("manifest {}: descriptor platform {} differs from config platform {}",
                          d.digest.ToString(), d.platform->ToString(), p->ToString()));
    }
  }

  void CheckIndex(const Descriptor& d, int depth) {
    if (!indexes_.insert(d.digest).second) return;
    auto bytes = ReadDocument(d);
    if (!bytes) return;
    auto idx = Index::Parse(*bytes);
    if (!idx) {
      Problem(fmt::format("index {}: {}", d.digest.ToString(), idx.error().ToString()));
      return;
    }
    ++report_.documents;
    consistency::CheckKind(d, *bytes, report_.problems);
    CheckEntries(idx->manifests, depth + 1);
  }

  BlobStore& store_;
  ValidationReport& report_;
  std::map<Digest, std::optional<std::string>> documents_;        // read documents
  std::set<Digest> read_;                                         // blobs read (once each)
  std::map<Digest, std::optional<Digest>> layer_diff_ids_;        // computed diff_ids
  std::map<Digest, std::optional<Platform>> manifest_platforms_;  // checked manifests
  std::set<Digest> indexes_;                                      // checked indexes
};

}  // namespace

void ValidateIndex(BlobStore& store, const Index& index, ValidationReport& report) {
  Validator v(store, report);
  for (const auto& e : index.manifests) {
    auto it = e.annotations.find(kRefNameAnnotation);
    if (it != e.annotations.end() && !IsValidRefName(it->second)) {
      v.Problem(fmt::format("index.json: invalid ref.name \"{}\"", it->second));
    }
  }
  v.CheckEntries(index.manifests, 0);
}

Result<ValidationReport> ValidateLayout(const std::string& dir) {
  OCIB_ASSIGN_OR_RETURN(auto layout, OciLayout::Open(dir));
  OCIB_ASSIGN_OR_RETURN(Index idx, layout->ReadIndex());
  ValidationReport report;
  report.documents = 1;
  if (Status writable = layout->CheckWritable(); !writable) {
    report.problems.push_back(
        fmt::format("oci-layout: imageLayoutVersion \"{}\" is not a version ocib knows (1.0.0)",
                    layout->layout_version()));
  }
  ValidateIndex(*layout, idx, report);
  return report;
}

Result<ValidationReport> ValidateLocation(const std::string& location) {
  OCIB_ASSIGN_OR_RETURN(ImageLocation where, ImageLocation::Parse(location));
  if (const auto* l = where.layout()) return ValidateLayout(l->path);
  OCIB_ASSIGN_OR_RETURN(std::unique_ptr<ImageSource> source, OpenImageSource(where));
  OCIB_ASSIGN_OR_RETURN(Index idx, source->ReadIndex());
  ValidationReport report;
  report.documents = 1;
  ValidateIndex(*source, idx, report);
  return report;
}

Result<std::vector<std::string>> InspectLayout(const std::string& reference) {
  OCIB_ASSIGN_OR_RETURN(ImageLocation where, ImageLocation::Parse(reference));
  OCIB_ASSIGN_OR_RETURN(std::unique_ptr<ImageSource> layout, OpenImageSource(where));
  OCIB_ASSIGN_OR_RETURN(Descriptor top, ResolveImage(*layout, where));
  std::vector<std::string> out;
  OCIB_ASSIGN_OR_RETURN(std::string bytes, layout->ReadAll(top.digest));
  out.push_back(bytes);
  // As InspectRemote: each platform manifest of an index, then each config.
  std::vector<std::string> manifests;
  if (media_type::IsIndex(top.media_type)) {
    OCIB_ASSIGN_OR_RETURN(Index idx, Index::Parse(bytes));
    for (const auto& d : idx.manifests) {
      if (!media_type::IsManifest(d.media_type)) continue;
      OCIB_ASSIGN_OR_RETURN(std::string mbytes, layout->ReadAll(d.digest));
      out.push_back(mbytes);
      manifests.push_back(std::move(mbytes));
    }
  } else {
    manifests.push_back(bytes);
  }
  for (const std::string& mbytes : manifests) {
    OCIB_ASSIGN_OR_RETURN(Manifest m, Manifest::Parse(mbytes));
    OCIB_ASSIGN_OR_RETURN(std::string cbytes, layout->ReadAll(m.config.digest));
    out.push_back(std::move(cbytes));
  }
  return out;
}

}  // namespace ocib
