// ocib inspect | sbom | referrers: read an image from a layout, an archive
// or a registry (the registry flags of AddRegistryFlags apply to the last).
//
// inspect prints the same documents for every kind of location: the root
// (index or manifest), then each platform manifest of an index, then each
// manifest's config, one compact JSON document per line. --format json
// prints one document {"index": ..., "images": [{"platform", "manifest",
// "config"}]}; --format PATH (e.g. config.Entrypoint, manifest.layers,
// index.manifests) prints that field, one line per image (a string as is,
// anything else as compact JSON, a missing field as null).
#include <strings.h>

#include <iostream>
#include <memory>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ocib/image_location.h"
#include "ocib/inspect.h"
#include "ocib/media_type.h"
#include "ocib/platform.h"
#include "ocib/pull.h"
#include "ocib/sbom_query.h"

#include "cli/commands.h"
#include "cli/exit_codes.h"

namespace ocib::cli {
namespace {

using Json = nlohmann::ordered_json;

struct InspectFlags {
  RegistryFlags registry;
  std::string format;
  std::string platform;
};

// JSON without the whitespace between tokens (strings untouched).
std::string CompactJson(const std::string& bytes) {
  std::string out;
  out.reserve(bytes.size());
  bool in_string = false;
  bool escape = false;
  for (char c : bytes) {
    if (in_string) {
      out += c;
      if (escape) {
        escape = false;
      } else if (c == '\\') {
        escape = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    if (c == '"') in_string = true;
    out += c;
  }
  return out;
}

// The documents of `location` (see inspect.h / pull.h: the root, each
// platform manifest of an index, each manifest's config).
Result<std::vector<std::string>> ReadDocuments(const std::string& text, const RegistryFlags& f) {
  auto where = ImageLocation::Parse(text);
  if (!where) return std::move(where).error().With("inspect");
  if (where->registry() == nullptr) {
    auto docs = InspectLayout(text);
    if (!docs) return std::move(docs).error().With(fmt::format("inspect {}", text));
    return docs;
  }
  RegistryOptions o = MakeRegistryOptions(f);
  o.progress = nullptr;  // a few documents: no per-blob lines
  return InspectRemote(where->registry()->reference, o);
}

Result<Json> ParseDocument(const std::string& bytes) {
  Json j = Json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return DataLoss("inspect: a document is not a JSON object");
  }
  return j;
}

std::string PlatformOf(const Json& config) {
  std::string p = fmt::format("{}/{}", config.value("os", ""), config.value("architecture", ""));
  if (config.contains("variant") && config["variant"].is_string()) {
    p += "/" + config["variant"].get<std::string>();
  }
  return p;
}

// {"index": (when the root is one), "images": [{platform, manifest, config}]}
// from the documents in ReadDocuments' order.
Result<Json> Structure(const std::vector<std::string>& docs) {
  if (docs.empty()) return DataLoss("inspect: no documents");
  OCIB_ASSIGN_OR_RETURN(Json root, ParseDocument(docs[0]));
  Json out = Json::object();
  std::vector<Json> manifests;
  size_t next = 1;
  if (root.contains("manifests")) {
    size_t n = (docs.size() - 1) / 2;
    for (size_t i = 0; i < n; ++i) {
      OCIB_ASSIGN_OR_RETURN(Json m, ParseDocument(docs[1 + i]));
      manifests.push_back(std::move(m));
    }
    next = 1 + n;
    out["index"] = std::move(root);
  } else {
    manifests.push_back(std::move(root));
  }
  if (docs.size() - next != manifests.size()) {
    return DataLoss("inspect: the manifests and configs read do not pair up");
  }
  Json images = Json::array();
  for (size_t i = 0; i < manifests.size(); ++i) {
    OCIB_ASSIGN_OR_RETURN(Json config, ParseDocument(docs[next + i]));
    images.push_back(Json{{"platform", PlatformOf(config)},
                          {"manifest", std::move(manifests[i])},
                          {"config", std::move(config)}});
  }
  out["images"] = std::move(images);
  return out;
}

// Keeps the images of `platform` (empty: all); kNotFound naming those there.
Status SelectPlatform(Json& view, const std::string& platform) {
  if (platform.empty()) return OkStatus();
  auto wanted = Platform::Parse(platform);
  if (!wanted) return std::move(wanted).error().With("inspect: --platform");
  Json kept = Json::array();
  std::vector<std::string> seen;
  for (Json& image : view["images"]) {
    std::string p = image["platform"].get<std::string>();
    seen.push_back(p);
    auto have = Platform::Parse(p);
    if (have && have->Matches(*wanted)) kept.push_back(std::move(image));
  }
  if (kept.empty()) {
    return NotFound(fmt::format("inspect: no image for platform {} (the image has: {})",
                                wanted->ToString(), fmt::join(seen, ", ")));
  }
  view["images"] = std::move(kept);
  return OkStatus();
}

// The member `key` of an object: exact, else the only case-insensitive match.
const Json* Member(const Json& obj, const std::string& key) {
  if (!obj.is_object()) return nullptr;
  if (auto it = obj.find(key); it != obj.end()) return &*it;
  const Json* found = nullptr;
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (strcasecmp(it.key().c_str(), key.c_str()) != 0) continue;
    if (found != nullptr) return nullptr;
    found = &it.value();
  }
  return found;
}

// The value at path[from...] below `doc` (a number indexes an array);
// nullptr when absent.
const Json* Lookup(const Json& doc, const std::vector<std::string>& path, size_t from) {
  const Json* at = &doc;
  for (size_t i = from; i < path.size() && at != nullptr; ++i) {
    const std::string& key = path[i];
    if (at->is_array()) {
      bool number = !key.empty() && key.size() < 10 &&
                    key.find_first_not_of("0123456789") == std::string::npos;
      at = number && std::stoul(key) < at->size() ? &(*at)[std::stoul(key)] : nullptr;
    } else {
      at = Member(*at, key);
    }
  }
  return at;
}

// A field of one image: platform, manifest.X, config.X; for config, a field
// of the runtime config ("config"."config") may be named directly
// (config.Entrypoint), as docker inspect's Config does.
Json ImageField(const Json& image, const std::vector<std::string>& path) {
  const Json* v = Lookup(image, path, 0);
  if (v == nullptr && path[0] == "config" && path.size() > 1) {
    if (const Json* runtime = Member(image["config"], "config"); runtime != nullptr) {
      v = Lookup(*runtime, path, 1);
    }
  }
  return v == nullptr ? Json(nullptr) : *v;
}

std::string Show(const Json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

std::vector<std::string> SplitPath(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t dot = text.find('.', start);
    out.push_back(text.substr(start, dot - start));
    if (dot == std::string::npos) return out;
    start = dot + 1;
  }
}

// Prints --format PATH: index.X once, platform/manifest.X/config.X per image.
Status PrintField(const Json& view, const std::string& format) {
  std::vector<std::string> path = SplitPath(format);
  const std::string& head = path[0];
  if (head == "index") {
    if (!view.contains("index")) {
      return InvalidArgument(
          fmt::format("inspect: --format {}: the image is a single manifest, not an index "
                      "(use manifest.…)",
                      format));
    }
    const Json* v = Lookup(view["index"], path, 1);
    std::cout << Show(v == nullptr ? Json(nullptr) : *v) << "\n";
    return OkStatus();
  }
  if (head != "manifest" && head != "config" && head != "platform") {
    return InvalidArgument(
        fmt::format("inspect: --format \"{}\": want json or a field path starting with index, "
                    "manifest, config or platform (e.g. config.Entrypoint)",
                    format));
  }
  for (const Json& image : view["images"]) std::cout << Show(ImageField(image, path)) << "\n";
  return OkStatus();
}

int RunInspect(const std::string& target, const InspectFlags& f) {
  auto docs = ReadDocuments(target, f.registry);
  if (!docs) return ReportError(docs.error());
  if (f.format.empty() && f.platform.empty()) {
    for (const std::string& d : *docs) std::cout << CompactJson(d) << "\n";
    return kExitOk;
  }
  auto view = Structure(*docs);
  if (!view) return ReportError(std::move(view).error().With(target));
  if (Status s = SelectPlatform(*view, f.platform); !s) return ReportError(s.error());
  if (f.format == "json") {
    std::cout << view->dump() << "\n";
    return kExitOk;
  }
  if (f.format.empty()) {
    for (const Json& image : (*view)["images"]) {
      std::cout << image["manifest"].dump() << "\n" << image["config"].dump() << "\n";
    }
    return kExitOk;
  }
  Status s = PrintField(*view, f.format);
  return s ? kExitOk : ReportError(s.error());
}

const char* const kLocationHelp =
    "oci:DIR[:TAG] | oci-archive:FILE[:TAG] | docker-archive:FILE[:REPO:TAG] | a registry "
    "reference";

void AddInspect(CLI::App& app, CommandContext& ctx) {
  auto f = std::make_shared<InspectFlags>();
  auto target = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "inspect",
      "Print the index or manifest, each platform's manifest, then each platform's config, one "
      "JSON document per line");
  cmd->add_option("reference", *target, kLocationHelp)->required();
  cmd->add_option("--format", f->format,
                  "json (one document: index, images[].platform/manifest/config) or a field "
                  "path such as config.Entrypoint, manifest.layers, index.manifests");
  cmd->add_option("--platform", f->platform,
                  "Only this platform's manifest and config, e.g. linux/arm64");
  AddRegistryFlags(cmd, f->registry);
  cmd->callback([f, target, &ctx] { ctx.exit_code = RunInspect(*target, *f); });
}

Result<std::optional<Reference>> RemoteReference(const std::string& text) {
  OCIB_ASSIGN_OR_RETURN(ImageLocation where, ImageLocation::Parse(text));
  if (where.registry() == nullptr) return std::optional<Reference>();
  return std::optional<Reference>(where.registry()->reference);
}

int RunSbom(const std::string& text, const std::string& platform, const RegistryFlags& f) {
  auto remote = RemoteReference(text);
  if (!remote) return ReportError(std::move(remote).error().With("sbom"));
  auto doc = *remote ? RegistrySbom(**remote, platform, MakeRegistryOptions(f))
                     : LayoutSbom(text, platform);
  if (!doc) {
    return ReportError(*remote ? doc.error()
                               : std::move(doc).error().With(fmt::format("sbom {}", text)));
  }
  std::cout << *doc << "\n";
  return kExitOk;
}

int RunReferrers(const std::string& text, const std::string& type, const RegistryFlags& f) {
  auto remote = RemoteReference(text);
  if (!remote) return ReportError(std::move(remote).error().With("referrers"));
  auto lines = *remote ? RegistryReferrers(**remote, MakeRegistryOptions(f), type)
                       : LayoutReferrers(text, type);
  if (!lines) {
    return ReportError(*remote ? lines.error()
                               : std::move(lines).error().With(fmt::format("referrers {}", text)));
  }
  for (const std::string& l : *lines) std::cout << l << "\n";
  return kExitOk;
}

void AddSbomAndReferrers(CLI::App& app, CommandContext& ctx) {
  auto sf = std::make_shared<RegistryFlags>();
  auto sref = std::make_shared<std::string>();
  auto splat = std::make_shared<std::string>();
  CLI::App* sbom = app.add_subcommand("sbom", "Print the SBOM attached to an image");
  sbom->add_option("reference", *sref, kLocationHelp)->required();
  sbom->add_option("--platform", *splat,
                   "The platform's SBOM (default: the only one, or linux/amd64)");
  AddRegistryFlags(sbom, *sf);
  sbom->callback([sf, sref, splat, &ctx] { ctx.exit_code = RunSbom(*sref, *splat, *sf); });

  auto rf = std::make_shared<RegistryFlags>();
  auto rref = std::make_shared<std::string>();
  auto rtype = std::make_shared<std::string>();
  CLI::App* referrers = app.add_subcommand(
      "referrers", "List the referrers (SBOMs, signatures) of an image, one descriptor per line");
  referrers->add_option("reference", *rref, kLocationHelp)->required();
  referrers->add_option("--artifact-type", *rtype,
                        "Only referrers of this artifactType, e.g. application/spdx+json");
  AddRegistryFlags(referrers, *rf);
  referrers->callback(
      [rf, rref, rtype, &ctx] { ctx.exit_code = RunReferrers(*rref, *rtype, *rf); });
}

}  // namespace

void AddInspectCommands(CLI::App& app, CommandContext& ctx) {
  AddInspect(app, ctx);
  AddSbomAndReferrers(app, ctx);
}

}  // namespace ocib::cli
