// Tests for lib/sbom/sbom.cc (ocib/sbom.h): documents made from real Go binaries validate
// against the SPDX 2.3 and CycloneDX 1.5 schemas (python3-jsonschema), carry
// every module exactly as `go version -m` prints it, and are reproducible.
#include "ocib/sbom.h"

#include <cctype>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test/testing/sbom_test_util.h"

namespace ocib {
namespace {

using nlohmann::json;
using sbomtest::GoTarget;

constexpr char kSum[] = "h1:olpwvP2KacW1ZWvsR7uQhoyTYvKAupfQrRGBFM352Gk=";

SbomSubject TestSubject(const std::string& arch, const std::string& variant = "") {
  SbomSubject s;
  s.name = "registry.example:5000/team/sbomapp:1.0";
  s.platform = Platform::Parse("linux/" + arch + (variant.empty() ? "" : "/" + variant)).value();
  s.digest = Digest::Sha256Of("manifest for " + arch);
  s.binary_path = "/app";
  s.created = FormatRfc3339Utc(1700000000);
  return s;
}

// A build info with what the fixture lacks: sums, a module replacement,
// +incompatible versions, settings that need quoting.
GoBuildInfo RichInfo() {
  GoBuildInfo info;
  info.go_version = "go1.21.5";
  info.path = "example.com/app/cmd/app";
  info.main = {"example.com/app", "v1.2.3", kSum};
  info.deps.push_back({"github.com/Foo/bar", "v2.0.0+incompatible", kSum, std::nullopt});
  info.deps.push_back(
      {"golang.org/x/text", "v0.3.7", "", GoModule{"github.com/fork/text", "v0.3.8", kSum}});
  info.deps.push_back({"example.com/local", "v0.0.0", "", GoModule{"../local", "(devel)", ""}});
  info.settings = {{"-ldflags", "-s -w -X \"main.v=a b\""},
                   {"CGO_ENABLED", "0"},
                   {"GOARCH", "amd64"},
                   {"vcs.revision", "abc"}};
  return info;
}

// Independent decoding of the h1: hash with coreutils.
std::string HexOfH1WithCoreutils(const std::string& sum) {
  sbomtest::CommandResult r = sbomtest::Run("printf %s " + sbomtest::ShellQuote(sum.substr(3)) +
                                            " | base64 -d | od -An -v -tx1 | tr -d ' \\n'");
  return r.exit_code == 0 ? r.output : "";
}

void ExpectValid(const std::string& kind, const std::string& doc, const std::string& name) {
  std::string python = sbomtest::PythonWithJsonSchema();
  if (python.empty()) {
    GTEST_SKIP() << "no python3 with jsonschema (apt-get install python3-jsonschema)";
  }
  const std::string path = sbomtest::ScratchDir() + "/" + name;
  sbomtest::WriteFile(path, doc);
  EXPECT_EQ(sbomtest::ValidateAgainstSchema(python, kind, path), "") << doc;
}

const json* FindByField(const json& array, const char* field, const std::string& value) {
  for (const json& e : array) {
    if (e.contains(field) && e[field] == value) return &e;
  }
  return nullptr;
}

// What the schemas do not check: identifiers unique and well formed, and
// every reference pointing at something in the document.
void ExpectSpdxConsistent(const json& j) {
  std::set<std::string> ids{"SPDXRef-DOCUMENT"};
  for (const json& p : j["packages"]) {
    std::string id = p["SPDXID"];
    EXPECT_TRUE(ids.insert(id).second) << "duplicate " << id;
    ASSERT_GT(id.size(), 8u);
    EXPECT_EQ(id.rfind("SPDXRef-", 0), 0u) << id;
    for (char c : id.substr(8)) {
      EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-') << id;
    }
  }
  for (const json& r : j["relationships"]) {
    EXPECT_TRUE(ids.count(r["spdxElementId"])) << r;
    EXPECT_TRUE(ids.count(r["relatedSpdxElement"])) << r;
  }
}

void ExpectCycloneDxConsistent(const json& j) {
  std::set<std::string> refs;
  std::vector<const json*> all{&j["metadata"]["component"]};
  for (const json& c : j["components"]) all.push_back(&c);
  for (const json* c : all) {
    std::string ref = (*c)["bom-ref"];
    EXPECT_TRUE(refs.insert(ref).second) << "duplicate " << ref;
  }
  std::set<std::string> with_entry;
  for (const json& d : j["dependencies"]) {
    EXPECT_TRUE(refs.count(d["ref"])) << d;
    EXPECT_TRUE(with_entry.insert(d["ref"]).second) << d;
    for (const json& to : d["dependsOn"]) EXPECT_TRUE(refs.count(to)) << d;
  }
  EXPECT_EQ(with_entry, refs);  // every component has its dependency entry
}

// ------------------------------------------------ real binaries

class SbomFromBinaryTest : public ::testing::TestWithParam<GoTarget> {
 protected:
  void SetUp() override {
    if (!sbomtest::HaveGo()) GTEST_SKIP() << "go toolchain not installed";
    std::string log;
    binary_ = sbomtest::BuildFixture(GetParam(), &log);
    ASSERT_FALSE(binary_.empty()) << "go build failed:\n" << log;
    std::string text;
    ASSERT_TRUE(sbomtest::GoVersionM(binary_, &oracle_, &text, &log)) << log;
    auto info = ReadGoBuildInfo(binary_);
    ASSERT_TRUE(info.has_value()) << info.error().ToString();
    info_ = *info;
    subject_ =
        TestSubject(GetParam().goarch, GetParam().goarm.empty() ? "" : "v" + GetParam().goarm);
  }

  std::string binary_;
  GoBuildInfo oracle_;
  GoBuildInfo info_;
  SbomSubject subject_;
};

// An SPDX document of a real Go binary is schema-valid and lists every module as `go version -m`
// does.
TEST_P(SbomFromBinaryTest, SpdxValidatesAndListsEveryModule) {
  auto doc = MakeSpdxSbom(info_, subject_);
  ASSERT_TRUE(doc.has_value()) << doc.error().ToString();
  ExpectValid("spdx-2.3", *doc, "spdx-" + GetParam().Name() + ".json");

  json j = json::parse(*doc);
  ExpectSpdxConsistent(j);
  EXPECT_EQ(j["spdxVersion"], "SPDX-2.3");
  EXPECT_EQ(j["dataLicense"], "CC0-1.0");
  EXPECT_EQ(j["creationInfo"]["created"], "2023-11-14T22:13:20Z");
  ASSERT_TRUE(j.contains("documentNamespace"));  // required by the spec, not the schema
  const std::string ns = j["documentNamespace"];
  EXPECT_EQ(ns.find('#'), std::string::npos);
  EXPECT_EQ(
      ns.rfind("https://spdx.org/spdxdocs/ocib/registry.example-5000-team-sbomapp-1.0-linux-" +
                   GetParam().goarch,
               0),
      0u)
      << ns;
  const json& pkgs = j["packages"];

  // The dependency, exactly as `go version -m` prints it (through the
  // oracle, not through ocib's reader).
  ASSERT_EQ(oracle_.deps.size(), 1u);
  const GoDependency& want = oracle_.deps[0];
  ASSERT_TRUE(want.replace.has_value());
  const json* dep = FindByField(pkgs, "name", want.path);
  ASSERT_NE(dep, nullptr) << *doc;
  EXPECT_EQ((*dep)["versionInfo"], want.replace->version);  // "(devel)"
  EXPECT_FALSE(dep->contains("checksums"));                 // no sum for a local dir
  EXPECT_NE((*dep)["comment"].get<std::string>().find("replaced: " + want.path + " " +
                                                      want.version + " => " + want.replace->path +
                                                      " " + want.replace->version),
            std::string::npos)
      << (*dep)["comment"];
  EXPECT_EQ((*dep)["externalRefs"][0]["referenceLocator"], "pkg:golang/example.com/ocib/sbomlib");

  const json* app = FindByField(pkgs, "name", oracle_.main.path);
  ASSERT_NE(app, nullptr);
  EXPECT_EQ((*app)["versionInfo"], oracle_.main.version);
  EXPECT_EQ((*app)["primaryPackagePurpose"], "APPLICATION");
  // Every build setting, in order.
  ASSERT_EQ((*app)["annotations"].size(), oracle_.settings.size());
  for (size_t i = 0; i < oracle_.settings.size(); ++i) {
    EXPECT_EQ((*app)["annotations"][i]["comment"],
              "go build setting: " + oracle_.settings[i].first + "=" + oracle_.settings[i].second);
  }

  const json* stdlib = FindByField(pkgs, "name", "stdlib");
  ASSERT_NE(stdlib, nullptr);
  EXPECT_EQ((*stdlib)["versionInfo"], oracle_.go_version);

  const json* image = FindByField(pkgs, "SPDXID", "SPDXRef-Image");
  ASSERT_NE(image, nullptr);
  EXPECT_EQ((*image)["checksums"][0]["checksumValue"], subject_.digest.encoded());
  EXPECT_EQ((*image)["externalRefs"][0]["referenceLocator"],
            "pkg:oci/sbomapp@sha256%3A" + subject_.digest.encoded() + "?arch=" + GetParam().goarch +
                "&repository_url=registry.example:5000/team/sbomapp&tag=1.0");

  // Relationships: DESCRIBES the image, which CONTAINS the app, which
  // DEPENDS_ON stdlib and the dependency.
  int describes = 0, contains = 0, depends = 0;
  for (const json& r : j["relationships"]) {
    if (r["relationshipType"] == "DESCRIBES") {
      ++describes;
      EXPECT_EQ(r["spdxElementId"], "SPDXRef-DOCUMENT");
      EXPECT_EQ(r["relatedSpdxElement"], "SPDXRef-Image");
    } else if (r["relationshipType"] == "CONTAINS") {
      ++contains;
      EXPECT_EQ(r["relatedSpdxElement"], (*app)["SPDXID"]);
    } else if (r["relationshipType"] == "DEPENDS_ON") {
      ++depends;
      EXPECT_EQ(r["spdxElementId"], (*app)["SPDXID"]);
    }
  }
  EXPECT_EQ(describes, 1);
  EXPECT_EQ(contains, 1);
  EXPECT_EQ(depends, 2);
}

// A CycloneDX document of a real Go binary is schema-valid and lists every module and setting.
TEST_P(SbomFromBinaryTest, CycloneDxValidatesAndListsEveryModule) {
  auto doc = MakeCycloneDxSbom(info_, subject_);
  ASSERT_TRUE(doc.has_value()) << doc.error().ToString();
  ExpectValid("cyclonedx-1.5", *doc, "cdx-" + GetParam().Name() + ".json");

  json j = json::parse(*doc);
  ExpectCycloneDxConsistent(j);
  EXPECT_EQ(j["bomFormat"], "CycloneDX");
  EXPECT_EQ(j["specVersion"], "1.5");
  EXPECT_EQ(j["metadata"]["timestamp"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(j["metadata"]["component"]["type"], "container");
  EXPECT_EQ(j["metadata"]["component"]["hashes"][0]["content"], subject_.digest.encoded());

  const GoDependency& want = oracle_.deps.at(0);
  const json* dep = FindByField(j["components"], "name", want.path);
  ASSERT_NE(dep, nullptr) << *doc;
  EXPECT_EQ((*dep)["version"], want.replace->version);
  EXPECT_FALSE(dep->contains("hashes"));
  const json* app = FindByField(j["components"], "name", oracle_.main.path);
  ASSERT_NE(app, nullptr);
  EXPECT_EQ((*app)["type"], "application");
  std::vector<std::pair<std::string, std::string>> settings;
  for (const json& p : (*app)["properties"]) {
    std::string name = p["name"];
    if (name.rfind("ocib:go:build:", 0) == 0) settings.emplace_back(name.substr(14), p["value"]);
  }
  EXPECT_EQ(settings, oracle_.settings);
  const json* stdlib = FindByField(j["components"], "name", "stdlib");
  ASSERT_NE(stdlib, nullptr);
  EXPECT_EQ((*stdlib)["version"], oracle_.go_version);

  // dependencies: image -> app -> {stdlib, dep}.
  const json* app_deps = FindByField(j["dependencies"], "ref", (*app)["bom-ref"]);
  ASSERT_NE(app_deps, nullptr);
  EXPECT_EQ((*app_deps)["dependsOn"].size(), 2u);
  const json* image_deps =
      FindByField(j["dependencies"], "ref", j["metadata"]["component"]["bom-ref"]);
  ASSERT_NE(image_deps, nullptr);
  EXPECT_EQ((*image_deps)["dependsOn"], json::array({(*app)["bom-ref"]}));
}

// The same inputs give the same bytes; another image digest gives another namespace/serial.
TEST_P(SbomFromBinaryTest, Reproducible) {
  for (SbomFormat f : {SbomFormat::kSpdx, SbomFormat::kCycloneDx}) {
    auto a = MakeSbom(f, info_, subject_);
    auto b = MakeSbom(f, *ReadGoBuildInfo(binary_), subject_);
    ASSERT_TRUE(a.has_value() && b.has_value());
    EXPECT_EQ(*a, *b);
    SbomSubject other = subject_;
    other.digest = Digest::Sha256Of("another manifest");
    auto c = MakeSbom(f, info_, other);
    ASSERT_TRUE(c.has_value());
    json ja = json::parse(*a), jc = json::parse(*c);
    const char* id = f == SbomFormat::kSpdx ? "documentNamespace" : "serialNumber";
    EXPECT_NE(ja[id], jc[id]) << "namespace/serial must follow the content";
  }
}

INSTANTIATE_TEST_SUITE_P(Platforms, SbomFromBinaryTest,
                         ::testing::Values(GoTarget{"linux", "amd64", "", "", false},
                                           GoTarget{"linux", "arm64", "", "", false},
                                           GoTarget{"linux", "arm", "7", "", false}),
                         [](const ::testing::TestParamInfo<GoTarget>& param_info) {
                           std::string n = param_info.param.Name();
                           for (char& c : n) {
                             if (c == '-') c = '_';
                           }
                           return n;
                         });

// ------------------------------------------------ synthetic build info

// Sums, replacements and quoted settings still give schema-valid, consistent documents.
TEST(Sbom, RichInfoValidatesInBothFormats) {
  SbomSubject s = TestSubject("amd64");
  auto spdx = MakeSpdxSbom(RichInfo(), s);
  ASSERT_TRUE(spdx.has_value()) << spdx.error().ToString();
  ExpectValid("spdx-2.3", *spdx, "rich-spdx.json");
  auto cdx = MakeCycloneDxSbom(RichInfo(), s);
  ASSERT_TRUE(cdx.has_value()) << cdx.error().ToString();
  ExpectValid("cyclonedx-1.5", *cdx, "rich-cdx.json");
  ExpectSpdxConsistent(json::parse(*spdx));
  ExpectCycloneDxConsistent(json::parse(*cdx));
}

// IsSbomTime accepts only YYYY-MM-DDTHH:MM:SSZ.
TEST(Sbom, IsSbomTimeTakesOnlyTheZuluForm) {
  EXPECT_TRUE(IsSbomTime("2023-11-14T22:13:20Z"));
  EXPECT_TRUE(IsSbomTime(FormatRfc3339Utc(0)));
  for (const char* t :
       {"", "2023-11-14T22:13:20", "2023-11-14T22:13:20.5Z", "2023-11-14T22:13:20+00:00",
        "2023-11-14 22:13:20Z", "2023-1a-14T22:13:20Z", "2023-11-14T22:13:20Zx"}) {
    EXPECT_FALSE(IsSbomTime(t)) << t;
  }
}

// Build information from a corrupt or hostile binary may hold any bytes:
// text that is not UTF-8 is an error naming where it is, never an exception
// (JSON text must be UTF-8), in every place the documents take text from.
TEST(Sbom, TextThatIsNotUtf8IsAnError) {
  const std::string bad = "example.com/\xff\xfe";
  std::vector<std::pair<std::string, GoBuildInfo>> cases;
  for (int i = 0; i < 6; ++i) cases.emplace_back("", RichInfo());
  cases[0] = {"the main module", cases[0].second};
  cases[0].second.main.path = bad;
  cases[1] = {"a dependency", cases[1].second};
  cases[1].second.deps[0].version = "v1.0.0\xc0\xaf";  // overlong '/'
  cases[2] = {"a dependency's replacement", cases[2].second};
  cases[2].second.deps[1].replace->path = "github.com/\xed\xa0\x80";  // a surrogate
  cases[3] = {"a build setting", cases[3].second};
  cases[3].second.settings.emplace_back("-tags", "a\xf4\x90\x80\x80");  // past U+10FFFF
  cases[4] = {"the Go version", cases[4].second};
  cases[4].second.go_version = "go1.21\xe2\x82";  // truncated
  cases[5] = {"the package path", cases[5].second};
  cases[5].second.path = "\x80";
  for (const auto& [where, info] : cases) {
    for (SbomFormat f : {SbomFormat::kSpdx, SbomFormat::kCycloneDx}) {
      auto doc = MakeSbom(f, info, TestSubject("amd64"));
      ASSERT_FALSE(doc.has_value()) << where;
      EXPECT_EQ(doc.error().code(), ErrorCode::kInvalidArgument);
      EXPECT_NE(
          doc.error().ToString().find(where + " in the Go build information is not valid UTF-8"),
          std::string::npos)
          << doc.error().ToString();
    }
  }
  // Valid multi-byte text is kept as it is.
  GoBuildInfo ok = RichInfo();
  ok.settings.emplace_back("-tags", "caf\xc3\xa9,\xe2\x82\xac,\xf0\x9f\x98\x80");
  auto doc = MakeSpdxSbom(ok, TestSubject("amd64"));
  ASSERT_TRUE(doc.has_value()) << doc.error().ToString();
  EXPECT_NE(doc->find("caf\xc3\xa9,\xe2\x82\xac,\xf0\x9f\x98\x80"), std::string::npos);
}

// The SPDX documentNamespace and CycloneDX serialNumber end in an RFC 4122
// version-5 UUID (URL namespace) of the document's own content, as
// Python's uuid.uuid5 computes it (an oracle outside ocib).
TEST(Sbom, DocumentUuidsAreVersion5OfTheContent) {
  SbomSubject s = TestSubject("amd64");
  auto spdx = MakeSpdxSbom(RichInfo(), s);
  ASSERT_TRUE(spdx.has_value()) << spdx.error().ToString();
  auto cdx = MakeCycloneDxSbom(RichInfo(), s);
  ASSERT_TRUE(cdx.has_value()) << cdx.error().ToString();
  auto check = [](const std::string& doc, const char* key, const std::string& prefix) {
    json j = json::parse(doc);
    const std::string id = j[key].get<std::string>();
    ASSERT_GE(id.size(), 36U);
    const std::string uuid = id.substr(id.size() - 36);
    j.erase(key);
    const std::string name = prefix + Digest::Sha256Of(j.dump()).encoded();
    sbomtest::CommandResult r = sbomtest::Run(
        "python3 -c 'import sys, uuid; print(uuid.uuid5(uuid.NAMESPACE_URL, sys.argv[1]))' " +
        sbomtest::ShellQuote(name));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(uuid + "\n", r.output) << key;
  };
  check(*spdx, "documentNamespace", "ocib-spdx:");
  check(*cdx, "serialNumber", "ocib-cyclonedx:");
}

// Module names that sanitize alike, or repeat, still get unique SPDX ids and bom-refs.
TEST(Sbom, CollidingNamesGetDistinctIdentifiers) {
  GoBuildInfo info = RichInfo();
  // "a/b" and "a.b" sanitize to the same SPDX id; the same module twice
  // (impossible from Go, possible from a caller) gives the same purl.
  info.deps.push_back({"example.com/a/b", "v1.0.0", "", std::nullopt});
  info.deps.push_back({"example.com/a.b", "v1.0.0", "", std::nullopt});
  info.deps.push_back({"example.com/a.b", "v1.0.0", "", std::nullopt});
  SbomSubject s = TestSubject("amd64");
  auto spdx = MakeSpdxSbom(info, s);
  ASSERT_TRUE(spdx.has_value());
  ExpectSpdxConsistent(json::parse(*spdx));
  auto cdx = MakeCycloneDxSbom(info, s);
  ASSERT_TRUE(cdx.has_value());
  ExpectCycloneDxConsistent(json::parse(*cdx));
  ExpectValid("spdx-2.3", *spdx, "collide-spdx.json");
  ExpectValid("cyclonedx-1.5", *cdx, "collide-cdx.json");
}

// A go.sum h1: hash becomes the SHA-256 checksum (decoded independently with coreutils).
TEST(Sbom, GoSumBecomesSha256Checksum) {
  const std::string hex = HexOfH1WithCoreutils(kSum);
  ASSERT_EQ(hex.size(), 64u) << hex;
  SbomSubject s = TestSubject("amd64");
  json spdx = json::parse(*MakeSpdxSbom(RichInfo(), s));
  const json* bar = FindByField(spdx["packages"], "name", "github.com/Foo/bar");
  ASSERT_NE(bar, nullptr);
  EXPECT_EQ((*bar)["checksums"][0]["algorithm"], "SHA256");
  EXPECT_EQ((*bar)["checksums"][0]["checksumValue"], hex);
  EXPECT_NE((*bar)["comment"].get<std::string>().find(std::string("go.sum: ") + kSum),
            std::string::npos);
  EXPECT_EQ((*bar)["externalRefs"][0]["referenceLocator"],
            "pkg:golang/github.com/Foo/bar@v2.0.0%2Bincompatible");
  // A module replaced by another module: the linked code is the fork's.
  const json* fork = FindByField(spdx["packages"], "name", "github.com/fork/text");
  ASSERT_NE(fork, nullptr);
  EXPECT_EQ((*fork)["versionInfo"], "v0.3.8");
  EXPECT_EQ((*fork)["checksums"][0]["checksumValue"], hex);
  EXPECT_NE((*fork)["comment"].get<std::string>().find(
                "replaced: golang.org/x/text v0.3.7 => github.com/fork/text v0.3.8"),
            std::string::npos);

  json cdx = json::parse(*MakeCycloneDxSbom(RichInfo(), s));
  const json* cbar = FindByField(cdx["components"], "name", "github.com/Foo/bar");
  ASSERT_NE(cbar, nullptr);
  EXPECT_EQ((*cbar)["hashes"][0]["alg"], "SHA-256");
  EXPECT_EQ((*cbar)["hashes"][0]["content"], hex);
  const json* ctext = FindByField(cdx["components"], "name", "github.com/fork/text");
  ASSERT_NE(ctext, nullptr);
  bool saw_required = false;
  for (const json& p : (*ctext)["properties"]) {
    if (p["name"] == "ocib:go:required:version") saw_required = p["value"] == "v0.3.7";
  }
  EXPECT_TRUE(saw_required) << *ctext;
}

// Without an image digest the documents describe the application itself.
TEST(Sbom, WithoutImageDescribesTheApplication) {
  SbomSubject s;  // no digest, no name, default creation time
  auto spdx = MakeSpdxSbom(RichInfo(), s);
  ASSERT_TRUE(spdx.has_value()) << spdx.error().ToString();
  ExpectValid("spdx-2.3", *spdx, "noimage-spdx.json");
  json j = json::parse(*spdx);
  EXPECT_EQ(j["creationInfo"]["created"], "1970-01-01T00:00:00Z");
  EXPECT_EQ(j["name"], "example.com/app");
  const json* app = FindByField(j["packages"], "name", "example.com/app");
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(j["relationships"][0]["relatedSpdxElement"], (*app)["SPDXID"]);
  EXPECT_EQ(FindByField(j["packages"], "SPDXID", "SPDXRef-Image"), nullptr);

  auto cdx = MakeCycloneDxSbom(RichInfo(), s);
  ASSERT_TRUE(cdx.has_value()) << cdx.error().ToString();
  ExpectValid("cyclonedx-1.5", *cdx, "noimage-cdx.json");
  EXPECT_EQ(json::parse(*cdx)["metadata"]["component"]["type"], "application");
}

// A malformed creation time or an empty build info is kInvalidArgument in both formats.
TEST(Sbom, Errors) {
  SbomSubject s = TestSubject("amd64");
  s.created = "2023-11-14 22:13:20";
  for (SbomFormat f : {SbomFormat::kSpdx, SbomFormat::kCycloneDx}) {
    auto doc = MakeSbom(f, RichInfo(), s);
    ASSERT_FALSE(doc.has_value());
    EXPECT_EQ(doc.error().code(), ErrorCode::kInvalidArgument);
    auto empty = MakeSbom(f, GoBuildInfo{}, TestSubject("amd64"));
    ASSERT_FALSE(empty.has_value());
    EXPECT_EQ(empty.error().code(), ErrorCode::kInvalidArgument);
  }
}

// Format names, media types and RFC 3339 times are exactly the documented ones.
TEST(Sbom, FormatsAndTimes) {
  EXPECT_EQ(*ParseSbomFormat("spdx"), SbomFormat::kSpdx);
  EXPECT_EQ(*ParseSbomFormat("cyclonedx"), SbomFormat::kCycloneDx);
  EXPECT_FALSE(ParseSbomFormat("SPDX").has_value());
  EXPECT_FALSE(ParseSbomFormat("none").has_value());
  EXPECT_EQ(SbomMediaType(SbomFormat::kSpdx), "application/spdx+json");
  EXPECT_EQ(SbomMediaType(SbomFormat::kCycloneDx), "application/vnd.cyclonedx+json");
  EXPECT_EQ(FormatRfc3339Utc(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339Utc(1700000000), "2023-11-14T22:13:20Z");
  EXPECT_EQ(FormatRfc3339Utc(-5), "1970-01-01T00:00:00Z");
}

}  // namespace
}  // namespace ocib
