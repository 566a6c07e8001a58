#include "ocib/image_builder.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <memory>
#include <set>
#include <thread>

#include "ocib/digest.h"
#include "ocib/go_buildinfo.h"
#include "ocib/image_config.h"
#include "ocib/image_location.h"
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
#include "lib/layout/deferred_store.h"
#include "lib/layout/docker_archive.h"
#include "lib/layout/image_source.h"
#include "lib/layout/layer_check.h"
#include "lib/layout/oci_archive.h"
#include <sys/stat.h>

namespace ocib {

using io::ErrnoText;

Result<int64_t> ParseSourceDateEpoch(std::string_view text) {
  if (text.empty()) return InvalidArgument("SOURCE_DATE_EPOCH is empty");
  int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return InvalidArgument("SOURCE_DATE_EPOCH \"" + std::string(text) +
                             "\" is not a whole number of seconds");
    }
    if (v > (INT64_MAX - (c - '0')) / 10) {
      return InvalidArgument("SOURCE_DATE_EPOCH \"" + std::string(text) + "\" is too large");
    }
    v = v * 10 + (c - '0');
  }
  // Tar headers and RFC 3339 years stop at 9999-12-31.
  if (v > 253402300799) {
    return InvalidArgument("SOURCE_DATE_EPOCH \"" + std::string(text) + "\" is after year 9999");
  }
  return v;
}

namespace {

// `lopts` with its on_bytes reporting layer `index` to `events`.
LayerOptions WithLayerProgress(const LayerOptions& lopts, const BuildEvents& events, int index,
                               int64_t total) {
  LayerOptions mine = lopts;
  if (events.on_bytes) {
    mine.on_bytes = [&events, index, total](int64_t done) { events.on_bytes(index, done, total); };
  }
  return mine;
}

// Once the cache was asked: the layers about to be made and their bytes.
void ReportLayerPlan(const BuildEvents& events, const std::vector<const FileTree*>& trees,
                     const std::vector<std::optional<Layer>>& found) {
  if (!events.on_plan) return;
  TransferPlan plan;
  plan.blobs = static_cast<int>(trees.size());
  for (size_t k = 0; k < trees.size(); ++k) {
    plan.bytes += found[k] ? found[k]->uncompressed_size : trees[k]->ContentBytes();
  }
  events.on_plan(plan);
}

void ReportLayer(const BuildEvents& events, int index, const Layer& layer, bool cached,
                 std::chrono::steady_clock::time_point start) {
  if (!events.on_layer) return;
  LayerEvent e;
  e.index = index;
  e.digest = layer.descriptor.digest;
  e.size = layer.descriptor.size;
  e.uncompressed_size = layer.uncompressed_size;
  e.action = cached ? BlobAction::kCached : BlobAction::kBuilt;
  e.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  events.on_layer(e);
}

struct KeyValue {
  std::string key;
  std::string value;
};

Result<KeyValue> SplitKeyValue(const std::string& text, std::string_view flag) {
  auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    return InvalidArgument(std::string(flag) + " \"" + text + "\": want KEY=VALUE");
  }
  return KeyValue{text.substr(0, eq), text.substr(eq + 1)};
}

Result<std::string> NormalizePort(const std::string& text) {
  std::string port = text;
  std::string proto = "tcp";
  auto slash = text.find('/');
  if (slash != std::string::npos) {
    port = text.substr(0, slash);
    proto = text.substr(slash + 1);
  }
  bool digits = !port.empty() && port.size() <= 5 &&
                std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits || std::stoi(port) < 1 || std::stoi(port) > 65535) {
    return InvalidArgument("--expose \"" + text + "\": port must be 1-65535");
  }
  if (proto != "tcp" && proto != "udp" && proto != "sctp") {
    return InvalidArgument("--expose \"" + text + "\": protocol must be tcp, udp or sctp");
  }
  return port + "/" + proto;
}

// One platform of a base image, resolved.
struct BasePlatform {
  Platform platform;  // as the base writes it
  ImageConfig config;
  std::vector<Descriptor> layers;
  Descriptor manifest;
};

struct Base {
  enum class Kind { kStatic, kScratch, kLayout } kind = Kind::kStatic;
  std::unique_ptr<ImageSource> source;  // kLayout: a layout or an archive, read in place
  std::string name;
  std::vector<BasePlatform> platforms;  // kLayout: one per requested platform
};

Result<BasePlatform> LoadBaseManifest(BlobStore& layout, const Descriptor& desc) {
  OCIB_ASSIGN_OR_RETURN(std::string bytes, layout.ReadAll(desc.digest));
  OCIB_ASSIGN_OR_RETURN(Manifest m, Manifest::Parse(bytes));
  OCIB_ASSIGN_OR_RETURN(std::string cbytes, layout.ReadAll(m.config.digest));
  OCIB_ASSIGN_OR_RETURN(ImageConfig c, ImageConfig::Parse(cbytes));
  if (c.diff_ids.size() != m.layers.size()) {
    return InvalidArgument("base manifest " + desc.digest.ToString() + " has " +
                           std::to_string(m.layers.size()) + " layers but its config has " +
                           std::to_string(c.diff_ids.size()) + " diff_ids");
  }
  BasePlatform bp;
  bp.platform = desc.platform ? *desc.platform : c.platform();
  bp.config = std::move(c);
  bp.layers = std::move(m.layers);
  bp.manifest = desc;
  return bp;
}

Result<Base> ResolveBase(const std::string& spec, const std::vector<Platform>& platforms) {
  Base base;
  base.name = spec;
  if (spec == "static") return base;
  if (spec == "scratch") {
    base.kind = Base::Kind::kScratch;
    return base;
  }
  auto where = ImageLocation::Parse(spec);
  if (!where || where->registry() != nullptr) {
    return InvalidArgument("base \"" + spec +
                           "\": want static, scratch, oci:DIR[:TAG], oci-archive:FILE[:TAG] or "
                           "docker-archive:FILE[:REPO:TAG]");
  }
  base.kind = Base::Kind::kLayout;
  auto source = OpenImageSource(*where);
  if (!source) return std::move(source).error().With("opening base " + spec);
  base.source = std::move(*source);
  auto top = ResolveImage(*base.source, *where);
  if (!top) return std::move(top).error().With("resolving base " + spec);
  std::vector<Descriptor> candidates;
  if (media_type::IsIndex(top->media_type)) {
    auto bytes = base.source->ReadAll(top->digest);
    if (!bytes) return std::move(bytes).error().With("reading base index " + spec);
    auto idx = Index::Parse(*bytes);
    if (!idx) return std::move(idx).error().With("reading base index " + spec);
    candidates = idx->manifests;
  } else {
    candidates.push_back(*top);
  }
  for (const auto& want : platforms) {
    bool found = false;
    for (const auto& c : candidates) {
      if (!media_type::IsManifest(c.media_type) && !c.media_type.empty()) continue;
      if (c.platform && !c.platform->Matches(want)) continue;
      auto bp = LoadBaseManifest(*base.source, c);
      if (!bp) return std::move(bp).error().With("reading base " + spec);
      if (!bp->platform.Matches(want)) continue;
      base.platforms.push_back(std::move(*bp));
      found = true;
      break;
    }
    if (!found) {
      return NotFound("base " + spec + " has no image for platform " + want.ToString());
    }
  }
  // Base layers are checked before anything is written (absent ones are lent
  // by a registry when the image is pushed, or missing: an error later).
  for (const auto& bp : base.platforms) {
    for (const auto& l : bp.layers) {
      auto have = base.source->Has(l.digest);
      if (!have) return std::move(have).error().With("checking base " + spec);
      if (!*have) continue;
      Status checked = CheckLayerBlob(*base.source, l);
      if (!checked) return std::move(checked).error().With("checking base " + spec);
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
      bool read_all = true;
      OCIB_ASSIGN_OR_RETURN(std::set<std::string> have,
                            build::LayerDirectories(*base.source, bp.layers, &read_all));
      dirs.merge(have);
      complete = complete && read_all;
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
      return InvalidArgument("output " + dir + " exists and is not a directory");
    struct stat lst {};
    if (::stat((dir + "/oci-layout").c_str(), &lst) == 0) {
      // Existing layout: it must be valid (never overwritten when corrupt).
      auto layout = OciLayout::Open(dir);
      if (!layout) return std::move(layout).error().With("opening output layout " + dir);
    } else if (::stat((dir + "/index.json").c_str(), &lst) == 0) {
      return InvalidArgument("output " + dir + " has an index.json but no oci-layout file");
    }
    if (::access(dir.c_str(), W_OK) != 0) {
      return IoError("output " + dir + " is not writable: " + ErrnoText(errno));
    }
    return {};
  }
  if (out.archive && ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return InvalidArgument("output archive " + dir + " is a directory");
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
    return InvalidArgument("output " + dir + ": " + p + " is not a directory");
  if (::access(p.c_str(), W_OK) != 0) {
    return IoError("output " + dir + " cannot be created: " + p + ": " + ErrnoText(errno));
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
  std::vector<KeyValue> env;
  std::map<std::string, std::string> labels;
  Annotations annotations;
  std::set<std::string> ports;
  int64_t epoch = 0;
  std::optional<SbomFormat> sbom;
  std::shared_ptr<LayerCache> cache;  // null with no_cache
};

Result<Plan> MakePlan(const BuildOptions& o) {
  Plan plan;
  if (o.output.empty())
    return InvalidArgument("no output: give --output oci:DIR[:TAG] or oci-archive:FILE[:TAG]");
  OCIB_ASSIGN_OR_RETURN(plan.output, build::ParseOutput(o.output));
  // Binaries by platform.
  std::vector<std::pair<Platform, std::string>> bins;
  for (const auto& [ptext, path] : o.binaries) {
    auto p = Platform::Parse(ptext);
    if (!p) return std::move(p).error().With("--binary " + ptext + "=" + path);
    for (const auto& b : bins) {
      if (b.first.Matches(*p)) return InvalidArgument("--binary given twice for " + p->ToString());
    }
    bins.emplace_back(*p, path);
  }
  if (!o.platforms.empty()) {
    for (const auto& text : o.platforms) {
      auto list = Platform::ParseList(text);
      if (!list) return std::move(list).error().With("--platform");
      for (auto& p : *list) {
        for (const auto& q : plan.platforms) {
          if (q.Matches(p)) return InvalidArgument("--platform lists " + p.ToString() + " twice");
        }
        plan.platforms.push_back(p);
      }
    }
  } else {
    for (const auto& b : bins) plan.platforms.push_back(b.first);
  }
  if (plan.platforms.empty()) {
    return InvalidArgument("no platforms: give --binary PLATFORM=PATH for each platform");
  }
  for (const auto& p : plan.platforms) {
    auto it =
        std::find_if(bins.begin(), bins.end(), [&](const auto& b) { return b.first.Matches(p); });
    if (it == bins.end()) {
      return InvalidArgument("platform " + p.ToString() + " has no binary: give --binary " +
                             p.ToString() + "=PATH");
    }
    plan.binaries.push_back(it->second);
  }
  for (const auto& b : bins) {
    bool listed = std::any_of(plan.platforms.begin(), plan.platforms.end(),
                              [&](const Platform& p) { return p.Matches(b.first); });
    if (!listed) {
      return InvalidArgument("--binary for " + b.first.ToString() +
                             " but --platform does not list it");
    }
  }
  // Each binary must be a readable regular file.
  OCIB_ASSIGN_OR_RETURN(plan.binary_dest, FileTree::NormalizePath(o.binary_path));
  for (size_t i = 0; i < plan.binaries.size(); ++i) {
    FileTree probe;
    auto st = probe.AddHostFile(plan.binaries[i], plan.binary_dest, 0755);
    if (!st) return std::move(st).error().With("binary for " + plan.platforms[i].ToString());
    auto reader = io::FileReader::Open(plan.binaries[i]);
    if (!reader)
      return std::move(reader).error().With("binary for " + plan.platforms[i].ToString());
    if (!o.binary_unchecked) {
      OCIB_RETURN_IF_ERROR(build::CheckBinaryPlatform(plan.binaries[i], plan.platforms[i]));
    }
  }
  OCIB_RETURN_IF_ERROR(
      build::CheckImagePath(plan.binary_dest, "binary path \"" + o.binary_path + "\""));
  std::vector<build::FileInput> inputs;
  for (const auto& f : o.files) {
    auto colon = f.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == f.size()) {
      return InvalidArgument("--file \"" + f + "\": want SRC:DEST");
    }
    std::string src = f.substr(0, colon);
    std::string dest = f.substr(colon + 1);
    auto norm = FileTree::NormalizePath(dest);
    if (!norm) return std::move(norm).error().With("--file " + f);
    build::FileInput input{f, FileTree()};
    auto st = input.tree.AddHostPath(src, dest);
    if (!st) return std::move(st).error().With("--file " + f);
    inputs.push_back(std::move(input));
    plan.shared_dests.push_back(*norm);
  }
  OCIB_RETURN_IF_ERROR(build::CheckFileInputs(inputs, plan.binary_dest));
  for (const auto& input : inputs) plan.shared.Merge(input.tree);
  for (const auto& e : o.env) {
    OCIB_ASSIGN_OR_RETURN(KeyValue kv, SplitKeyValue(e, "--env"));
    plan.env.push_back(kv);
  }
  for (const auto& l : o.labels) {
    OCIB_ASSIGN_OR_RETURN(KeyValue kv, SplitKeyValue(l, "--label"));
    plan.labels[kv.key] = kv.value;
  }
  for (const auto& a : o.annotations) {
    OCIB_ASSIGN_OR_RETURN(KeyValue kv, SplitKeyValue(a, "--annotation"));
    plan.annotations[kv.key] = kv.value;
  }
  for (const auto& p : o.expose) {
    OCIB_ASSIGN_OR_RETURN(std::string port, NormalizePort(p));
    plan.ports.insert(port);
  }
  if (o.compression_level != 0) {
    int lo = 1;
    int hi = o.compression == Compression::kZstd ? 19 : 9;
    if (o.compression == Compression::kNone || o.compression_level < lo ||
        o.compression_level > hi) {
      return InvalidArgument("--compression-level " + std::to_string(o.compression_level) +
                             " is out of range for " + std::string(CompressionName(o.compression)));
    }
  }
  if (o.sbom != "none") {
    auto f = ParseSbomFormat(o.sbom);
    if (!f) return InvalidArgument("--sbom \"" + o.sbom + "\": want spdx, cyclonedx or none");
    plan.sbom = *f;
  }
  plan.epoch = o.source_date_epoch.value_or(0);
  if (plan.output.archive && plan.output.archive->kind == ArchiveLocation::Kind::kDocker &&
      plan.platforms.size() != 1) {
    return InvalidArgument("output " + o.output + ": a docker archive holds one platform, this " +
                           "build makes " + std::to_string(plan.platforms.size()));
  }
  OCIB_RETURN_IF_ERROR(CheckOutput(plan.output));
  if (!o.no_cache) {
    std::string dir = o.cache_dir;
    if (dir.empty()) {
      auto def = LayerCache::DefaultDir();
      if (!def) return std::move(def).error().With("--cache-dir");
      dir = *def;
    }
    auto cache = LayerCache::Open(dir);
    if (!cache) return std::move(cache).error().With("--cache-dir " + dir);
    plan.cache = std::move(*cache);
  }
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

// The build's output layout. An existing one is opened at once. A new one
// is created on another thread (its files are fsynced) while the build
// checks its cached layers: until this build writes one, it holds no blob.
class OutputLayout {
 public:
  explicit OutputLayout(std::string dir) : dir_(std::move(dir)) {
    struct stat st {};
    fresh_ = ::stat((dir_ + "/oci-layout").c_str(), &st) != 0;
    if (fresh_) {
      maker_ = std::thread([this] { layout_ = OciLayout::OpenOrCreate(dir_); });
    } else {
      layout_ = OciLayout::OpenOrCreate(dir_);
    }
  }
  ~OutputLayout() { Wait(); }
  OutputLayout(const OutputLayout&) = delete;
  OutputLayout& operator=(const OutputLayout&) = delete;

  // True when the layout did not exist: no lookup needs to ask it for a blob.
  bool fresh() const { return fresh_; }
  // After a failed build: removes a layout this build created while its
  // index.json is still empty (nothing of anyone's refers to its blobs), so
  // that a failure leaves no empty layout behind.
  void DiscardIfFreshAndEmpty() {
    Wait();
    if (!fresh_ || !layout_ || !*layout_) return;
    auto idx = (*layout_)->ReadIndex();
    if (!idx || !idx->manifests.empty()) return;
    layout_ = std::unique_ptr<OciLayout>();
    for (const char* name : {"/oci-layout", "/index.json"}) ::unlink((dir_ + name).c_str());
    fsutil::RemoveAll(dir_ + "/blobs");
    ::rmdir(dir_.c_str());  // only when empty: the directory may be the user's
  }
  // Waits for the layout to be opened or created. Not thread safe.
  Result<OciLayout*> Get() {
    Wait();
    if (!layout_) return layout_.error().With("opening output " + dir_);
    return layout_->get();
  }

 private:
  void Wait() {
    if (maker_.joinable()) maker_.join();
  }
  std::string dir_;
  bool fresh_ = false;
  Result<std::unique_ptr<OciLayout>> layout_ = std::unique_ptr<OciLayout>();
  std::thread maker_;
};

Result<BuildResult> BuildInto(const BuildOptions& o, Plan& plan, Base& base, OutputLayout& output) {
  auto log = [&](const std::string& line) {
    if (o.log) o.log(line);
  };
  LayerOptions lopts;
  lopts.compression = o.compression;
  lopts.level = o.compression_level;
  lopts.mtime = plan.epoch;
  const std::string created = FormatRfc3339(plan.epoch);
  BuildResult result;
  std::atomic<int> compressed{0};
  std::atomic<int> reused{0};
  size_t hw = std::max(1u, std::thread::hardware_concurrency());

  // The trees of the new layers: the embedded base, the shared files, one
  // per platform with its binary.
  // The embedded base is looked up by its content id alone (no entries):
  // its 1,300 files are unpacked only when the layer must be built.
  std::optional<FileTree> static_tree;
  if (base.kind == Base::Kind::kStatic) {
    static_tree.emplace();
    if (plan.cache) {
      static_tree->SetContentId(base::StaticBaseContentId());
    } else {
      OCIB_ASSIGN_OR_RETURN(*static_tree, base::StaticBaseTree());
    }
  }
  std::vector<FileTree> bin_trees(plan.platforms.size());
  for (size_t i = 0; i < plan.platforms.size(); ++i) {
    Status st = bin_trees[i].AddHostFile(plan.binaries[i], plan.binary_dest, 0755);
    if (!st) {
      return std::move(st).error().With("building the layer for " + plan.platforms[i].ToString());
    }
  }
  std::vector<const FileTree*> trees;
  if (static_tree) trees.push_back(&*static_tree);
  if (!plan.shared.empty()) trees.push_back(&plan.shared);
  for (const auto& t : bin_trees) trees.push_back(&t);
  // Positions in `trees`: the static base (if any) first, then the shared
  // files (if any), then one per platform.
  const size_t shared_k = static_tree ? 1 : 0;
  const size_t first_bin = shared_k + (plan.shared.empty() ? 0 : 1);
  // trees[k]'s cache key (when there is a cache and it could be computed)
  // and its layer when the cache held it intact.
  std::vector<std::optional<std::string>> keys(trees.size());
  std::vector<std::optional<Layer>> found(trees.size());

  // With a cache, every layer is looked up first, in parallel: on a warm
  // rebuild reading and checking the cached blobs is the work, and it
  // needs no compression threads. Misses are built below. Into a new output
  // layout, the checks start before it exists (it holds no blob) and run
  // while it is created.
  std::vector<std::optional<Layer>> peeked(trees.size());
  bool all_peeked = plan.cache != nullptr;
  JoinOnExit lookers;
  std::atomic<size_t> next_lookup{0};
  OciLayout* out_ptr = nullptr;
  auto lookup = [&]() {
    // Last first: the per-platform layers, the largest checks, start at once.
    for (size_t i = next_lookup.fetch_add(1); i < trees.size(); i = next_lookup.fetch_add(1)) {
      const size_t k = trees.size() - 1 - i;
      if (!keys[k]) continue;
      found[k] = output.fresh() ? plan.cache->Check(*keys[k], lopts)
                                : plan.cache->Find(*keys[k], *out_ptr, lopts);
    }
  };
  if (plan.cache) {
    // Each key is computed once, for the peek and the lookup.
    for (size_t k = 0; k < trees.size(); ++k) {
      if (auto key = plan.cache->Key(*trees[k], lopts); key) keys[k] = std::move(*key);
      if (all_peeked && keys[k]) peeked[k] = plan.cache->Peek(*keys[k], lopts);
      all_peeked = all_peeked && peeked[k].has_value();
    }
    if (output.fresh()) {
      for (size_t w = 0; w < std::min(hw, trees.size()); ++w) lookers.threads.emplace_back(lookup);
    }
  }
  OCIB_ASSIGN_OR_RETURN(out_ptr, output.Get());
  OciLayout& out = *out_ptr;
  // Every new layer goes through here: from the cache when it held it,
  // else compressed (and recorded in the cache).
  auto compress = [&](size_t k) -> Result<Layer> {
    LayerOptions mine =
        WithLayerProgress(lopts, o.events, static_cast<int>(k), trees[k]->ContentBytes());
    return plan.cache && keys[k] ? plan.cache->Build(*keys[k], *trees[k], out, mine)
                                 : BuildLayer(*trees[k], out, mine);
  };
  auto build_layer = [&](size_t k) -> Result<Layer> {
    const auto start = std::chrono::steady_clock::now();
    const bool cached = found[k].has_value();
    Result<Layer> layer = cached ? Result<Layer>(*found[k]) : compress(k);
    if (!layer) return layer;
    ++(cached ? reused : compressed);
    ReportLayer(o.events, static_cast<int>(k), *layer, cached, start);
    return layer;
  };
  // Configs, manifests, SBOMs: small documents, made from the layers and
  // kept in `docs` (written side by side by its Flush). Log lines are kept
  // in `lines`.
  struct Documents {
    std::vector<PlatformImage> images;
    Descriptor descriptor;
    std::vector<std::string> lines;
  };
  auto make_docs = [&](const NewLayers& added, DeferredBlobStore& docs) -> Result<Documents> {
    Documents made;
    std::vector<std::string>& lines = made.lines;
    for (size_t i = 0; i < plan.platforms.size(); ++i) {
      const Platform& want = plan.platforms[i];
      ImageConfig cfg;
      std::vector<Descriptor> layers;
      std::vector<HistoryEntry> history;
      Platform written = want.Normalized();
      std::optional<Descriptor> base_manifest;
      if (base.kind == Base::Kind::kStatic) {
        cfg.config = base::StaticBaseConfig();
        cfg.diff_ids.push_back(added.static_base->diff_id);
        layers.push_back(added.static_base->descriptor);
        history.push_back({created, "ocib: embedded static base", "", "", false});
      } else if (base.kind == Base::Kind::kLayout) {
        const BasePlatform& bp = base.platforms[i];
        cfg = bp.config;
        // The canonical spelling, whatever the base's: one platform, one digest.
        written = bp.platform.Normalized();
        layers = bp.layers;
        base_manifest = bp.manifest;
        auto non_empty = static_cast<size_t>(
            std::count_if(cfg.history.begin(), cfg.history.end(),
                          [](const HistoryEntry& h) { return !h.empty_layer; }));
        history = cfg.history;
        if (non_empty != layers.size()) {
          history.clear();
          for (size_t k = 0; k < layers.size(); ++k) {
            history.push_back({cfg.created, "base layer " + std::to_string(k), "", "", false});
          }
        }
      }
      if (added.shared) {
        layers.push_back(added.shared->descriptor);
        cfg.diff_ids.push_back(added.shared->diff_id);
        std::string by = "ocib build: files";
        for (const auto& d : plan.shared_dests) by += " /" + d;
        history.push_back({created, by, "", "", false});
      }
      layers.push_back(added.per_platform[i].descriptor);
      cfg.diff_ids.push_back(added.per_platform[i].diff_id);
      history.push_back(
          {created, "ocib build: binary /" + plan.binary_dest + " (" + written.ToString() + ")", "",
           "", false});
      cfg.history = std::move(history);
      cfg.created = created;
      cfg.os = written.os;
      cfg.architecture = written.architecture;
      cfg.variant = written.variant;
      cfg.os_version = written.os_version;
      cfg.os_features = written.os_features;
      ContainerConfig& cc = cfg.config;
      cc.entrypoint =
          o.entrypoint ? *o.entrypoint : std::vector<std::string>{"/" + plan.binary_dest};
      cc.cmd = o.cmd;
      if (o.entrypoint && o.entrypoint->empty()) cc.entrypoint.reset();
      for (const auto& kv : plan.env) {
        auto it = std::find_if(cc.env.begin(), cc.env.end(), [&](const std::string& e) {
          return e.compare(0, kv.key.size() + 1, kv.key + "=") == 0;
        });
        if (it != cc.env.end()) {
          *it = kv.key + "=" + kv.value;
        } else {
          cc.env.push_back(kv.key + "=" + kv.value);
        }
      }
      for (const auto& [k, v] : plan.labels) cc.labels[k] = v;
      for (const auto& p : plan.ports) cc.exposed_ports.insert(p);
      if (o.user) cc.user = *o.user;
      if (o.workdir) cc.working_dir = *o.workdir;

      std::string cbytes = cfg.Serialize();
      OCIB_ASSIGN_OR_RETURN(Descriptor cdesc, docs.Put(media_type::kImageConfig, cbytes));
      Manifest m;
      m.media_type = std::string(media_type::kImageManifest);
      m.config = cdesc;
      m.layers = layers;
      m.annotations = plan.annotations;
      if (base_manifest) {
        m.annotations.emplace("org.opencontainers.image.base.digest",
                              base_manifest->digest.ToString());
        if (!o.base_name.empty()) {
          m.annotations.emplace("org.opencontainers.image.base.name", o.base_name);
        }
      }
      std::string mbytes = m.Serialize();
      OCIB_ASSIGN_OR_RETURN(Descriptor mdesc, docs.Put(media_type::kImageManifest, mbytes));
      mdesc.platform = written;
      PlatformImage img;
      img.platform = written;
      img.manifest = mdesc;
      img.config = cdesc;
      img.binary_layer_bytes = added.per_platform[i].descriptor.size;
      if (plan.sbom) {
        auto info = ReadGoBuildInfo(plan.binaries[i]);
        if (!info) {
          lines.push_back("ocib: warning: no SBOM for " + written.ToString() + ": " +
                          info.error().ToString());
        } else {
          SbomSubject subject;
          // No host path in the name: the SBOM must not depend on where the output is.
          subject.platform = written;
          subject.digest = mdesc.digest;
          subject.binary_path = "/" + plan.binary_dest;
          subject.created = created;
          auto sbom = AttachSbom(docs, mdesc, *plan.sbom, *info, subject);
          if (!sbom)
            return std::move(sbom).error().With("attaching the SBOM for " + written.ToString());
          // Listed in index.json together with the image, below.
          img.sbom = *sbom;
        }
      }
      made.images.push_back(img);
      lines.push_back("ocib: " + written.ToString() + ": manifest " + mdesc.digest.ToString() +
                      ", per-platform layer " + HumanBytes(img.binary_layer_bytes));
    }

    if (made.images.size() == 1) {
      made.descriptor = made.images.front().manifest;
    } else {
      Index idx;
      idx.media_type = std::string(media_type::kImageIndex);
      for (const auto& img : made.images) idx.manifests.push_back(img.manifest);
      idx.annotations = plan.annotations;
      OCIB_ASSIGN_OR_RETURN(made.descriptor, docs.Put(media_type::kImageIndex, idx.Serialize()));
    }
    return made;
  };

  // With every layer in the cache, the documents can be made from the cache
  // entries' descriptors and written while the cached blobs are checked
  // below, so the checks (CPU) and the documents' fsyncs (I/O) overlap. If a
  // check fails and the rebuilt layer differs, the documents are made again
  // from the real layers; the speculative ones stay in the layout as
  // unreferenced blobs.
  NewLayers spec;
  std::optional<Result<Documents>> speculated;
  DeferredBlobStore spec_docs(out);
  JoinOnExit speculator;
  if (plan.cache) {
    if (all_peeked) {
      if (static_tree) spec.static_base = peeked[0];
      if (!plan.shared.empty()) spec.shared = peeked[shared_k];
      for (size_t k = first_bin; k < peeked.size(); ++k) spec.per_platform.push_back(*peeked[k]);
      speculator.threads.emplace_back([&] {
        auto r = make_docs(spec, spec_docs);
        if (r) {
          if (Status st = spec_docs.Flush(); !st) {
            r = std::move(st).error().With("writing the image's documents to " + out.path());
          }
        }
        speculated.emplace(std::move(r));
      });
    }
  }

  if (plan.cache) {
    if (output.fresh()) {
      lookers.Join();
      // Checked while the layout was made; now linked into it.
      for (auto& layer : found) {
        if (layer && !plan.cache->Place(*layer, out)) layer.reset();
      }
    } else {
      for (size_t w = 1; w < std::min(hw, trees.size()); ++w) {
        lookers.threads.emplace_back(lookup);
      }
      lookup();
      lookers.Join();
    }
  }
  if (static_tree && !found[0] && static_tree->empty()) {
    OCIB_ASSIGN_OR_RETURN(*static_tree, base::StaticBaseTree());
  }
  ReportLayerPlan(o.events, trees, found);
  NewLayers added;

  // Base layers.
  if (base.kind == Base::Kind::kStatic) {
    auto layer = build_layer(0);
    if (!layer) return std::move(layer).error().With("building the static base layer");
    added.static_base = *layer;
    result.base_bytes = layer->descriptor.size;
  } else if (base.kind == Base::Kind::kLayout) {
    for (const auto& bp : base.platforms) {
      for (const auto& l : bp.layers) {
        if (o.absent_base_layers) {
          auto have = base.source->Has(l.digest);
          if (!have) {
            return std::move(have).error().With("checking base layer " + l.digest.ToString());
          }
          if (!*have) continue;  // lent by a registry when the output is pushed
        }
        auto st = out.CopyFrom(*base.source, l);
        if (!st) return std::move(st).error().With("copying base layer " + l.digest.ToString());
      }
    }
    if (!base.platforms.empty()) {
      for (const auto& l : base.platforms.front().layers) result.base_bytes += l.size;
    }
  }

  // The shared layer.
  if (!plan.shared.empty()) {
    auto layer = build_layer(shared_k);
    if (!layer) return std::move(layer).error().With("building the shared layer");
    added.shared = *layer;
    result.shared_bytes = layer->descriptor.size;
  }

  // Per-platform binary layers, in parallel.
  // zstd compresses with its own worker threads, so one platform at a time
  // keeps every core busy with half the memory; gzip and none are
  // single-threaded, so platforms run side by side.
  size_t workers = o.compression == Compression::kZstd ? 1 : std::min(hw, plan.platforms.size());
  std::vector<std::optional<Result<Layer>>> results(plan.platforms.size());
  std::atomic<size_t> next{0};
  auto work = [&]() {
    for (size_t i = next.fetch_add(1); i < plan.platforms.size(); i = next.fetch_add(1)) {
      results[i] = build_layer(first_bin + i);
    }
  };
  std::vector<std::thread> threads;
  for (size_t w = 1; w < workers; ++w) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  std::optional<Error> first_error;
  for (size_t i = 0; i < results.size(); ++i) {
    auto& r = *results[i];
    if (!r) {
      if (!first_error) {
        first_error =
            std::move(r).error().With("building the layer for " + plan.platforms[i].ToString());
      }
      continue;
    }
    added.per_platform.push_back(*r);
  }
  if (first_error) return *first_error;

  DeferredBlobStore docs(out);
  Result<Documents> made = Documents{};
  speculator.Join();
  if (speculated && SameLayers(spec, added)) {
    made = std::move(*speculated);  // written while the cached layers were checked
  } else {
    made = make_docs(added, docs);
  }
  if (!made) return std::move(made).error();
  result.images = std::move(made->images);
  result.descriptor = made->descriptor;
  for (const auto& line : made->lines) log(line);
  int64_t per_platform = 0;
  for (const auto& img : result.images) per_platform += img.binary_layer_bytes;
  log("ocib: base " + HumanBytes(result.base_bytes) + ", shared " +
      HumanBytes(result.shared_bytes) + " (stored once), per-platform " + HumanBytes(per_platform) +
      " in total for " + std::to_string(result.images.size()) + " platform(s)");
  log("ocib: layers: " + std::to_string(compressed.load()) + " compressed, " +
      std::to_string(reused.load()) + " reused" +
      (plan.cache ? " from the layer cache " + plan.cache->path() : " (layer cache off)"));
  result.layers_compressed = compressed.load();
  result.layers_reused = reused.load();
  if (Status st = docs.Flush(); !st) {
    return std::move(st).error().With("writing the image's documents to " + out.path());
  }
  // One index.json update: the SBOM referrers, then the image under its tag.
  std::vector<OciLayout::IndexEntry> entries;
  for (const auto& img : result.images) {
    if (img.sbom) entries.push_back({*img.sbom, ""});
  }
  entries.push_back({result.descriptor, plan.output.tag});
  if (auto st = out.UpdateIndex(entries); !st) {
    return std::move(st).error().With("updating " + out.path() + "/index.json");
  }
  result.tag = plan.output.tag;
  return result;
}

}  // namespace

namespace {

// The platforms "all" stands for: the base index's, or a fixed list.
Result<std::vector<std::string>> AllPlatforms(const std::string& base) {
  if (base.rfind("oci:", 0) != 0) {
    return std::vector<std::string>{"linux/amd64", "linux/arm64", "linux/arm/v7", "linux/ppc64le",
                                    "linux/s390x"};
  }
  OCIB_ASSIGN_OR_RETURN(ImageLocation where, ImageLocation::Parse(base));
  if (where.layout() == nullptr) return InvalidArgument("\"" + base + "\" is not oci:DIR[:TAG]");
  const LayoutLocation& ref = *where.layout();
  OCIB_ASSIGN_OR_RETURN(auto layout, OciLayout::Open(ref.path));
  OCIB_ASSIGN_OR_RETURN(Index index, layout->ReadIndex());
  OCIB_ASSIGN_OR_RETURN(Descriptor top,
                        SelectImage(index, ref.tag, ref.tag_given, ref.digest, base));
  if (!media_type::IsIndex(top.media_type)) {
    return InvalidArgument("--platform all needs a base index; " + base + " is one image");
  }
  OCIB_ASSIGN_OR_RETURN(std::string bytes, layout->ReadAll(top.digest));
  OCIB_ASSIGN_OR_RETURN(Index idx, Index::Parse(bytes));
  std::vector<std::string> out;
  for (const auto& m : idx.manifests) {
    if (m.platform && media_type::IsManifest(m.media_type)) out.push_back(m.platform->ToString());
  }
  return out;
}

Result<BuildResult> BuildGo(const BuildOptions& options) {
  BuildOptions o = options;
  if (!o.binaries.empty()) return InvalidArgument("--go and --binary cannot be combined");
  if (o.platforms.empty()) return InvalidArgument("--go needs --platform LIST (or --platform all)");
  if (o.platforms.size() == 1 && o.platforms[0] == "all") {
    auto all = AllPlatforms(o.base);
    if (!all) return std::move(all).error().With("--platform all");
    o.platforms = *all;
  }
  std::vector<Platform> platforms;
  for (const auto& text : o.platforms) {
    auto list = Platform::ParseList(text);
    if (!list) return std::move(list).error().With("--platform");
    platforms.insert(platforms.end(), list->begin(), list->end());
  }
  std::string tmpl = fsutil::TempDir() + "/ocib-go-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr)
    return IoError("mkdtemp " + tmpl + ": " + ErrnoText(errno));
  auto binaries = build::GoBuildAll(o, platforms, tmpl);
  if (!binaries) {
    fsutil::RemoveAll(tmpl);
    return std::move(binaries).error();
  }
  o.go_package.clear();
  o.platforms.clear();
  for (size_t i = 0; i < platforms.size(); ++i) {
    o.binaries.emplace_back(platforms[i].ToString(), (*binaries)[i]);
  }
  auto r = BuildImage(o);
  fsutil::RemoveAll(tmpl);
  return r;
}

}  // namespace

Result<BuildResult> BuildImage(const BuildOptions& options) {
  if (build::UsesRegistry(options)) return build::BuildWithRegistry(options);
  if (!options.go_package.empty()) return BuildGo(options);
  OCIB_ASSIGN_OR_RETURN(Plan plan, MakePlan(options));
  OCIB_ASSIGN_OR_RETURN(Base base, ResolveBase(options.base, plan.platforms));
  OCIB_RETURN_IF_ERROR(KeepBaseDirectories(base, plan.shared));
  if (!plan.output.archive) {
    OutputLayout output(plan.output.path);
    auto r = BuildInto(options, plan, base, output);
    if (!r) {
      output.DiscardIfFreshAndEmpty();
      return std::move(r).error().With("building " + options.output);
    }
    r->output_path = plan.output.path;
    return r;
  }
  // Archive: build a layout in a scratch directory beside the file, then pack it.
  std::string scratch = plan.output.path + ".ocib-tmp-" + std::to_string(::getpid());
  fsutil::RemoveAll(scratch);
  OutputLayout output(scratch);
  auto r = BuildInto(options, plan, base, output);
  Status st;
  if (r) st = WriteArchiveFromLayout(scratch, plan.output.tag, *plan.output.archive, plan.epoch);
  fsutil::RemoveAll(scratch);
  if (!r) return std::move(r).error().With("building " + options.output);
  if (!st) return std::move(st).error().With("writing " + plan.output.path);
  r->output_path = plan.output.path;
  return r;
}

}  // namespace ocib
