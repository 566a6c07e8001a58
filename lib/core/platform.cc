#include "ocib/platform.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>

namespace ocib {
namespace {

struct ArchAlias {
  std::string_view from;
  std::string_view arch;
  std::string_view variant;
};

constexpr std::array<ArchAlias, 7> kAliases{{
    {"x86_64", "amd64", ""},
    {"x86-64", "amd64", ""},
    {"aarch64", "arm64", ""},
    {"armhf", "arm", "v7"},
    {"armel", "arm", "v6"},
    {"i386", "386", ""},
    {"i686", "386", ""},
}};

constexpr std::array<std::string_view, 13> kKnownArch{
    "amd64",   "arm64",    "arm",    "386",    "ppc64le", "ppc64",  "s390x",
    "riscv64", "mips64le", "mips64", "mipsle", "mips",    "loong64"};

constexpr std::array<std::string_view, 12> kKnownOs{"linux",   "windows", "darwin",  "freebsd",
                                                    "netbsd",  "openbsd", "solaris", "illumos",
                                                    "android", "ios",     "aix",     "plan9"};

bool ValidVariant(std::string_view arch, std::string_view variant) {
  if (variant.empty()) return true;
  if (arch == "arm64") {
    return variant == "v8" || variant == "v9" ||
           (variant.size() >= 4 && variant.substr(0, 3) == "v8.") ||
           (variant.size() >= 4 && variant.substr(0, 3) == "v9.");
  }
  if (arch == "arm")
    return variant == "v5" || variant == "v6" || variant == "v7" || variant == "v8";
  if (arch == "amd64")
    return variant == "v1" || variant == "v2" || variant == "v3" || variant == "v4";
  return std::all_of(variant.begin(), variant.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.';
  });
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Applies architecture aliases and short variant spellings ("7" -> "v7").
void NormalizeArchVariant(std::string& arch, std::string& variant) {
  for (const auto& a : kAliases) {
    if (arch == a.from) {
      arch = std::string(a.arch);
      if (variant.empty()) variant = std::string(a.variant);
    }
  }
  if ((arch == "arm" || arch == "arm64") && variant.size() == 1 && variant[0] >= '5' &&
      variant[0] <= '9') {
    variant = "v" + variant;
  }
}

}  // namespace

Result<Platform> Platform::Parse(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return InvalidArgument(fmt::format("invalid platform \"{}\": {}", text, why));
  };
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t slash = text.find('/', start);
    parts.push_back(
        Lower(text.substr(start, slash == std::string_view::npos ? slash : slash - start)));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (parts.size() < 2 || parts.size() > 3) return bad("want os/arch[/variant]");
  for (const auto& p : parts) {
    if (p.empty()) return bad("empty component");
  }
  Platform out;
  out.os = parts[0];
  out.architecture = parts[1];
  if (parts.size() == 3) out.variant = parts[2];
  if (std::find(kKnownOs.begin(), kKnownOs.end(), out.os) == kKnownOs.end()) {
    return bad(fmt::format("unknown operating system \"{}\"", out.os));
  }
  NormalizeArchVariant(out.architecture, out.variant);
  if (std::find(kKnownArch.begin(), kKnownArch.end(), out.architecture) == kKnownArch.end()) {
    return bad(fmt::format("unknown architecture \"{}\"", out.architecture));
  }
  if (!ValidVariant(out.architecture, out.variant)) {
    return bad(fmt::format("unknown variant \"{}\" for {}", out.variant, out.architecture));
  }
  return out;
}

Result<std::vector<Platform>> Platform::ParseList(std::string_view text) {
  std::vector<Platform> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string_view item = text.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    OCIB_ASSIGN_OR_RETURN(Platform p, Parse(item));
    for (const auto& q : out) {
      if (q.Matches(p)) {
        return InvalidArgument(fmt::format("platform {} given twice", p.ToString()));
      }
    }
    out.push_back(std::move(p));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

Platform Platform::Normalized() const {
  Platform p = *this;
  NormalizeArchVariant(p.architecture, p.variant);
  if (p.variant.empty()) {
    if (p.architecture == "arm64") p.variant = "v8";
    if (p.architecture == "arm") p.variant = "v7";
  }
  if (p.architecture == "amd64" && p.variant == "v1") p.variant.clear();
  return p;
}

std::string Platform::ToString() const {
  std::string s = os + "/" + architecture;
  if (!variant.empty()) s += "/" + variant;
  return s;
}

bool Platform::Matches(const Platform& other) const {
  Platform a = Normalized();
  Platform b = other.Normalized();
  return a.os == b.os && a.architecture == b.architecture && a.variant == b.variant;
}

}  // namespace ocib
