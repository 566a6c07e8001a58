// Base64 (lib/auth/base64.h) against the RFC 4648 section 10 vectors, every
// byte value, unpadded input and characters outside the alphabet.
#include "lib/auth/base64.h"

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace ocib {
namespace {

const std::vector<std::pair<std::string, std::string>>& Rfc4648Vectors() {
  static const auto* const kVectors =
      new std::vector<std::pair<std::string, std::string>>{{"", ""},
                                                           {"f", "Zg=="},
                                                           {"fo", "Zm8="},
                                                           {"foo", "Zm9v"},
                                                           {"foob", "Zm9vYg=="},
                                                           {"fooba", "Zm9vYmE="},
                                                           {"foobar", "Zm9vYmFy"}};
  return *kVectors;
}

TEST(Base64Test, Rfc4648Vectors) {
  for (const auto& [plain, encoded] : Rfc4648Vectors()) {
    SCOPED_TRACE(plain);
    EXPECT_EQ(Base64Encode(plain), encoded);
    EXPECT_EQ(Base64Decode(encoded), plain);
    std::string unpadded = encoded;
    while (!unpadded.empty() && unpadded.back() == '=') unpadded.pop_back();
    EXPECT_EQ(Base64Decode(unpadded), plain);
  }
}

TEST(Base64Test, EveryByteValueRoundTrips) {
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  const std::string encoded = Base64Encode(all);
  EXPECT_EQ(encoded.size(), 344u);  // 4 * ceil(256 / 3)
  EXPECT_EQ(encoded.substr(0, 8), "AAECAwQF");
  EXPECT_EQ(encoded.substr(encoded.size() - 4), "/w==");  // 0xff alone
  EXPECT_NE(encoded.find('+'), std::string::npos);
  EXPECT_EQ(Base64Decode(encoded), all);
}

TEST(Base64Test, CredentialsAsDockerWritesThem) {
  EXPECT_EQ(Base64Encode("user:pa:ss"), "dXNlcjpwYTpzcw==");
  EXPECT_EQ(Base64Decode("dXNlcjpwYTpzcw=="), "user:pa:ss");
}

TEST(Base64Test, UrlSafeCharactersAndLineBreaksAreRead) {
  EXPECT_EQ(Base64Decode("-_-_"), Base64Decode("+/+/"));
  EXPECT_EQ(Base64Decode("-_-_")->size(), 3u);
  EXPECT_EQ(Base64Decode("Zm9v\r\nYmFy"), "foobar");
  EXPECT_EQ(Base64Decode("Zg==Zm9v"), "f");  // stops at the padding
}

TEST(Base64Test, CharactersOutsideTheAlphabetAreRefused) {
  for (const char* bad : {"Zm9v!", "Zm 9v", "Zm9.", "Zm9\t", "\xc3\xa9"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(Base64Decode(bad), std::nullopt);
  }
}

// The credentials of a Docker config entry, and short inputs, round trip;
// bytes outside the alphabet are refused.
TEST(Base64Test, RoundTrip) {
  EXPECT_EQ(Base64Encode("ocib:ocibpass"), "b2NpYjpvY2licGFzcw==");
  EXPECT_EQ(*Base64Decode("b2NpYjpvY2licGFzcw=="), "ocib:ocibpass");
  EXPECT_EQ(*Base64Decode(Base64Encode("a")), "a");
  EXPECT_EQ(*Base64Decode(Base64Encode("ab")), "ab");
  EXPECT_FALSE(Base64Decode("!!").has_value());
}

}  // namespace
}  // namespace ocib
