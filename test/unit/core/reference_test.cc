// References against distribution/reference's own test vectors.
#include "ocib/reference.h"

#include <gtest/gtest.h>

#include "test/registry/test_util.h"

namespace ocib {
namespace {

using testing::LoadFixture;

TEST(ReferenceTest, ParseStrictVectors) {
  auto v = LoadFixture("reference_parse.json");
  int checked = 0;
  for (const auto& c : v["cases"]) {
    std::string input = c["input"];
    SCOPED_TRACE(input);
    auto r = Reference::ParseStrict(input);
    if (c.contains("error")) {
      if (input.find("@sha512:") != std::string::npos) {
        // Documented difference: sha512 is a registered OCI algorithm.
        EXPECT_TRUE(r.has_value());
        continue;
      }
      EXPECT_FALSE(r.has_value());
      if (!r) {
        EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
        if (c["error"] == "ErrNameContainsUppercase") {
          EXPECT_NE(r.error().message().find("lowercase"), std::string::npos);
        }
        if (c["error"] == "ErrNameTooLong") {
          EXPECT_NE(r.error().message().find("255"), std::string::npos);
        }
      }
    } else {
      ASSERT_TRUE(r.has_value()) << r.error().ToString();
      EXPECT_EQ(r->String(), c["string"].get<std::string>());
      EXPECT_EQ(r->Name(), c["repository"].get<std::string>());
      EXPECT_EQ(r->domain(), c["domain"].get<std::string>());
      EXPECT_EQ(r->tag(), c["tag"].get<std::string>());
      EXPECT_EQ(r->digest(), c["digest"].get<std::string>());
    }
    ++checked;
  }
  EXPECT_GT(checked, 40);
}

TEST(ReferenceTest, NormalizedValidAndInvalid) {
  auto v = LoadFixture("normalize.json");
  int valid = 0;
  int invalid = 0;
  for (const auto& in : v["ParseNormalizedNamed_valid"]["inputs"]) {
    EXPECT_TRUE(Reference::Parse(in.get<std::string>()).has_value()) << in;
    ++valid;
  }
  for (const auto& in : v["ParseNormalizedNamed_invalid"]["inputs"]) {
    EXPECT_FALSE(Reference::Parse(in.get<std::string>()).has_value()) << in;
    ++invalid;
  }
  // An emptied or renamed fixture section fails instead of passing.
  EXPECT_EQ(valid, 35);
  EXPECT_EQ(invalid, 27);
}

TEST(ReferenceTest, SplitHostname) {
  auto v = LoadFixture("normalize.json");
  int checked = 0;
  for (const auto& c : v["split_hostname"]["cases"]) {
    auto r = Reference::Parse(c["input"].get<std::string>());
    ASSERT_TRUE(r.has_value()) << c["input"];
    EXPECT_EQ(r->domain(), c["domain"].get<std::string>()) << c["input"];
    EXPECT_EQ(r->path(), c["path"].get<std::string>()) << c["input"];
    ++checked;
  }
  EXPECT_EQ(checked, 11);
}

TEST(ReferenceTest, ParseDockerRef) {
  auto v = LoadFixture("normalize.json");
  int checked = 0;
  for (const auto& c : v["parse_docker_ref"]["cases"]) {
    ++checked;
    auto r = Reference::Parse(c["input"].get<std::string>());
    if (!c.contains("expected") || c["expected"].is_null() ||
        (c.contains("err") && !c["err"].is_null() && c["err"] != "")) {
      EXPECT_FALSE(r.has_value()) << c["input"];
      continue;
    }
    ASSERT_TRUE(r.has_value()) << c["input"];
    Reference ref = *r;
    if (ref.tag().empty() && ref.digest().empty()) ref = ref.WithTag("latest");
    if (!ref.tag().empty() && !ref.digest().empty()) ref = ref.WithTag("");
    EXPECT_EQ(ref.String(), c["expected"].get<std::string>()) << c["input"];
  }
  EXPECT_EQ(checked, 11);
}

TEST(ReferenceTest, RepositoryInfo) {
  auto v = LoadFixture("normalize.json");
  int checked = 0;
  for (const auto& c : v["repository_info"]["cases"]) {
    for (const char* key : {"FamiliarName", "FullName", "AmbiguousName"}) {
      std::string in = c.value(key, "");
      if (in.empty()) continue;
      ++checked;
      auto r = Reference::Parse(in);
      ASSERT_TRUE(r.has_value()) << in;
      EXPECT_EQ(r->Familiar(), c["FamiliarName"].get<std::string>()) << in;
      EXPECT_EQ(r->String(), c["FullName"].get<std::string>()) << in;
      EXPECT_EQ(r->domain(), c["Domain"].get<std::string>()) << in;
      EXPECT_EQ(r->path(), c["RemoteName"].get<std::string>()) << in;
    }
  }
  EXPECT_EQ(checked, 48);
}

TEST(ReferenceTest, TagAndDigestKeptTogether) {
  auto v = LoadFixture("normalize.json");
  auto r = Reference::Parse(v["tag_and_digest"]["input"].get<std::string>());
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->String(), v["tag_and_digest"]["normalized"].get<std::string>());
  EXPECT_EQ(r->Familiar(), v["tag_and_digest"]["familiar"].get<std::string>());
  EXPECT_EQ(r->Identifier(), r->digest());
}

TEST(ReferenceTest, RegistryHostAndIdentifier) {
  auto hub = Reference::Parse("busybox");
  ASSERT_TRUE(hub.has_value());
  EXPECT_EQ(hub->RegistryHost(), "registry-1.docker.io");
  EXPECT_EQ(hub->Identifier(), "latest");
  auto local = Reference::Parse("localhost:5000/app:1");
  ASSERT_TRUE(local.has_value());
  EXPECT_EQ(local->RegistryHost(), "localhost:5000");
  EXPECT_EQ(local->Identifier(), "1");
  auto ip = Reference::Parse("127.0.0.1:5000/ocib/app");
  ASSERT_TRUE(ip.has_value());
  EXPECT_EQ(ip->domain(), "127.0.0.1:5000");
  EXPECT_EQ(ip->path(), "ocib/app");
  EXPECT_FALSE(Reference::Parse("127.0.0.1:5000/App").has_value());
  EXPECT_TRUE(IsValidTag("v1.2_3-x"));
  EXPECT_FALSE(IsValidTag(".hidden"));
  EXPECT_FALSE(IsValidTag(std::string(129, 'a')));
}

}  // namespace
}  // namespace ocib
