#include "ocib/digest.h"

#include <string>

#include <nlohmann/json.hpp>

#include "test/testing/test_util.h"

namespace ocib {
namespace {

using ::ocib::testing::FixturePath;
using ::ocib::testing::IsOk;
using ::ocib::testing::ReadFileOrDie;
using ::ocib::testing::StatusIs;
using ::testing::HasSubstr;
using json = nlohmann::json;

TEST(DigestAlgorithmsTest, Sha512OfKnownValues) {
  // FIPS 180-2 "abc".
  EXPECT_EQ(Digest::Of("sha512", "abc").ToString(),
            "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  DigestHasher h("sha512");
  h.Update("a");
  h.Update("bc");
  EXPECT_EQ(h.Finish(), Digest::Of("sha512", "abc"));
  EXPECT_EQ(Digest::Of("sha256", "{}"), Digest::Sha256Of("{}"));
  auto parsed = Digest::Parse(Digest::Of("sha512", "abc").ToString());
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->algorithm(), "sha512");
}

TEST(DigestAlgorithmsTest, RefusesAlgorithmsOcibCannotVerify) {
  EXPECT_THAT(Digest::Parse("md5:d41d8cd98f00b204e9800998ecf8427e"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("\"md5\" is not supported")));
  EXPECT_THAT(Digest::Parse("blake3:" + std::string(64, 'a')),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("not supported")));
  EXPECT_THAT(Digest::Parse("sha384:" + std::string(96, 'a')),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("not supported")));
  EXPECT_THAT(Digest::Parse("sha512:" + std::string(64, 'a')),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("128 hex digits")));
  EXPECT_THAT(Digest::Parse("sha512:" + std::string(128, 'G')),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("lower-case hex")));
  EXPECT_FALSE(Digest::IsSupportedAlgorithm("md5"));
  EXPECT_TRUE(Digest::IsSupportedAlgorithm("sha512"));
}

// The algorithm grammar of the image spec (components of [a-z0-9] joined
// by one of + . _ -): a well-formed algorithm ocib does not verify is "not
// supported", anything else is "bad algorithm"; each separator counts.
TEST(DigestAlgorithmsTest, TheGrammarTellsMalformedFromUnsupported) {
  const std::string hex(64, 'a');
  for (const char* alg : {"sha256+b64u", "multihash+base58", "a.b", "a_b", "a-b", "x9", "sha384"}) {
    EXPECT_THAT(Digest::Parse(std::string(alg) + ":" + hex),
                StatusIs(ErrorCode::kInvalidArgument, HasSubstr("is not supported")))
        << alg;
  }
  for (const char* alg :
       {"SHA256", "sha256@x", "+sha", "sha+", "sha++b", "sha+.b", "a b", "sha/256", "Sha256"}) {
    EXPECT_THAT(Digest::Parse(std::string(alg) + ":" + hex),
                StatusIs(ErrorCode::kInvalidArgument, HasSubstr("bad algorithm")))
        << alg;
  }
}

TEST(Sha256HasherTest, UpdatesInPiecesGiveTheWholeDigest) {
  // sha256("abc") from FIPS 180-2.
  const std::string want = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  Sha256Hasher h;
  h.Update("a");
  h.Update("");
  h.Update("bc");
  Digest d = h.Finish();
  EXPECT_EQ(d.ToString(), "sha256:" + want);
  EXPECT_EQ(Digest::Sha256Of("abc").encoded(), want);
  // Every byte value goes through the hex encoder: 0x00..0xff.
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  EXPECT_EQ(Digest::Sha256Of(all).encoded(),
            "40aff2e9d2d8922e47afd4648e6967497158785fbd1da870e7110266bf944880");
}

TEST(DigestTest, GoDigestParseVectors) {
  json v = json::parse(ReadFileOrDie(FixturePath("vectors/go-digest/parse_digest.json")));
  int checked = 0;
  for (const auto& c : v["cases"]) {
    std::string input = c["input"];
    auto d = Digest::Parse(input);
    std::string err = c.value("error", "");
    std::string alg = c.value("algorithm", "");
    if (err.empty() && !alg.empty() && !Digest::IsSupportedAlgorithm(alg)) {
      // go-digest knows more algorithms (sha384); ocib refuses what it
      // does not verify.
      EXPECT_THAT(d, StatusIs(ErrorCode::kInvalidArgument, HasSubstr("not supported"))) << input;
    } else if (err.empty()) {
      ASSERT_THAT(d, IsOk()) << input;
      EXPECT_EQ(d->algorithm(), c["algorithm"].get<std::string>());
      EXPECT_EQ(d->encoded(), c["encoded"].get<std::string>());
      EXPECT_EQ(d->ToString(), input);
    } else if (err == "digest.ErrDigestUnsupported") {
      // Refused by go-digest and by ocib: no verifier for the algorithm.
      EXPECT_THAT(d, StatusIs(ErrorCode::kInvalidArgument, HasSubstr("not supported"))) << input;
    } else {
      EXPECT_FALSE(d.has_value()) << input << " should fail with " << err;
      if (!d) {
        EXPECT_EQ(d.error().code(), ErrorCode::kInvalidArgument);
      }
    }
    ++checked;
  }
  EXPECT_GE(checked, 10);
}

TEST(DigestTest, Sha256OfKnownValues) {
  EXPECT_EQ(Digest::Sha256Of("").ToString(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Digest::Sha256Of("{}").ToString(),
            "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
  Sha256Hasher h;
  h.Update("{");
  h.Update("}");
  EXPECT_EQ(h.Finish(), Digest::Sha256Of("{}"));
}

TEST(DigestTest, RejectsUppercaseAndBadLength) {
  EXPECT_THAT(Digest::Parse("sha256:ABCDEF"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("64")));
  EXPECT_THAT(Digest::Parse(std::string("sha256:") + std::string(64, 'A')),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("lower-case")));
  EXPECT_THAT(Digest::Parse("nocolon"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("missing ':'")));
}

}  // namespace
}  // namespace ocib
