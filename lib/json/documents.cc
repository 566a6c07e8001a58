// Manifest, Index and ImageConfig <-> JSON. nlohmann::json sorts object keys
// (std::map), and dump() without indent writes no insignificant whitespace:
// that is ocib's canonical form.
#include <cstdio>
#include <ctime>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ocib/image_config.h"
#include "ocib/manifest.h"
#include "ocib/media_type.h"

#include "lib/core/utf8.h"
#include "lib/json/json_util.h"

namespace ocib {

using json = nlohmann::json;

namespace jsonutil {

Result<json> ParseObject(std::string_view bytes, std::string_view what) {
  json j = json::parse(bytes.begin(), bytes.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded())
    return InvalidArgument(fmt::format("{} is not valid JSON", std::string(what)));
  if (!j.is_object())
    return InvalidArgument(fmt::format("{} is not a JSON object", std::string(what)));
  return j;
}

std::string Dump(const json& j) {
  return j.dump(-1, ' ', /*ensure_ascii=*/false, json::error_handler_t::strict);
}

Status CheckUtf8(std::string_view text, std::string_view what) {
  if (core::IsUtf8(text)) return OkStatus();
  return InvalidArgument(fmt::format("{} is not valid UTF-8", std::string(what)));
}

Result<std::string> GetString(const json& j, const char* key, bool required) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (required) return InvalidArgument(fmt::format("missing \"{}\"", key));
    return std::string();
  }
  if (!it->is_string()) return InvalidArgument(fmt::format("\"{}\" is not a string", key));
  return it->get<std::string>();
}

Result<Annotations> GetStringMap(const json& j, const char* key) {
  Annotations out;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return out;
  if (!it->is_object()) return InvalidArgument(fmt::format("\"{}\" is not an object", key));
  for (const auto& [k, v] : it->items()) {
    if (!v.is_string()) {
      return InvalidArgument(fmt::format(R"("{}"["{}"] is not a string)", key, k));
    }
    out[k] = v.get<std::string>();
  }
  return out;
}

Result<std::vector<std::string>> GetStringArray(const json& j, const char* key) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return out;
  if (!it->is_array()) return InvalidArgument(fmt::format("\"{}\" is not an array", key));
  for (const auto& v : *it) {
    if (!v.is_string()) return InvalidArgument(fmt::format("\"{}\" has a non-string", key));
    out.push_back(v.get<std::string>());
  }
  return out;
}

Result<Platform> PlatformFromJson(const json& j) {
  if (!j.is_object()) return InvalidArgument("\"platform\" is not an object");
  Platform p;
  OCIB_ASSIGN_OR_RETURN(p.os, GetString(j, "os", true));
  OCIB_ASSIGN_OR_RETURN(p.architecture, GetString(j, "architecture", true));
  OCIB_ASSIGN_OR_RETURN(p.variant, GetString(j, "variant", false));
  OCIB_ASSIGN_OR_RETURN(p.os_version, GetString(j, "os.version", false));
  OCIB_ASSIGN_OR_RETURN(p.os_features, GetStringArray(j, "os.features"));
  return p;
}

json PlatformToJson(const Platform& p) {
  json j = json::object();
  j["os"] = p.os;
  j["architecture"] = p.architecture;
  if (!p.variant.empty()) j["variant"] = p.variant;
  if (!p.os_version.empty()) j["os.version"] = p.os_version;
  if (!p.os_features.empty()) j["os.features"] = p.os_features;
  return j;
}

Result<Descriptor> DescriptorFromJson(const json& j) {
  if (!j.is_object()) return InvalidArgument("descriptor is not an object");
  Descriptor d;
  OCIB_ASSIGN_OR_RETURN(d.media_type, GetString(j, "mediaType", false));
  OCIB_ASSIGN_OR_RETURN(std::string digest, GetString(j, "digest", true));
  OCIB_ASSIGN_OR_RETURN(d.digest, Digest::Parse(digest));
  auto size = j.find("size");
  if (size == j.end() || !size->is_number_integer()) {
    return InvalidArgument(
        fmt::format("descriptor {}: \"size\" missing or not an integer", digest));
  }
  d.size = size->get<int64_t>();
  if (d.size < 0) return InvalidArgument(fmt::format("descriptor {}: negative size", digest));
  if (auto p = j.find("platform"); p != j.end() && !p->is_null()) {
    OCIB_ASSIGN_OR_RETURN(d.platform, PlatformFromJson(*p));
  }
  OCIB_ASSIGN_OR_RETURN(d.annotations, GetStringMap(j, "annotations"));
  OCIB_ASSIGN_OR_RETURN(d.artifact_type, GetString(j, "artifactType", false));
  OCIB_ASSIGN_OR_RETURN(d.urls, GetStringArray(j, "urls"));
  return d;
}

json DescriptorToJson(const Descriptor& d) {
  json j = json::object();
  j["mediaType"] = d.media_type;
  j["digest"] = d.digest.ToString();
  j["size"] = d.size;
  if (d.platform) j["platform"] = PlatformToJson(*d.platform);
  if (!d.annotations.empty()) j["annotations"] = d.annotations;
  if (!d.artifact_type.empty()) j["artifactType"] = d.artifact_type;
  if (!d.urls.empty()) j["urls"] = d.urls;
  return j;
}

}  // namespace jsonutil

using namespace jsonutil;  // NOLINT(google-build-using-namespace)

namespace {

Status CheckSchemaVersion(const json& j, std::string_view what) {
  auto it = j.find("schemaVersion");
  if (it == j.end() || !it->is_number_integer() || it->get<int64_t>() != 2) {
    return InvalidArgument(fmt::format("{}: \"schemaVersion\" must be 2", std::string(what)));
  }
  return {};
}

}  // namespace

Result<Manifest> Manifest::Parse(std::string_view bytes) {
  OCIB_ASSIGN_OR_RETURN(json j, ParseObject(bytes, "image manifest"));
  OCIB_RETURN_IF_ERROR(CheckSchemaVersion(j, "image manifest"));
  Manifest m;
  auto wrap = [](Error e) { return std::move(e).With("parsing image manifest"); };
  auto mt = GetString(j, "mediaType", false);
  if (!mt) return wrap(mt.error());
  m.media_type = *mt;
  if (!m.media_type.empty() && media_type::IsIndex(m.media_type)) {
    return InvalidArgument(
        fmt::format("parsing image manifest: document is an index ({})", m.media_type));
  }
  auto at = GetString(j, "artifactType", false);
  if (!at) return wrap(at.error());
  m.artifact_type = *at;
  auto cfg = j.find("config");
  if (cfg == j.end()) return InvalidArgument("parsing image manifest: missing \"config\"");
  auto c = DescriptorFromJson(*cfg);
  if (!c) return wrap(std::move(c).error().With("config"));
  m.config = *c;
  auto layers = j.find("layers");
  if (layers != j.end() && !layers->is_null()) {
    if (!layers->is_array())
      return InvalidArgument("parsing image manifest: \"layers\" is not an array");
    for (const auto& l : *layers) {
      auto d = DescriptorFromJson(l);
      if (!d) return wrap(std::move(d).error().With("layer"));
      m.layers.push_back(*d);
    }
  }
  if (auto s = j.find("subject"); s != j.end() && !s->is_null()) {
    auto d = DescriptorFromJson(*s);
    if (!d) return wrap(std::move(d).error().With("subject"));
    m.subject = *d;
  }
  auto ann = GetStringMap(j, "annotations");
  if (!ann) return wrap(ann.error());
  m.annotations = *ann;
  return m;
}

std::string Manifest::Serialize() const {
  json j = json::object();
  j["schemaVersion"] = 2;
  j["mediaType"] = media_type.empty() ? std::string(media_type::kImageManifest) : media_type;
  if (!artifact_type.empty()) j["artifactType"] = artifact_type;
  j["config"] = DescriptorToJson(config);
  j["layers"] = json::array();
  for (const auto& l : layers) j["layers"].push_back(DescriptorToJson(l));
  if (subject) j["subject"] = DescriptorToJson(*subject);
  if (!annotations.empty()) j["annotations"] = annotations;
  return Dump(j);
}

Result<Index> Index::Parse(std::string_view bytes) {
  OCIB_ASSIGN_OR_RETURN(json j, ParseObject(bytes, "image index"));
  OCIB_RETURN_IF_ERROR(CheckSchemaVersion(j, "image index"));
  Index idx;
  auto wrap = [](Error e) { return std::move(e).With("parsing image index"); };
  auto mt = GetString(j, "mediaType", false);
  if (!mt) return wrap(mt.error());
  idx.media_type = *mt;
  if (!idx.media_type.empty() && media_type::IsManifest(idx.media_type)) {
    return InvalidArgument(
        fmt::format("parsing image index: document is a manifest ({})", idx.media_type));
  }
  auto at = GetString(j, "artifactType", false);
  if (!at) return wrap(at.error());
  idx.artifact_type = *at;
  auto ms = j.find("manifests");
  if (ms == j.end() || !ms->is_array()) {
    return InvalidArgument("parsing image index: \"manifests\" missing or not an array");
  }
  for (const auto& m : *ms) {
    auto d = DescriptorFromJson(m);
    if (!d) return wrap(std::move(d).error().With("manifests entry"));
    idx.manifests.push_back(*d);
  }
  if (auto s = j.find("subject"); s != j.end() && !s->is_null()) {
    auto d = DescriptorFromJson(*s);
    if (!d) return wrap(std::move(d).error().With("subject"));
    idx.subject = *d;
  }
  auto ann = GetStringMap(j, "annotations");
  if (!ann) return wrap(ann.error());
  idx.annotations = *ann;
  return idx;
}

std::string Index::Serialize() const {
  json j = json::object();
  j["schemaVersion"] = 2;
  j["mediaType"] = media_type.empty() ? std::string(media_type::kImageIndex) : media_type;
  if (!artifact_type.empty()) j["artifactType"] = artifact_type;
  j["manifests"] = json::array();
  for (const auto& m : manifests) j["manifests"].push_back(DescriptorToJson(m));
  if (subject) j["subject"] = DescriptorToJson(*subject);
  if (!annotations.empty()) j["annotations"] = annotations;
  return Dump(j);
}

Descriptor DescribeBytes(std::string_view media_type, std::string_view bytes) {
  Descriptor d;
  d.media_type = std::string(media_type);
  d.digest = Digest::Sha256Of(bytes);
  d.size = static_cast<int64_t>(bytes.size());
  return d;
}

// ---------------------------------------------------------------- config

namespace {

// Adds the context of every error met while parsing an image config.
Error ConfigError(Error e) { return std::move(e).With("parsing image config"); }

// Reads the string `key` of `obj` into `field`.
Status ReadConfigString(const json& obj, const char* key, bool required, std::string* field) {
  auto r = GetString(obj, key, required);
  if (!r) return ConfigError(std::move(r).error());
  *field = *std::move(r);
  return {};
}

// Reads an image config's "config" object `cc` into `k`.
Status ParseContainerConfig(const json& cc, ContainerConfig* k) {
  OCIB_RETURN_IF_ERROR(ReadConfigString(cc, "User", false, &k->user));
  OCIB_RETURN_IF_ERROR(ReadConfigString(cc, "WorkingDir", false, &k->working_dir));
  OCIB_RETURN_IF_ERROR(ReadConfigString(cc, "StopSignal", false, &k->stop_signal));
  auto env = GetStringArray(cc, "Env");
  if (!env) return ConfigError(env.error());
  k->env = *env;
  if (auto e = cc.find("Entrypoint"); e != cc.end() && !e->is_null()) {
    auto v = GetStringArray(cc, "Entrypoint");
    if (!v) return ConfigError(v.error());
    k->entrypoint = *v;
  }
  if (auto e = cc.find("Cmd"); e != cc.end() && !e->is_null()) {
    auto v = GetStringArray(cc, "Cmd");
    if (!v) return ConfigError(v.error());
    k->cmd = *v;
  }
  auto labels = GetStringMap(cc, "Labels");
  if (!labels) return ConfigError(labels.error());
  k->labels = *labels;
  for (const char* key : {"ExposedPorts", "Volumes"}) {
    auto it = cc.find(key);
    if (it == cc.end() || it->is_null()) continue;
    if (!it->is_object()) {
      return InvalidArgument(fmt::format("parsing image config: \"{}\" is not an object", key));
    }
    for (const auto& [name, unused] : it->items()) {
      (std::string(key) == "Volumes" ? k->volumes : k->exposed_ports).insert(name);
    }
  }
  return {};
}

// Reads the "rootfs" of image config `j`: the diff IDs of its layers.
Status ParseRootfs(const json& j, std::vector<Digest>* diff_ids) {
  auto rootfs = j.find("rootfs");
  if (rootfs == j.end() || !rootfs->is_object()) {
    return InvalidArgument("parsing image config: missing \"rootfs\"");
  }
  std::string type;
  OCIB_RETURN_IF_ERROR(ReadConfigString(*rootfs, "type", true, &type));
  if (type != "layers") {
    return InvalidArgument(
        fmt::format(R"(parsing image config: rootfs.type is "{}", not "layers")", type));
  }
  auto ids = GetStringArray(*rootfs, "diff_ids");
  if (!ids) return ConfigError(ids.error());
  for (const auto& s : *ids) {
    auto d = Digest::Parse(s);
    if (!d) return ConfigError(std::move(d).error().With("rootfs.diff_ids"));
    diff_ids->push_back(*d);
  }
  return {};
}

// Reads the "history" array of image config `j`, when it has one.
Status ParseHistory(const json& j, std::vector<HistoryEntry>* history) {
  if (auto h = j.find("history"); h != j.end() && h->is_array()) {
    for (const auto& e : *h) {
      if (!e.is_object())
        return InvalidArgument("parsing image config: history entry is not an object");
      HistoryEntry he;
      OCIB_RETURN_IF_ERROR(ReadConfigString(e, "created", false, &he.created));
      OCIB_RETURN_IF_ERROR(ReadConfigString(e, "created_by", false, &he.created_by));
      OCIB_RETURN_IF_ERROR(ReadConfigString(e, "author", false, &he.author));
      OCIB_RETURN_IF_ERROR(ReadConfigString(e, "comment", false, &he.comment));
      if (auto el = e.find("empty_layer"); el != e.end() && el->is_boolean())
        he.empty_layer = el->get<bool>();
      history->push_back(he);
    }
  }
  return {};
}

}  // namespace

Result<ImageConfig> ImageConfig::Parse(std::string_view bytes) {
  OCIB_ASSIGN_OR_RETURN(json j, ParseObject(bytes, "image config"));
  ImageConfig c;
  OCIB_RETURN_IF_ERROR(ReadConfigString(j, "created", false, &c.created));
  OCIB_RETURN_IF_ERROR(ReadConfigString(j, "author", false, &c.author));
  OCIB_RETURN_IF_ERROR(ReadConfigString(j, "architecture", true, &c.architecture));
  OCIB_RETURN_IF_ERROR(ReadConfigString(j, "os", true, &c.os));
  OCIB_RETURN_IF_ERROR(ReadConfigString(j, "variant", false, &c.variant));
  OCIB_RETURN_IF_ERROR(ReadConfigString(j, "os.version", false, &c.os_version));
  {
    auto f = GetStringArray(j, "os.features");
    if (!f) return ConfigError(f.error());
    c.os_features = *f;
  }
  if (auto cc = j.find("config"); cc != j.end() && cc->is_object()) {
    OCIB_RETURN_IF_ERROR(ParseContainerConfig(*cc, &c.config));
  }
  OCIB_RETURN_IF_ERROR(ParseRootfs(j, &c.diff_ids));
  OCIB_RETURN_IF_ERROR(ParseHistory(j, &c.history));
  return c;
}

std::string ImageConfig::Serialize() const {
  json j = json::object();
  if (!created.empty()) j["created"] = created;
  if (!author.empty()) j["author"] = author;
  j["architecture"] = architecture;
  j["os"] = os;
  if (!variant.empty()) j["variant"] = variant;
  if (!os_version.empty()) j["os.version"] = os_version;
  if (!os_features.empty()) j["os.features"] = os_features;
  json cc = json::object();
  if (!config.user.empty()) cc["User"] = config.user;
  if (!config.exposed_ports.empty()) {
    cc["ExposedPorts"] = json::object();
    for (const auto& p : config.exposed_ports) cc["ExposedPorts"][p] = json::object();
  }
  if (!config.env.empty()) cc["Env"] = config.env;
  if (config.entrypoint) cc["Entrypoint"] = *config.entrypoint;
  if (config.cmd) cc["Cmd"] = *config.cmd;
  if (!config.volumes.empty()) {
    cc["Volumes"] = json::object();
    for (const auto& v : config.volumes) cc["Volumes"][v] = json::object();
  }
  if (!config.working_dir.empty()) cc["WorkingDir"] = config.working_dir;
  if (!config.labels.empty()) cc["Labels"] = config.labels;
  if (!config.stop_signal.empty()) cc["StopSignal"] = config.stop_signal;
  j["config"] = cc;
  j["rootfs"] = json::object();
  j["rootfs"]["type"] = "layers";
  j["rootfs"]["diff_ids"] = json::array();
  for (const auto& d : diff_ids) j["rootfs"]["diff_ids"].push_back(d.ToString());
  if (!history.empty()) {
    j["history"] = json::array();
    for (const auto& h : history) {
      json e = json::object();
      if (!h.created.empty()) e["created"] = h.created;
      if (!h.created_by.empty()) e["created_by"] = h.created_by;
      if (!h.author.empty()) e["author"] = h.author;
      if (!h.comment.empty()) e["comment"] = h.comment;
      if (h.empty_layer) e["empty_layer"] = true;
      j["history"].push_back(e);
    }
  }
  return Dump(j);
}

Platform ImageConfig::platform() const {
  Platform p;
  p.os = os;
  p.architecture = architecture;
  p.variant = variant;
  p.os_version = os_version;
  p.os_features = os_features;
  return p;
}

std::string FormatRfc3339(int64_t seconds) {
  std::time_t t = seconds;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace ocib
