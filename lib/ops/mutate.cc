// Mutate (ocib/mutate.h).
#include "ocib/mutate.h"

#include <algorithm>
#include <memory>
#include <set>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ocib/manifest.h"
#include "ocib/media_type.h"
#include "ocib/oci_layout.h"
#include "ocib/referrers.h"
#include "ocib/registry_referrers.h"

#include "lib/io/streams.h"
#include "lib/json/json_util.h"
#include "lib/layout/image_source.h"
#include "lib/ops/location.h"
#include "lib/registry/image_walk.h"

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

// The image being mutated: a registry repository or a layout.
struct Source {
  ImageLocation location;
  std::unique_ptr<RegistryClient> client;
  std::unique_ptr<OciLayout> layout;
  std::string repo;

  Result<Document> Root() const {
    if (layout) {
      std::unique_ptr<ImageSource> source = LayoutImageSource(*layout);
      OCIB_ASSIGN_OR_RETURN(Descriptor d, ResolveImage(*source, location));
      OCIB_ASSIGN_OR_RETURN(std::string bytes, layout->ReadAll(d.digest, kMaxDocument));
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
    if (layout) {
      OCIB_ASSIGN_OR_RETURN(bytes, layout->ReadAll(d.digest, kMaxDocument));
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

  // Referrers of `subject` here; errors are reported as a count of -1.
  int CountReferrers(const Digest& subject) const {
    auto r = layout ? ListLayoutReferrers(*layout, subject)
                    : ListRegistryReferrers(*client, repo, subject);
    return r ? static_cast<int>(r->size()) : -1;
  }
};

Result<Source> OpenSource(const ImageLocation& loc, const RegistryOptions& options) {
  Source s;
  s.location = loc;
  if ((loc.layout() != nullptr)) {
    OCIB_ASSIGN_OR_RETURN(s.layout, OciLayout::Open(loc.layout()->path));
  } else {
    OCIB_ASSIGN_OR_RETURN(s.client,
                          RegistryClient::Create(loc.registry()->reference.domain(), options));
    s.repo = loc.registry()->reference.path();
  }
  return s;
}

// Checks the changes and normalises ports ("80" -> "80/tcp").
Result<std::vector<std::string>> CheckOptions(const MutateOptions& m) {
  for (const std::string& e : m.env) {
    if (e.empty() || e.front() == '=' || e.find('=') == std::string::npos) {
      return InvalidArgument(fmt::format("environment entry \"{}\" is not K=V", e));
    }
  }
  std::vector<std::string> ports;
  for (const std::string& p : m.expose) {
    std::string num = p.substr(0, p.find('/'));
    std::string proto = p.find('/') == std::string::npos ? "tcp" : p.substr(p.find('/') + 1);
    bool digits =
        !num.empty() && num.size() <= 5 && num.find_first_not_of("0123456789") == std::string::npos;
    if (!digits || std::stoi(num) < 1 || std::stoi(num) > 65535 ||
        (proto != "tcp" && proto != "udp")) {
      return InvalidArgument(fmt::format("port \"{}\" is not PORT[/tcp|/udp]", p));
    }
    ports.push_back(num + "/" + proto);
  }
  return ports;
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

// Applies the changes to a config document's "config" object.
void ApplyConfig(json& cfg, const MutateOptions& m, const std::vector<std::string>& ports) {
  if (!cfg.contains("config") || !cfg["config"].is_object()) cfg["config"] = json::object();
  json& c = cfg["config"];
  SetArgs(c, "Entrypoint", m.entrypoint);
  SetArgs(c, "Cmd", m.cmd);
  SetEnv(c, m.env);
  for (const auto& [k, v] : m.labels) {
    if (!c.contains("Labels") || !c["Labels"].is_object()) c["Labels"] = json::object();
    c["Labels"][k] = v;
  }
  if (m.user) c["User"] = *m.user;
  if (m.working_dir) c["WorkingDir"] = *m.working_dir;
  for (const std::string& p : ports) {
    if (!c.contains("ExposedPorts") || !c["ExposedPorts"].is_object()) {
      c["ExposedPorts"] = json::object();
    }
    c["ExposedPorts"][p] = json::object();
  }
}

void SetAnnotations(json& doc, const std::map<std::string, std::string>& annotations) {
  for (const auto& [k, v] : annotations) {
    if (!doc.contains("annotations") || !doc["annotations"].is_object()) {
      doc["annotations"] = json::object();
    }
    doc["annotations"][k] = v;
  }
}

struct NewManifest {
  Document manifest;
  Document config;
  std::vector<Descriptor> layers;
  Platform platform;
};

Platform ConfigPlatform(const json& cfg) {
  Platform p;
  p.os = cfg.value("os", "");
  p.architecture = cfg.value("architecture", "");
  p.variant = cfg.value("variant", "");
  return p;
}

Result<NewManifest> MutateManifest(Source& src, const Document& old, const MutateOptions& m,
                                   const std::vector<std::string>& ports) {
  OCIB_ASSIGN_OR_RETURN(Manifest typed, Manifest::Parse(old.bytes));
  OCIB_ASSIGN_OR_RETURN(json mj, jsonutil::ParseObject(old.bytes, "manifest"));
  auto config_bytes = src.Read(typed.config, false);
  if (!config_bytes) {
    return std::move(config_bytes).error().With("reading config " + typed.config.digest.ToString());
  }
  OCIB_ASSIGN_OR_RETURN(json cfg, jsonutil::ParseObject(*config_bytes, "config"));
  NewManifest out;
  out.platform = ConfigPlatform(cfg);
  ApplyConfig(cfg, m, ports);
  std::string new_config = jsonutil::Dump(cfg);
  out.config.descriptor = typed.config;
  out.config.descriptor.digest = Digest::Sha256Of(new_config);
  out.config.descriptor.size = static_cast<int64_t>(new_config.size());
  out.config.bytes = std::move(new_config);
  mj["config"]["digest"] = out.config.descriptor.digest.ToString();
  mj["config"]["size"] = out.config.descriptor.size;
  SetAnnotations(mj, m.annotations);
  out.manifest.bytes = jsonutil::Dump(mj);
  out.manifest.descriptor = old.descriptor;
  out.manifest.descriptor.digest = Digest::Sha256Of(out.manifest.bytes);
  out.manifest.descriptor.size = static_cast<int64_t>(out.manifest.bytes.size());
  out.layers = typed.layers;
  return out;
}

// The mutated image: its root and, for an index, its manifests.
struct Built {
  Document root;
  bool is_index = false;
  std::vector<NewManifest> manifests;
  // Digests of the source's root and mutated manifests (for referrers).
  std::vector<Digest> old_digests;
  std::vector<std::string> notes;
};

std::string PlatformList(const std::vector<Platform>& ps) {
  std::string out;
  for (const Platform& p : ps) out += (out.empty() ? "" : ", ") + p.ToString();
  return out.empty() ? "none" : out;
}

Status CheckSelected(const std::vector<Platform>& wanted, const std::vector<Platform>& have,
                     const std::string& where) {
  for (const Platform& w : wanted) {
    bool found = false;
    for (const Platform& h : have) found = found || w.Matches(h);
    if (!found) {
      return NotFound(fmt::format("platform {} is not in {} (it has: {})", w.ToString(), where,
                                  PlatformList(have)));
    }
  }
  return OkStatus();
}

bool Selected(const std::vector<Platform>& wanted, const Platform& p) {
  return wanted.empty() ||
         std::ranges::any_of(wanted, [&](const Platform& w) { return w.Matches(p); });
}

Result<Built> MutateIndex(Source& src, const Document& root, const MutateOptions& m,
                          const std::vector<std::string>& ports) {
  OCIB_ASSIGN_OR_RETURN(Index typed, Index::Parse(root.bytes));
  OCIB_ASSIGN_OR_RETURN(json ij, jsonutil::ParseObject(root.bytes, "index"));
  Built b;
  b.is_index = true;
  b.old_digests.push_back(root.descriptor.digest);
  json entries = json::array();
  std::vector<Platform> have;
  for (size_t i = 0; i < typed.manifests.size(); ++i) {
    const Descriptor& d = typed.manifests[i];
    if (!media_type::IsManifest(d.media_type) || !d.platform || d.platform->os == "unknown") {
      b.notes.push_back(
          fmt::format("left out index entry {} ({}{}): it describes the source's manifests",
                      d.digest.ToString(), d.media_type,
                      d.platform ? ", platform " + d.platform->ToString() : ""));
      continue;
    }
    have.push_back(*d.platform);
    if (!Selected(m.platforms, *d.platform)) continue;
    auto bytes = src.Read(d, true);
    if (!bytes) return std::move(bytes).error().With("reading manifest " + d.digest.ToString());
    auto nm = MutateManifest(src, {d, *bytes}, m, ports);
    if (!nm) return std::move(nm).error().With("mutating " + d.platform->ToString());
    json e = ij["manifests"][i];
    e["digest"] = nm->manifest.descriptor.digest.ToString();
    e["size"] = nm->manifest.descriptor.size;
    entries.push_back(std::move(e));
    b.old_digests.push_back(d.digest);
    b.manifests.push_back(std::move(*nm));
  }
  OCIB_RETURN_IF_ERROR(CheckSelected(m.platforms, have, "the source index"));
  if (entries.empty()) return NotFound("the source index lists no platform image");
  ij["manifests"] = std::move(entries);
  SetAnnotations(ij, m.annotations);
  b.root.bytes = jsonutil::Dump(ij);
  b.root.descriptor.media_type = root.descriptor.media_type;
  b.root.descriptor.digest = Digest::Sha256Of(b.root.bytes);
  b.root.descriptor.size = static_cast<int64_t>(b.root.bytes.size());
  return b;
}

Result<Built> Build(Source& src, const MutateOptions& m, const std::vector<std::string>& ports) {
  OCIB_ASSIGN_OR_RETURN(Document root, src.Root());
  if (media_type::IsIndex(root.descriptor.media_type)) return MutateIndex(src, root, m, ports);
  if (!media_type::IsManifest(root.descriptor.media_type)) {
    return InvalidArgument(
        fmt::format("unsupported media type \"{}\" (not an image)", root.descriptor.media_type));
  }
  OCIB_ASSIGN_OR_RETURN(NewManifest nm, MutateManifest(src, root, m, ports));
  OCIB_RETURN_IF_ERROR(CheckSelected(m.platforms, {nm.platform}, "the source image"));
  Built b;
  b.old_digests.push_back(root.descriptor.digest);
  b.root = nm.manifest;
  b.root.descriptor.platform.reset();
  b.root.descriptor.annotations.clear();
  b.manifests.push_back(std::move(nm));
  return b;
}

// Every config and layer of `b`, deduplicated; configs also in `configs`.
std::vector<Descriptor> Blobs(const Built& b, std::map<Digest, std::string>* configs) {
  std::vector<Descriptor> out;
  std::set<Digest> seen;
  for (const NewManifest& nm : b.manifests) {
    if (seen.insert(nm.config.descriptor.digest).second) out.push_back(nm.config.descriptor);
    (*configs)[nm.config.descriptor.digest] = nm.config.bytes;
  }
  for (const NewManifest& nm : b.manifests) {
    for (const Descriptor& l : nm.layers) {
      if (seen.insert(l.digest).second) out.push_back(l);
    }
  }
  return out;
}

BlobOpener OpenerFor(Source& src, const Descriptor& blob,
                     const std::map<Digest, std::string>& configs) {
  auto it = configs.find(blob.digest);
  if (it != configs.end()) {
    std::string bytes = it->second;
    return [bytes](int64_t offset, int64_t) -> Result<std::unique_ptr<Reader>> {
      return std::unique_ptr<Reader>(
          std::make_unique<io::StringReader>(bytes.substr(static_cast<size_t>(offset))));
    };
  }
  if (src.client) return registry::RemoteBlobOpener(*src.client, src.repo, blob.digest);
  OciLayout* layout = src.layout.get();
  Digest digest = blob.digest;
  return [layout, digest](int64_t offset, int64_t) -> Result<std::unique_ptr<Reader>> {
    OCIB_ASSIGN_OR_RETURN(std::unique_ptr<Reader> r, layout->Open(digest));
    char buf[65536];
    for (int64_t left = offset; left > 0;) {
      OCIB_ASSIGN_OR_RETURN(size_t n,
                            r->Read(buf, static_cast<size_t>(std::min<int64_t>(left, sizeof buf))));
      if (n == 0)
        return DataLoss(fmt::format("blob {} is shorter than expected", digest.ToString()));
      left -= static_cast<int64_t>(n);
    }
    return r;
  };
}

Result<MutateResult> WriteToRegistry(Source& src, const Reference& dst, const Built& b,
                                     const RegistryOptions& options) {
  MutateResult out;
  out.root = b.root.descriptor;
  {
    std::unique_ptr<RegistryClient> own;
    RegistryClient* client = src.client.get();
    if (client == nullptr || client->registry() != dst.domain()) {
      OCIB_ASSIGN_OR_RETURN(own, RegistryClient::Create(dst.domain(), options));
      client = own.get();
    }
    OCIB_ASSIGN_OR_RETURN(std::optional<Descriptor> have,
                          client->StatManifest(dst.path(), dst.Identifier()));
    if (have && have->digest == b.root.descriptor.digest) {
      out.unchanged = true;
      out.written.push_back(fmt::format("{}@{}", dst.String(), have->digest.ToString()));
      return out;
    }
  }
  registry::WalkedImage walked;
  walked.root_bytes = b.root.bytes;
  if (b.is_index) {
    for (const NewManifest& nm : b.manifests) {
      walked.children.push_back({nm.manifest.descriptor, nm.manifest.bytes});
    }
  }
  std::map<Digest, std::string> configs;
  walked.blobs = Blobs(b, &configs);
  std::map<Digest, std::string> mounts;
  if (src.client && src.client->registry() == dst.domain() && src.repo != dst.path()) {
    for (const Descriptor& d : walked.blobs) {
      if (!configs.contains(d.digest)) mounts[d.digest] = src.repo;
    }
  }
  OCIB_ASSIGN_OR_RETURN(
      PushResult pushed,
      registry::PushImage({dst}, options, mounts, b.root.descriptor, walked,
                          [&](const Descriptor& blob) { return OpenerFor(src, blob, configs); }));
  out.written = pushed.pushed;
  return out;
}

Result<MutateResult> WriteToLayout(Source& src, const ImageLocation& dst, const Built& b) {
  MutateResult out;
  out.root = b.root.descriptor;
  const std::string tag = ops::LayoutTag(dst).empty() ? "latest" : ops::LayoutTag(dst);
  std::string line =
      fmt::format("oci:{}:{}@{}", dst.layout()->path, tag, b.root.descriptor.digest.ToString());
  out.written.push_back(line);
  OCIB_ASSIGN_OR_RETURN(auto layout, OciLayout::OpenOrCreate(dst.layout()->path));
  auto have = layout->Resolve(tag);
  if (have && have->digest == b.root.descriptor.digest) {
    out.unchanged = true;
    return out;
  }
  std::map<Digest, std::string> configs;
  for (const Descriptor& d : Blobs(b, &configs)) {
    if (configs.contains(d.digest)) continue;
    OCIB_ASSIGN_OR_RETURN(bool present, layout->Has(d.digest));
    if (present) continue;
    Status copied =
        src.layout ? layout->CopyFrom(*src.layout, d) : src.client->FetchBlob(src.repo, d, *layout);
    if (!copied) return std::move(copied).error().With("copying layer " + d.digest.ToString());
  }
  std::vector<OciLayout::BlobBytes> docs;
  for (const NewManifest& nm : b.manifests) {
    docs.push_back({nm.config.bytes, nm.config.descriptor.digest});
    if (b.is_index) docs.push_back({nm.manifest.bytes, nm.manifest.descriptor.digest});
  }
  docs.push_back({b.root.bytes, b.root.descriptor.digest});
  OCIB_RETURN_IF_ERROR(layout->PutAll(docs));
  OCIB_RETURN_IF_ERROR(layout->Tag(b.root.descriptor, tag));
  return out;
}

void NoteReferrers(Source& src, const Built& b, MutateResult& out) {
  int total = 0;
  for (const Digest& d : b.old_digests) {
    int n = src.CountReferrers(d);
    if (n < 0) {
      out.notes.push_back(fmt::format("could not list the referrers of {}", d.ToString()));
    } else {
      total += n;
    }
  }
  if (total > 0) {
    out.notes.push_back(fmt::format(
        "{} referrer(s) (SBOMs, signatures) of the source describe its old manifests and were "
        "not carried over; they do not describe {}",
        total, b.root.descriptor.digest.ToString()));
  }
}

Result<MutateResult> MutateImpl(const ImageLocation& source, const ImageLocation& destination,
                                const MutateOptions& mutate, const RegistryOptions& options) {
  if (!(destination.layout() != nullptr) && !destination.registry()->reference.digest().empty()) {
    return InvalidArgument("the destination must be a tag, not a digest");
  }
  OCIB_ASSIGN_OR_RETURN(std::vector<std::string> ports, CheckOptions(mutate));
  OCIB_ASSIGN_OR_RETURN(Source src, OpenSource(source, options));
  OCIB_ASSIGN_OR_RETURN(Built built, Build(src, mutate, ports));
  Result<MutateResult> out =
      (destination.layout() != nullptr)
          ? WriteToLayout(src, destination, built)
          : WriteToRegistry(src, destination.registry()->reference, built, options);
  if (!out) return out;
  out->notes.insert(out->notes.begin(), built.notes.begin(), built.notes.end());
  if (!out->unchanged) NoteReferrers(src, built, *out);
  return out;
}

}  // namespace

Result<MutateResult> Mutate(const ImageLocation& source, const ImageLocation& destination,
                            const MutateOptions& mutate, const RegistryOptions& options) {
  OCIB_RETURN_IF_ERROR(ops::NoArchive(source, "mutate"));
  OCIB_RETURN_IF_ERROR(ops::NoArchive(destination, "mutate"));
  auto r = MutateImpl(source, destination, mutate, options);
  if (!r) {
    return std::move(r).error().With(
        fmt::format("mutate {} {}", source.ToString(), destination.ToString()));
  }
  return r;
}

}  // namespace ocib
