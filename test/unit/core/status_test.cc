// Status and errors (ocib/status.h, lib/core/status.cc): codes and their
// names, context added outermost first, the constructors' codes.
#include "ocib/status.h"

#include <iterator>
#include <set>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace ocib {
namespace {

TEST(StatusTest, ContextReadsOutermostFirst) {
  Error e = NotFound("blob sha256:ab").With("reading layer 2").With("pulling x:1");
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  EXPECT_EQ(e.ToString(), "pulling x:1: reading layer 2: blob sha256:ab");
  EXPECT_EQ(IoError("disk").ToString(), "disk");
}

TEST(StatusTest, ConstructorsGiveTheirCodes) {
  EXPECT_EQ(InvalidArgument("x").code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(NotFound("x").code(), ErrorCode::kNotFound);
  EXPECT_EQ(IoError("x").code(), ErrorCode::kIo);
  EXPECT_EQ(DataLoss("x").code(), ErrorCode::kDataLoss);
  EXPECT_EQ(Internal("x").code(), ErrorCode::kInternal);
}

TEST(StatusTest, EveryCodeHasItsOwnName) {
  const ErrorCode codes[] = {ErrorCode::kOk,
                             ErrorCode::kInvalidArgument,
                             ErrorCode::kNotFound,
                             ErrorCode::kAlreadyExists,
                             ErrorCode::kUnauthenticated,
                             ErrorCode::kPermissionDenied,
                             ErrorCode::kUnavailable,
                             ErrorCode::kDataLoss,
                             ErrorCode::kUnimplemented,
                             ErrorCode::kIo,
                             ErrorCode::kBuildFailed,
                             ErrorCode::kInternal};
  std::set<std::string_view> names;
  for (ErrorCode c : codes) {
    EXPECT_NE(ErrorCodeName(c), "unknown");
    names.insert(ErrorCodeName(c));
  }
  EXPECT_EQ(names.size(), std::size(codes));
  EXPECT_EQ(ErrorCodeName(ErrorCode::kIo), "i/o error");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kNotFound), "not found");
}

TEST(StatusTest, OkStatusIsOk) {
  Status ok = OkStatus();
  EXPECT_TRUE(ok);
  Status bad = IoError("x");
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::kIo);
}

}  // namespace
}  // namespace ocib
