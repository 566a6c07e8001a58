// A Go binary with a dependency that has a real go.sum hash: the test
// writes a module into a file:// GOPROXY in its scratch directory (no
// network), builds an app that needs it plus the sbomlib fixture (through a
// replace), and checks the reader and the SBOMs against `go version -m` and
// the go.sum the toolchain wrote.
#include <filesystem>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ocib/go_buildinfo.h"
#include "ocib/sbom.h"

#include "test/testing/sbom_test_util.h"

namespace ocib {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using sbomtest::ShellQuote;
using sbomtest::WriteFile;

constexpr char kDepPath[] = "example.com/ocib/sbomdep";
constexpr char kDepVersion[] = "v1.0.0";

class GoProxyDepTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!sbomtest::HaveGo()) return;
    if (sbomtest::Run("command -v python3").exit_code != 0) return;
    const std::string root = sbomtest::ScratchDir() + "/proxydep";
    fs::remove_all(root);
    // The module as a proxy serves it: list, .info, .mod and a .zip whose
    // entries are prefixed with PATH@VERSION/.
    const std::string src = root + "/src/" + kDepPath + "@" + kDepVersion;
    fs::create_directories(src);
    const std::string dep_mod = std::string("module ") + kDepPath + "\n\ngo 1.19\n";
    WriteFile(src + "/go.mod", dep_mod);
    WriteFile(src + "/dep.go",
              "// Package sbomdep is served from a local file:// proxy in tests.\n"
              "package sbomdep\n\n// Answer returns 42.\nfunc Answer() int { return 42 }\n");
    const std::string at = root + "/proxy/" + kDepPath + "/@v";
    fs::create_directories(at);
    WriteFile(at + "/list", std::string(kDepVersion) + "\n");
    WriteFile(at + "/" + kDepVersion + ".info",
              std::string(R"({"Version":")") + kDepVersion + R"(","Time":"2020-01-01T00:00:00Z"})");
    WriteFile(at + "/" + kDepVersion + ".mod", dep_mod);
    sbomtest::CommandResult zip =
        sbomtest::Run("cd " + ShellQuote(root + "/src") +
                      " && python3 -c 'import sys, zipfile, os\n"
                      "z = zipfile.ZipFile(sys.argv[1], \"w\")\n"
                      "for d, _, fs in os.walk(sys.argv[2]):\n"
                      "    for f in sorted(fs): z.write(os.path.join(d, f))\n"
                      "z.close()' " +
                      ShellQuote(at + "/" + kDepVersion + ".zip") + " " +
                      ShellQuote(std::string(kDepPath) + "@" + kDepVersion));
    if (zip.exit_code != 0) {
      *log_ = "zip: " + zip.output;
      return;
    }
    // The app.
    const std::string app = root + "/app";
    fs::create_directories(app);
    WriteFile(app + "/go.mod",
              "module example.com/ocib/sbomapp2\n\ngo 1.19\n\nrequire (\n\t" +
                  std::string(kDepPath) + " " + kDepVersion +
                  "\n\texample.com/ocib/sbomlib v0.1.0\n)\n\nreplace example.com/ocib/sbomlib => " +
                  sbomtest::SourceDir() + "/fixtures/go/sbomlib\n");
    WriteFile(app + "/main.go",
              "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/ocib/sbomdep\"\n"
              "\t\"example.com/ocib/sbomlib\"\n)\n\nfunc main() {\n"
              "\tfmt.Println(sbomlib.Greeting(\"ocib\"), sbomdep.Answer())\n}\n");
    *binary_ = root + "/app.bin";
    sbomtest::CommandResult build = sbomtest::Run(
        "cd " + ShellQuote(app) + " && env CGO_ENABLED=0 GOOS=linux GOARCH=arm64 GOPROXY=" +
        ShellQuote("file://" + root + "/proxy") +
        " GOFLAGS='-mod=mod -modcacherw' GOSUMDB=off GONOSUMDB= GOWORK=off GO111MODULE=on"
        " GOTOOLCHAIN=local GOENV=off GOCACHE=" +
        ShellQuote(std::string(OCIB_BINARY_DIR) + "/sbom-test/gocache") +
        " GOPATH=" + ShellQuote(root + "/gopath") + " go build -trimpath -buildvcs=false -o " +
        ShellQuote(*binary_) + " .");
    if (build.exit_code != 0) {
      *log_ = "go build: " + build.output;
      binary_->clear();
      return;
    }
    *go_sum_ = sbomtest::ReadFile(app + "/go.sum");
  }

  void SetUp() override {
    if (!sbomtest::HaveGo()) GTEST_SKIP() << "go toolchain not installed";
    if (sbomtest::Run("command -v python3").exit_code != 0) {
      GTEST_SKIP() << "python3 needed to write a zip";
    }
    ASSERT_FALSE(binary_->empty()) << *log_;
  }

  // The h1: hash go.sum records for the dependency's content.
  static std::string GoSumHash() {
    std::istringstream in(*go_sum_);
    std::string path, version, hash;
    while (in >> path >> version >> hash) {
      if (path == kDepPath && version == kDepVersion) return hash;
    }
    return {};
  }

  static inline std::string* binary_ = new std::string;
  static inline std::string* log_ = new std::string;
  static inline std::string* go_sum_ = new std::string;
};

TEST_F(GoProxyDepTest, ReaderMatchesGoVersionMAndGoSum) {
  GoBuildInfo want;
  std::string text, log;
  ASSERT_TRUE(sbomtest::GoVersionM(*binary_, &want, &text, &log)) << log;
  auto got = ReadGoBuildInfo(*binary_);
  ASSERT_TRUE(got.has_value()) << got.error().ToString();
  EXPECT_EQ(*got, want);
  EXPECT_EQ(got->ToString(), text);

  const std::string sum = GoSumHash();
  ASSERT_EQ(sum.rfind("h1:", 0), 0u) << *go_sum_;
  ASSERT_EQ(got->deps.size(), 2u) << text;
  EXPECT_EQ(got->deps[0].path, kDepPath);
  EXPECT_EQ(got->deps[0].version, kDepVersion);
  EXPECT_EQ(got->deps[0].sum, sum);
  EXPECT_FALSE(got->deps[0].replace.has_value());
  EXPECT_EQ(got->deps[1].path, "example.com/ocib/sbomlib");
  ASSERT_TRUE(got->deps[1].replace.has_value());
  EXPECT_EQ(got->deps[1].replace->path, sbomtest::SourceDir() + "/fixtures/go/sbomlib");
}

TEST_F(GoProxyDepTest, SbomsCarryTheSum) {
  auto info = ReadGoBuildInfo(*binary_);
  ASSERT_TRUE(info.has_value()) << info.error().ToString();
  const std::string sum = GoSumHash();
  sbomtest::CommandResult hex = sbomtest::Run("printf %s " + ShellQuote(sum.substr(3)) +
                                              " | base64 -d | od -An -v -tx1 | tr -d ' \\n'");
  ASSERT_EQ(hex.output.size(), 64u) << hex.output;

  SbomSubject subject;
  subject.name = "example.com/sbomapp2:latest";
  subject.digest = Digest::Sha256Of("m");
  subject.created = "2024-01-02T03:04:05Z";
  auto spdx = MakeSpdxSbom(*info, subject);
  ASSERT_TRUE(spdx.has_value()) << spdx.error().ToString();
  json s = json::parse(*spdx);
  const json* pkg = nullptr;
  for (const json& p : s["packages"]) {
    if (p["name"] == kDepPath) pkg = &p;
  }
  ASSERT_NE(pkg, nullptr) << *spdx;
  EXPECT_EQ((*pkg)["versionInfo"], kDepVersion);
  EXPECT_EQ((*pkg)["checksums"][0]["checksumValue"], hex.output);
  EXPECT_EQ((*pkg)["comment"], "go.sum: " + sum);
  EXPECT_EQ((*pkg)["externalRefs"][0]["referenceLocator"],
            std::string("pkg:golang/") + kDepPath + "@" + kDepVersion);

  auto cdx = MakeCycloneDxSbom(*info, subject);
  ASSERT_TRUE(cdx.has_value()) << cdx.error().ToString();
  json c = json::parse(*cdx);
  const json* comp = nullptr;
  for (const json& p : c["components"]) {
    if (p["name"] == kDepPath) comp = &p;
  }
  ASSERT_NE(comp, nullptr) << *cdx;
  EXPECT_EQ((*comp)["hashes"][0]["content"], hex.output);
  EXPECT_EQ((*comp)["properties"][0], json({{"name", "ocib:go:sum"}, {"value", sum}}));

  const std::string python = sbomtest::PythonWithJsonSchema();
  if (python.empty()) GTEST_SKIP() << "no python3 with jsonschema";
  const std::string dir = sbomtest::ScratchDir();
  WriteFile(dir + "/proxydep-spdx.json", *spdx);
  WriteFile(dir + "/proxydep-cdx.json", *cdx);
  EXPECT_EQ(sbomtest::ValidateAgainstSchema(python, "spdx-2.3", dir + "/proxydep-spdx.json"), "");
  EXPECT_EQ(sbomtest::ValidateAgainstSchema(python, "cyclonedx-1.5", dir + "/proxydep-cdx.json"),
            "");
}

}  // namespace
}  // namespace ocib
