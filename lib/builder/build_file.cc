// Build files (see include/ocib/build_file.h). The document is parsed with
// nlohmann's ordered_json so objects keep their order ("binaries" gives the
// platform order, "env" the config's order); a parser callback tracks the
// JSON path of every value to report duplicate keys, which nlohmann itself
// accepts silently.
#include "ocib/build_file.h"

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <variant>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ocib/image_location.h"
#include "ocib/layer.h"
#include "ocib/platform.h"
#include "ocib/sbom.h"
#include "ocib/suggest.h"

#include "lib/builder/remote_build.h"
#include "lib/core/parallel.h"
#include "lib/io/fs_util.h"

namespace ocib {
namespace {

using ojson = nlohmann::ordered_json;

constexpr size_t kMaxBuildFileBytes = size_t{16} << 20;

// ---- JSON paths ------------------------------------------------------------

bool IsPlainKey(std::string_view key) {
  if (key.empty()) return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// `parent` + the member `key`: "images[0].env", or images[0].labels["a.b"].
std::string Member(const std::string& parent, std::string_view key) {
  if (IsPlainKey(key)) return parent.empty() ? std::string(key) : parent + "." + std::string(key);
  return parent + "[" + ojson(std::string(key)).dump() + "]";
}

std::string Element(const std::string& parent, size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

// "" at the top level reads "top level" in messages.
Error At(const std::string& path, const std::string& message) {
  return InvalidArgument(
      fmt::format("{}: {}", path.empty() ? std::string("top level") : path, message));
}

std::string Article(std::string_view type) {
  return (type == "object" || type == "array" || type == "integer") ? "an" : "a";
}

Error WrongType(const std::string& path, std::string_view want, const ojson& got) {
  return At(path, fmt::format("expected {} {}, got {}", Article(want), want, got.type_name()));
}

// Tracks the path of the value being parsed and finds duplicate keys.
class DuplicateKeyFinder {
 public:
  bool operator()(int /*depth*/, ojson::parse_event_t event, ojson& parsed) {
    switch (event) {
      case ojson::parse_event_t::object_start:
      case ojson::parse_event_t::array_start:
        frames_.push_back(Frame{event == ojson::parse_event_t::array_start, 0, {}, {}});
        break;
      case ojson::parse_event_t::key:
        if (!frames_.empty() && parsed.is_string()) {
          Frame& f = frames_.back();
          f.key = parsed.get<std::string>();
          if (!f.keys.insert(f.key).second && !error_) {
            error_ = At(CurrentPath(), "duplicate key");
          }
        }
        break;
      case ojson::parse_event_t::object_end:
      case ojson::parse_event_t::array_end:
        if (!frames_.empty()) frames_.pop_back();
        Advance();
        break;
      case ojson::parse_event_t::value:
        Advance();
        break;
    }
    return true;
  }
  const std::optional<Error>& error() const { return error_; }

 private:
  struct Frame {
    bool array;
    size_t index;
    std::string key;
    std::set<std::string> keys;
  };
  void Advance() {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().index;
  }
  std::string CurrentPath() const {
    std::string path;
    for (const auto& f : frames_) path = f.array ? Element(path, f.index) : Member(path, f.key);
    return path;
  }

  std::vector<Frame> frames_;
  std::optional<Error> error_;
};

// ---- typed readers -----------------------------------------------------------

Result<std::string> ReadString(const ojson& v, const std::string& path) {
  if (!v.is_string()) return WrongType(path, "string", v);
  return v.get<std::string>();
}

Result<std::vector<std::string>> ReadStringArray(const ojson& v, const std::string& path) {
  if (!v.is_array()) return WrongType(path, "array", v);
  std::vector<std::string> out;
  for (size_t i = 0; i < v.size(); ++i) {
    OCIB_ASSIGN_OR_RETURN(std::string s, ReadString(v[i], Element(path, i)));
    out.push_back(std::move(s));
  }
  return out;
}

// An object of strings, in file order.
Result<std::vector<std::pair<std::string, std::string>>> ReadStringObject(const ojson& v,
                                                                          const std::string& path) {
  if (!v.is_object()) return WrongType(path, "object", v);
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [k, value] : v.items()) {
    OCIB_ASSIGN_OR_RETURN(std::string s, ReadString(value, Member(path, k)));
    out.emplace_back(k, std::move(s));
  }
  return out;
}

// {"K": "V"} with keys non-empty and without '='.
Result<KeyValues> ReadKeyValues(const ojson& v, const std::string& path) {
  OCIB_ASSIGN_OR_RETURN(KeyValues pairs, ReadStringObject(v, path));
  for (const auto& [k, value] : pairs) {
    if (k.empty() || k.find('=') != std::string::npos) {
      return At(Member(path, k), "a key must be non-empty and contain no '='");
    }
  }
  return pairs;
}

Result<bool> ReadBool(const ojson& v, const std::string& path) {
  if (!v.is_boolean()) return WrongType(path, "boolean", v);
  return v.get<bool>();
}

Result<int> ReadInt(const ojson& v, const std::string& path) {
  if (!v.is_number_integer()) return WrongType(path, "integer", v);
  if (v.is_number_unsigned()) {
    auto u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int>::max())) {
      return At(path, "out of range");
    }
    return static_cast<int>(u);
  }
  auto i = v.get<int64_t>();
  if (i < std::numeric_limits<int>::min() || i > std::numeric_limits<int>::max()) {
    return At(path, "out of range");
  }
  return static_cast<int>(i);
}

// ---- paths relative to the build file ----------------------------------------

std::string Resolve(std::string_view base_dir, const std::string& p) {
  if (base_dir.empty() || p.empty() || p.front() == '/') return p;
  std::string out(base_dir);
  if (out.back() != '/') out += '/';
  return out + p;
}

// A layout or archive location with its DIR/FILE resolved; a registry
// reference is kept.
Result<ImageLocation> ReadLocation(std::string_view base_dir, const std::string& text,
                                   const std::string& path) {
  auto where = ImageLocation::Parse(text);
  if (!where) return At(path, where.error().message());
  if (auto* l = std::get_if<LayoutLocation>(&where->where)) {
    l->path = Resolve(base_dir, l->path);
  } else if (auto* a = std::get_if<ArchiveLocation>(&where->where)) {
    a->path = Resolve(base_dir, a->path);
  }
  return *where;
}

// ---- the keys ------------------------------------------------------------------

struct Context {
  std::string_view base_dir;
};

using ParseFn = std::function<Status(const ojson&, const std::string&, const Context&, BuildSpec&)>;
using CopyFn = std::function<void(BuildSpec&, const BuildSpec&)>;

struct Field {
  std::string key;
  ParseFn parse;
  CopyFn copy;
};

template <typename T>
CopyFn CopyOf(T BuildSpec::*member) {
  return [member](BuildSpec& d, const BuildSpec& s) { d.*member = s.*member; };
}

// A field whose value `read(value, path, context)` gives, stored in `member`.
template <typename T, typename Read>
Field MemberField(std::string key, T BuildSpec::*member, Read read) {
  return {std::move(key),
          [member, read](const ojson& v, const std::string& path, const Context& ctx,
                         BuildSpec& o) -> Status {
            OCIB_ASSIGN_OR_RETURN(o.*member, read(v, path, ctx));
            return OkStatus();
          },
          CopyOf(member)};
}

// A string kept as written.
template <typename T>
Field StringField(std::string key, T BuildSpec::*member) {
  return MemberField(
      std::move(key), member,
      [](const ojson& v, const std::string& path, const Context&) { return ReadString(v, path); });
}

// An array of strings kept as written.
template <typename T>
Field StringArrayField(std::string key, T BuildSpec::*member) {
  return MemberField(std::move(key), member,
                     [](const ojson& v, const std::string& path, const Context&) {
                       return ReadStringArray(v, path);
                     });
}

// An object {"K": "V"}, in file order.
Field KeyValueField(std::string key, KeyValues BuildSpec::*member) {
  return MemberField(std::move(key), member,
                     [](const ojson& v, const std::string& path, const Context&) {
                       return ReadKeyValues(v, path);
                     });
}

// An array of strings, each read by `parse(text)` (its error prefixed with
// the element's path).
template <typename T, typename Parse>
Field ArrayField(std::string key, std::vector<T> BuildSpec::*member, Parse parse) {
  return MemberField(std::move(key), member,
                     [parse](const ojson& v, const std::string& path,
                             const Context& ctx) -> Result<std::vector<T>> {
                       OCIB_ASSIGN_OR_RETURN(auto list, ReadStringArray(v, path));
                       std::vector<T> out;
                       for (size_t i = 0; i < list.size(); ++i) {
                         auto item = parse(list[i], ctx);
                         if (!item) return At(Element(path, i), item.error().message());
                         out.push_back(std::move(*item));
                       }
                       return out;
                     });
}

Status ParseBase(const ojson& v, const std::string& path, const Context& ctx, BuildSpec& o) {
  OCIB_ASSIGN_OR_RETURN(std::string s, ReadString(v, path));
  if (s == "static" || s == "scratch") {
    OCIB_ASSIGN_OR_RETURN(o.base, ParseBuildBase(s));
    return OkStatus();
  }
  OCIB_ASSIGN_OR_RETURN(o.base, ReadLocation(ctx.base_dir, s, path));
  return OkStatus();
}

Status ParseOutputKey(const ojson& v, const std::string& path, const Context& ctx, BuildSpec& o) {
  OCIB_ASSIGN_OR_RETURN(std::string s, ReadString(v, path));
  OCIB_ASSIGN_OR_RETURN(o.output, ReadLocation(ctx.base_dir, s, path));
  return OkStatus();
}

// Platform lists; "all" (only meaningful with "go"; BuildImage checks)
// stands for all the base's platforms.
Status ParsePlatforms(const ojson& v, const std::string& path, const Context&, BuildSpec& o) {
  OCIB_ASSIGN_OR_RETURN(auto list, ReadStringArray(v, path));
  o.platforms.clear();
  o.all_platforms = false;
  for (size_t i = 0; i < list.size(); ++i) {
    if (list[i] == "all") {
      o.all_platforms = true;
      continue;
    }
    auto p = Platform::ParseList(list[i]);
    if (!p) return At(Element(path, i), p.error().message());
    o.platforms.insert(o.platforms.end(), p->begin(), p->end());
  }
  return OkStatus();
}

void CopyPlatforms(BuildSpec& d, const BuildSpec& s) {
  d.platforms = s.platforms;
  d.all_platforms = s.all_platforms;
}

Status ParseBinaries(const ojson& v, const std::string& path, const Context& ctx, BuildSpec& o) {
  OCIB_ASSIGN_OR_RETURN(auto pairs, ReadStringObject(v, path));
  o.binaries.clear();
  for (auto& [platform, file] : pairs) {
    auto p = Platform::Parse(platform);
    if (!p) return At(Member(path, platform), p.error().message());
    if (file.empty()) return At(Member(path, platform), "empty path");
    o.binaries.emplace_back(*p, Resolve(ctx.base_dir, file));
  }
  return OkStatus();
}

Status ParseGoDir(const ojson& v, const std::string& path, const Context& ctx, BuildSpec& o) {
  OCIB_ASSIGN_OR_RETURN(std::string s, ReadString(v, path));
  o.go_dir = s.empty() ? std::string(ctx.base_dir) : Resolve(ctx.base_dir, s);
  return OkStatus();
}

Result<FileMapping> ReadFileMapping(const std::string& text, const Context& ctx) {
  OCIB_ASSIGN_OR_RETURN(FileMapping f, FileMapping::Parse(text));
  f.source = Resolve(ctx.base_dir, f.source);
  return f;
}

Result<ExposedPort> ReadPort(const std::string& text, const Context&) {
  return ExposedPort::Parse(text);
}

Result<Reference> ReadTag(const std::string& text, const Context&) {
  OCIB_ASSIGN_OR_RETURN(ImageLocation where, ImageLocation::Parse(text));
  if (where.registry() == nullptr) {
    return InvalidArgument(fmt::format("\"{}\" is not a registry reference", text));
  }
  return where.registry()->reference;
}

Status ParseCompressionKey(const ojson& v, const std::string& path, const Context&, BuildSpec& o) {
  OCIB_ASSIGN_OR_RETURN(std::string s, ReadString(v, path));
  auto c = ParseCompression(s);
  if (!c) return At(path, c.error().message());
  o.compression = *c;
  return OkStatus();
}

Status ParseCompressionLevel(const ojson& v, const std::string& path, const Context&,
                             BuildSpec& o) {
  OCIB_ASSIGN_OR_RETURN(o.compression_level, ReadInt(v, path));
  return OkStatus();
}

Status ParseSbomKey(const ojson& v, const std::string& path, const Context&, BuildSpec& o) {
  OCIB_ASSIGN_OR_RETURN(std::string s, ReadString(v, path));
  if (s == "none") {
    o.sbom.reset();
    return OkStatus();
  }
  auto f = ParseSbomFormat(s);
  if (!f) return At(path, fmt::format("\"{}\": want spdx, cyclonedx or none", s));
  o.sbom = *f;
  return OkStatus();
}

const std::vector<Field>& Fields() {
  static const auto* fields = new std::vector<Field>{
      {"base", ParseBase, CopyOf(&BuildSpec::base)},
      StringField("base_name", &BuildSpec::base_name),
      {"platforms", ParsePlatforms, CopyPlatforms},
      {"binaries", ParseBinaries, CopyOf(&BuildSpec::binaries)},
      StringField("go", &BuildSpec::go_package),
      {"go_dir", ParseGoDir, CopyOf(&BuildSpec::go_dir)},
      StringArrayField("go_flags", &BuildSpec::go_flags),
      StringField("go_ldflags", &BuildSpec::go_ldflags),
      StringField("binary_path", &BuildSpec::binary_path),
      MemberField("binary_unchecked", &BuildSpec::binary_unchecked,
                  [](const ojson& v, const std::string& path, const Context&) {
                    return ReadBool(v, path);
                  }),
      ArrayField("files", &BuildSpec::files, ReadFileMapping),
      StringArrayField("entrypoint", &BuildSpec::entrypoint),
      StringArrayField("cmd", &BuildSpec::cmd),
      KeyValueField("env", &BuildSpec::env),
      KeyValueField("labels", &BuildSpec::labels),
      KeyValueField("annotations", &BuildSpec::annotations),
      ArrayField("expose", &BuildSpec::expose, ReadPort),
      StringField("user", &BuildSpec::user),
      StringField("workdir", &BuildSpec::workdir),
      {"compression", ParseCompressionKey, CopyOf(&BuildSpec::compression)},
      {"compression_level", ParseCompressionLevel, CopyOf(&BuildSpec::compression_level)},
      {"output", ParseOutputKey, CopyOf(&BuildSpec::output)},
      {"sbom", ParseSbomKey, CopyOf(&BuildSpec::sbom)},
      ArrayField("tags", &BuildSpec::tags, ReadTag),
  };
  return *fields;
}

const Field* FindField(std::string_view key) {
  for (const auto& f : Fields()) {
    if (f.key == key) return &f;
  }
  return nullptr;
}

Error UnknownKey(const std::string& path, std::string_view key) {
  std::vector<std::string> keys = BuildFileFields();
  keys.emplace_back("name");
  keys.emplace_back("images");
  std::string message = "unknown key";
  // Only close misspellings: two edits at most.
  if (auto best = ClosestMatch(key, keys, 2)) {
    message += fmt::format(" (did you mean \"{}\"?)", *best);
  }
  return At(path, message);
}

// Output identity for the distinct-outputs check: a layout and tag, or an
// archive file (written whole, whatever its tag).
std::optional<std::string> OutputKey(const std::optional<ImageLocation>& output) {
  if (!output) return std::nullopt;
  auto ref = build::OutputOf(*output);
  if (!ref) return std::nullopt;
  std::string p = std::filesystem::path(ref->path).lexically_normal().string();
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  if (ref->archive) {
    return (ref->archive->kind == ArchiveLocation::Kind::kOci ? "oci-archive:"
                                                              : "docker-archive:") +
           p;
  }
  return "oci:" + p + ":" + ref->tag;
}

Status CheckDistinct(const std::vector<BuildFileImage>& images) {
  std::map<std::string, size_t> seen;  // output key or tag -> image index
  for (size_t i = 0; i < images.size(); ++i) {
    std::vector<std::string> keys;
    if (auto k = OutputKey(images[i].spec.output)) keys.push_back(*k);
    for (const auto& t : images[i].spec.tags) keys.push_back("tag " + t.String());
    for (const auto& k : keys) {
      auto [it, inserted] = seen.emplace(k, i);
      if (!inserted && it->second != i) {
        return InvalidArgument(fmt::format("{} and {} both write {}", images[i].label,
                                           images[it->second].label,
                                           k.rfind("tag ", 0) == 0 ? k.substr(4) : k));
      }
    }
  }
  return OkStatus();
}

Result<BuildFileImage> ParseImage(const ojson& v, const std::string& path, const Context& ctx) {
  if (!v.is_object()) return WrongType(path, "object", v);
  BuildFileImage image;
  for (const auto& [key, value] : v.items()) {
    std::string member = Member(path, key);
    if (key == "name") {
      OCIB_ASSIGN_OR_RETURN(image.name, ReadString(value, member));
      if (image.name.empty()) return At(member, "empty name");
      continue;
    }
    const Field* f = FindField(key);
    if (f == nullptr) return UnknownKey(member, key);
    OCIB_RETURN_IF_ERROR(f->parse(value, member, ctx, image.spec));
  }
  if (!image.spec.go_package.empty() && !v.contains("go_dir")) {
    image.spec.go_dir = std::string(ctx.base_dir);
  }
  return image;
}

Result<std::vector<BuildFileImage>> ParseDocument(std::string_view text, const Context& ctx) {
  DuplicateKeyFinder finder;
  ojson doc;
  try {
    doc = ojson::parse(text.begin(), text.end(), std::ref(finder), /*allow_exceptions=*/true);
  } catch (const ojson::parse_error& e) {
    // what() is "[json.exception.parse_error.101] parse error at line L, column C: ...".
    std::string what = e.what();
    auto pos = what.find("] ");
    if (pos != std::string::npos) what = what.substr(pos + 2);
    return InvalidArgument(fmt::format("not valid JSON: {}", what));
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("not valid JSON: ") + e.what());
  }
  if (finder.error()) return *finder.error();
  if (!doc.is_object()) return At("", "expected an object, got " + std::string(doc.type_name()));

  std::vector<BuildFileImage> images;
  if (!doc.contains("images")) {
    OCIB_ASSIGN_OR_RETURN(BuildFileImage image, ParseImage(doc, "", ctx));
    image.label = image.name.empty() ? "image" : image.name;
    images.push_back(std::move(image));
    return images;
  }
  for (const auto& [key, value] : doc.items()) {
    if (key != "images") {
      Error e = UnknownKey(Member("", key), key);
      return InvalidArgument(
          fmt::format("{}; a file with \"images\" has no other top-level key", e.message()));
    }
  }
  const ojson& list = doc["images"];
  if (!list.is_array()) return WrongType("images", "array", list);
  if (list.empty()) return At("images", "empty: give at least one image");
  std::map<std::string, size_t> names;
  for (size_t i = 0; i < list.size(); ++i) {
    std::string path = Element("images", i);
    OCIB_ASSIGN_OR_RETURN(BuildFileImage image, ParseImage(list[i], path, ctx));
    image.label = image.name.empty() ? path : fmt::format("{} ({})", path, image.name);
    if (!image.name.empty()) {
      auto [it, inserted] = names.emplace(image.name, i);
      if (!inserted) {
        return At(path + ".name", fmt::format("\"{}\" is also the name of {}", image.name,
                                              Element("images", it->second)));
      }
    }
    images.push_back(std::move(image));
  }
  OCIB_RETURN_IF_ERROR(CheckDistinct(images));
  return images;
}

}  // namespace

Result<std::vector<BuildFileImage>> ParseBuildFile(std::string_view json,
                                                   std::string_view source_name,
                                                   std::string_view base_dir) {
  auto r = ParseDocument(json, Context{base_dir});
  if (!r && !source_name.empty()) return std::move(r).error().With(std::string(source_name));
  return r;
}

Result<std::vector<BuildFileImage>> LoadBuildFile(const std::string& path) {
  auto text = fsutil::ReadFile(path, kMaxBuildFileBytes);
  if (!text) return std::move(text).error().With(fmt::format("reading build file {}", path));
  std::string dir = std::filesystem::path(path).parent_path().string();
  return ParseBuildFile(*text, path, dir);
}

const std::vector<std::string>& BuildFileFields() {
  static const auto* keys = [] {
    auto* out = new std::vector<std::string>;
    for (const auto& f : Fields()) out->push_back(f.key);
    return out;
  }();
  return *keys;
}

Status ApplyOverrides(std::vector<BuildFileImage>& images, const BuildSpec& flags,
                      const std::set<std::string>& given) {
  for (const auto& g : given) {
    if (FindField(g) == nullptr) {
      return InvalidArgument(fmt::format("\"{}\" is not a build file field", g));
    }
  }
  std::vector<BuildFileImage> merged = images;
  for (auto& image : merged) {
    // Start from the flags (fields the file cannot set come from them), then
    // take back every file field no flag overrides.
    BuildSpec o = flags;
    for (const auto& f : Fields()) {
      if (!given.contains(f.key)) f.copy(o, image.spec);
    }
    image.spec = std::move(o);
  }
  OCIB_RETURN_IF_ERROR(CheckDistinct(merged));
  images = std::move(merged);
  return OkStatus();
}

namespace {

// A counting semaphore whose holders release at most once.
class Slots {
 public:
  explicit Slots(int n) : free_(n) {}
  void Acquire() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return free_ > 0; });
    --free_;
  }
  void Release() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++free_;
    }
    cv_.notify_one();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int free_;
};

// Hands results to `on_result` in file order as they complete.
class InOrder {
 public:
  InOrder(size_t n, const std::function<void(size_t, const BuildResult&)>& on_result)
      : results_(n), on_result_(on_result) {}
  // Image `i` is done (`r` empty: it failed); gives every result now due.
  void Done(size_t i, std::optional<BuildResult> r) {
    std::lock_guard<std::mutex> lock(mu_);
    results_[i] = std::move(r);
    finished_.insert(i);
    while (finished_.contains(next_)) Give(next_++);
  }
  // After a failure: the results of the images that finished, in order.
  void Flush() {
    std::lock_guard<std::mutex> lock(mu_);
    for (; next_ < results_.size(); ++next_) Give(next_);
  }

 private:
  void Give(size_t i) {
    if (results_[i] && on_result_) on_result_(i, *results_[i]);
    results_[i].reset();
  }
  std::mutex mu_;
  std::vector<std::optional<BuildResult>> results_;
  std::set<size_t> finished_;
  size_t next_ = 0;
  const std::function<void(size_t, const BuildResult&)>& on_result_;
};

// The options of image `image` (number `index`) in a run: the caller's
// configure, prefixed log lines, the run's registry sessions, and the build
// slot released once written.
BuildSpec RunSpec(const BuildFileImage& image, size_t index, const BuildImagesOptions& run,
                  bool prefix, const std::shared_ptr<RegistrySessions>& sessions,
                  const std::function<void()>& written) {
  BuildSpec o = image.spec;
  if (!o.registry.sessions) o.registry.sessions = sessions;
  if (run.configure) run.configure(index, o);
  std::string tag = fmt::format("[{}] ", image.name.empty() ? image.label : image.name);
  auto prefixed = [tag](const auto& inner) {
    return [tag, inner](std::string_view line) { inner(tag + std::string(line)); };
  };
  if (prefix && o.log) o.log = prefixed(o.log);
  if (prefix && o.registry.progress) o.registry.progress = prefixed(o.registry.progress);
  o.on_written = written;
  return o;
}

}  // namespace

Status BuildImages(const std::vector<BuildFileImage>& images, const BuildImagesOptions& run) {
  int cores = core::CpuJobs();
  int jobs = run.jobs > 0 ? run.jobs : std::max(16, 8 * cores);
  Slots building(run.build_jobs > 0 ? run.build_jobs : 4 * cores);
  auto sessions = std::make_shared<RegistrySessions>();
  InOrder results(images.size(), run.on_result);
  bool prefix = images.size() > 1;
  Status st = core::ParallelFor(images.size(), jobs, [&](size_t i) -> Status {
    building.Acquire();
    std::once_flag released;
    auto release = [&] { std::call_once(released, [&] { building.Release(); }); };
    auto r = BuildImage(RunSpec(images[i], i, run, prefix, sessions, release));
    release();
    if (!r) {
      results.Done(i, std::nullopt);
      return std::move(r).error().With(images[i].label);
    }
    results.Done(i, std::move(*r));
    return OkStatus();
  });
  results.Flush();
  return st;
}

}  // namespace ocib
