// Flattening layers (lib/archive/unpack.cc): whiteouts, opaque directories,
// replacement, symlinked parents resolved inside the root, hard links, and
// the refusals of hostile entries. The sinks are tested in
// unpack_sinks_test.cc.
#include "lib/archive/unpack.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "lib/archive/tar_writer.h"
#include "lib/io/streams.h"
#include "test/testing/test_util.h"

namespace ocib::archive {
namespace {

struct E {
  E(std::string p, tar::EntryType t = tar::EntryType::kRegular, std::string d = "",  // NOLINT
    std::string l = "", uint32_t m = 0644)
      : path(std::move(p)), type(t), data(std::move(d)), link(std::move(l)), mode(m) {}
  std::string path;
  tar::EntryType type;
  std::string data;
  std::string link;
  uint32_t mode;
};

std::string Tar(const std::vector<E>& entries) {
  ::ocib::testing::StringWriter w;
  tar::TarWriter t(&w);
  for (const E& e : entries) {
    tar::Header h;
    h.path = e.path;
    h.type = e.type;
    h.mode = e.mode;
    h.link_target = e.link;
    h.size = e.type == tar::EntryType::kRegular ? static_cast<int64_t>(e.data.size()) : 0;
    EXPECT_TRUE(t.WriteHeader(h));
    if (h.size > 0) {
      EXPECT_TRUE(t.WriteData(e.data.data(), e.data.size()));
    }
  }
  EXPECT_TRUE(t.Finish());
  return w.bytes;
}

std::vector<NamedLayer> Layers(const std::vector<std::string>& tars) {
  std::vector<NamedLayer> layers;
  for (size_t i = 0; i < tars.size(); ++i) {
    std::string bytes = tars[i];
    layers.push_back({"layer" + std::to_string(i), [bytes]() {
                        return Result<std::unique_ptr<Reader>>(
                            std::make_unique<io::StringReader>(bytes));
                      }});
  }
  return layers;
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
    EXPECT_FALSE(entries.contains(e.path)) << e.path;
    entries[e.path] = {e, content};
    return {};
  }
  Status Finish() override { return {}; }
  std::map<std::string, std::pair<FlatEntry, std::string>> entries;
};

constexpr auto kDir = tar::EntryType::kDirectory;
constexpr auto kLink = tar::EntryType::kSymlink;
constexpr auto kHard = tar::EntryType::kHardlink;

// Whiteouts hide, opaque markers clear the layers below, and a file replaces a directory with its
// subtree.
TEST(FlattenTest, WhiteoutsOpaqueAndReplacement) {
  MapSink sink;
  auto n = Flatten(Layers({Tar({{"etc", kDir},
                                {"etc/a", tar::EntryType::kRegular, "a"},
                                {"etc/b", tar::EntryType::kRegular, "b1"},
                                {"opt", kDir},
                                {"opt/x", tar::EntryType::kRegular, "x"},
                                {"d", kDir},
                                {"d/child", tar::EntryType::kRegular, "c"}}),
                           Tar({E("etc/.wh.a"),
                                {"etc/b", tar::EntryType::kRegular, "b2"},
                                {"opt/new", tar::EntryType::kRegular, "n"},
                                E("opt/.wh..wh..opq"),
                                {"d", tar::EntryType::kRegular, "file now"}})}),
                   sink);
  ASSERT_TRUE(n) << n.error().ToString();
  EXPECT_FALSE(sink.entries.contains("etc/a"));
  EXPECT_EQ(sink.entries.at("etc/b").second, "b2");
  EXPECT_FALSE(sink.entries.contains("opt/x"));
  EXPECT_EQ(sink.entries.at("opt/new").second, "n");  // same layer as the marker
  EXPECT_EQ(sink.entries.at("d").first.type, NodeType::kRegular);
  EXPECT_FALSE(sink.entries.contains("d/child"));
  EXPECT_EQ(*n, static_cast<int64_t>(sink.entries.size()));
}

// Relative, absolute and escaping symlinked parents all resolve inside the image root.
TEST(FlattenTest, SymlinkedParentsResolveInsideTheRoot) {
  MapSink sink;
  auto n = Flatten(Layers({Tar({{"usr/lib", kDir},
                                {"lib", kLink, "", "usr/lib"},
                                {"abs", kLink, "", "/usr/lib"},
                                {"up", kLink, "", "../../../../usr"}}),
                           Tar({{"lib/one", tar::EntryType::kRegular, "1"},
                                {"abs/two", tar::EntryType::kRegular, "2"},
                                {"up/three", tar::EntryType::kRegular, "3"}})}),
                   sink);
  ASSERT_TRUE(n) << n.error().ToString();
  EXPECT_EQ(sink.entries.at("usr/lib/one").second, "1");
  EXPECT_EQ(sink.entries.at("usr/lib/two").second, "2");
  EXPECT_EQ(sink.entries.at("usr/three").second, "3");
  EXPECT_EQ(sink.entries.at("lib").first.link, "usr/lib");
}

// A hard link's target is handed over in canonical form.
TEST(FlattenTest, HardLinksNameTheirCanonicalTarget) {
  MapSink sink;
  auto n = Flatten(
      Layers({Tar({{"a", tar::EntryType::kRegular, "data"}, {"b", kHard, "", "./a"}})}), sink);
  ASSERT_TRUE(n) << n.error().ToString();
  EXPECT_EQ(sink.entries.at("b").first.type, NodeType::kHardlink);
  EXPECT_EQ(sink.entries.at("b").first.link, "a");
}

// Escaping names, dangling or escaping hard links, files as parents and non-tars are
// kInvalidArgument.
TEST(FlattenTest, HostileEntriesAreRefused) {
  const std::vector<std::string> hostile = {
      Tar({{"a/../../x", tar::EntryType::kRegular, "x"}}),
      Tar({{"h", kHard, "", "../etc/passwd"}}),
      Tar({{"h", kHard, "", "missing"}}),
      Tar({{"f", tar::EntryType::kRegular, "file"}, {"f/below", tar::EntryType::kRegular, "x"}}),
      "not a tar at all, definitely not, more than 512 bytes? no",
  };
  for (const std::string& t : hostile) {
    MapSink sink;
    auto n = Flatten(Layers({t}), sink);
    EXPECT_FALSE(n);
    if (!n) {
      EXPECT_EQ(n.error().code(), ErrorCode::kInvalidArgument) << n.error().ToString();
    }
  }
}

// A symlink loop met as a parent is refused, not followed forever.
TEST(FlattenTest, SymlinkLoopIsRefused) {
  MapSink sink;
  auto n = Flatten(
      Layers({Tar(
          {{"a", kLink, "", "b"}, {"b", kLink, "", "a"}, {"a/x", tar::EntryType::kRegular, "x"}})}),
      sink);
  ASSERT_FALSE(n);
  EXPECT_NE(n.error().ToString().find("symlinks"), std::string::npos);
}

// Names are canonicalized; absolute, dot-dot and over-long names are refused.
TEST(CanonicalEntryNameTest, Forms) {
  EXPECT_EQ(*CanonicalEntryName("./a//b/./c/"), "a/b/c");
  EXPECT_EQ(*CanonicalEntryName("./"), "");
  EXPECT_FALSE(CanonicalEntryName("/etc/passwd"));
  EXPECT_FALSE(CanonicalEntryName("a/../b"));
  EXPECT_FALSE(CanonicalEntryName(std::string(5000, 'a')));
}

}  // namespace
}  // namespace ocib::archive
