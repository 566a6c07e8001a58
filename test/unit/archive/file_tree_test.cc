// FileTree (lib/archive/file_tree.cc): destination paths and host sources.
#include <string>
#include <string_view>

#include "ocib/layer.h"

#include "test/testing/test_util.h"

namespace ocib {
namespace {

using ::ocib::testing::StatusIs;
using ::testing::HasSubstr;

TEST(FileTreeTest, NormalizePath) {
  EXPECT_EQ(*FileTree::NormalizePath("/usr//local/./bin/"), "usr/local/bin");
  EXPECT_EQ(*FileTree::NormalizePath("a/b/../c"), "a/c");
  EXPECT_THAT(FileTree::NormalizePath("../x"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("escapes")));
  EXPECT_THAT(FileTree::NormalizePath("/../x"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("escapes")));
  EXPECT_THAT(FileTree::NormalizePath("a/../../x"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("escapes")));
  EXPECT_THAT(FileTree::NormalizePath("/"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("root")));
  EXPECT_THAT(FileTree::NormalizePath(std::string_view("a\0b", 3)),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("NUL")));
}

// Named LayerTest for history: what it checks is FileTree's reading of host paths.
TEST(LayerTest, MissingSourceFails) {
  FileTree tree;
  EXPECT_THAT(tree.AddHostPath("/nonexistent/ocib-x", "x"),
              StatusIs(ErrorCode::kNotFound, HasSubstr("/nonexistent/ocib-x")));
  EXPECT_THAT(tree.AddHostFile("/", "x", 0755),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("directory")));
}

}  // namespace
}  // namespace ocib
