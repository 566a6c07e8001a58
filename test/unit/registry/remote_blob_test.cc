// RemoteBlobOpener (lib/registry/remote_blob.cc): ranges of a registry blob
// read while a background thread downloads them through a bounded pipe.
#include "lib/registry/remote_blob.h"

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "ocib/registry.h"

#include "test/registry/fake_registry.h"
#include "test/testing/test_util.h"

namespace ocib::registry {
namespace {

using ::testing::HasSubstr;

// Reads `reader` to its end in 64 KiB reads; the bytes or the first error.
Result<std::string> ReadAll(Reader& reader) {
  std::string out;
  char buf[65536];
  while (true) {
    OCIB_ASSIGN_OR_RETURN(size_t n, reader.Read(buf, sizeof buf));
    if (n == 0) return out;
    out.append(buf, n);
  }
}

class RemoteBlobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Larger than the pipe (4 MiB): the download waits for the reader.
    bytes_.resize(size_t{9} << 20);
    for (size_t i = 0; i < bytes_.size(); ++i) bytes_[i] = static_cast<char>('a' + i % 23);
    digest_ = Digest::Sha256Of(bytes_);
    reg_->blobs["src@" + digest_.ToString()] = bytes_;
    auto c = RegistryClient::Create("reg.test", fake::Options(reg_));
    ASSERT_TRUE(c.has_value()) << c.error().ToString();
    client_ = std::move(*c);
  }
  std::shared_ptr<fake::FakeRegistry> reg_ = std::make_shared<fake::FakeRegistry>();
  std::unique_ptr<RegistryClient> client_;
  std::string bytes_;
  Digest digest_;
};

// The whole blob, and a range from inside it, arrive byte for byte.
TEST_F(RemoteBlobTest, WholeBlobAndARangeArriveIntact) {
  BlobOpener open = RemoteBlobOpener(*client_, "src", digest_);
  auto whole = open(0, static_cast<int64_t>(bytes_.size()));
  ASSERT_TRUE(whole.has_value()) << whole.error().ToString();
  auto got = ReadAll(**whole);
  ASSERT_TRUE(got.has_value()) << got.error().ToString();
  EXPECT_TRUE(*got == bytes_) << got->size();

  const int64_t offset = (int64_t{5} << 20) + 7;
  auto range = open(offset, 1000);
  ASSERT_TRUE(range.has_value()) << range.error().ToString();
  auto part = ReadAll(**range);
  ASSERT_TRUE(part.has_value()) << part.error().ToString();
  EXPECT_EQ(*part, bytes_.substr(static_cast<size_t>(offset), 1000));
}

// A reader dropped after a few bytes stops its download (the destructor
// returns instead of waiting for a full pipe to drain).
TEST_F(RemoteBlobTest, AReaderDroppedEarlyStopsItsDownload) {
  BlobOpener open = RemoteBlobOpener(*client_, "src", digest_);
  auto reader = open(0, static_cast<int64_t>(bytes_.size()));
  ASSERT_TRUE(reader.has_value()) << reader.error().ToString();
  char buf[10];
  auto n = (*reader)->Read(buf, sizeof buf);
  ASSERT_TRUE(n.has_value()) << n.error().ToString();
  ASSERT_GT(*n, 0u);
  EXPECT_EQ(std::string(buf, *n), bytes_.substr(0, *n));
  reader->reset();
}

// A blob the repository lacks is the registry's error; a blob shorter than
// the range asked for is kDataLoss.
TEST_F(RemoteBlobTest, MissingOrShortBlobsAreErrors) {
  const Digest absent = Digest::Sha256Of("absent");
  auto missing = RemoteBlobOpener(*client_, "src", absent)(0, 6);
  ASSERT_TRUE(missing.has_value()) << missing.error().ToString();
  auto r = ReadAll(**missing);
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().ToString(), HasSubstr(absent.ToString()));

  reg_->blobs["src@" + Digest::Sha256Of("short").ToString()] = "short";
  auto short_blob = RemoteBlobOpener(*client_, "src", Digest::Sha256Of("short"))(0, 100);
  ASSERT_TRUE(short_blob.has_value()) << short_blob.error().ToString();
  auto s = ReadAll(**short_blob);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code(), ErrorCode::kDataLoss);
  EXPECT_THAT(s.error().ToString(), HasSubstr("ended early"));
}

}  // namespace
}  // namespace ocib::registry
