// TarDirectoryScanner (lib/archive/tar_scan.h): the directories a layer
// leaves, whatever the sizes of the writes that feed it (down to one byte);
// whiteouts applied over the layers below; pax path records read with a
// length field of up to 20 digits and refused beyond.
#include "lib/archive/tar_scan.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "lib/archive/tar_writer.h"
#include "test/testing/test_util.h"

namespace ocib::archive {
namespace {

// A tar stream of directories and empty files (a trailing '/' makes a
// directory), written by ocib's tar writer.
std::string Tar(const std::vector<std::string>& paths) {
  ::ocib::testing::StringWriter sink;
  tar::TarWriter w(&sink);
  for (const std::string& p : paths) {
    tar::Header h;
    h.path = p;
    h.type = p.ends_with('/') ? tar::EntryType::kDirectory : tar::EntryType::kRegular;
    EXPECT_TRUE(w.WriteHeader(h).has_value()) << p;
  }
  EXPECT_TRUE(w.Finish().has_value());
  return sink.bytes;
}

// One raw ustar header block: `name`, typeflag `type`, `size` bytes of data.
std::string Block(const std::string& name, char type, size_t size) {
  std::string b(512, '\0');
  b.replace(0, name.size(), name);
  const std::string octal = [&] {
    char buf[12];
    std::snprintf(buf, sizeof buf, "%011zo", size);
    return std::string(buf, 11);
  }();
  b.replace(124, 11, octal);
  b[156] = type;
  b.replace(257, 5, "ustar");
  return b;
}

std::string Padded(std::string data) {
  data.resize((data.size() + 511) / 512 * 512, '\0');
  return data;
}

// A pax header whose one record is `digits` (the length, zero-padded to
// `width` digits) " path=PATH\n", then a directory entry "short/".
std::string PaxThenDirectory(size_t width, const std::string& path = "long/dir") {
  const std::string payload = " path=" + path + "\n";
  const size_t len = width + payload.size();
  std::string digits = std::to_string(len);
  digits.insert(0, width - digits.size(), '0');
  const std::string record = digits + payload;
  return Block("pax", 'x', record.size()) + Padded(record) + Block("short/", '5', 0) +
         std::string(1024, '\0');
}

std::set<std::string> Scan(const std::string& tar, size_t chunk, std::set<std::string> dirs = {}) {
  TarDirectoryScanner scanner(&dirs);
  for (size_t at = 0; at < tar.size(); at += chunk) {
    auto st = scanner.Write(tar.data() + at, std::min(chunk, tar.size() - at));
    EXPECT_TRUE(st.has_value()) << st.error().ToString();
  }
  EXPECT_TRUE(scanner.Close().has_value());
  return dirs;
}

TEST(TarScanTest, DirectoriesWhateverTheWriteSizes) {
  const std::string tar = Tar({"etc/", "etc/ssl/", "etc/ssl/cert", "var/log/", "app"});
  const std::set<std::string> want = {"etc", "etc/ssl", "var/log"};
  EXPECT_EQ(Scan(tar, tar.size()), want);
  EXPECT_EQ(Scan(tar, 512), want);
  EXPECT_EQ(Scan(tar, 1), want);  // every byte counts, the last of each write too
  EXPECT_EQ(Scan(tar, 7), want);
}

TEST(TarScanTest, WhiteoutsRemoveWhatTheLayersBelowLeft) {
  const std::set<std::string> below = {"etc", "etc/ssl", "var", "var/log", "opt", "opt/a"};
  const std::string tar = Tar({"var/.wh.log", "opt/.wh..wh..opq", "opt/b/", "etc"});
  // var/log whited out; opt's lower content hidden (opt itself stays); a
  // file replaces the directory etc and its subtree.
  EXPECT_EQ(Scan(tar, 3, below), (std::set<std::string>{"var", "opt", "opt/b"}));
}

TEST(TarScanTest, PaxLengthsOfUpTo20Digits) {
  std::set<std::string> dirs;
  {
    TarDirectoryScanner scanner(&dirs);
    const std::string tar = PaxThenDirectory(20);
    ASSERT_TRUE(scanner.Write(tar.data(), tar.size()).has_value());
    ASSERT_TRUE(scanner.Close().has_value());
  }
  EXPECT_EQ(dirs, std::set<std::string>{"long/dir"});
  // A one-digit length ("9 path=a\n").
  std::set<std::string> short_dirs;
  {
    TarDirectoryScanner scanner(&short_dirs);
    const std::string tar = PaxThenDirectory(1, "a");
    ASSERT_TRUE(scanner.Write(tar.data(), tar.size()).has_value());
    ASSERT_TRUE(scanner.Close().has_value());
  }
  EXPECT_EQ(short_dirs, std::set<std::string>{"a"});
  std::set<std::string> none;
  TarDirectoryScanner scanner(&none);
  const std::string tar = PaxThenDirectory(21);
  auto st = scanner.Write(tar.data(), tar.size());
  ASSERT_FALSE(st.has_value());
  EXPECT_NE(st.error().ToString().find("malformed pax record"), std::string::npos)
      << st.error().ToString();
}

}  // namespace
}  // namespace ocib::archive
