#include "lib/io/verify.h"

#include <string>

#include "lib/io/streams.h"
#include "test/testing/test_util.h"

namespace ocib::io {
namespace {

using ::ocib::testing::IsOk;
using ::ocib::testing::StatusIs;
using ::testing::HasSubstr;

// Opens ranges of `bytes`, counting opens.
RangeOpener OpenerOver(const std::string& bytes, int* opens = nullptr) {
  return [bytes, opens](int64_t offset, int64_t length) -> Result<std::unique_ptr<Reader>> {
    if (opens != nullptr) ++*opens;
    return std::unique_ptr<Reader>(
        new StringReader(bytes.substr(static_cast<size_t>(offset), static_cast<size_t>(length))));
  };
}

// Reads a whole range in `step`-byte reads; the bytes or the first error.
Result<std::string> ReadRange(const RangeOpener& open, int64_t offset, int64_t length,
                              size_t step = 7) {
  OCIB_ASSIGN_OR_RETURN(auto reader, open(offset, length));
  std::string out;
  std::string buf(step, '\0');
  while (true) {
    OCIB_ASSIGN_OR_RETURN(size_t n, reader->Read(buf.data(), buf.size()));
    if (n == 0) return out;
    out.append(buf.data(), n);
  }
}

const std::string kBlob = "the quick brown fox jumps over the lazy dog, twice over";

TEST(VerifyingOpenerTest, PassesMatchingBytesWhole) {
  auto open = VerifyingOpener(OpenerOver(kBlob), Digest::Sha256Of(kBlob),
                              static_cast<int64_t>(kBlob.size()));
  EXPECT_THAT(ReadRange(open, 0, static_cast<int64_t>(kBlob.size())), ::testing::Optional(kBlob));
}

TEST(VerifyingOpenerTest, FailsTheReadOfTheLastByteOnAMismatch) {
  std::string corrupt = kBlob;
  corrupt[5] = 'X';
  auto open = VerifyingOpener(OpenerOver(corrupt), Digest::Sha256Of(kBlob),
                              static_cast<int64_t>(kBlob.size()));
  EXPECT_THAT(ReadRange(open, 0, static_cast<int64_t>(kBlob.size())),
              StatusIs(ErrorCode::kDataLoss, HasSubstr("does not match its digest")));
  // Sticky: a retry fails at once.
  EXPECT_THAT(open(0, 4), StatusIs(ErrorCode::kDataLoss, ::testing::_));
}

TEST(VerifyingOpenerTest, ChunksResumesAndGapsAreAllHashed) {
  const auto size = static_cast<int64_t>(kBlob.size());
  int opens = 0;
  auto open = VerifyingOpener(OpenerOver(kBlob, &opens), Digest::Sha256Of(kBlob), size);
  ASSERT_THAT(ReadRange(open, 0, 10), IsOk());
  ASSERT_THAT(ReadRange(open, 5, 10), IsOk());  // a resume re-reads bytes
  // A range past what was read: the gap [15, 30) is read and hashed first.
  opens = 0;
  ASSERT_THAT(ReadRange(open, 30, size - 30), IsOk());
  EXPECT_EQ(opens, 2);

  std::string corrupt = kBlob;
  corrupt[20] = 'X';  // in the gap
  auto bad = VerifyingOpener(OpenerOver(corrupt), Digest::Sha256Of(kBlob), size);
  ASSERT_THAT(ReadRange(bad, 0, 10), IsOk());
  EXPECT_THAT(ReadRange(bad, 30, size - 30), StatusIs(ErrorCode::kDataLoss, ::testing::_));
}

TEST(VerifyingOpenerTest, ASourceLongerThanTheSizeIsReadOnlyToTheSize) {
  std::string longer = kBlob + "trailing";
  auto open = VerifyingOpener(OpenerOver(longer), Digest::Sha256Of(kBlob),
                              static_cast<int64_t>(kBlob.size()));
  EXPECT_THAT(ReadRange(open, 0, static_cast<int64_t>(longer.size())), ::testing::Optional(kBlob));
}

TEST(VerifyingOpenerTest, VerifiesSha512) {
  Digest d = Digest::Of("sha512", kBlob);
  auto open = VerifyingOpener(OpenerOver(kBlob), d, static_cast<int64_t>(kBlob.size()));
  EXPECT_THAT(ReadRange(open, 0, static_cast<int64_t>(kBlob.size())), IsOk());
  auto bad = VerifyingOpener(OpenerOver(kBlob + "!"), Digest::Of("sha512", kBlob + "?"),
                             static_cast<int64_t>(kBlob.size() + 1));
  EXPECT_THAT(ReadRange(bad, 0, static_cast<int64_t>(kBlob.size() + 1)),
              StatusIs(ErrorCode::kDataLoss, ::testing::_));
}

}  // namespace
}  // namespace ocib::io
