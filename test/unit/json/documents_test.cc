#include <nlohmann/json.hpp>

#include "ocib/image_config.h"
#include "ocib/manifest.h"
#include "ocib/media_type.h"

#include "lib/json/json_util.h"
#include "test/testing/test_util.h"

namespace ocib {
namespace {

using ::ocib::testing::FixturePath;
using ::ocib::testing::IsOk;
using ::ocib::testing::ReadFileOrDie;
using ::ocib::testing::StatusIs;
using ::testing::HasSubstr;
using json = nlohmann::json;

// CheckUtf8 (lib/json/json_util.h): the error names what is not UTF-8
// (core::IsUtf8's own cases are in test/unit/core/utf8_test.cc).
TEST(Utf8Test, CheckUtf8NamesWhatIsNotUtf8) {
  auto st = jsonutil::CheckUtf8("\xff", "a label");
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().ToString(), "a label is not valid UTF-8");
  EXPECT_TRUE(jsonutil::CheckUtf8("ok", "a label").has_value());
}

TEST(DocumentsTest, DockerHubDocumentsHashAsStoredBytes) {
  json idx = json::parse(ReadFileOrDie(FixturePath("vectors/image-spec/docker-compat/index.json")));
  int checked = 0;
  for (const auto& f : idx["files"]) {
    std::string bytes = ReadFileOrDie(
        FixturePath("vectors/image-spec/docker-compat/" + f["file"].get<std::string>()));
    EXPECT_EQ(Digest::Sha256Of(bytes).ToString(), f["sha256_of_file_bytes"].get<std::string>());
    std::string mt = f["docker_media_type"];
    if (media_type::IsIndex(mt)) {
      auto parsed = Index::Parse(bytes);
      ASSERT_THAT(parsed, IsOk()) << f["file"];
      EXPECT_FALSE(parsed->manifests.empty());
      // Re-serializing changes the bytes: ocib never hashes parsed documents.
      EXPECT_NE(parsed->Serialize(), bytes);
    } else if (media_type::IsManifest(mt)) {
      auto parsed = Manifest::Parse(bytes);
      ASSERT_THAT(parsed, IsOk()) << f["file"];
      EXPECT_FALSE(parsed->layers.empty());
    } else {
      auto parsed = ImageConfig::Parse(bytes);
      ASSERT_THAT(parsed, IsOk()) << f["file"];
      EXPECT_FALSE(parsed->diff_ids.empty());
    }
    ++checked;
  }
  EXPECT_EQ(checked, 4);
}

TEST(DocumentsTest, SpecExamplesParse) {
  json v = json::parse(ReadFileOrDie(FixturePath("vectors/image-spec/examples.json")));
  int checked = 0;
  for (const auto& c : v["cases"]) {
    std::string mt = c["mediatype"];
    std::string doc = c["document"];
    if (mt == media_type::kImageManifest) {
      EXPECT_THAT(Manifest::Parse(doc), IsOk()) << c["title"];
      ++checked;
    } else if (mt == media_type::kImageIndex) {
      EXPECT_THAT(Index::Parse(doc), IsOk()) << c["title"];
      ++checked;
    } else if (mt == media_type::kImageConfig) {
      EXPECT_THAT(ImageConfig::Parse(doc), IsOk()) << c["title"];
      ++checked;
    }
  }
  EXPECT_GE(checked, 4);
}

TEST(DocumentsTest, ManifestRoundTripIsCanonical) {
  Manifest m;
  m.config = DescribeBytes(media_type::kImageConfig, "{}");
  m.layers.push_back(DescribeBytes(media_type::kLayerTarZstd, "layer"));
  m.annotations["b"] = "2";
  m.annotations["a"] = "<&>";
  std::string bytes = m.Serialize();
  EXPECT_EQ(bytes.find(' '), std::string::npos);
  EXPECT_LT(bytes.find("\"a\""), bytes.find("\"b\""));
  EXPECT_NE(bytes.find("<&>"), std::string::npos) << "no HTML escaping";
  auto back = Manifest::Parse(bytes);
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(back->Serialize(), bytes);
  EXPECT_EQ(back->layers, m.layers);
}

TEST(DocumentsTest, ConfigRoundTrip) {
  ImageConfig c;
  c.architecture = "arm64";
  c.os = "linux";
  c.variant = "v8";
  c.created = FormatRfc3339(1700000000);
  c.config.entrypoint = std::vector<std::string>{"/app"};
  c.config.env = {"B=2", "A=1"};
  c.config.exposed_ports = {"8080/tcp"};
  c.diff_ids.push_back(Digest::Sha256Of("x"));
  c.history.push_back({c.created, "step", "", "", false});
  std::string bytes = c.Serialize();
  auto back = ImageConfig::Parse(bytes);
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(back->Serialize(), bytes);
  EXPECT_EQ(back->created, "2023-11-14T22:13:20Z");
  EXPECT_EQ(back->config.env, (std::vector<std::string>{"B=2", "A=1"})) << "env keeps its order";
  EXPECT_EQ(back->platform().ToString(), "linux/arm64/v8");
}

TEST(DocumentsTest, RejectsBadDocuments) {
  EXPECT_THAT(Manifest::Parse("{"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("not valid JSON")));
  EXPECT_THAT(Manifest::Parse(R"({"schemaVersion":1})"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("schemaVersion")));
  EXPECT_THAT(Index::Parse(R"({"schemaVersion":2,"manifests":[{"digest":"sha256:x","size":1}]})"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("sha256:x")));
  EXPECT_THAT(ImageConfig::Parse(
                  R"({"architecture":"amd64","os":"linux","rootfs":{"type":"x","diff_ids":[]}})"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("rootfs.type")));
}

// Every string field of an image config, at the top and in "config", is
// refused by name when it has another type (a number here), and accepted
// when absent.
TEST(DocumentsTest, ConfigStringFieldsOfAnotherTypeAreRefused) {
  const std::string base =
      R"("architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]})";
  ASSERT_THAT(ImageConfig::Parse("{" + base + "}"), IsOk());
  for (const char* key : {"created", "author", "variant", "os.version"}) {
    EXPECT_THAT(ImageConfig::Parse("{" + base + ",\"" + key + "\":5}"),
                StatusIs(ErrorCode::kInvalidArgument, HasSubstr(key)))
        << key;
  }
  for (const char* key : {"architecture", "os"}) {
    json j = json::parse("{" + base + "}");
    j[key] = 5;
    EXPECT_THAT(ImageConfig::Parse(j.dump()), StatusIs(ErrorCode::kInvalidArgument, HasSubstr(key)))
        << key;
  }
  for (const char* key : {"User", "WorkingDir", "StopSignal"}) {
    EXPECT_THAT(ImageConfig::Parse("{" + base + ",\"config\":{\"" + key + "\":5}}"),
                StatusIs(ErrorCode::kInvalidArgument, HasSubstr(key)))
        << key;
  }
}

TEST(DocumentsTest, UnknownMediaTypesAreKept) {
  std::string doc =
      R"({"schemaVersion":2,"manifests":[{"mediaType":"application/x-unknown","digest":"sha256:)" +
      std::string(64, 'a') + R"(","size":3}]})";
  auto idx = Index::Parse(doc);
  ASSERT_THAT(idx, IsOk());
  EXPECT_EQ(idx->manifests[0].media_type, "application/x-unknown");
}

}  // namespace
}  // namespace ocib
