// Digest::Parse at the edges of its grammar (each character class bound,
// each separator rule, each fixed length) and Sha256Hasher across Update
// calls.
#include "ocib/digest.h"

#include <string>

#include <gtest/gtest.h>

#include "test/testing/test_util.h"

namespace ocib {
namespace {

using ::ocib::testing::IsOk;
using ::ocib::testing::StatusIs;
using ::testing::HasSubstr;

const std::string kHex64(64, 'a');

TEST(DigestGrammarTest, AlgorithmCharacterBounds) {
  // The first and last characters of each class, alone and in a component.
  for (const char* alg : {"a", "z", "0", "9", "az09", "z9", "a+b", "a.b", "a_b", "a-b", "x9.z0"}) {
    auto d = Digest::Parse(std::string(alg) + ":abc");
    ASSERT_THAT(d, IsOk()) << alg;
    EXPECT_EQ(d->algorithm(), alg);
    EXPECT_EQ(d->encoded(), "abc");
  }
  // Just outside each class: '`' < 'a', '{' > 'z', '/' < '0', ':' > '9'
  // (':' ends the algorithm, so "9:" is tried through an algorithm "a:"),
  // upper case, and separators that are not allowed.
  for (const char* alg : {"`", "{", "/", "a`", "a{", "a/", "A", "Z", "a*b", "a b", "a,b"}) {
    EXPECT_THAT(Digest::Parse(std::string(alg) + ":abc"),
                StatusIs(ErrorCode::kInvalidArgument, HasSubstr("bad algorithm")))
        << alg;
  }
}

TEST(DigestGrammarTest, SeparatorsNeedComponentsOnBothSides) {
  for (const char* alg : {"+a", ".a", "_a", "-a", "a+", "a.", "a_", "a-", "a+-b", "a..b", ""}) {
    EXPECT_THAT(Digest::Parse(std::string(alg) + ":abc"),
                StatusIs(ErrorCode::kInvalidArgument, HasSubstr("bad algorithm")))
        << "'" << alg << "'";
  }
}

TEST(DigestGrammarTest, EncodedCharacterBounds) {
  for (const char* enc : {"a", "z", "A", "Z", "0", "9", "=", "_", "-", "aZ09=_-"}) {
    auto d = Digest::Parse(std::string("x:") + enc);
    ASSERT_THAT(d, IsOk()) << enc;
    EXPECT_EQ(d->encoded(), enc);
  }
  // '@' < 'A', '[' > 'Z', '`' < 'a', '{' > 'z', '/' < '0', ':' > '9', and
  // characters outside every class.
  for (const char* enc : {"@", "[", "`", "{", "/", ":", "+", ".", " ", "a b"}) {
    EXPECT_THAT(Digest::Parse(std::string("x:") + enc),
                StatusIs(ErrorCode::kInvalidArgument, HasSubstr("bad encoding")))
        << enc;
  }
  EXPECT_THAT(Digest::Parse("x:"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("bad encoding")));
  EXPECT_THAT(Digest::Parse("sha256"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("missing ':'")));
}

TEST(DigestGrammarTest, Sha256AndSha512NeedExactLowerHex) {
  EXPECT_THAT(Digest::Parse("sha256:" + kHex64), IsOk());
  EXPECT_THAT(Digest::Parse("sha256:" + std::string(64, '0')), IsOk());
  EXPECT_THAT(Digest::Parse("sha256:" + std::string(64, 'f')), IsOk());
  EXPECT_THAT(Digest::Parse("sha256:" + std::string(64, '9')), IsOk());
  EXPECT_THAT(Digest::Parse("sha256:" + std::string(63, 'a')),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("64 hex digits")));
  EXPECT_THAT(Digest::Parse("sha256:" + std::string(65, 'a')),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("64 hex digits")));
  // 'g' is just past 'f'; 'A' is hex but not lower case.
  EXPECT_THAT(Digest::Parse("sha256:" + std::string(63, 'a') + "g"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("lower-case hex")));
  EXPECT_THAT(Digest::Parse("sha256:" + std::string(63, 'a') + "A"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("lower-case hex")));
  EXPECT_THAT(Digest::Parse("sha512:" + std::string(128, 'e')), IsOk());
  EXPECT_THAT(Digest::Parse("sha512:" + kHex64),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("128 hex digits")));
  // Other algorithms have no fixed length.
  EXPECT_THAT(Digest::Parse("sha384:abc"), IsOk());
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

}  // namespace
}  // namespace ocib
