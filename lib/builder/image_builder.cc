#include "ocib/image_builder.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <set>
#include <thread>
#include <variant>

#include <fmt/format.h>

#include "ocib/archive_writer.h"
#include "ocib/digest.h"
#include "ocib/go_buildinfo.h"
#include "ocib/image.h"
#include "ocib/image_config.h"
#include "ocib/image_location.h"
#include "ocib/layer_batch.h"
#include "ocib/layer_cache.h"
#include "ocib/manifest.h"
#include "ocib/media_type.h"
#include "ocib/oci_layout.h"
#include "ocib/referrers.h"
#include "ocib/sbom.h"

#include "lib/base/static_base.h"
#include "lib/builder/go_build.h"
#include "lib/builder/input_checks.h"
#include "lib/builder/remote_build.h"
#include "lib/io/fs_util.h"
#include "lib/io/streams.h"
#include "lib/json/json_util.h"
#include "lib/layout/deferred_store.h"
#include "lib/layout/image_source.h"
#include "lib/layout/layer_check.h"
#include <sys/stat.h>

namespace ocib {

using io::ErrnoText;

Result<int64_t> ParseSourceDateEpoch(std::string_view text) {
  if (text.empty()) return InvalidArgument("SOURCE_DATE_EPOCH is empty");
  int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return InvalidArgument(
          fmt::format("SOURCE_DATE_EPOCH \"{}\" is not a whole number of seconds", text));
    }
    if (v > (INT64_MAX - (c - '0')) / 10) {
      return InvalidArgument(fmt::format("SOURCE_DATE_EPOCH \"{}\" is too large", text));
    }
    v = v * 10 + (c - '0');
  }
  // Tar headers and RFC 3339 years stop at 9999-12-31.
  if (v > 253402300799) {
    return InvalidArgument(fmt::format("SOURCE_DATE_EPOCH \"{}\" is after year 9999", text));
  }
  return v;
}

namespace {

// One platform of a base image, resolved: the image (its layers read from
// the base's source) and its platform as the base writes it.
struct BasePlatform {
  Platform platform;
  Image image;
};

struct Base {
  enum class Kind { kStatic, kScratch, kLayout } kind = Kind::kStatic;
  std::shared_ptr<ImageSource> source;  // kLayout: a layout or an archive, read in place
  std::string name;
  std::vector<BasePlatform> platforms;  // kLayout: one per requested platform
};

Result<BasePlatform> LoadBaseManifest(const std::shared_ptr<ImageSource>& source,
                                      const Descriptor& desc) {
  BasePlatform bp;
  Image& image = bp.image;
  OCIB_ASSIGN_OR_RETURN(image.manifest.bytes, source->ReadAll(desc.digest));
  image.manifest.descriptor = desc;
  OCIB_ASSIGN_OR_RETURN(Manifest m, Manifest::Parse(image.manifest.bytes));
  OCIB_ASSIGN_OR_RETURN(image.config.bytes, source->ReadAll(m.config.digest));
  image.config.descriptor = m.config;
  OCIB_ASSIGN_OR_RETURN(ImageConfig c, ImageConfig::Parse(image.config.bytes));
  if (c.diff_ids.size() != m.layers.size()) {
    return InvalidArgument(
        fmt::format("base manifest {} has {} layers but its config has {} diff_ids",
                    desc.digest.ToString(), m.layers.size(), c.diff_ids.size()));
  }
  bp.platform = desc.platform ? *desc.platform : c.platform();
  image.platform = bp.platform;
  image.layers = std::move(m.layers);
  image.diff_ids = std::move(c.diff_ids);
  image.blobs.store = source;
  return bp;
}

Result<Base> ResolveBase(const BuildBase& from, const std::vector<Platform>& platforms) {
  Base base;
  const std::string spec = BuildBaseName(from);
  base.name = spec;
  if (std::holds_alternative<StaticBase>(from)) return base;
  if (std::holds_alternative<ScratchBase>(from)) {
    base.kind = Base::Kind::kScratch;
    return base;
  }
  const ImageLocation* where = std::get_if<ImageLocation>(&from);
  if (where == nullptr || where->registry() != nullptr) {
    return InvalidArgument(fmt::format(
        "base \"{}\": a registry base is pulled first (BuildImage does, with a registry)", spec));
  }
  base.kind = Base::Kind::kLayout;
  auto source = OpenImageSource(*where);
  if (!source) return std::move(source).error().With(fmt::format("opening base {}", spec));
  base.source = std::move(*source);
  auto top = ResolveImage(*base.source, *where);
  if (!top) return std::move(top).error().With(fmt::format("resolving base {}", spec));
  std::vector<Descriptor> candidates;
  if (media_type::IsIndex(top->media_type)) {
    auto bytes = base.source->ReadAll(top->digest);
    if (!bytes) return std::move(bytes).error().With(fmt::format("reading base index {}", spec));
    auto idx = Index::Parse(*bytes);
    if (!idx) return std::move(idx).error().With(fmt::format("reading base index {}", spec));
    candidates = idx->manifests;
  } else {
    candidates.push_back(*top);
  }
  for (const auto& want : platforms) {
    bool found = false;
    for (const auto& c : candidates) {
      if (!media_type::IsManifest(c.media_type) && !c.media_type.empty()) continue;
      if (c.platform && !c.platform->Matches(want)) continue;
      auto bp = LoadBaseManifest(base.source, c);
      if (!bp) return std::move(bp).error().With(fmt::format("reading base {}", spec));
      if (!bp->platform.Matches(want)) continue;
      base.platforms.push_back(std::move(*bp));
      found = true;
      break;
    }
    if (!found) {
      return NotFound(fmt::format("base {} has no image for platform {}", spec, want.ToString()));
    }
  }
  // Base layers are checked before anything is written (absent ones are lent
  // by a registry when the image is pushed, or missing: an error later).
  for (const auto& bp : base.platforms) {
    for (const auto& l : bp.image.layers) {
      auto have = base.source->Has(l.digest);
      if (!have) return std::move(have).error().With(fmt::format("checking base {}", spec));
      if (!*have) continue;
      Status checked = CheckLayerBlob(*base.source, l);
      if (!checked) return std::move(checked).error().With(fmt::format("checking base {}", spec));
    }
  }
  return base;
}

// Whether `path` has an entry below it in `entries` (sorted by path).
bool HasDescendant(const std::vector<FileEntry>& entries, const std::string& path) {
  const std::string prefix = path + "/";
  auto it = std::lower_bound(entries.begin(), entries.end(), prefix,
                             [](const FileEntry& e, const std::string& p) { return e.path < p; });
  return it != entries.end() && it->path.starts_with(prefix);
}

// Drops from `shared` the directory entries the base already has, so that
// unpacking the layer keeps the base's mode and owner (/tmp stays 1777,
// /home/nonroot 65532's). Directories the base lacks keep ocib's entry.
// When some base layers cannot be read here (a registry base whose layers
// are never downloaded), any directory may be the base's: every directory
// with something below it is left implied (unpacking keeps the base's, or
// makes a 0755 root-owned one, which is ocib's rule); only empty
// directories, which nothing else would create, keep an entry.
Status KeepBaseDirectories(const Base& base, FileTree& shared) {
  const std::vector<FileEntry> entries = shared.SortedEntries();
  const bool has_dirs = std::any_of(entries.begin(), entries.end(), [](const FileEntry& e) {
    return e.type == FileEntry::Type::kDirectory;
  });
  if (base.kind == Base::Kind::kScratch || !has_dirs) return {};
  std::set<std::string> dirs;
  bool complete = true;
  if (base.kind == Base::Kind::kStatic) {
    dirs = base::StaticBaseDirectories();
  } else {
    for (const BasePlatform& bp : base.platforms) {
      OCIB_ASSIGN_OR_RETURN(build::BaseDirectories have,
                            build::LayerDirectories(*base.source, bp.image.layers));
      dirs.merge(have.dirs);
      complete = complete && have.complete;
    }
  }
  shared.EraseIf([&](const FileEntry& e) {
    if (e.type != FileEntry::Type::kDirectory) return false;
    return dirs.contains(e.path) || (!complete && HasDescendant(entries, e.path));
  });
  return {};
}

// Checks that the output can be written, without writing anything.
Status CheckOutput(const build::Output& out) {
  std::string dir = out.path;
  struct stat st {};
  if (!out.archive && ::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode))
      return InvalidArgument(fmt::format("output {} exists and is not a directory", dir));
    struct stat lst {};
    if (::stat((dir + "/oci-layout").c_str(), &lst) == 0) {
      // Existing layout: it must be valid (never overwritten when corrupt).
      auto layout = OciLayout::Open(dir);
      if (!layout)
        return std::move(layout).error().With(fmt::format("opening output layout {}", dir));
    } else if (::stat((dir + "/index.json").c_str(), &lst) == 0) {
      return InvalidArgument(
          fmt::format("output {} has an index.json but no oci-layout file", dir));
    }
    if (::access(dir.c_str(), W_OK) != 0) {
      return IoError(fmt::format("output {} is not writable: {}", dir, ErrnoText(errno)));
    }
    return {};
  }
  if (out.archive && ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return InvalidArgument(fmt::format("output archive {} is a directory", dir));
  }
  // Find the nearest existing ancestor and check that it is a writable directory.
  std::string p = dir;
  while (true) {
    auto slash = p.rfind('/');
    p = slash == std::string::npos ? "." : (slash == 0 ? "/" : p.substr(0, slash));
    if (::stat(p.c_str(), &st) == 0) break;
    if (p == "." || p == "/") break;
  }
  if (!S_ISDIR(st.st_mode))
    return InvalidArgument(fmt::format("output {}: {} is not a directory", dir, p));
  if (::access(p.c_str(), W_OK) != 0) {
    return IoError(fmt::format("output {} cannot be created: {}: {}", dir, p, ErrnoText(errno)));
  }
  return {};
}

struct Plan {
  build::Output output;
  std::vector<Platform> platforms;
  std::vector<std::string> binaries;  // host path per platform
  std::string binary_dest;
  FileTree shared;
  std::vector<std::string> shared_dests;
  KeyValues env;
  std::map<std::string, std::string> labels;
  Annotations annotations;
  std::set<std::string> ports;
  int64_t epoch = 0;
  std::optional<SbomFormat> sbom;
  std::shared_ptr<LayerCache> cache;  // null with no_cache
};

// Sets the plan's platforms: the spec's, else those of the binaries (each
// at most once).
Status PlanPlatforms(const BuildSpec& o, Plan& plan) {
  for (const auto& [p, path] : o.binaries) {
    for (const auto& [q, other] : o.binaries) {
      if (&p == &q) break;
      if (q.Matches(p)) {
        return InvalidArgument(
            fmt::format("two binaries for {}: {} and {}", p.ToString(), other, path));
      }
    }
  }
  const std::vector<Platform>& listed = o.platforms;
  for (size_t i = 0; i < listed.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (listed[j].Matches(listed[i])) {
        return InvalidArgument(fmt::format("platform {} is listed twice", listed[i].ToString()));
      }
    }
  }
  plan.platforms = listed;
  if (plan.platforms.empty()) {
    for (const auto& b : o.binaries) plan.platforms.push_back(b.first);
  }
  if (plan.platforms.empty()) return InvalidArgument("no platforms: give a binary per platform");
  return {};
}

// Sets each platform's binary; every binary must be for a planned platform.
Status MatchBinaries(const BuildSpec& o, Plan& plan) {
  const auto& bins = o.binaries;
  for (const auto& p : plan.platforms) {
    auto it =
        std::find_if(bins.begin(), bins.end(), [&](const auto& b) { return b.first.Matches(p); });
    if (it == bins.end()) {
      return InvalidArgument(fmt::format("platform {} has no binary", p.ToString()));
    }
    plan.binaries.push_back(it->second);
  }
  for (const auto& b : bins) {
    bool listed = std::any_of(plan.platforms.begin(), plan.platforms.end(),
                              [&](const Platform& p) { return p.Matches(b.first); });
    if (!listed) {
      return InvalidArgument(
          fmt::format("a binary for {}, which is not a platform of the build", b.first.ToString()));
    }
  }
  return {};
}

// Sets the binary's path in the image and checks each binary is a readable regular file.
Status CheckBinaries(const BuildSpec& o, Plan& plan) {
  OCIB_ASSIGN_OR_RETURN(plan.binary_dest, FileTree::NormalizePath(o.binary_path));
  for (size_t i = 0; i < plan.binaries.size(); ++i) {
    FileTree probe;
    auto st = probe.AddHostFile(plan.binaries[i], plan.binary_dest, 0755);
    if (!st)
      return std::move(st).error().With(fmt::format("binary for {}", plan.platforms[i].ToString()));
    auto reader = io::FileReader::Open(plan.binaries[i]);
    if (!reader) {
      return std::move(reader).error().With(
          fmt::format("binary for {}", plan.platforms[i].ToString()));
    }
    if (!o.binary_unchecked) {
      OCIB_RETURN_IF_ERROR(build::CheckBinaryPlatform(plan.binaries[i], plan.platforms[i]));
    }
  }
  OCIB_RETURN_IF_ERROR(
      build::CheckImagePath(plan.binary_dest, fmt::format("binary path \"{}\"", o.binary_path)));
  return {};
}

// Sets the shared files and their destinations.
Status PlanFiles(const BuildSpec& o, Plan& plan) {
  std::vector<build::FileInput> inputs;
  for (const FileMapping& f : o.files) {
    const std::string text = f.ToString();
    if (f.source.empty() || f.destination.empty()) {
      return InvalidArgument(fmt::format("file \"{}\": want a source and a destination", text));
    }
    auto norm = FileTree::NormalizePath(f.destination);
    if (!norm) return std::move(norm).error().With(fmt::format("file {}", text));
    build::FileInput input{text, FileTree()};
    auto st = input.tree.AddHostPath(f.source, f.destination);
    if (!st) return std::move(st).error().With(fmt::format("file {}", text));
    inputs.push_back(std::move(input));
    plan.shared_dests.push_back(*norm);
  }
  OCIB_RETURN_IF_ERROR(build::CheckFileInputs(inputs, plan.binary_dest));
  for (const auto& input : inputs) plan.shared.Merge(input.tree);
  return {};
}

// Every text that goes into the image's JSON is valid UTF-8.
Status CheckBuildText(const BuildSpec& o) {
  std::vector<std::pair<const char*, const std::string*>> texts = {
      {"the base name", &o.base_name}, {"the binary path", &o.binary_path}};
  for (const auto* list : {&o.entrypoint, &o.cmd}) {
    if (*list) {
      for (const std::string& a : **list) texts.emplace_back("an argument", &a);
    }
  }
  for (const auto& [what, list] :
       {std::pair{"an environment entry", &o.env}, std::pair{"a label", &o.labels},
        std::pair{"an annotation", &o.annotations}}) {
    for (const auto& [k, v] : *list) {
      texts.emplace_back(what, &k);
      texts.emplace_back(what, &v);
    }
  }
  if (o.user) texts.emplace_back("the user", &*o.user);
  if (o.workdir) texts.emplace_back("the working directory", &*o.workdir);
  for (const auto& [what, text] : texts) OCIB_RETURN_IF_ERROR(jsonutil::CheckUtf8(*text, what));
  return {};
}

// Keys are non-empty and hold no '=' (an env entry is "KEY=VALUE").
Status CheckKeys(const KeyValues& list, std::string_view what) {
  for (const auto& [k, v] : list) {
    if (k.empty() || k.find('=') != std::string::npos) {
      return InvalidArgument(
          fmt::format("{} \"{}={}\": a key must be non-empty and contain no '='", what, k, v));
    }
  }
  return {};
}

// Sets the config's additions: env, labels, annotations, exposed ports.
Status PlanSettings(const BuildSpec& o, Plan& plan) {
  OCIB_RETURN_IF_ERROR(CheckBuildText(o));
  OCIB_RETURN_IF_ERROR(CheckKeys(o.env, "environment entry"));
  OCIB_RETURN_IF_ERROR(CheckKeys(o.labels, "label"));
  OCIB_RETURN_IF_ERROR(CheckKeys(o.annotations, "annotation"));
  plan.env = o.env;
  for (const auto& [k, v] : o.labels) plan.labels[k] = v;
  for (const auto& [k, v] : o.annotations) plan.annotations[k] = v;
  for (const ExposedPort& p : o.expose) {
    OCIB_ASSIGN_OR_RETURN(ExposedPort checked, ExposedPort::Parse(p.ToString()));
    plan.ports.insert(checked.ToString());
  }
  return {};
}

// Checks the compression level, sets the SBOM format and the epoch, checks the output.
Status PlanOutputOptions(const BuildSpec& o, Plan& plan) {
  if (o.compression_level != 0) {
    int lo = 1;
    int hi = o.compression == Compression::kZstd ? 19 : 9;
    if (o.compression == Compression::kNone || o.compression_level < lo ||
        o.compression_level > hi) {
      return InvalidArgument(fmt::format("compression level {} is out of range for {}",
                                         o.compression_level, CompressionName(o.compression)));
    }
  }
  plan.sbom = o.sbom;
  plan.epoch = o.source_date_epoch.value_or(0);
  if (plan.output.archive && plan.output.archive->kind == ArchiveLocation::Kind::kDocker &&
      plan.platforms.size() != 1) {
    return InvalidArgument(
        fmt::format("output {}: a docker archive holds one platform, this build makes {}",
                    o.output->ToString(), plan.platforms.size()));
  }
  OCIB_RETURN_IF_ERROR(CheckOutput(plan.output));
  return {};
}

// Opens the layer cache (`cache_dir` or the default one), unless `no_cache`.
Status OpenCache(const BuildSpec& o, Plan& plan) {
  if (o.no_cache) return {};
  std::string dir = o.cache_dir;
  if (dir.empty()) {
    auto def = LayerCache::DefaultDir();
    if (!def) return std::move(def).error().With("the layer cache");
    dir = *def;
  }
  auto cache = LayerCache::Open(dir);
  if (!cache) return std::move(cache).error().With(fmt::format("the layer cache {}", dir));
  plan.cache = std::move(*cache);
  return {};
}

Result<Plan> MakePlan(const BuildSpec& o) {
  Plan plan;
  if (!o.output) return InvalidArgument("no output: give a layout or an archive to write");
  OCIB_ASSIGN_OR_RETURN(plan.output, build::OutputOf(*o.output));
  OCIB_RETURN_IF_ERROR(PlanPlatforms(o, plan));
  OCIB_RETURN_IF_ERROR(MatchBinaries(o, plan));
  OCIB_RETURN_IF_ERROR(CheckBinaries(o, plan));
  OCIB_RETURN_IF_ERROR(PlanFiles(o, plan));
  OCIB_RETURN_IF_ERROR(PlanSettings(o, plan));
  OCIB_RETURN_IF_ERROR(PlanOutputOptions(o, plan));
  OCIB_RETURN_IF_ERROR(OpenCache(o, plan));
  return plan;
}

std::string HumanBytes(int64_t n) {
  char buf[64];
  if (n >= (int64_t{1} << 20)) {
    std::snprintf(buf, sizeof(buf), "%.1f MiB", static_cast<double>(n) / (1 << 20));
  } else if (n >= 1024) {
    std::snprintf(buf, sizeof(buf), "%.1f KiB", static_cast<double>(n) / 1024);
  } else {
    std::snprintf(buf, sizeof(buf), "%lld B", static_cast<long long>(n));
  }
  return buf;
}

// The layers a build adds on top of its base: the embedded static base's
// (with that base), the shared files', one per platform.
struct NewLayers {
  std::optional<Layer> static_base;
  std::optional<Layer> shared;
  std::vector<Layer> per_platform;
};

bool SameLayer(const Layer& a, const Layer& b) {
  return a.descriptor.digest == b.descriptor.digest && a.descriptor.size == b.descriptor.size &&
         a.descriptor.media_type == b.descriptor.media_type && a.diff_id == b.diff_id;
}

bool SameLayers(const NewLayers& a, const NewLayers& b) {
  auto same = [](const std::optional<Layer>& x, const std::optional<Layer>& y) {
    return x.has_value() == y.has_value() && (!x || SameLayer(*x, *y));
  };
  return same(a.static_base, b.static_base) && same(a.shared, b.shared) &&
         std::equal(a.per_platform.begin(), a.per_platform.end(), b.per_platform.begin(),
                    b.per_platform.end(), SameLayer);
}

// Joins its threads when the scope ends, also on an early return.
struct JoinOnExit {
  std::vector<std::thread> threads;
  void Join() {
    for (auto& t : threads) {
      if (t.joinable()) t.join();
    }
  }
  ~JoinOnExit() { Join(); }
};

// The build's output: a layout, or an archive (an ArchiveWriter gathers
// the blobs; Finish writes the file). An existing layout is opened at once.
// A new one, and an archive's private layout, are created on another
// thread (their files are fsynced) while the build checks its cached
// layers: until this build writes one, they hold no blob.
class BuildOutput {
 public:
  BuildOutput(build::Output out, int64_t mtime) : out_(std::move(out)), mtime_(mtime) {
    struct stat st {};
    fresh_ = out_.archive || ::stat((out_.path + "/oci-layout").c_str(), &st) != 0;
    if (fresh_) {
      maker_ = std::thread([this] { Open(); });
    } else {
      Open();
    }
  }
  ~BuildOutput() { Wait(); }
  BuildOutput(const BuildOutput&) = delete;
  BuildOutput& operator=(const BuildOutput&) = delete;

  // True when the output held nothing: no lookup needs to ask it for a blob.
  bool fresh() const { return fresh_; }
  // The layout's directory or the archive's file.
  const std::string& path() const { return out_.path; }
  // After a failed build: removes a layout this build created while its
  // index.json is still empty (nothing of anyone's refers to its blobs), so
  // that a failure leaves no empty layout behind. (An archive's blobs go
  // with its writer.)
  void DiscardIfFreshAndEmpty() {
    Wait();
    if (!fresh_ || !layout_) return;
    auto idx = layout_->ReadIndex();
    if (!idx || !idx->manifests.empty()) return;
    layout_.reset();
    for (const char* name : {"/oci-layout", "/index.json"}) ::unlink((out_.path + name).c_str());
    fsutil::RemoveAll(out_.path + "/blobs");
    ::rmdir(out_.path.c_str());  // only when empty: the directory may be the user's
  }
  // Waits for the output to be opened or created. Not thread safe.
  Result<BlobStore*> Get() {
    Wait();
    if (!opened_) return opened_.error().With(fmt::format("opening output {}", out_.path));
    if (archive_) return static_cast<BlobStore*>(archive_.get());
    return static_cast<BlobStore*>(layout_.get());
  }
  // Lists `root` under the output's tag after the `referrers`: one
  // index.json update, or the archive written.
  Status Finish(const std::vector<Descriptor>& referrers, const Descriptor& root) {
    if (archive_) return archive_->Commit(root, referrers);
    return layout_->AddManifest(root, out_.tag, referrers);
  }

 private:
  void Open() {
    if (out_.archive) {
      auto w = ArchiveWriter::Create(*out_.archive, mtime_);
      if (w) archive_ = std::move(*w);
      opened_ = w ? Status() : Status(std::move(w).error());
      return;
    }
    auto l = OciLayout::OpenOrCreate(out_.path);
    if (l) layout_ = std::move(*l);
    opened_ = l ? Status() : Status(std::move(l).error());
  }
  void Wait() {
    if (maker_.joinable()) maker_.join();
  }
  build::Output out_;
  int64_t mtime_ = 0;
  bool fresh_ = false;
  Status opened_;
  std::unique_ptr<OciLayout> layout_;
  std::unique_ptr<ArchiveWriter> archive_;
  std::thread maker_;
};

// Logs `line` through the build's log, when it has one.
void LogLine(const BuildSpec& o, const std::string& line) {
  if (o.log) o.log(line);
}

// One build's layer work, shared by its steps: the inputs, the trees of the
// new layers and the batch that makes them. Not movable: the batch points
// into it.
struct LayerWork {
  LayerWork(const BuildSpec& options, Plan& build_plan, Base& build_base,
            BuildOutput& output_layout)
      : o(options), plan(build_plan), base(build_base), output(output_layout) {
    created = FormatRfc3339(plan.epoch);
  }
  LayerWork(const LayerWork&) = delete;
  LayerWork& operator=(const LayerWork&) = delete;

  const BuildSpec& o;
  Plan& plan;
  Base& base;
  BuildOutput& output;
  std::string created;

  // The trees of the new layers: the embedded base, the shared files, one
  // per platform with its binary.
  std::optional<FileTree> static_tree;
  std::vector<FileTree> bin_trees;
  // Positions in the batch: the static base (if any) first, then the
  // shared files (if any), then one per platform.
  size_t shared_k = 0;
  size_t first_bin = 0;
  std::optional<LayerBatch> batch;
  BlobStore* out = nullptr;  // the output's store, once opened
};

// Makes the trees of the new layers and the batch that builds them.
Status MakeLayerBatch(LayerWork& w) {
  std::vector<LayerInput> inputs;
  // The embedded base is looked up by its content id alone (no entries):
  // its 1,300 files are unpacked only when the layer must be built.
  if (w.base.kind == Base::Kind::kStatic) {
    w.static_tree.emplace();
    std::function<Result<FileTree>()> load;
    if (w.plan.cache) {
      w.static_tree->SetContentId(base::StaticBaseContentId());
      load = [] { return base::StaticBaseTree(); };
    } else {
      OCIB_ASSIGN_OR_RETURN(*w.static_tree, base::StaticBaseTree());
    }
    inputs.push_back({&*w.static_tree, std::move(load), "the static base layer"});
  }
  w.shared_k = inputs.size();
  if (!w.plan.shared.empty()) inputs.push_back({&w.plan.shared, nullptr, "the shared layer"});
  w.first_bin = inputs.size();
  w.bin_trees.resize(w.plan.platforms.size());
  for (size_t i = 0; i < w.plan.platforms.size(); ++i) {
    const std::string name = fmt::format("the layer for {}", w.plan.platforms[i].ToString());
    Status st = w.bin_trees[i].AddHostFile(w.plan.binaries[i], w.plan.binary_dest, 0755);
    if (!st) return std::move(st).error().With(fmt::format("building {}", name));
    inputs.push_back({&w.bin_trees[i], nullptr, name});
  }
  LayerBatchOptions options;
  options.layer.compression = w.o.compression;
  options.layer.level = w.o.compression_level;
  options.layer.mtime = w.plan.epoch;
  options.cache = w.plan.cache.get();
  options.events = w.o.events;
  w.batch.emplace(std::move(inputs), std::move(options));
  return {};
}

// The new layers by role, from the batch's layers (in its order).
NewLayers ByRole(const LayerWork& w, const std::vector<Layer>& layers) {
  NewLayers out;
  if (w.static_tree) out.static_base = layers[0];
  if (!w.plan.shared.empty()) out.shared = layers[w.shared_k];
  out.per_platform.assign(layers.begin() + static_cast<std::ptrdiff_t>(w.first_bin), layers.end());
  return out;
}

// Copies the base's layers into the output when it is a layout base.
Status CopyBaseLayers(LayerWork& w, BuildResult& result) {
  if (w.base.kind != Base::Kind::kLayout) return {};
  for (const auto& bp : w.base.platforms) {
    for (const auto& l : bp.image.layers) {
      if (w.o.absent_base_layers) {
        auto have = w.base.source->Has(l.digest);
        if (!have) {
          return std::move(have).error().With(
              fmt::format("checking base layer {}", l.digest.ToString()));
        }
        if (!*have) continue;  // lent by a registry when the output is pushed
      }
      auto st = w.out->CopyFrom(*w.base.source, l);
      if (!st) {
        return std::move(st).error().With(
            fmt::format("copying base layer {}", l.digest.ToString()));
      }
    }
  }
  if (!w.base.platforms.empty()) {
    for (const auto& l : w.base.platforms.front().image.layers) result.base_bytes += l.size;
  }
  return {};
}

// Builds the new layers (the batch) and copies the base's: the layers by
// role, their sizes and counts in `result`.
Result<NewLayers> MakeLayers(LayerWork& w, BuildResult& result) {
  OCIB_ASSIGN_OR_RETURN(std::vector<BuiltLayer> built, w.batch->Build(*w.out));
  std::vector<Layer> layers;
  layers.reserve(built.size());
  for (const BuiltLayer& b : built) {
    ++(b.reused ? result.layers_reused : result.layers_compressed);
    layers.push_back(b.layer);
  }
  NewLayers added = ByRole(w, layers);
  if (added.static_base) result.base_bytes = added.static_base->descriptor.size;
  if (added.shared) result.shared_bytes = added.shared->descriptor.size;
  OCIB_RETURN_IF_ERROR(CopyBaseLayers(w, result));
  return added;
}

// What the documents are made from: the build's inputs, only read (also by
// the thread that makes them speculatively).
struct DocContext {
  const BuildSpec& o;
  const Plan& plan;
  const Base& base;
  const std::string& created;
};

// Configs, manifests, SBOMs: small documents, made from the layers and kept
// in a DeferredBlobStore (written side by side by its Flush). Log lines are
// kept in `lines`.
struct Documents {
  std::vector<PlatformImage> images;
  Descriptor descriptor;
  std::vector<std::string> lines;
};

// The platform platform i's image is written for: the base's (in its
// canonical spelling: one platform, one digest), else the build's.
Platform WrittenPlatform(const DocContext& c, size_t i) {
  return c.base.kind == Base::Kind::kLayout ? c.base.platforms[i].platform.Normalized()
                                            : c.plan.platforms[i].Normalized();
}

// Sets the config's platform fields.
void SetPlatform(const Platform& p, ImageConfig& cfg) {
  cfg.os = p.os;
  cfg.architecture = p.architecture;
  cfg.variant = p.variant;
  cfg.os_version = p.os_version;
  cfg.os_features = p.os_features;
}

// The image platform i starts from: the base image, the embedded base's
// config (its layer is appended next), or nothing (scratch).
Result<Image> StartImage(const DocContext& c, size_t i) {
  if (c.base.kind == Base::Kind::kLayout) {
    return ImageOnBase(c.base.platforms[i].image, c.o.base_name);
  }
  ImageConfig cfg;
  SetPlatform(WrittenPlatform(c, i), cfg);
  if (c.base.kind == Base::Kind::kStatic) cfg.config = base::StaticBaseConfig();
  return EmptyImage(cfg);
}

// The build's layers for platform i (the embedded base's, the shared
// files', the platform's binary) appended to `cfg` with their history
// entries: the layers to append to the image.
std::vector<NewLayer> AddBuildLayers(const DocContext& c, const NewLayers& added, size_t i,
                                     ImageConfig& cfg) {
  std::vector<NewLayer> layers;
  auto add = [&](const Layer& l, std::string by) {
    layers.push_back({l.descriptor, l.diff_id, nullptr});
    cfg.diff_ids.push_back(l.diff_id);
    cfg.history.push_back({c.created, std::move(by), "", "", false});
  };
  if (added.static_base) add(*added.static_base, "ocib: embedded static base");
  if (added.shared) {
    std::string by = "ocib build: files";
    for (const auto& dest : c.plan.shared_dests) by += " /" + dest;
    add(*added.shared, std::move(by));
  }
  add(added.per_platform[i], fmt::format("ocib build: binary /{} ({})", c.plan.binary_dest,
                                         WrittenPlatform(c, i).ToString()));
  return layers;
}

// Sets the container settings: entrypoint, cmd, env, labels, ports, user, workdir.
void SetContainerConfig(const DocContext& c, ContainerConfig& cc) {
  const BuildSpec& o = c.o;
  cc.entrypoint = o.entrypoint ? *o.entrypoint : std::vector<std::string>{"/" + c.plan.binary_dest};
  cc.cmd = o.cmd;
  if (o.entrypoint && o.entrypoint->empty()) cc.entrypoint.reset();
  for (const auto& kv : c.plan.env) {
    const std::string prefix = kv.first + "=";
    auto it = std::find_if(cc.env.begin(), cc.env.end(),
                           [&](const std::string& e) { return e.starts_with(prefix); });
    if (it != cc.env.end()) {
      *it = prefix + kv.second;
    } else {
      cc.env.push_back(prefix + kv.second);
    }
  }
  for (const auto& [k, v] : c.plan.labels) cc.labels[k] = v;
  for (const auto& p : c.plan.ports) cc.exposed_ports.insert(p);
  if (o.user) cc.user = *o.user;
  if (o.workdir) cc.working_dir = *o.workdir;
}

// Platform i's image: its start (whose history describes its layers), the
// build's layers with their history, the build's date, platform and
// container settings in its config, the build's annotations.
Result<Image> ComposeImage(const DocContext& c, const NewLayers& added, size_t i) {
  OCIB_ASSIGN_OR_RETURN(Image img, StartImage(c, i));
  OCIB_ASSIGN_OR_RETURN(ImageConfig cfg, ImageConfig::Parse(img.config.bytes));
  std::vector<NewLayer> layers = AddBuildLayers(c, added, i, cfg);
  cfg.created = c.created;
  SetPlatform(WrittenPlatform(c, i), cfg);
  SetContainerConfig(c, cfg.config);
  OCIB_ASSIGN_OR_RETURN(img, AppendLayersWithConfig(img, layers, cfg));
  return SetAnnotations(img, c.plan.annotations);
}

// Attaches platform i's SBOM when asked for (a warning in `lines` if its binary has none).
Status AttachPlatformSbom(const DocContext& c, size_t i, PlatformImage& img,
                          DeferredBlobStore& docs, std::vector<std::string>& lines) {
  if (!c.plan.sbom) return {};
  const Platform& written = img.platform;
  auto info = ReadGoBuildInfo(c.plan.binaries[i]);
  if (!info) {
    lines.push_back(fmt::format("ocib: warning: no SBOM for {}: {}", written.ToString(),
                                info.error().ToString()));
    return {};
  }
  SbomSubject subject;
  // No host path in the name: the SBOM must not depend on where the output is.
  subject.platform = written;
  subject.digest = img.manifest.digest;
  subject.binary_path = "/" + c.plan.binary_dest;
  subject.created = c.created;
  auto sbom = AttachSbom(docs, img.manifest, *c.plan.sbom, *info, subject);
  if (!sbom) {
    return std::move(sbom).error().With(
        fmt::format("attaching the SBOM for {}", written.ToString()));
  }
  // Listed in index.json together with the image, below.
  img.sbom = *sbom;
  return {};
}

// Puts platform i's config and manifest into `docs`, with its SBOM when
// asked for; its summary line into `made`.
Status WritePlatformImage(const DocContext& c, const NewLayers& added, size_t i, const Image& image,
                          DeferredBlobStore& docs, Documents& made) {
  OCIB_RETURN_IF_ERROR(docs.Put(image.config.descriptor.media_type, image.config.bytes,
                                image.config.descriptor.digest));
  OCIB_RETURN_IF_ERROR(docs.Put(image.manifest.descriptor.media_type, image.manifest.bytes,
                                image.manifest.descriptor.digest));
  PlatformImage img;
  img.platform = image.platform;
  img.manifest = image.manifest.descriptor;
  img.config = image.config.descriptor;
  img.binary_layer_bytes = added.per_platform[i].descriptor.size;
  OCIB_RETURN_IF_ERROR(AttachPlatformSbom(c, i, img, docs, made.lines));
  made.lines.push_back(fmt::format("ocib: {}: manifest {}, per-platform layer {}",
                                   img.platform.ToString(), img.manifest.digest.ToString(),
                                   HumanBytes(img.binary_layer_bytes)));
  made.images.push_back(std::move(img));
  return {};
}

// Makes the image from its base and the layers `added` (ComposeImage per
// platform, then their index), and puts its documents into `docs`.
Result<Documents> MakeDocuments(const DocContext& c, const NewLayers& added,
                                DeferredBlobStore& docs) {
  const size_t n = c.plan.platforms.size();
  std::vector<Image> images;
  for (size_t i = 0; i < n; ++i) {
    OCIB_ASSIGN_OR_RETURN(Image img, ComposeImage(c, added, i));
    images.push_back(std::move(img));
  }
  OCIB_ASSIGN_OR_RETURN(ImageIndex index,
                        MakeIndex(std::move(images), n > 1 ? c.plan.annotations : Annotations{}));
  Documents made;
  for (size_t i = 0; i < n; ++i) {
    OCIB_RETURN_IF_ERROR(WritePlatformImage(c, added, i, index.images[i], docs, made));
  }
  if (index.is_index) {
    OCIB_RETURN_IF_ERROR(
        docs.Put(index.root.descriptor.media_type, index.root.bytes, index.root.descriptor.digest));
  }
  made.descriptor = index.root.descriptor;
  return made;
}

// The documents made (and written) speculatively from the peeked cache
// entries, on their own thread.
struct Speculation {
  explicit Speculation(BlobStore& out) : docs(out) {}
  NewLayers layers;
  std::optional<Result<Documents>> made;
  DeferredBlobStore docs;
  // Last: its thread is joined before the state it uses is destroyed.
  JoinOnExit thread;
};

// With every layer peeked in the cache, starts making the documents speculatively.
void StartSpeculation(const LayerWork& w, const DocContext& c, Speculation& s) {
  // With every layer in the cache, the documents can be made from the cache
  // entries' descriptors and written while the cached blobs are checked,
  // so the checks (CPU) and the documents' fsyncs (I/O) overlap. If a check
  // fails and the rebuilt layer differs, the documents are made again from
  // the real layers; the speculative ones stay in the layout as
  // unreferenced blobs.
  std::optional<std::vector<Layer>> peeked = w.batch->Peeked();
  if (!w.plan.cache || !peeked) return;
  s.layers = ByRole(w, *peeked);
  s.thread.threads.emplace_back([&c, &s, &output = w.output] {
    auto r = MakeDocuments(c, s.layers, s.docs);
    if (r) {
      if (Status st = s.docs.Flush(); !st) {
        r = std::move(st).error().With(
            fmt::format("writing the image's documents to {}", output.path()));
      }
    }
    s.made.emplace(std::move(r));
  });
}

// Returns the speculative documents when made from the same layers, else makes them into `docs`.
Result<Documents> FinalDocuments(const DocContext& c, Speculation& s, const NewLayers& added,
                                 DeferredBlobStore& docs) {
  s.thread.Join();
  if (s.made && SameLayers(s.layers, added)) {
    return std::move(*s.made);  // written while the cached layers were checked
  }
  return MakeDocuments(c, added, docs);
}

// Fills in `result` from the documents and the counters, and logs the summary.
void RecordBuild(const LayerWork& w, Documents made, BuildResult& result) {
  result.images = std::move(made.images);
  result.descriptor = made.descriptor;
  for (const auto& line : made.lines) LogLine(w.o, line);
  int64_t per_platform = 0;
  for (const auto& img : result.images) per_platform += img.binary_layer_bytes;
  LogLine(w.o, fmt::format("ocib: base {}, shared {} (stored once), per-platform {} in total for "
                           "{} platform(s)",
                           HumanBytes(result.base_bytes), HumanBytes(result.shared_bytes),
                           HumanBytes(per_platform), result.images.size()));
  LogLine(w.o, fmt::format("ocib: layers: {} compressed, {} reused{}", result.layers_compressed,
                           result.layers_reused,
                           w.plan.cache ? " from the layer cache " + w.plan.cache->path()
                                        : " (layer cache off)"));
}

// Writes the documents, then lists the SBOM referrers and the tagged image
// (one index.json update, or the archive written).
Status WriteDocumentsAndIndex(const LayerWork& w, DeferredBlobStore& docs, BuildResult& result) {
  if (Status st = docs.Flush(); !st) {
    return std::move(st).error().With(
        fmt::format("writing the image's documents to {}", w.output.path()));
  }
  std::vector<Descriptor> referrers;
  for (const auto& img : result.images) {
    if (img.sbom) referrers.push_back(*img.sbom);
  }
  OCIB_RETURN_IF_ERROR(w.output.Finish(referrers, result.descriptor));
  result.tag = w.plan.output.tag;
  return {};
}

// Builds the image into `output`: its layers, then its documents, then its index.json entries.
Result<BuildResult> BuildInto(const BuildSpec& o, Plan& plan, Base& base, BuildOutput& output) {
  LayerWork w(o, plan, base, output);
  BuildResult result;
  OCIB_RETURN_IF_ERROR(MakeLayerBatch(w));
  // Into a new output the cached blobs are checked while it is made (it
  // holds none of them); into an existing one each is looked up in it.
  if (output.fresh()) w.batch->StartChecks();
  OCIB_ASSIGN_OR_RETURN(w.out, output.Get());
  const DocContext context{o, plan, base, w.created};
  Speculation speculation(*w.out);
  StartSpeculation(w, context, speculation);
  OCIB_ASSIGN_OR_RETURN(NewLayers added, MakeLayers(w, result));
  DeferredBlobStore docs(*w.out);
  OCIB_ASSIGN_OR_RETURN(Documents made, FinalDocuments(context, speculation, added, docs));
  RecordBuild(w, std::move(made), result);
  OCIB_RETURN_IF_ERROR(WriteDocumentsAndIndex(w, docs, result));
  return result;
}

}  // namespace

namespace {

// The platforms `all_platforms` stands for: the base index's, or a fixed list.
Result<std::vector<Platform>> AllPlatforms(const BuildBase& base) {
  const ImageLocation* where = std::get_if<ImageLocation>(&base);
  if (where == nullptr) {
    std::vector<Platform> out;
    for (const char* p :
         {"linux/amd64", "linux/arm64", "linux/arm/v7", "linux/ppc64le", "linux/s390x"}) {
      out.push_back(*Platform::Parse(p));
    }
    return out;
  }
  const std::string name = where->ToString();
  OCIB_ASSIGN_OR_RETURN(auto source, OpenImageSource(*where));
  OCIB_ASSIGN_OR_RETURN(Descriptor top, ResolveImage(*source, *where));
  if (!media_type::IsIndex(top.media_type)) {
    return InvalidArgument(
        fmt::format("all platforms of the base needs a base index; {} is one image", name));
  }
  OCIB_ASSIGN_OR_RETURN(std::string bytes, source->ReadAll(top.digest));
  OCIB_ASSIGN_OR_RETURN(Index idx, Index::Parse(bytes));
  std::vector<Platform> out;
  for (const auto& m : idx.manifests) {
    if (m.platform && media_type::IsManifest(m.media_type)) out.push_back(*m.platform);
  }
  return out;
}

Result<BuildResult> BuildGo(const BuildSpec& spec) {
  BuildSpec o = spec;
  if (!o.binaries.empty()) return InvalidArgument("a Go package and binaries cannot be combined");
  if (o.all_platforms && !o.platforms.empty()) {
    return InvalidArgument("all platforms and a list of platforms cannot be combined");
  }
  if (o.all_platforms) {
    auto all = AllPlatforms(o.base);
    if (!all) return std::move(all).error().With("all platforms of the base");
    o.platforms = *all;
  }
  if (o.platforms.empty()) {
    return InvalidArgument("a Go package needs platforms (a list, or all of the base's)");
  }
  std::string tmpl = fsutil::TempDir() + "/ocib-go-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr)
    return IoError(fmt::format("mkdtemp {}: {}", tmpl, ErrnoText(errno)));
  auto binaries = build::GoBuildAll(o, o.platforms, tmpl);
  if (!binaries) {
    fsutil::RemoveAll(tmpl);
    return std::move(binaries).error();
  }
  o.go_package.clear();
  o.all_platforms = false;
  for (size_t i = 0; i < o.platforms.size(); ++i) {
    o.binaries.emplace_back(o.platforms[i], (*binaries)[i]);
  }
  o.platforms.clear();
  auto r = BuildImage(o);
  fsutil::RemoveAll(tmpl);
  return r;
}

}  // namespace

Result<BuildResult> BuildImage(const BuildSpec& spec) {
  if (build::UsesRegistry(spec)) return build::BuildWithRegistry(spec);
  if (!spec.go_package.empty()) return BuildGo(spec);
  if (spec.all_platforms) return InvalidArgument("all platforms of the base is for a Go package");
  OCIB_ASSIGN_OR_RETURN(Plan plan, MakePlan(spec));
  OCIB_ASSIGN_OR_RETURN(Base base, ResolveBase(spec.base, plan.platforms));
  OCIB_RETURN_IF_ERROR(KeepBaseDirectories(base, plan.shared));
  BuildOutput output(plan.output, plan.epoch);
  auto r = BuildInto(spec, plan, base, output);
  if (!r) {
    output.DiscardIfFreshAndEmpty();
    return std::move(r).error().With(fmt::format("building {}", spec.output->ToString()));
  }
  r->output_path = plan.output.path;
  return r;
}

}  // namespace ocib
