#include "cli/build_flags.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "ocib/image_location.h"
#include "ocib/layer.h"
#include "ocib/platform.h"
#include "ocib/sbom.h"

namespace ocib::cli {
namespace {

// "K=V" as a key and a value; the key is non-empty.
Result<std::pair<std::string, std::string>> SplitKeyValue(const std::string& text,
                                                          std::string_view flag) {
  auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    return InvalidArgument(fmt::format("{} \"{}\": want KEY=VALUE", flag, text));
  }
  return std::pair{text.substr(0, eq), text.substr(eq + 1)};
}

Result<KeyValues> ParseKeyValues(const std::vector<std::string>& list, std::string_view flag) {
  KeyValues out;
  for (const std::string& text : list) {
    OCIB_ASSIGN_OR_RETURN(auto kv, SplitKeyValue(text, flag));
    out.push_back(std::move(kv));
  }
  return out;
}

Status ParsePlatformTexts(const BuildTexts& t, BuildSpec& spec) {
  spec.platforms.clear();
  spec.all_platforms = t.platforms.size() == 1 && t.platforms.front() == "all";
  if (spec.all_platforms) return OkStatus();
  for (const std::string& text : t.platforms) {
    auto list = Platform::ParseList(text);
    if (!list) return std::move(list).error().With("--platform");
    for (const Platform& p : *list) {
      for (const Platform& q : spec.platforms) {
        if (q.Matches(p)) {
          return InvalidArgument(fmt::format("--platform lists {} twice", p.ToString()));
        }
      }
      spec.platforms.push_back(p);
    }
  }
  return OkStatus();
}

Status ParseBinaryTexts(const BuildTexts& t, BuildSpec& spec) {
  spec.binaries.clear();
  for (const std::string& b : t.binaries) {
    auto eq = b.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == b.size()) {
      return InvalidArgument(fmt::format("--binary \"{}\": want PLATFORM=PATH", b));
    }
    auto p = Platform::Parse(b.substr(0, eq));
    if (!p) return std::move(p).error().With(fmt::format("--binary {}", b));
    for (const auto& [q, path] : spec.binaries) {
      if (q.Matches(*p)) {
        return InvalidArgument(fmt::format("--binary given twice for {}", p->ToString()));
      }
    }
    spec.binaries.emplace_back(*p, b.substr(eq + 1));
  }
  return OkStatus();
}

Status ParseLocationTexts(const BuildTexts& t, BuildSpec& spec) {
  auto base = ParseBuildBase(t.base);
  if (!base) return std::move(base).error().With("--base");
  spec.base = std::move(*base);
  spec.output.reset();
  if (!t.output.empty()) {
    auto out = ImageLocation::Parse(t.output);
    if (!out) return std::move(out).error().With("--output");
    if (out->registry() != nullptr) {
      return InvalidArgument(fmt::format(
          "--output \"{}\" is a registry reference, not oci:DIR[:TAG], oci-archive:FILE[:TAG] "
          "or docker-archive:FILE[:REPO:TAG] (push with --tag)",
          t.output));
    }
    spec.output = std::move(*out);
  }
  spec.tags.clear();
  for (const std::string& text : t.tags) {
    auto where = ImageLocation::Parse(text);
    if (!where) return std::move(where).error().With(fmt::format("--tag {}", text));
    if (where->registry() == nullptr) {
      return InvalidArgument(fmt::format("--tag \"{}\" is not a registry reference", text));
    }
    spec.tags.push_back(where->registry()->reference);
  }
  return OkStatus();
}

Status ParseSettingTexts(const BuildTexts& t, BuildSpec& spec) {
  spec.files.clear();
  for (const std::string& f : t.files) {
    auto m = FileMapping::Parse(f);
    if (!m) return std::move(m).error().With("--file");
    spec.files.push_back(std::move(*m));
  }
  OCIB_ASSIGN_OR_RETURN(spec.env, ParseKeyValues(t.env, "--env"));
  OCIB_ASSIGN_OR_RETURN(spec.labels, ParseKeyValues(t.labels, "--label"));
  OCIB_ASSIGN_OR_RETURN(spec.annotations, ParseKeyValues(t.annotations, "--annotation"));
  spec.expose.clear();
  for (const std::string& e : t.expose) {
    auto p = ExposedPort::Parse(e);
    if (!p) return std::move(p).error().With("--expose");
    spec.expose.push_back(*p);
  }
  if (t.sbom == "none") {
    spec.sbom.reset();
  } else {
    auto f = ParseSbomFormat(t.sbom);
    if (!f)
      return InvalidArgument(fmt::format("--sbom \"{}\": want spdx, cyclonedx or none", t.sbom));
    spec.sbom = *f;
  }
  auto c = ParseCompression(t.compression);
  if (!c) return std::move(c).error().With("--compression");
  spec.compression = *c;
  return OkStatus();
}

}  // namespace

Status ParseBuildTexts(const BuildTexts& texts, BuildSpec& spec) {
  OCIB_RETURN_IF_ERROR(ParsePlatformTexts(texts, spec));
  OCIB_RETURN_IF_ERROR(ParseBinaryTexts(texts, spec));
  OCIB_RETURN_IF_ERROR(ParseLocationTexts(texts, spec));
  OCIB_RETURN_IF_ERROR(ParseSettingTexts(texts, spec));
  return OkStatus();
}

Status CheckBuildFlags(const BuildSpec& spec) {
  if (!spec.go_package.empty()) {
    if (!spec.binaries.empty()) return InvalidArgument("--go and --binary cannot be combined");
    if (spec.platforms.empty() && !spec.all_platforms) {
      return InvalidArgument("--go needs --platform LIST (or --platform all)");
    }
  } else {
    if (spec.all_platforms) return InvalidArgument("--platform all needs --go");
    if (spec.platforms.empty() && spec.binaries.empty()) {
      return InvalidArgument("no platforms: give --binary PLATFORM=PATH for each platform");
    }
    for (const Platform& p : spec.platforms) {
      bool given = std::any_of(spec.binaries.begin(), spec.binaries.end(),
                               [&](const auto& b) { return b.first.Matches(p); });
      if (!given) {
        return InvalidArgument(fmt::format("platform {} has no binary: give --binary {}=PATH",
                                           p.ToString(), p.ToString()));
      }
    }
    for (const auto& binary : spec.binaries) {
      const Platform& p = binary.first;
      bool listed =
          spec.platforms.empty() || std::any_of(spec.platforms.begin(), spec.platforms.end(),
                                                [&](const Platform& q) { return q.Matches(p); });
      if (!listed) {
        return InvalidArgument(
            fmt::format("--binary for {} but --platform does not list it", p.ToString()));
      }
    }
  }
  if (!spec.output && spec.tags.empty()) {
    return InvalidArgument(
        "no output: give --output oci:DIR[:TAG] or oci-archive:FILE[:TAG], or --tag REF");
  }
  return OkStatus();
}

}  // namespace ocib::cli
