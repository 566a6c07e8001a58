// FileRangeReader (lib/io/file_range_reader.cc): a range of a regular file
// read with pread; a missing file, a symlink, a bad range and a file
// shorter than the range are errors.
#include "lib/io/file_range_reader.h"

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "test/testing/test_util.h"

namespace ocib::io {
namespace {

using ::ocib::testing::IsOk;
using ::ocib::testing::ScopedTempDir;
using ::ocib::testing::StatusIs;
using ::ocib::testing::WriteFileOrDie;
using ::testing::HasSubstr;

Result<std::string> Drain(Reader& r, size_t step) {
  std::string out;
  std::string buf(step, '\0');
  while (true) {
    OCIB_ASSIGN_OR_RETURN(size_t n, r.Read(buf.data(), buf.size()));
    if (n == 0) return out;
    out.append(buf.data(), n);
  }
}

// The bytes [offset, offset + length), whatever the read size; an empty
// range gives nothing.
TEST(FileRangeReaderTest, ReadsExactlyTheRange) {
  ScopedTempDir tmp;
  std::string bytes;
  for (int i = 0; i < 100000; ++i) bytes += static_cast<char>('a' + i % 26);
  WriteFileOrDie(tmp.path() + "/f", bytes);
  for (size_t step : {size_t{1}, size_t{7}, size_t{65536}}) {
    auto r = FileRangeReader::Open(tmp.path() + "/f", 12345, 54321);
    ASSERT_THAT(r, IsOk());
    auto got = Drain(**r, step);
    ASSERT_THAT(got, IsOk());
    EXPECT_EQ(*got, bytes.substr(12345, 54321)) << step;
  }
  auto empty = FileRangeReader::Open(tmp.path() + "/f", 100000, 0);
  ASSERT_THAT(empty, IsOk());
  auto none = Drain(**empty, 10);
  ASSERT_THAT(none, IsOk());
  EXPECT_TRUE(none->empty());
}

// A range the file does not hold to its end was promised: kDataLoss after
// the bytes that are there.
TEST(FileRangeReaderTest, AFileShorterThanTheRangeIsDataLoss) {
  ScopedTempDir tmp;
  WriteFileOrDie(tmp.path() + "/f", "0123456789");
  auto r = FileRangeReader::Open(tmp.path() + "/f", 8, 5);
  ASSERT_THAT(r, IsOk());
  char buf[16];
  auto n = (*r)->Read(buf, sizeof buf);
  ASSERT_THAT(n, IsOk());
  EXPECT_EQ(std::string(buf, *n), "89");
  EXPECT_THAT((*r)->Read(buf, sizeof buf),
              StatusIs(ErrorCode::kDataLoss, HasSubstr("shorter than its descriptor says")));
}

// A missing file is kNotFound; a symlink is not followed; a negative
// offset or length is refused.
TEST(FileRangeReaderTest, MissingFilesLinksAndBadRangesAreRefused) {
  ScopedTempDir tmp;
  WriteFileOrDie(tmp.path() + "/f", "0123456789");
  EXPECT_THAT(FileRangeReader::Open(tmp.path() + "/absent", 0, 1),
              StatusIs(ErrorCode::kNotFound, HasSubstr("absent")));
  std::filesystem::create_symlink(tmp.path() + "/f", tmp.path() + "/link");
  EXPECT_FALSE(FileRangeReader::Open(tmp.path() + "/link", 0, 1).has_value());
  EXPECT_THAT(FileRangeReader::Open(tmp.path() + "/f", -1, 1),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("invalid range -1+1")));
  EXPECT_THAT(FileRangeReader::Open(tmp.path() + "/f", 0, -1),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("invalid range")));
}

}  // namespace
}  // namespace ocib::io
