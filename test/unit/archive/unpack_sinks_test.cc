// The sinks of flattened layers (lib/archive/unpack_sinks.cc): the directory
// sink writes the tree relative to directory descriptors and never follows
// a symlink on disk; the tar sink writes one tar that libarchive (through
// Flatten) reads back entry for entry, skipping what a tar cannot hold.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "lib/archive/unpack.h"
#include "lib/io/fs_util.h"
#include "lib/io/streams.h"
#include "test/testing/test_util.h"
#include <sys/stat.h>

namespace ocib::archive {
namespace {

FlatEntry Entry(std::string path, NodeType type, uint32_t mode, std::string link = "",
                int64_t size = 0) {
  FlatEntry e;
  e.path = std::move(path);
  e.type = type;
  e.mode = mode;
  e.link = std::move(link);
  e.size = size;
  e.mtime = 1700000000;
  return e;
}

// Hands `e` to `sink`, with `data` as a regular file's content.
Status Add(FlatSink& sink, const FlatEntry& e, const std::string& data = "") {
  if (e.type != NodeType::kRegular) return sink.Add(e, nullptr);
  io::StringReader r(data);
  return sink.Add(e, &r);
}

class DirectorySinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ocib-unpack-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    parent_ = tmpl;
  }
  void TearDown() override { fsutil::RemoveAll(parent_); }
  std::string parent_;
};

// Files, symlinks and hard links land as given; a read-only directory gets
// its mode last (widened for the owner when not root).
TEST_F(DirectorySinkTest, WritesTheTree) {
  DirectorySinkReport report;
  auto sink = NewDirectorySink(parent_ + "/root", {}, &report);
  ASSERT_TRUE(sink) << sink.error().ToString();
  ASSERT_TRUE(Add(**sink, Entry("ro", NodeType::kDirectory, 0555)));
  ASSERT_TRUE(Add(**sink, Entry("ro/f", NodeType::kRegular, 0755, "", 5), "hello"));
  ASSERT_TRUE(Add(**sink, Entry("l", NodeType::kSymlink, 0777, "ro/f")));
  ASSERT_TRUE(Add(**sink, Entry("h", NodeType::kHardlink, 0755, "ro/f")));
  ASSERT_TRUE((*sink)->Finish());
  namespace fs = std::filesystem;
  const fs::path root = parent_ + "/root";
  std::ifstream in(root / "ro/f");
  std::stringstream content;
  content << in.rdbuf();
  EXPECT_EQ(content.str(), "hello");
  EXPECT_EQ(fs::read_symlink(root / "l"), "ro/f");
  EXPECT_EQ(fs::hard_link_count(root / "h"), 2u);
  struct stat st {};
  ASSERT_EQ(::stat((root / "ro").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, ::geteuid() == 0 ? 0555u : 0755u);
  EXPECT_EQ(report.owners_kept, ::geteuid() == 0);
  EXPECT_EQ(report.modes_widened, ::geteuid() != 0);
}

// A target directory that already holds something is refused.
TEST_F(DirectorySinkTest, RefusesANonEmptyDirectory) {
  std::filesystem::create_directories(parent_ + "/root");
  std::ofstream(parent_ + "/root/keep") << "x";
  DirectorySinkReport report;
  auto sink = NewDirectorySink(parent_ + "/root", {}, &report);
  ASSERT_FALSE(sink);
  EXPECT_EQ(sink.error().code(), ErrorCode::kInvalidArgument);
}

// A symlink planted on disk (unknown to the flattened tree) is never
// followed: writing below it is refused and nothing lands outside.
TEST_F(DirectorySinkTest, NeverFollowsASymlinkOnDisk) {
  DirectorySinkReport report;
  auto sink = NewDirectorySink(parent_ + "/root", {}, &report);
  ASSERT_TRUE(sink);
  std::filesystem::create_directories(parent_ + "/outside");
  std::filesystem::create_directory_symlink(parent_ + "/outside", parent_ + "/root/d");
  FlatEntry e;
  e.path = "d/x";
  e.type = NodeType::kRegular;
  e.size = 1;
  io::StringReader data("x");
  Status s = (*sink)->Add(e, &data);
  EXPECT_FALSE(s);
  EXPECT_TRUE(std::filesystem::is_empty(parent_ + "/outside"));
}

// Without root a device node is skipped and counted, not created; a FIFO
// needs no privilege and is made with its mode.
TEST_F(DirectorySinkTest, DevicesAreSkippedAndCountedWithoutRoot) {
  if (::geteuid() == 0) GTEST_SKIP() << "as root device nodes may be created";
  DirectorySinkReport report;
  auto sink = NewDirectorySink(parent_ + "/root", {}, &report);
  ASSERT_TRUE(sink);
  FlatEntry dev = Entry("null", NodeType::kCharDevice, 0666);
  dev.dev_major = 1;
  dev.dev_minor = 3;
  ASSERT_TRUE(Add(**sink, dev));
  ASSERT_TRUE(Add(**sink, Entry("fifo", NodeType::kFifo, 0640)));
  ASSERT_TRUE((*sink)->Finish());
  EXPECT_EQ(report.skipped_devices, 1);
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(parent_ + "/root/null")));
  struct stat st {};
  ASSERT_EQ(::lstat((parent_ + "/root/fifo").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0640u);
}

// Collects what a flatten hands over.
class MapSink : public FlatSink {
 public:
  Status Add(const FlatEntry& e, Reader* data) override {
    std::string content;
    if (data != nullptr) {
      char buf[256];
      while (true) {
        OCIB_ASSIGN_OR_RETURN(size_t n, data->Read(buf, sizeof buf));
        if (n == 0) break;
        content.append(buf, n);
      }
    }
    entries[e.path] = {e, content};
    return {};
  }
  Status Finish() override { return {}; }
  std::map<std::string, std::pair<FlatEntry, std::string>> entries;
};

// What the tar sink wrote, read back by libarchive as a one-layer image.
Result<std::map<std::string, std::pair<FlatEntry, std::string>>> ReadBack(const std::string& tar) {
  std::vector<NamedLayer> layers{{"tar-sink output", [tar]() {
                                    return Result<std::unique_ptr<Reader>>(
                                        std::make_unique<io::StringReader>(tar));
                                  }}};
  MapSink back;
  OCIB_ASSIGN_OR_RETURN(int64_t n, Flatten(layers, back));
  (void)n;
  return back.entries;
}

// Every entry type a tar holds comes back with its mode, owner, time, link
// and content; device nodes and FIFOs are counted as skipped instead.
TEST(TarSinkTest, WritesATarThatReadsBackEntryForEntry) {
  ::ocib::testing::StringWriter out;
  int64_t skipped = 0;
  std::unique_ptr<FlatSink> sink = NewTarSink(out, &skipped);
  FlatEntry dir = Entry("etc", NodeType::kDirectory, 0750);
  dir.uid = 10;
  dir.gid = 20;
  FlatEntry file = Entry("etc/conf", NodeType::kRegular, 0640, "", 6);
  file.uid = 1000;
  file.gid = 1001;
  file.mtime = 1600000000;
  ASSERT_TRUE(Add(*sink, dir));
  ASSERT_TRUE(Add(*sink, file, "k=v\nx\n"));
  ASSERT_TRUE(Add(*sink, Entry("etc/link", NodeType::kSymlink, 0777, "conf")));
  ASSERT_TRUE(Add(*sink, Entry("etc/hard", NodeType::kHardlink, 0640, "etc/conf")));
  FlatEntry dev = Entry("dev/null", NodeType::kCharDevice, 0666);
  dev.dev_major = 1;
  dev.dev_minor = 3;
  ASSERT_TRUE(Add(*sink, dev));
  ASSERT_TRUE(Add(*sink, Entry("fifo", NodeType::kFifo, 0600)));
  ASSERT_TRUE(sink->Finish());
  EXPECT_EQ(skipped, 2);
  ASSERT_EQ(out.bytes.size() % 512, 0u);

  auto back = ReadBack(out.bytes);
  ASSERT_TRUE(back) << back.error().ToString();
  std::vector<std::string> names;
  for (const auto& [path, entry] : *back) names.push_back(path);
  EXPECT_EQ(names, (std::vector<std::string>{"etc", "etc/conf", "etc/hard", "etc/link"}));
  const FlatEntry& d = back->at("etc").first;
  EXPECT_EQ(d.type, NodeType::kDirectory);
  EXPECT_EQ(d.mode, 0750u);
  EXPECT_EQ(d.uid, 10);
  EXPECT_EQ(d.gid, 20);
  const auto& [f, content] = back->at("etc/conf");
  EXPECT_EQ(f.type, NodeType::kRegular);
  EXPECT_EQ(content, "k=v\nx\n");
  EXPECT_EQ(f.mode, 0640u);
  EXPECT_EQ(f.uid, 1000);
  EXPECT_EQ(f.gid, 1001);
  EXPECT_EQ(f.mtime, 1600000000);
  EXPECT_EQ(back->at("etc/link").first.type, NodeType::kSymlink);
  EXPECT_EQ(back->at("etc/link").first.link, "conf");
  EXPECT_EQ(back->at("etc/hard").first.type, NodeType::kHardlink);
  EXPECT_EQ(back->at("etc/hard").first.link, "etc/conf");
}

// A regular file whose data ends before its size is kDataLoss naming it,
// not a short entry.
TEST(TarSinkTest, AShortFileIsDataLoss) {
  ::ocib::testing::StringWriter out;
  int64_t skipped = 0;
  std::unique_ptr<FlatSink> sink = NewTarSink(out, &skipped);
  Status st = Add(*sink, Entry("f", NodeType::kRegular, 0644, "", 10), "short");
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), ErrorCode::kDataLoss);
  EXPECT_NE(st.error().ToString().find("f ends early"), std::string::npos) << st.error().ToString();
}

}  // namespace
}  // namespace ocib::archive
