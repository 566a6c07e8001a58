// SharedLibrary and LoadOnce (lib/io/shared_library.cc): a library opened
// with dlopen, its functions resolved and the missing ones reported, a
// missing library named with its purpose and package, and a load run once.
#include "lib/io/shared_library.h"

#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "test/testing/test_util.h"

namespace ocib::io {
namespace {

using ::ocib::testing::IsOk;
using ::ocib::testing::StatusIs;
using ::testing::HasSubstr;

// The C library's functions are found and callable; a name it lacks is
// null and reported by Check, with every other missing name.
TEST(SharedLibraryTest, ResolvesFunctionsAndReportsTheMissingOnes) {
  auto lib = SharedLibrary::Open("libc.so.6", "for testing", "libc6");
  ASSERT_THAT(lib, IsOk());
  size_t (*strlen_fn)(const char*) = nullptr;
  lib->Resolve("strlen", &strlen_fn);
  ASSERT_NE(strlen_fn, nullptr);
  EXPECT_EQ(strlen_fn("four"), 4u);
  EXPECT_THAT(lib->Check(), IsOk());
  void (*absent)() = &::abort;
  lib->Resolve("ocib_no_such_function", &absent);
  EXPECT_EQ(absent, nullptr);
  lib->Resolve("ocib_no_such_function_either", &absent);
  EXPECT_THAT(lib->Check(),
              StatusIs(ErrorCode::kNotFound, HasSubstr("libc.so.6 lacks ocib_no_such_function, "
                                                       "ocib_no_such_function_either")));
}

// A library that is not installed is kNotFound saying what it was for and
// which package provides it.
TEST(SharedLibraryTest, AMissingLibraryNamesItsPurposeAndPackage) {
  auto lib = SharedLibrary::Open("libocib-absent.so.9", "for absent things", "ocib-absent9");
  EXPECT_THAT(lib, StatusIs(ErrorCode::kNotFound,
                            HasSubstr("loading libocib-absent.so.9 for absent things")));
  EXPECT_THAT(lib, StatusIs(ErrorCode::kNotFound, HasSubstr("(install the ocib-absent9 package)")));
}

struct OkApi {
  int value = 0;
};
struct FailingApi {};
int ok_loads = 0;
int failing_loads = 0;

Result<const OkApi*> LoadOk() {
  ++ok_loads;
  static const OkApi api{42};
  return &api;
}
Result<const FailingApi*> LoadFailing() {
  ++failing_loads;
  return Error(ErrorCode::kNotFound, "not there");
}

// LoadOnce runs the load once per Api type and gives its result, an error
// included, on every call.
TEST(LoadOnceTest, RunsTheLoadOnceAndKeepsItsResult) {
  for (int i = 0; i < 3; ++i) {
    auto ok = LoadOnce<OkApi>(&LoadOk);
    ASSERT_THAT(ok, IsOk());
    EXPECT_EQ((*ok)->value, 42);
    EXPECT_THAT(LoadOnce<FailingApi>(&LoadFailing),
                StatusIs(ErrorCode::kNotFound, HasSubstr("not there")));
  }
  EXPECT_EQ(ok_loads, 1);
  EXPECT_EQ(failing_loads, 1);
}

}  // namespace
}  // namespace ocib::io
