// BuildOptions for tests: a BuildSpec written as text ("oci:DIR:TAG",
// "SRC:DEST", "K=V", "linux/amd64"), as the tests of BuildImage were first
// written, turned into the typed BuildSpec with the library's own parsers
// (never the CLI's). Tests of the typed API itself fill a BuildSpec.
#ifndef OCIB_TEST_TESTING_BUILD_OPTIONS_H_
#define OCIB_TEST_TESTING_BUILD_OPTIONS_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "ocib/image_builder.h"
#include "ocib/image_location.h"
#include "ocib/layer.h"
#include "ocib/platform.h"
#include "ocib/sbom.h"
#include "ocib/status.h"

namespace ocib::testing {

struct BuildOptions {
  std::string base = "static";
  std::string base_name;
  bool absent_base_layers = false;
  std::vector<std::string> platforms;  // lists, or "all"
  std::vector<std::pair<std::string, std::string>> binaries;
  std::string go_package;
  std::string go_dir;
  std::vector<std::string> go_flags;
  std::optional<std::string> go_ldflags;
  bool binary_unchecked = false;
  std::string binary_path = "/app";
  std::vector<std::string> files;  // "SRC:DEST"
  std::optional<std::vector<std::string>> entrypoint;
  std::optional<std::vector<std::string>> cmd;
  std::vector<std::string> env;          // "K=V"
  std::vector<std::string> labels;       // "K=V"
  std::vector<std::string> annotations;  // "K=V"
  std::vector<std::string> expose;
  std::optional<std::string> user;
  std::optional<std::string> workdir;
  Compression compression = Compression::kZstd;
  int compression_level = 0;
  std::string output;
  std::vector<std::string> tags;
  RegistryOptions::ReferrerCheck check_sboms = RegistryOptions::ReferrerCheck::kLast;
  RegistryOptions registry;
  std::string cache_dir;
  bool no_cache = false;
  std::string sbom = "spdx";
  std::optional<int64_t> source_date_epoch;
  LogFunction log;
  BuildEvents events;
  std::function<void()> on_written;
};

inline Result<KeyValues> SplitKeyValues(const std::vector<std::string>& list) {
  KeyValues out;
  for (const std::string& text : list) {
    auto eq = text.find('=');
    if (eq == std::string::npos) return InvalidArgument("\"" + text + "\": want KEY=VALUE");
    out.emplace_back(text.substr(0, eq), text.substr(eq + 1));
  }
  return out;
}

// The text fields parsed into `spec`.
inline Status ParseTextFields(const BuildOptions& o, BuildSpec& s) {
  OCIB_ASSIGN_OR_RETURN(s.base, ParseBuildBase(o.base));
  for (const std::string& text : o.platforms) {
    if (text == "all") {
      s.all_platforms = true;
      continue;
    }
    OCIB_ASSIGN_OR_RETURN(auto list, Platform::ParseList(text));
    s.platforms.insert(s.platforms.end(), list.begin(), list.end());
  }
  for (const auto& [p, path] : o.binaries) {
    OCIB_ASSIGN_OR_RETURN(Platform platform, Platform::Parse(p));
    s.binaries.emplace_back(platform, path);
  }
  for (const std::string& f : o.files) {
    OCIB_ASSIGN_OR_RETURN(FileMapping m, FileMapping::Parse(f));
    s.files.push_back(m);
  }
  OCIB_ASSIGN_OR_RETURN(s.env, SplitKeyValues(o.env));
  OCIB_ASSIGN_OR_RETURN(s.labels, SplitKeyValues(o.labels));
  OCIB_ASSIGN_OR_RETURN(s.annotations, SplitKeyValues(o.annotations));
  for (const std::string& e : o.expose) {
    OCIB_ASSIGN_OR_RETURN(ExposedPort port, ExposedPort::Parse(e));
    s.expose.push_back(port);
  }
  if (!o.output.empty()) {
    OCIB_ASSIGN_OR_RETURN(s.output, ImageLocation::Parse(o.output));
  }
  for (const std::string& t : o.tags) {
    OCIB_ASSIGN_OR_RETURN(ImageLocation where, ImageLocation::Parse(t));
    if (where.registry() == nullptr) return InvalidArgument("\"" + t + "\": not a registry tag");
    s.tags.push_back(where.registry()->reference);
  }
  s.sbom.reset();
  if (o.sbom != "none") {
    OCIB_ASSIGN_OR_RETURN(s.sbom, ParseSbomFormat(o.sbom));
  }
  return OkStatus();
}

inline Result<BuildSpec> ToSpec(const BuildOptions& o) {
  BuildSpec s;
  OCIB_RETURN_IF_ERROR(ParseTextFields(o, s));
  s.base_name = o.base_name;
  s.absent_base_layers = o.absent_base_layers;
  s.go_package = o.go_package;
  s.go_dir = o.go_dir;
  s.go_flags = o.go_flags;
  s.go_ldflags = o.go_ldflags;
  s.binary_unchecked = o.binary_unchecked;
  s.binary_path = o.binary_path;
  s.entrypoint = o.entrypoint;
  s.cmd = o.cmd;
  s.user = o.user;
  s.workdir = o.workdir;
  s.compression = o.compression;
  s.compression_level = o.compression_level;
  s.check_sboms = o.check_sboms;
  s.registry = o.registry;
  s.cache_dir = o.cache_dir;
  s.no_cache = o.no_cache;
  s.source_date_epoch = o.source_date_epoch;
  s.log = o.log;
  s.events = o.events;
  s.on_written = o.on_written;
  return s;
}

// The text form of a spec (the inverse of ToSpec, as the library writes
// each value: platforms normalised, ports with their protocol).
inline BuildOptions ToText(const BuildSpec& s) {
  BuildOptions o;
  o.base = BuildBaseName(s.base);
  for (const Platform& p : s.platforms) o.platforms.push_back(p.ToString());
  if (s.all_platforms) o.platforms.emplace_back("all");
  for (const auto& [p, path] : s.binaries) o.binaries.emplace_back(p.ToString(), path);
  for (const FileMapping& f : s.files) o.files.push_back(f.ToString());
  for (const auto& [k, v] : s.env) o.env.push_back(k + "=" + v);
  for (const auto& [k, v] : s.labels) o.labels.push_back(k + "=" + v);
  for (const auto& [k, v] : s.annotations) o.annotations.push_back(k + "=" + v);
  for (const ExposedPort& e : s.expose) o.expose.push_back(e.ToString());
  if (s.output) o.output = s.output->ToString();
  for (const Reference& r : s.tags) o.tags.push_back(r.String());
  o.sbom = s.sbom ? (*s.sbom == SbomFormat::kSpdx ? "spdx" : "cyclonedx") : "none";
  o.base_name = s.base_name;
  o.absent_base_layers = s.absent_base_layers;
  o.go_package = s.go_package;
  o.go_dir = s.go_dir;
  o.go_flags = s.go_flags;
  o.go_ldflags = s.go_ldflags;
  o.binary_unchecked = s.binary_unchecked;
  o.binary_path = s.binary_path;
  o.entrypoint = s.entrypoint;
  o.cmd = s.cmd;
  o.user = s.user;
  o.workdir = s.workdir;
  o.compression = s.compression;
  o.compression_level = s.compression_level;
  o.check_sboms = s.check_sboms;
  o.registry = s.registry;
  o.cache_dir = s.cache_dir;
  o.no_cache = s.no_cache;
  o.source_date_epoch = s.source_date_epoch;
  o.log = s.log;
  o.events = s.events;
  o.on_written = s.on_written;
  return o;
}

// The spec of `o`; the test fails (an exception) when a text does not parse.
inline BuildSpec SpecOrDie(const BuildOptions& o) {
  auto s = ToSpec(o);
  if (!s) throw std::runtime_error("SpecOrDie: " + s.error().ToString());
  return *std::move(s);
}

// BuildImage of the spec the options describe; a text that does not parse
// is the error.
inline Result<BuildResult> BuildImage(const BuildOptions& o) {
  OCIB_ASSIGN_OR_RETURN(BuildSpec spec, ToSpec(o));
  return ocib::BuildImage(spec);
}

}  // namespace ocib::testing

#endif  // OCIB_TEST_TESTING_BUILD_OPTIONS_H_
