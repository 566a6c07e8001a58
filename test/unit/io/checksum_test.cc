// Content checksums (lib/io/checksum.cc): XXH3-128 of bytes, streams and files.
#include "lib/io/checksum.h"

#include <algorithm>
#include <string>

#include "ocib/digest.h"

#include "test/testing/test_util.h"

namespace ocib {
namespace {

using ::ocib::testing::IsOk;
using ::ocib::testing::ScopedTempDir;
using ::ocib::testing::StatusIs;
using ::ocib::testing::WriteFileOrDie;
using ::testing::HasSubstr;

// Known answers from `xxhsum -H2` (xxHash 0.8.1, Debian 12's xxhash
// package), which prints XXH3-128 in its canonical big-endian form.
TEST(ChecksumTest, MatchesXxhsum) {
  EXPECT_EQ(io::ChecksumOf(""), "xxh3-128:99aa06d3014798d86001c324468d497f");
  EXPECT_EQ(io::ChecksumOf("abc"), "xxh3-128:06b05ab6733a618578af5f94892f3950");
  EXPECT_EQ(io::ChecksumOf("The quick brown fox jumps over the lazy dog"),
            "xxh3-128:ddd650205ca3e7fa24a1cc2e3a8a7651");
  // 3,000,000 bytes, (i * 31) % 251: longer than the file reader's buffer.
  std::string big(3000000, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 31) % 251);
  const std::string expected = "xxh3-128:71af40fe9efbd139b7172683a24b0741";
  EXPECT_EQ(io::ChecksumOf(big), expected);
  // Streamed in uneven pieces, and read from a file, it is the same.
  io::Checksummer pieces;
  for (size_t at = 0, n = 1; at < big.size(); at += n, n = n * 3 + 1) {
    n = std::min(n, big.size() - at);
    pieces.Update(big.data() + at, n);
  }
  EXPECT_EQ(pieces.Finish(), expected);
  ScopedTempDir tmp;
  WriteFileOrDie(tmp.path() + "/big", big);
  auto sums = io::SumFile(tmp.path() + "/big", /*with_sha256=*/true);
  ASSERT_THAT(sums, IsOk());
  EXPECT_EQ(sums->checksum, expected);
  EXPECT_EQ(sums->size, 3000000);
  EXPECT_EQ(sums->sha256, Digest::Sha256Of(big));
  auto fast = io::SumFile(tmp.path() + "/big", /*with_sha256=*/false);
  ASSERT_THAT(fast, IsOk());
  EXPECT_FALSE(fast->sha256.has_value());
  EXPECT_THAT(io::SumFile(tmp.path() + "/missing", false),
              StatusIs(ErrorCode::kNotFound, HasSubstr("missing")));
}

}  // namespace
}  // namespace ocib
