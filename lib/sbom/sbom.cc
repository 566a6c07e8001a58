// SPDX 2.3 and CycloneDX 1.5 documents from Go build information. The
// mapping is described in include/ocib/sbom.h.
#include "ocib/sbom.h"

#include <array>
#include <ctime>
#include <set>
#include <utility>
#include <vector>

#include <fmt/format.h>

// SHA-1 by the direct functions: deprecated in OpenSSL 3 in favour of EVP, but the first EVP
// digest of a process initializes OpenSSL's providers and reads its
// configuration file (1-3 ms of a rebuild); the direct functions need
// neither. EVP where OpenSSL is built without the deprecated APIs.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/evp.h>
#include <openssl/opensslconf.h>
#include <openssl/sha.h>

#include "ocib/referrers.h"

#include "lib/core/utf8.h"
#include "lib/json/json_util.h"

namespace ocib {
namespace {

using nlohmann::json;

constexpr std::string_view kToolName = "ocib";
constexpr std::string_view kDefaultCreated = "1970-01-01T00:00:00Z";
constexpr std::string_view kCreatedAnnotation = "org.opencontainers.image.created";

// ------------------------------------------------------------ small helpers

std::string HexOf(const unsigned char* data, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kHex[data[i] >> 4]);
    out.push_back(kHex[data[i] & 0xf]);
  }
  return out;
}

// Standard base64 (with padding) -> bytes; nullopt if malformed.
std::optional<std::string> Base64Decode(std::string_view in) {
  if (in.size() % 4 != 0) return std::nullopt;
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < in.size(); i += 4) {
    uint32_t acc = 0;
    int pad = 0;
    for (size_t k = 0; k < 4; ++k) {
      char c = in[i + k];
      if (c == '=') {
        if (i + 4 != in.size() || k < 2) return std::nullopt;
        ++pad;
        acc <<= 6;
        continue;
      }
      if (pad != 0) return std::nullopt;
      int v = value(c);
      if (v < 0) return std::nullopt;
      acc = (acc << 6) | static_cast<uint32_t>(v);
    }
    out.push_back(static_cast<char>((acc >> 16) & 0xff));
    if (pad < 2) out.push_back(static_cast<char>((acc >> 8) & 0xff));
    if (pad < 1) out.push_back(static_cast<char>(acc & 0xff));
  }
  return out;
}

// The hex SHA-256 inside a go.sum "h1:" hash, or "" if `sum` is not one.
std::string H1ToSha256Hex(std::string_view sum) {
  if (sum.substr(0, 3) != "h1:") return {};
  auto raw = Base64Decode(sum.substr(3));
  if (!raw || raw->size() != 32) return {};
  const std::string& bytes = *raw;
  return HexOf(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

// A name-based (version 5, SHA-1) UUID in the URL namespace, for `name`.
std::string Uuid5(std::string_view name) {
  // RFC 4122 appendix C: the URL namespace 6ba7b811-9dad-11d1-80b4-00c04fd430c8.
  static constexpr std::array<unsigned char, 16> kNamespace = {0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad,
                                                               0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0,
                                                               0x4f, 0xd4, 0x30, 0xc8};
  std::string input(reinterpret_cast<const char*>(kNamespace.data()), kNamespace.size());
  input.append(name);
  unsigned char md[EVP_MAX_MD_SIZE];
#ifndef OPENSSL_NO_DEPRECATED_3_0
  // SHA1_Init/Update/Final, not SHA1(): in OpenSSL 3 the one-shot goes
  // through EVP.
  SHA_CTX ctx;
  const bool sha1_ok = SHA1_Init(&ctx) == 1 && SHA1_Update(&ctx, input.data(), input.size()) == 1 &&
                       SHA1_Final(md, &ctx) == 1;
#else
  unsigned int md_len = 0;
  const bool sha1_ok =
      EVP_Digest(input.data(), input.size(), md, &md_len, EVP_sha1(), nullptr) == 1 && md_len >= 16;
#endif
  if (!sha1_ok) {
    // SHA-1 is always available in OpenSSL's default provider; fall back to
    // SHA-256 bits rather than fail.
    Digest d = Digest::Sha256Of(input);
    for (size_t i = 0; i < 16; ++i) {
      md[i] = static_cast<unsigned char>(std::stoi(d.encoded().substr(2 * i, 2), nullptr, 16));
    }
  }
  md[6] = static_cast<unsigned char>((md[6] & 0x0f) | 0x50);
  md[8] = static_cast<unsigned char>((md[8] & 0x3f) | 0x80);
  std::string hex = HexOf(md, 16);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20, 12);
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

Status CheckCreated(std::string_view t) {
  if (!IsSbomTime(t)) {
    return InvalidArgument(
        fmt::format("SBOM creation time \"{}\" is not of the form YYYY-MM-DDTHH:MM:SSZ", t));
  }
  return {};
}

// Percent-encodes everything but the purl-safe characters and `keep`.
std::string PercentEncode(std::string_view s, std::string_view keep = {}) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c) || c == '-' ||
                c == '.' || c == '_' || c == '~' || keep.find(c) != std::string_view::npos;
    if (safe) {
      out.push_back(c);
    } else {
      auto u = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xf]);
    }
  }
  return out;
}

// pkg:golang/<path segments>[@version]; "(devel)" and "" give no version.
std::string GoPurl(std::string_view path, std::string_view version) {
  std::string out = "pkg:golang/";
  size_t start = 0;
  bool first = true;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    std::string_view seg = path.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (!seg.empty()) {
      if (!first) out.push_back('/');
      out += PercentEncode(seg);
      first = false;
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (!version.empty() && version != "(devel)") out += "@" + PercentEncode(version);
  return out;
}

// Whether a replacement path is a filesystem directory rather than a module.
bool IsDirectoryPath(std::string_view p) {
  return p == "." || p == ".." || p.substr(0, 2) == "./" || p.substr(0, 3) == "../" ||
         p.substr(0, 1) == "/" || (p.size() >= 2 && p[1] == ':');
}

// "registry/path/name:tag@digest" -> repository, tag.
struct ImageName {
  std::string repository;
  std::string tag;
  std::string short_name;  // last path component, lower-case
};

ImageName SplitImageName(std::string_view name) {
  ImageName out;
  std::string_view rest = name.substr(0, name.find('@'));
  size_t slash = rest.rfind('/');
  size_t colon = rest.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    out.tag = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
  }
  out.repository = std::string(rest);
  slash = rest.rfind('/');
  out.short_name = std::string(slash == std::string_view::npos ? rest : rest.substr(slash + 1));
  for (char& c : out.short_name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (out.short_name.empty()) out.short_name = "image";
  return out;
}

// pkg:oci/NAME@DIGEST?arch=..&repository_url=..&tag=.. (qualifiers sorted).
std::string OciPurl(const SbomSubject& s) {
  ImageName n = SplitImageName(s.name);
  std::string out =
      "pkg:oci/" + PercentEncode(n.short_name) + "@" + PercentEncode(s.digest.ToString());
  std::vector<std::pair<std::string, std::string>> q;
  if (s.platform && !s.platform->architecture.empty()) {
    q.emplace_back("arch", s.platform->architecture);
  }
  if (!n.repository.empty()) q.emplace_back("repository_url", n.repository);
  if (!n.tag.empty()) q.emplace_back("tag", n.tag);
  char sep = '?';
  for (const auto& [k, v] : q) {
    out += sep;
    out += k + "=" + PercentEncode(v, "/:");
    sep = '&';
  }
  return out;
}

std::string GoVersionForPurl(std::string_view go_version) {
  std::string_view v = go_version.substr(0, go_version.find(' '));
  if (v.substr(0, 2) == "go") v.remove_prefix(2);
  return std::string(v);
}

// One Go module as it goes into either document.
struct ModuleEntry {
  std::string name;
  std::string version;
  std::string purl;
  std::string sum;                       // go.sum hash as recorded
  std::string sha256_hex;                // of the h1: hash, when convertible
  std::optional<GoDependency> replaced;  // the dep as required, when replaced
};

ModuleEntry EntryFor(const GoDependency& dep) {
  ModuleEntry e;
  GoModule eff = dep.Effective();
  if (dep.replace && IsDirectoryPath(dep.replace->path)) {
    e.name = dep.path;
    e.purl = GoPurl(dep.path, eff.version);
  } else {
    e.name = eff.path;
    e.purl = GoPurl(eff.path, eff.version);
  }
  e.version = eff.version;
  e.sum = eff.sum;
  e.sha256_hex = H1ToSha256Hex(eff.sum);
  if (dep.replace) e.replaced = dep;
  return e;
}

std::string ReplacedText(const GoDependency& d) {
  std::string s = "replaced: " + d.path + " " + d.version + " => " + d.replace->path;
  if (!d.replace->version.empty()) s += " " + d.replace->version;
  return s;
}

struct Prepared {
  std::string created;
  std::string app_name;
  std::string app_version;
  std::string app_purl;
  std::vector<ModuleEntry> deps;
  bool has_image = false;
  std::string image_name;
  std::string doc_name;
};

// The first text of `info` and `subject` that is not valid UTF-8 (a
// corrupt or hostile binary's build information), named; empty when all is.
std::string FirstNonUtf8(const GoBuildInfo& info, const SbomSubject& subject) {
  std::vector<std::pair<std::string, const std::string*>> texts = {
      {"the Go version", &info.go_version},      {"the package path", &info.path},
      {"the main module", &info.main.path},      {"the main module's version", &info.main.version},
      {"the main module's sum", &info.main.sum}, {"the image name", &subject.name},
      {"the binary path", &subject.binary_path}};
  for (const GoDependency& d : info.deps) {
    for (const std::string* t : {&d.path, &d.version, &d.sum})
      texts.emplace_back("a dependency", t);
    if (d.replace) {
      for (const std::string* t : {&d.replace->path, &d.replace->version, &d.replace->sum}) {
        texts.emplace_back("a dependency's replacement", t);
      }
    }
  }
  for (const auto& [key, value] : info.settings) {
    texts.emplace_back("a build setting", &key);
    texts.emplace_back("a build setting", &value);
  }
  for (const auto& [what, text] : texts) {
    if (!core::IsUtf8(*text)) return what;
  }
  return "";
}

Result<Prepared> Prepare(const GoBuildInfo& info, const SbomSubject& subject) {
  if (std::string bad = FirstNonUtf8(info, subject); !bad.empty()) {
    return InvalidArgument(fmt::format("{} in the Go build information is not valid UTF-8", bad));
  }
  Prepared p;
  p.created = subject.created.empty() ? std::string(kDefaultCreated) : subject.created;
  OCIB_RETURN_IF_ERROR(CheckCreated(p.created));
  p.app_name = !info.main.path.empty() ? info.main.path : info.path;
  if (p.app_name.empty()) {
    return InvalidArgument("Go build information has no main module or package path");
  }
  p.app_version = info.main.version;
  p.app_purl = GoPurl(p.app_name, p.app_version);
  for (const GoDependency& d : info.deps) p.deps.push_back(EntryFor(d));
  p.has_image = !subject.digest.empty();
  p.image_name = !subject.name.empty() ? SplitImageName(subject.name).repository : "image";
  if (p.image_name.empty()) p.image_name = "image";
  p.doc_name = !subject.name.empty() ? subject.name : p.app_name;
  if (subject.platform) p.doc_name += " (" + subject.platform->ToString() + ")";
  return p;
}

// Makes unique identifiers from readable ones.
class Uniquifier {
 public:
  std::string Make(const std::string& base) {
    std::string id = base;
    for (int n = 2; !used_.insert(id).second; ++n) id = base + "-" + std::to_string(n);
    return id;
  }

 private:
  std::set<std::string> used_;
};

// ------------------------------------------------------------------- SPDX

std::string SpdxIdPart(std::string_view s) {
  std::string out;
  for (char c : s) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c) || c == '.' || c == '-';
    out.push_back(ok ? c : '-');
  }
  return out;
}

// The document name reduced to [A-Za-z0-9._-], runs of others as one '-'.
std::string NamespaceName(std::string_view name) {
  std::string out;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c) || c == '.' ||
              c == '_' || c == '-';
    if (ok) {
      out.push_back(c);
    } else if (!out.empty() && out.back() != '-') {
      out.push_back('-');
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "sbom" : out;
}

json SpdxPurlRef(const std::string& purl) {
  return json{{"referenceCategory", "PACKAGE-MANAGER"},
              {"referenceType", "purl"},
              {"referenceLocator", purl}};
}

json SpdxPackage(const std::string& id, const std::string& name, const std::string& version,
                 const std::string& purl, const std::string& purpose) {
  json p = json::object();
  p["SPDXID"] = id;
  p["name"] = name;
  if (!version.empty()) p["versionInfo"] = version;
  p["downloadLocation"] = "NOASSERTION";
  p["filesAnalyzed"] = false;
  p["licenseConcluded"] = "NOASSERTION";
  p["licenseDeclared"] = "NOASSERTION";
  p["copyrightText"] = "NOASSERTION";
  p["primaryPackagePurpose"] = purpose;
  if (!purl.empty()) p["externalRefs"] = json::array({SpdxPurlRef(purl)});
  return p;
}

json SpdxRelationship(const std::string& from, const char* type, const std::string& to) {
  return json{{"spdxElementId", from}, {"relationshipType", type}, {"relatedSpdxElement", to}};
}

std::string JoinLines(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) {
    if (!out.empty()) out += "\n";
    out += l;
  }
  return out;
}

// The SPDX package of the container image the SBOM describes.
json SpdxImagePackage(const std::string& id, const Prepared& p, const SbomSubject& subject) {
  json img =
      SpdxPackage(id, p.image_name, subject.digest.ToString(), OciPurl(subject), "CONTAINER");
  if (subject.digest.algorithm() == "sha256" || subject.digest.algorithm() == "sha512") {
    img["checksums"] =
        json::array({{{"algorithm", subject.digest.algorithm() == "sha256" ? "SHA256" : "SHA512"},
                      {"checksumValue", subject.digest.encoded()}}});
  }
  std::vector<std::string> comment;
  if (!subject.name.empty()) comment.push_back("image: " + subject.name);
  if (subject.platform) comment.push_back("platform: " + subject.platform->ToString());
  if (!comment.empty()) img["comment"] = JoinLines(comment);
  return img;
}

// The SPDX package of the application (main module), with its build settings as annotations.
json SpdxAppPackage(const std::string& id, const Prepared& p, const GoBuildInfo& info,
                    const SbomSubject& subject, const std::string& annotator) {
  json app = SpdxPackage(id, p.app_name, p.app_version, p.app_purl, "APPLICATION");
  std::vector<std::string> comment;
  if (!info.path.empty()) comment.push_back("go main package: " + info.path);
  if (!subject.binary_path.empty()) comment.push_back("binary: " + subject.binary_path);
  if (!info.main.sum.empty()) comment.push_back("go.sum: " + info.main.sum);
  if (!comment.empty()) app["comment"] = JoinLines(comment);
  json annotations = json::array();
  for (const auto& [k, v] : info.settings) {
    annotations.push_back({{"annotationDate", p.created},
                           {"annotationType", "OTHER"},
                           {"annotator", annotator},
                           {"comment", "go build setting: " + k + "=" + v}});
  }
  if (!annotations.empty()) app["annotations"] = std::move(annotations);
  return app;
}

// The SPDX package of the Go standard library of toolchain `go_version`.
json SpdxStdlibPackage(const std::string& id, const std::string& go_version) {
  json std_pkg = SpdxPackage(id, "stdlib", go_version,
                             GoPurl("stdlib", GoVersionForPurl(go_version)), "LIBRARY");
  std_pkg["comment"] = "Go standard library and runtime of toolchain " + go_version;
  return std_pkg;
}

// The SPDX package of one Go module dependency.
json SpdxModulePackage(const std::string& id, const ModuleEntry& e) {
  json pkg = SpdxPackage(id, e.name, e.version, e.purl, "LIBRARY");
  if (!e.sha256_hex.empty()) {
    pkg["checksums"] = json::array({{{"algorithm", "SHA256"}, {"checksumValue", e.sha256_hex}}});
  }
  std::vector<std::string> comment;
  if (!e.sum.empty()) comment.push_back("go.sum: " + e.sum);
  if (e.replaced) comment.push_back(ReplacedText(*e.replaced));
  if (!comment.empty()) pkg["comment"] = JoinLines(comment);
  return pkg;
}

// The SPDX identifiers of the packages, in document order; empty when absent.
struct SpdxIds {
  std::string image;
  std::string app;
  std::string stdlib;
  std::vector<std::string> deps;
};

// All SPDX packages (image, application, stdlib, modules); records their ids in `ids_out`.
json SpdxPackages(const Prepared& p, const GoBuildInfo& info, const SbomSubject& subject,
                  const std::string& annotator, SpdxIds* ids_out) {
  Uniquifier ids;
  ids.Make("SPDXRef-DOCUMENT");
  json packages = json::array();
  if (p.has_image) {
    ids_out->image = ids.Make("SPDXRef-Image");
    packages.push_back(SpdxImagePackage(ids_out->image, p, subject));
  }
  ids_out->app = ids.Make("SPDXRef-Package-golang-" + SpdxIdPart(p.app_name));
  packages.push_back(SpdxAppPackage(ids_out->app, p, info, subject, annotator));
  if (!info.go_version.empty()) {
    ids_out->stdlib = ids.Make("SPDXRef-Package-golang-stdlib");
    packages.push_back(SpdxStdlibPackage(ids_out->stdlib, info.go_version));
  }
  for (const ModuleEntry& e : p.deps) {
    std::string id = ids.Make("SPDXRef-Package-golang-" + SpdxIdPart(e.name));
    packages.push_back(SpdxModulePackage(id, e));
    ids_out->deps.push_back(std::move(id));
  }
  return packages;
}

// The SPDX relationships: the document describes the image (or the application), the image
// contains the application, and the application depends on stdlib and the modules.
json SpdxRelationships(bool has_image, const SpdxIds& ids) {
  json relationships = json::array();
  relationships.push_back(
      SpdxRelationship("SPDXRef-DOCUMENT", "DESCRIBES", has_image ? ids.image : ids.app));
  if (has_image) relationships.push_back(SpdxRelationship(ids.image, "CONTAINS", ids.app));
  if (!ids.stdlib.empty()) {
    relationships.push_back(SpdxRelationship(ids.app, "DEPENDS_ON", ids.stdlib));
  }
  for (const std::string& id : ids.deps) {
    relationships.push_back(SpdxRelationship(ids.app, "DEPENDS_ON", id));
  }
  return relationships;
}

// The serialized SPDX document around `packages` and `relationships`, with its namespace.
std::string SpdxDocument(const Prepared& p, const std::string& annotator, json packages,
                         json relationships) {
  json doc = json::object();
  doc["spdxVersion"] = "SPDX-2.3";
  doc["dataLicense"] = "CC0-1.0";
  doc["SPDXID"] = "SPDXRef-DOCUMENT";
  doc["name"] = p.doc_name;
  doc["creationInfo"] = {
      {"created", p.created},
      {"creators", json::array({annotator})},
      {"comment", "Generated from the Go build information embedded in the binary."}};
  doc["packages"] = std::move(packages);
  doc["relationships"] = std::move(relationships);
  // The namespace is derived from everything else, so equal inputs give the
  // same document and different inputs (practically) never share one.
  std::string content_hash = Digest::Sha256Of(jsonutil::Dump(doc)).encoded();
  doc["documentNamespace"] = "https://spdx.org/spdxdocs/ocib/" + NamespaceName(p.doc_name) + "-" +
                             Uuid5("ocib-spdx:" + content_hash);
  return jsonutil::Dump(doc);
}

// -------------------------------------------------------------- CycloneDX

// A CycloneDX property {name, value}.
json CycloneDxProperty(std::string name, std::string value) {
  return json{{"name", std::move(name)}, {"value", std::move(value)}};
}

// The CycloneDX component of the application (main module).
json CycloneDxApplication(const std::string& ref, const Prepared& p, const GoBuildInfo& info,
                          const SbomSubject& subject) {
  json app = json::object();
  app["type"] = "application";
  app["bom-ref"] = ref;
  app["name"] = p.app_name;
  if (!p.app_version.empty()) app["version"] = p.app_version;
  app["purl"] = p.app_purl;
  json props = json::array();
  if (!info.path.empty()) props.push_back(CycloneDxProperty("ocib:go:main-package", info.path));
  if (!subject.binary_path.empty()) {
    props.push_back(CycloneDxProperty("ocib:binary:path", subject.binary_path));
  }
  if (!info.main.sum.empty()) props.push_back(CycloneDxProperty("ocib:go:sum", info.main.sum));
  if (!info.go_version.empty()) {
    props.push_back(CycloneDxProperty("ocib:go:toolchain", info.go_version));
  }
  for (const auto& [k, v] : info.settings) {
    props.push_back(CycloneDxProperty("ocib:go:build:" + k, v));
  }
  if (!props.empty()) app["properties"] = std::move(props);
  return app;
}

// The CycloneDX component of the container image the SBOM describes.
json CycloneDxImage(const std::string& ref, const std::string& purl, const Prepared& p,
                    const SbomSubject& subject) {
  json img = json::object();
  img["type"] = "container";
  img["bom-ref"] = ref;
  img["name"] = p.image_name;
  img["version"] = subject.digest.ToString();
  img["purl"] = purl;
  if (subject.digest.algorithm() == "sha256" || subject.digest.algorithm() == "sha512") {
    img["hashes"] =
        json::array({{{"alg", subject.digest.algorithm() == "sha256" ? "SHA-256" : "SHA-512"},
                      {"content", subject.digest.encoded()}}});
  }
  json props = json::array();
  if (!subject.name.empty()) props.push_back(CycloneDxProperty("ocib:image:name", subject.name));
  if (subject.platform) {
    props.push_back(CycloneDxProperty("ocib:image:platform", subject.platform->ToString()));
  }
  if (!props.empty()) img["properties"] = std::move(props);
  return img;
}

// The CycloneDX metadata without its component: timestamp and tool.
json CycloneDxMetadata(const std::string& created) {
  json metadata = json::object();
  metadata["timestamp"] = created;
  metadata["tools"] = {
      {"components", json::array({{{"type", "application"}, {"name", std::string(kToolName)}}})}};
  return metadata;
}

// The CycloneDX component of the Go standard library of toolchain `go_version`.
json CycloneDxStdlib(const std::string& ref, const std::string& purl,
                     const std::string& go_version) {
  json c = json::object();
  c["type"] = "library";
  c["bom-ref"] = ref;
  c["name"] = "stdlib";
  c["version"] = go_version;
  c["purl"] = purl;
  c["description"] = "Go standard library and runtime";
  return c;
}

// The CycloneDX component of one Go module dependency.
json CycloneDxModule(const std::string& ref, const ModuleEntry& e) {
  json c = json::object();
  c["type"] = "library";
  c["bom-ref"] = ref;
  c["name"] = e.name;
  if (!e.version.empty()) c["version"] = e.version;
  c["purl"] = e.purl;
  if (!e.sha256_hex.empty()) {
    c["hashes"] = json::array({{{"alg", "SHA-256"}, {"content", e.sha256_hex}}});
  }
  json props = json::array();
  if (!e.sum.empty()) props.push_back(CycloneDxProperty("ocib:go:sum", e.sum));
  if (e.replaced) {
    props.push_back(CycloneDxProperty("ocib:go:required:path", e.replaced->path));
    props.push_back(CycloneDxProperty("ocib:go:required:version", e.replaced->version));
    props.push_back(CycloneDxProperty("ocib:go:replace:path", e.replaced->replace->path));
    props.push_back(CycloneDxProperty("ocib:go:replace:version", e.replaced->replace->version));
  }
  if (!props.empty()) c["properties"] = std::move(props);
  return c;
}

// Appends the stdlib and module components; returns their refs, the application's dependencies.
std::vector<std::string> CycloneDxLibraries(const Prepared& p, const GoBuildInfo& info,
                                            Uniquifier* refs, json* components) {
  std::vector<std::string> app_deps;
  if (!info.go_version.empty()) {
    std::string purl = GoPurl("stdlib", GoVersionForPurl(info.go_version));
    std::string ref = refs->Make(purl);
    components->push_back(CycloneDxStdlib(ref, purl, info.go_version));
    app_deps.push_back(ref);
  }
  for (const ModuleEntry& e : p.deps) {
    std::string ref = refs->Make(e.purl);
    components->push_back(CycloneDxModule(ref, e));
    app_deps.push_back(ref);
  }
  return app_deps;
}

// The CycloneDX dependency graph: image -> application -> libraries (which have none).
json CycloneDxDependencies(bool has_image, const std::string& image_ref, const std::string& app_ref,
                           const std::vector<std::string>& app_deps) {
  json dependencies = json::array();
  if (has_image) {
    dependencies.push_back({{"ref", image_ref}, {"dependsOn", json::array({app_ref})}});
  }
  dependencies.push_back({{"ref", app_ref}, {"dependsOn", app_deps}});
  for (const std::string& ref : app_deps) {
    dependencies.push_back({{"ref", ref}, {"dependsOn", json::array()}});
  }
  return dependencies;
}

// The serialized CycloneDX BOM, with its content-derived serial number.
std::string CycloneDxDocument(json metadata, json components, json dependencies) {
  json bom = json::object();
  bom["bomFormat"] = "CycloneDX";
  bom["specVersion"] = "1.5";
  bom["version"] = 1;
  bom["metadata"] = std::move(metadata);
  bom["components"] = std::move(components);
  bom["dependencies"] = std::move(dependencies);
  // Content-derived serial number: reproducible (see ocib/sbom.h).
  std::string content_hash = Digest::Sha256Of(jsonutil::Dump(bom)).encoded();
  bom["serialNumber"] = "urn:uuid:" + Uuid5("ocib-cyclonedx:" + content_hash);
  return jsonutil::Dump(bom);
}

}  // namespace

// ----------------------------------------------------------------- public

bool IsSbomTime(std::string_view text) {
  static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:ddZ";
  if (text.size() != kShape.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (kShape[i] == 'd' ? !IsDigit(text[i]) : text[i] != kShape[i]) return false;
  }
  return true;
}

Result<SbomFormat> ParseSbomFormat(std::string_view text) {
  if (text == "spdx") return SbomFormat::kSpdx;
  if (text == "cyclonedx") return SbomFormat::kCycloneDx;
  return InvalidArgument(fmt::format("unknown SBOM format \"{}\" (want spdx or cyclonedx)", text));
}

std::string_view SbomMediaType(SbomFormat format) {
  return format == SbomFormat::kSpdx ? kSpdxJsonMediaType : kCycloneDxJsonMediaType;
}

std::string FormatRfc3339Utc(int64_t unix_seconds) {
  if (unix_seconds < 0) unix_seconds = 0;
  std::time_t t = unix_seconds;
  std::tm tm{};
  if (::gmtime_r(&t, &tm) == nullptr) return std::string(kDefaultCreated);
  char buf[32];
  if (std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
    return std::string(kDefaultCreated);
  }
  return buf;
}

Result<std::string> MakeSpdxSbom(const GoBuildInfo& info, const SbomSubject& subject) {
  auto prepared = Prepare(info, subject);
  if (!prepared) return std::move(prepared).error().With("making SPDX SBOM");
  const Prepared& p = *prepared;
  const std::string annotator = "Tool: " + std::string(kToolName);

  SpdxIds ids;
  json packages = SpdxPackages(p, info, subject, annotator, &ids);
  json relationships = SpdxRelationships(p.has_image, ids);
  return SpdxDocument(p, annotator, std::move(packages), std::move(relationships));
}

Result<std::string> MakeCycloneDxSbom(const GoBuildInfo& info, const SbomSubject& subject) {
  auto prepared = Prepare(info, subject);
  if (!prepared) return std::move(prepared).error().With("making CycloneDX SBOM");
  const Prepared& p = *prepared;

  Uniquifier refs;
  const std::string app_ref = refs.Make(p.app_purl);
  json app = CycloneDxApplication(app_ref, p, info, subject);

  json components = json::array();
  json metadata = CycloneDxMetadata(p.created);
  std::string image_ref;
  if (p.has_image) {
    std::string purl = OciPurl(subject);
    image_ref = refs.Make(purl);
    metadata["component"] = CycloneDxImage(image_ref, purl, p, subject);
    components.push_back(std::move(app));
  } else {
    metadata["component"] = std::move(app);
  }
  std::vector<std::string> app_deps = CycloneDxLibraries(p, info, &refs, &components);
  json dependencies = CycloneDxDependencies(p.has_image, image_ref, app_ref, app_deps);
  return CycloneDxDocument(std::move(metadata), std::move(components), std::move(dependencies));
}

Result<std::string> MakeSbom(SbomFormat format, const GoBuildInfo& info,
                             const SbomSubject& subject) {
  return format == SbomFormat::kSpdx ? MakeSpdxSbom(info, subject)
                                     : MakeCycloneDxSbom(info, subject);
}

Result<Descriptor> AttachSbom(BlobStore& store, const Descriptor& image_manifest, SbomFormat format,
                              const GoBuildInfo& info, SbomSubject subject) {
  if (subject.digest.empty()) subject.digest = image_manifest.digest;
  if (subject.created.empty()) subject.created = std::string(kDefaultCreated);
  OCIB_ASSIGN_OR_RETURN(std::string doc, MakeSbom(format, info, subject));
  Annotations annotations;
  annotations[std::string(kCreatedAnnotation)] = subject.created;
  return AttachArtifact(store, image_manifest, SbomMediaType(format), doc, annotations);
}

}  // namespace ocib
