// Helpers shared by ocib's unit tests.
#ifndef OCIB_TEST_TESTING_TEST_UTIL_H_
#define OCIB_TEST_TESTING_TEST_UTIL_H_

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ocib/io.h"
#include "ocib/status.h"

namespace ocib::testing {

inline std::string SourceDir() { return OCIB_SOURCE_DIR; }

// A Writer that keeps everything written to it in `bytes`.
class StringWriter : public Writer {
 public:
  Status Write(const void* data, size_t size) override {
    bytes.append(static_cast<const char*>(data), size);
    return {};
  }
  Status Close() override { return {}; }
  std::string bytes;
};
inline std::string FixturePath(const std::string& rel) { return SourceDir() + "/fixtures/" + rel; }

// The names in directory `dir` (not recursive), sorted.
inline std::vector<std::string> DirNames(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

inline std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void WriteFileOrDie(const std::string& path, const std::string& bytes) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

// A fresh directory removed at scope exit.
class ScopedTempDir {
 public:
  ScopedTempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "ocib-test-XXXXXX").string();
    char* p = ::mkdtemp(tmpl.data());
    if (p == nullptr) std::abort();
    path_ = p;
  }
  ~ScopedTempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

MATCHER(IsOk, "") {
  if (arg.has_value()) return true;
  *result_listener << "error: " << arg.error().ToString();
  return false;
}

MATCHER_P2(StatusIs, code, message_matcher, "") {
  if (arg.has_value()) {
    *result_listener << "succeeded";
    return false;
  }
  if (arg.error().code() != code) {
    *result_listener << "code " << ErrorCodeName(arg.error().code()) << ": "
                     << arg.error().ToString();
    return false;
  }
  return ::testing::ExplainMatchResult(message_matcher, arg.error().ToString(), result_listener);
}

}  // namespace ocib::testing

#endif  // OCIB_TEST_TESTING_TEST_UTIL_H_
