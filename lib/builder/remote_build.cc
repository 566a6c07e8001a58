// `build --base REF` and `build --tag REF`: the registry side of BuildImage.
#include "lib/builder/remote_build.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <map>
#include <optional>
#include <utility>
#include <variant>

#include <fmt/format.h>

#include "ocib/layer_cache.h"
#include "ocib/pull.h"
#include "ocib/push.h"
#include "ocib/reference.h"

#include "lib/io/fs_util.h"
#include "lib/io/streams.h"
#include "lib/layout/docker_archive.h"

namespace ocib::build {
namespace {

// The registry reference of a registry base; none for any other base.
const Reference* RegistryBase(const BuildBase& base) {
  const ImageLocation* where = std::get_if<ImageLocation>(&base);
  if (where == nullptr || where->registry() == nullptr) return nullptr;
  return &where->registry()->reference;
}

// The cache directory: `cache_dir`, else the layer cache's default; none
// when neither XDG_CACHE_HOME nor HOME is an absolute path.
std::optional<std::string> CacheRoot(const BuildSpec& o) {
  if (!o.cache_dir.empty()) return o.cache_dir;
  auto def = LayerCache::DefaultDir();
  if (!def) return std::nullopt;
  return *def;
}

// The layout that caches registry bases; without a cache directory, one
// under the temporary directory (a registry base must be cached somewhere).
std::string BaseCacheDir(const BuildSpec& o) {
  return CacheRoot(o).value_or(fsutil::TempDir() + "/ocib-cache") + "/bases";
}

// Where the pushes of a build are recorded (RegistryOptions::
// push_record_dir): the cache's "pushed" subdirectory; none when the cache
// is off or there is no cache directory.
std::string PushRecordDir(const BuildSpec& o) {
  std::optional<std::string> root = o.no_cache ? std::nullopt : CacheRoot(o);
  return root ? *root + "/pushed" : "";
}

// A layout tag naming the reference: [A-Za-z0-9.-] kept, the rest '_'.
std::string CacheTag(const std::string& ref) {
  std::string tag;
  for (char c : ref) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-';
    tag += ok ? c : '_';
  }
  return tag.substr(0, 120);
}

// The base platforms the build needs; empty means all (`all_platforms`).
Result<std::vector<Platform>> BasePlatforms(const BuildSpec& o) {
  std::vector<Platform> out;
  if (o.all_platforms) return out;
  out = o.platforms;
  if (out.empty()) {
    for (const auto& b : o.binaries) out.push_back(b.first);
  }
  if (out.empty()) {
    return InvalidArgument(o.go_package.empty()
                               ? "no platforms: give a binary per platform"
                               : "a Go package needs platforms (a list, or all of the base's)");
  }
  return out;
}

// A directory removed with everything in it when this goes out of scope.
struct TempDir {
  std::string path;
  TempDir() = default;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    if (!path.empty()) fsutil::RemoveAll(path);
  }
};

// What a build with a registry works from: its options (without the tags;
// the base, once fetched, read from the base cache), the checked tags and
// output, and the registry base with where it is cached.
struct RegistryBuild {
  BuildSpec o;
  std::vector<Reference> tags;
  std::optional<Output> out;
  std::optional<Reference> base_ref;
  std::string cache_dir;
  std::string cache_tag;
};

// Passes a line to BuildSpec::log, when there is one.
void Log(const BuildSpec& o, const std::string& line) {
  if (o.log) o.log(line);
}

// Step 1: checks the output (the tags are references already).
Status CheckTargets(RegistryBuild& b) {
  if (b.o.output) {
    auto out = OutputOf(*b.o.output);
    if (!out) return std::move(out).error().With("output");
    b.out = *out;
  } else if (b.tags.empty()) {
    return InvalidArgument("no output: give a layout, an archive or registry tags to write");
  }
  return OkStatus();
}

// Step 2: pulls a registry base into the base cache and points b.o.base at
// it (documents only when the result only goes to registries).
Status FetchBase(RegistryBuild& b) {
  BuildSpec& o = b.o;
  const Reference* ref = RegistryBase(o.base);
  if (ref == nullptr) return OkStatus();
  auto platforms = BasePlatforms(o);
  if (!platforms) return std::move(platforms).error();
  b.cache_dir = BaseCacheDir(o);
  b.cache_tag = CacheTag(ref->String());
  bool documents_only = !b.out && !b.tags.empty();
  Log(o, fmt::format("ocib: fetching base {}{} into {}", ref->String(),
                     documents_only ? " (documents only)" : "", b.cache_dir));
  // The base's referrers describe the base, not the image built on it.
  CopyOptions no_referrers;
  no_referrers.referrers = false;
  auto pulled = documents_only
                    ? PullDocuments(*ref, b.cache_dir, b.cache_tag, *platforms, o.registry)
                    : Pull(*ref, b.cache_dir, b.cache_tag, *platforms, o.registry, no_referrers);
  if (!pulled)
    return std::move(pulled).error().With(fmt::format("fetching base {}", ref->String()));
  b.base_ref = *ref;
  o.absent_base_layers = documents_only;
  o.base = ImageLocation{LayoutLocation{b.cache_dir, b.cache_tag, true, ""}};
  if (o.base_name.empty()) o.base_name = b.base_ref->String();
  return OkStatus();
}

// Step 3: builds into the output layout, or into a temporary layout made
// in `tmp` (then written to the archive output, if any); sets the layout
// and tag to push from.
Result<BuildResult> BuildForPush(const RegistryBuild& b, TempDir& tmp, std::string& push_dir,
                                 std::string& push_tag) {
  const BuildSpec& o = b.o;
  const std::optional<Output>& out = b.out;
  if (out && !out->archive) {
    Result<BuildResult> built = BuildImage(o);
    if (!built) return built;
    push_dir = built->output_path;
    push_tag = built->tag;
    return built;
  }
  std::string tmpl = fsutil::TempDir() + "/ocib-build-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) {
    return IoError(fmt::format("creating a temporary layout {}: {}", tmpl, io::ErrnoText(errno)));
  }
  tmp.path = tmpl;
  BuildSpec inner = o;
  push_dir = tmp.path;
  push_tag = out ? out->tag : "latest";
  inner.output = ImageLocation{LayoutLocation{push_dir, push_tag, true, ""}};
  Result<BuildResult> built = BuildImage(inner);
  if (!built) return built;
  built->output_path.clear();
  built->tag.clear();
  if (out) {
    Status st =
        WriteArchiveFromLayout(push_dir, push_tag, *out->archive, o.source_date_epoch.value_or(0));
    if (!st) return std::move(st).error().With(fmt::format("writing {}", out->path));
    built->output_path = out->path;
    built->tag = out->tag;
  }
  return built;
}

// The repositories ("REGISTRY/REPOSITORY") of `tags` in the order they are
// named, each with the indices of its tags.
std::vector<std::pair<std::string, std::vector<size_t>>> GroupByRepository(
    const std::vector<Reference>& tags) {
  std::vector<std::pair<std::string, std::vector<size_t>>> repos;
  for (size_t i = 0; i < tags.size(); ++i) {
    std::string name = tags[i].domain() + "/" + tags[i].path();
    auto it =
        std::find_if(repos.begin(), repos.end(), [&](const auto& r) { return r.first == name; });
    if (it == repos.end()) {
      repos.push_back({name, {i}});
    } else {
      it->second.push_back(i);
    }
  }
  return repos;
}

// Pushes the layout `push_dir`:`push_tag` to `dests` (one repository),
// mounting or streaming the base's layers from the base's repository.
Result<PushResult> PushToRepository(const RegistryBuild& b, const std::string& push_dir,
                                    const std::string& push_tag,
                                    const std::vector<Reference>& dests) {
  const BuildSpec& o = b.o;
  const std::optional<Reference>& base_ref = b.base_ref;
  std::map<Digest, std::string> mounts;
  if (base_ref && base_ref->domain() == dests.front().domain() &&
      base_ref->path() != dests.front().path()) {
    // Best effort: without them every layer is uploaded.
    auto m = MountSourcesFromLayout(b.cache_dir, b.cache_tag, base_ref->path());
    if (m) mounts = std::move(*m);
  }
  // Base layers the build layout lacks stream from the base repository.
  std::optional<Reference> blob_source;
  if (o.absent_base_layers) blob_source = base_ref;
  RegistryOptions ro = o.registry;
  ro.check_referrers = o.check_sboms;
  if (ro.push_record_dir.empty()) ro.push_record_dir = PushRecordDir(o);
  return Push(push_dir, push_tag, dests, ro, mounts, blob_source);
}

// Step 4: one push per repository, in the order the repositories are
// named; the pushed lines, in the order of b.tags.
Result<std::vector<std::string>> PushAll(const RegistryBuild& b, const std::string& push_dir,
                                         const std::string& push_tag) {
  const std::vector<Reference>& tags = b.tags;
  std::vector<std::string> lines(tags.size());
  for (const auto& [name, indices] : GroupByRepository(tags)) {
    std::vector<Reference> dests;
    for (size_t i : indices) dests.push_back(tags[i]);
    auto pushed = PushToRepository(b, push_dir, push_tag, dests);
    if (!pushed) return std::move(pushed).error();
    for (size_t k = 0; k < indices.size() && k < pushed->pushed.size(); ++k) {
      lines[indices[k]] = pushed->pushed[k];
    }
    Log(b.o, fmt::format("ocib: pushed {}@{} ({} blobs uploaded, {} present, {} referrers)", name,
                         pushed->root.digest.ToString(), pushed->blobs_uploaded,
                         pushed->blobs_skipped, pushed->referrers.size()));
  }
  return lines;
}

}  // namespace

Result<Output> OutputOf(const ImageLocation& where) {
  Output out;
  if (const auto* l = where.layout()) {
    if (!l->digest.empty()) {
      return InvalidArgument(
          fmt::format("output \"{}\": a layout is written by tag", where.ToString()));
    }
    out.path = l->path;
    out.tag = l->tag;
    return out;
  }
  if (const auto* a = where.archive()) {
    out.path = a->path;
    out.tag = a->kind == ArchiveLocation::Kind::kOci ? a->tag : "latest";
    out.archive = *a;
    return out;
  }
  return InvalidArgument(fmt::format(
      "output \"{}\" is a registry reference, not a layout or an archive", where.ToString()));
}

bool UsesRegistry(const BuildSpec& spec) {
  return !spec.tags.empty() || RegistryBase(spec.base) != nullptr;
}

Result<BuildResult> BuildWithRegistry(const BuildSpec& options) {
  RegistryBuild b;
  b.o = options;
  b.tags = options.tags;
  b.o.tags.clear();

  // 1. The output is checked before anything happens.
  OCIB_RETURN_IF_ERROR(CheckTargets(b));

  // 2. A registry base: pulled (the platforms needed, verified) into the
  // base cache; the build reads it from there. When the result only goes
  // to registries, only the base's documents are pulled: its layers go
  // from registry to registry when the result is pushed (mounted or
  // streamed), and the temporary layout never holds them.
  OCIB_RETURN_IF_ERROR(FetchBase(b));
  if (b.tags.empty()) return BuildImage(b.o);

  // 3. The build: into the output layout, or into a private temporary
  // layout (for no output, or an archive, which is written from it).
  TempDir tmp;
  std::string push_dir;
  std::string push_tag;
  Result<BuildResult> built = BuildForPush(b, tmp, push_dir, push_tag);
  if (!built) return built;

  if (b.o.on_written) b.o.on_written();

  // 4. One push per repository, in the order the repositories are named.
  auto lines = PushAll(b, push_dir, push_tag);
  if (!lines) return std::move(lines).error();
  built->pushed = std::move(*lines);
  return built;
}

}  // namespace ocib::build
