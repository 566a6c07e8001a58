// Build file error paths at the edges of the "plain key" rule: a key made of
// [A-Za-z0-9_] is written .key, any other key ["key"]. Every bound of each
// character class is tried, so a message never names a path its reader
// cannot find.
#include "ocib/build_file.h"

#include <string>

#include "test/testing/test_util.h"

namespace ocib {
namespace {

using ::ocib::testing::StatusIs;
using ::testing::HasSubstr;

Result<std::vector<BuildFileImage>> Parse(std::string_view json) {
  return ParseBuildFile(json, "ocib.json", "");
}

TEST(BuildFilePathTest, PlainKeysAreWrittenWithADot) {
  for (const char* key : {"a", "z", "A", "Z", "0", "9", "_", "x0", "x9", "aZ_09"}) {
    std::string json = std::string(R"({"images": [{")") + key + R"(": 1}]})";
    EXPECT_THAT(Parse(json), StatusIs(ErrorCode::kInvalidArgument,
                                      HasSubstr(std::string("images[0].") + key + ": unknown key")))
        << key;
  }
}

TEST(BuildFilePathTest, OtherKeysAreQuoted) {
  // Just outside each class: '`' < 'a', '{' > 'z', '@' < 'A', '[' > 'Z',
  // '/' < '0', ':' > '9'; and '-', '.', ' ' that are in none.
  for (const char* key : {"`", "{", "@", "[", "/", ":", "-", ".", " ", "x/"}) {
    std::string json = std::string(R"({"images": [{")") + key + R"(": 1}]})";
    EXPECT_THAT(Parse(json),
                StatusIs(ErrorCode::kInvalidArgument,
                         HasSubstr(std::string("images[0][\"") + key + "\"]: unknown key")))
        << key;
  }
}

}  // namespace
}  // namespace ocib
