// The shared setup of the archive tests (lib/layout/image_source.cc,
// lib/layout/docker_archive.cc): images built into a temporary directory,
// sources opened by location, ranges of a blob checked at their bounds, and
// tars written with ocib's tar writer.
#ifndef OCIB_TEST_UNIT_LAYOUT_ARCHIVE_FIXTURES_H_
#define OCIB_TEST_UNIT_LAYOUT_ARCHIVE_FIXTURES_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ocib/image_location.h"

#include "lib/archive/tar_writer.h"
#include "lib/layout/image_source.h"
#include "test/testing/build_options.h"
#include "test/testing/test_util.h"

namespace ocib::testing {

class ArchiveTest : public ::testing::Test {
 protected:
  // Builds a layout "out:v1" with `platforms` (one binary each).
  void Build(const std::vector<std::string>& platforms, const std::string& output) {
    BuildOptions o;
    o.binary_unchecked = true;  // stand-in binaries
    for (const std::string& p : platforms) {
      const std::string bin = tmp_.path() + "/bin-" + std::to_string(o.binaries.size());
      WriteFileOrDie(bin, std::string(3000, static_cast<char>('a' + o.binaries.size())));
      o.binaries.emplace_back(p, bin);
    }
    o.output = output;
    o.sbom = "none";
    o.no_cache = true;
    o.source_date_epoch = 1700000000;
    ASSERT_THAT(BuildImage(o), IsOk());
  }
  Result<std::unique_ptr<ImageSource>> Open(const std::string& text) {
    auto where = ImageLocation::Parse(text);
    if (!where) return std::move(where).error();
    return OpenImageSource(*where);
  }
  ScopedTempDir tmp_;
};

// OpenRange of `d` in `source` against its whole bytes: the first and last
// byte, the whole blob, an empty range at the end; ranges outside refused.
inline void ExpectRanges(ImageSource& source, const Digest& d, const std::string& whole) {
  const auto size = static_cast<int64_t>(whole.size());
  ASSERT_GT(size, 1);
  auto read = [&](int64_t offset, int64_t length) -> Result<std::string> {
    OCIB_ASSIGN_OR_RETURN(std::unique_ptr<Reader> r, source.OpenRange(d, offset, length));
    std::string out;
    char buf[4096];
    while (true) {
      OCIB_ASSIGN_OR_RETURN(size_t n, r->Read(buf, sizeof buf));
      if (n == 0) return out;
      out.append(buf, n);
    }
  };
  EXPECT_EQ(read(0, 1).value_or("?"), whole.substr(0, 1)) << d.ToString();
  EXPECT_EQ(read(0, size).value_or("?"), whole);
  EXPECT_EQ(read(size - 1, 1).value_or("?"), whole.substr(whole.size() - 1));
  EXPECT_EQ(read(size, 0).value_or("?"), "");
  EXPECT_THAT(read(-1, 1), StatusIs(ErrorCode::kInvalidArgument, ::testing::HasSubstr("outside")));
  EXPECT_THAT(read(0, -1), StatusIs(ErrorCode::kInvalidArgument, ::testing::HasSubstr("outside")));
  EXPECT_THAT(read(1, size),
              StatusIs(ErrorCode::kInvalidArgument, ::testing::HasSubstr("outside")));
  EXPECT_THAT(read(size + 1, 0),
              StatusIs(ErrorCode::kInvalidArgument, ::testing::HasSubstr("outside")));
}

// Writes a tar of (path, bytes) entries with ocib's tar writer.
inline void WriteTar(const std::string& file,
                     const std::vector<std::pair<std::string, std::string>>& e) {
  std::string bytes;
  class Sink : public Writer {
   public:
    explicit Sink(std::string& s) : s_(s) {}
    Status Write(const void* d, size_t n) override {
      s_.append(static_cast<const char*>(d), n);
      return {};
    }
    Status Close() override { return {}; }

   private:
    std::string& s_;
  } sink(bytes);
  tar::TarWriter w(&sink);
  for (const auto& [path, data] : e) {
    tar::Header h;
    h.path = path;
    h.size = static_cast<int64_t>(data.size());
    ASSERT_THAT(w.WriteHeader(h), IsOk());
    ASSERT_THAT(w.WriteData(data.data(), data.size()), IsOk());
  }
  ASSERT_THAT(w.Finish(), IsOk());
  WriteFileOrDie(file, bytes);
}

}  // namespace ocib::testing

#endif  // OCIB_TEST_UNIT_LAYOUT_ARCHIVE_FIXTURES_H_
