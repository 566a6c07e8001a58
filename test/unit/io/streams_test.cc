// Stream stages (lib/io/streams.cc): the hashing writer, gzip and zstd
// compressors and their readers, the file and string readers, errno text.
#include "lib/io/streams.h"

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "test/testing/test_util.h"

namespace ocib::io {
namespace {

using ::ocib::testing::IsOk;
using ::ocib::testing::ScopedTempDir;
using ::ocib::testing::StatusIs;
using ::ocib::testing::StringWriter;
using ::ocib::testing::WriteFileOrDie;
using ::testing::HasSubstr;

// Reads `r` to its end in `step`-byte reads; the bytes or the first error.
Result<std::string> Drain(Reader& r, size_t step = 4096) {
  std::string out;
  std::string buf(step, '\0');
  while (true) {
    OCIB_ASSIGN_OR_RETURN(size_t n, r.Read(buf.data(), buf.size()));
    if (n == 0) return out;
    out.append(buf.data(), n);
  }
}

// Bytes that compress well but are not all alike.
std::string Text(size_t size) {
  std::string s;
  for (size_t i = 0; s.size() < size; ++i) s += "line " + std::to_string(i % 97) + "\n";
  s.resize(size);
  return s;
}

// What passes through a HashingWriter reaches the next writer unchanged,
// counted and hashed.
// Reads to the end, or stops once more than the limit was read.
TEST(ReadAtMostTest, ReadsToTheEndOrJustPastTheLimit) {
  const std::string big(200000, 'x');
  StringReader whole(big);
  auto all = ReadAtMost(whole, big.size());
  ASSERT_THAT(all, IsOk());
  EXPECT_EQ(all->size(), big.size());
  StringReader over(big);
  auto cut = ReadAtMost(over, 1000);
  ASSERT_THAT(cut, IsOk());
  EXPECT_GT(cut->size(), 1000u);
  EXPECT_LT(cut->size(), big.size());  // stopped reading
  StringReader empty("");
  auto none = ReadAtMost(empty, 0);
  ASSERT_THAT(none, IsOk());
  EXPECT_TRUE(none->empty());
}

TEST(HashingWriterTest, CountsHashesAndPassesThrough) {
  StringWriter sink;
  HashingWriter w(&sink);
  ASSERT_THAT(w.Write("hello ", 6), IsOk());
  ASSERT_THAT(w.Write("world", 5), IsOk());
  ASSERT_THAT(w.Close(), IsOk());
  EXPECT_EQ(sink.bytes, "hello world");
  EXPECT_EQ(w.count(), 11);
  EXPECT_EQ(w.Finish(), Digest::Sha256Of("hello world"));
}

// What a compressor writes, its reader gives back byte for byte, for gzip
// and zstd, single and multi-threaded; repetitive input shrinks.
TEST(CompressionTest, CompressorsRoundTripThroughTheirReaders) {
  const std::string text = Text(300000);
  for (Compression c : {Compression::kGzip, Compression::kZstd}) {
    for (int threads : {1, 2}) {
      SCOPED_TRACE(std::string(CompressionName(c)) + " threads " + std::to_string(threads));
      StringWriter packed;
      std::unique_ptr<Writer> w = NewCompressor(c, 3, threads, &packed);
      ASSERT_NE(w, nullptr);
      for (size_t i = 0; i < text.size(); i += 70000) {
        ASSERT_THAT(w->Write(text.data() + i, std::min<size_t>(70000, text.size() - i)), IsOk());
      }
      ASSERT_THAT(w->Close(), IsOk());
      EXPECT_LT(packed.bytes.size(), text.size() / 4);
      StringReader src(packed.bytes);
      std::unique_ptr<Reader> r =
          c == Compression::kGzip ? NewGzipReader(&src) : NewZstdReader(&src);
      auto back = Drain(*r, 1000);
      ASSERT_THAT(back, IsOk());
      EXPECT_TRUE(*back == text) << back->size();
    }
  }
}

// Bytes that are not of the format, or a stream cut short, are errors,
// not short or empty output.
TEST(CompressionTest, ReadersRefuseOtherBytesAndCutStreams) {
  for (Compression c : {Compression::kGzip, Compression::kZstd}) {
    SCOPED_TRACE(std::string(CompressionName(c)));
    auto reader = [c](Reader* src) {
      return c == Compression::kGzip ? NewGzipReader(src) : NewZstdReader(src);
    };
    StringReader plain(std::string(1000, 'x'));
    EXPECT_FALSE(Drain(*reader(&plain)).has_value());

    StringWriter packed;
    std::unique_ptr<Writer> w = NewCompressor(c, 3, 1, &packed);
    const std::string text = Text(100000);
    ASSERT_THAT(w->Write(text.data(), text.size()), IsOk());
    ASSERT_THAT(w->Close(), IsOk());
    StringReader cut(packed.bytes.substr(0, packed.bytes.size() / 2));
    EXPECT_FALSE(Drain(*reader(&cut)).has_value());
  }
}

// A StringReader gives its bytes in pieces no larger than asked, then 0.
TEST(StringReaderTest, GivesItsBytesInPiecesThenEnds) {
  StringReader r("abcdefg");
  char buf[3];
  auto n = r.Read(buf, sizeof buf);
  ASSERT_THAT(n, IsOk());
  EXPECT_EQ(std::string(buf, *n), "abc");
  auto rest = Drain(r, 2);
  ASSERT_THAT(rest, IsOk());
  EXPECT_EQ(*rest, "defg");
  auto end = r.Read(buf, sizeof buf);
  ASSERT_THAT(end, IsOk());
  EXPECT_EQ(*end, 0u);
}

// A regular file is read whole, through a symlink only when asked to
// follow it.
TEST(FileReaderTest, ReadsAFileWholeAndFollowsLinksOnlyWhenAsked) {
  ScopedTempDir tmp;
  const std::string text = Text(200000);
  WriteFileOrDie(tmp.path() + "/f", text);
  auto reader = FileReader::Open(tmp.path() + "/f", Links::kRefuse);
  ASSERT_THAT(reader, IsOk());
  auto got = Drain(**reader, 65536);
  ASSERT_THAT(got, IsOk());
  EXPECT_TRUE(*got == text);
  std::filesystem::create_symlink(tmp.path() + "/f", tmp.path() + "/link");
  EXPECT_FALSE(FileReader::Open(tmp.path() + "/link", Links::kRefuse).has_value());
  EXPECT_THAT(FileReader::Open(tmp.path() + "/link", Links::kFollow), IsOk());
  EXPECT_THAT(FileReader::Open(tmp.path() + "/absent"),
              StatusIs(ErrorCode::kNotFound, HasSubstr("absent")));
}

TEST(FileReaderTest, AFileThatGrowsWhileReadIsDataLoss) {
  ScopedTempDir tmp;
  const std::string path = tmp.path() + "/f";
  WriteFileOrDie(path, "abc");
  auto reader = FileReader::Open(path, Links::kRefuse);
  ASSERT_THAT(reader, IsOk());
  {
    std::ofstream out(path, std::ios::binary | std::ios::app);
    out << std::string(1000, 'z');
  }
  char buf[4096];
  Result<size_t> n = size_t{0};
  size_t total = 0;
  do {
    n = (*reader)->Read(buf, sizeof buf);
    if (n) total += *n;
  } while (n && *n > 0);
  EXPECT_THAT(n, StatusIs(ErrorCode::kDataLoss, HasSubstr("grew")));
  EXPECT_LE(total, 4u);
}

// ErrnoText is strerror's text, whichever strerror_r the C library has.
TEST(ErrnoTextTest, IsTheSystemsText) {
  EXPECT_EQ(ErrnoText(ENOENT), "No such file or directory");
  EXPECT_EQ(ErrnoText(EACCES), "Permission denied");
}

}  // namespace
}  // namespace ocib::io
