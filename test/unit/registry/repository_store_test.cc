// RegistryBlobStore (lib/registry/repository_store.cc) on the in-memory
// registry: a written blob lands in the repository with the bytes written,
// a large one by way of a temporary file (memory stays bounded), chunked
// uploads read the right ranges of it, a wrong digest is refused before
// anything is sent, and an aborted writer sends nothing.
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "ocib/registry.h"
#include "ocib/registry_store.h"

#include "test/registry/fake_registry.h"
#include "test/testing/test_util.h"

namespace ocib {
namespace {

using fake::FakeRegistry;

std::string Pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 7 + i / 4096) % 251);
  return s;
}

class RepositoryStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<RegistryBlobStore> Store(RegistryOptions o) {
    auto client = RegistryClient::Create("reg.test", o);
    EXPECT_TRUE(client.has_value());
    return std::make_unique<RegistryBlobStore>(std::shared_ptr<RegistryClient>(std::move(*client)),
                                               "app");
  }
  // Writes `bytes` in pieces of `piece` and commits.
  static Result<Descriptor> Put(BlobStore& store, const std::string& bytes, size_t piece,
                                std::optional<Digest> expected = std::nullopt) {
    OCIB_ASSIGN_OR_RETURN(auto w, store.NewWriter());
    for (size_t at = 0; at < bytes.size(); at += piece) {
      OCIB_RETURN_IF_ERROR(w->Write(bytes.data() + at, std::min(piece, bytes.size() - at)));
    }
    return w->Commit("application/octet-stream", expected);
  }
  std::shared_ptr<FakeRegistry> reg_ = std::make_shared<FakeRegistry>();
};

TEST_F(RepositoryStoreTest, SmallAndLargeBlobsArriveWhole) {
  auto store = Store(fake::Options(reg_));
  for (size_t size :
       {size_t{0}, size_t{100}, size_t{8} << 20, (size_t{8} << 20) + 1, size_t{20} << 20}) {
    const std::string bytes = Pattern(size);
    auto d = Put(*store, bytes, 1 << 20);
    ASSERT_TRUE(d.has_value()) << size << ": " << d.error().ToString();
    EXPECT_EQ(d->digest, Digest::Sha256Of(bytes)) << size;
    EXPECT_EQ(d->size, static_cast<int64_t>(size));
    auto it = reg_->blobs.find("app@" + d->digest.ToString());
    ASSERT_NE(it, reg_->blobs.end()) << size;
    EXPECT_TRUE(it->second == bytes) << size;
  }
}

// An upload the registry refuses is the writer's error, naming the blob and
// the repository; nothing is stored.
TEST_F(RepositoryStoreTest, ARefusedUploadIsTheCommitsError) {
  reg_->upload_status = 403;
  auto store = Store(fake::Options(reg_));
  const std::string bytes = Pattern(1000);
  auto d = Put(*store, bytes, 100);
  ASSERT_FALSE(d.has_value());
  EXPECT_EQ(d.error().code(), ErrorCode::kPermissionDenied) << d.error().ToString();
  EXPECT_NE(
      d.error().ToString().find("uploading " + Digest::Sha256Of(bytes).ToString() + " to app"),
      std::string::npos)
      << d.error().ToString();
  EXPECT_EQ(reg_->blobs.count("app@" + Digest::Sha256Of(bytes).ToString()), 0U);
}

TEST_F(RepositoryStoreTest, ChunkedUploadOfASpilledBlobReadsEachRange) {
  RegistryOptions o = fake::Options(reg_);
  o.chunk_threshold = 1;
  o.chunk_size = 3 << 20;  // not a divisor of the size
  auto store = Store(o);
  const std::string bytes = Pattern((size_t{10} << 20) + 12345);
  reg_->ClearLog();
  auto d = Put(*store, bytes, 777777);
  ASSERT_TRUE(d.has_value()) << d.error().ToString();
  auto it = reg_->blobs.find("app@" + d->digest.ToString());
  ASSERT_NE(it, reg_->blobs.end());
  EXPECT_TRUE(it->second == bytes);
  int patches = 0;
  for (const fake::Request& r : reg_->log()) patches += r.method == "PATCH" ? 1 : 0;
  EXPECT_EQ(patches, 4);  // 3 + 3 + 3 MiB and the rest, then an empty PUT
}

TEST_F(RepositoryStoreTest, AWrongDigestIsRefusedBeforeAnyRequest) {
  auto store = Store(fake::Options(reg_));
  reg_->ClearLog();
  const std::string bytes = Pattern(size_t{9} << 20);
  auto d = Put(*store, bytes, 1 << 20, Digest::Sha256Of("something else"));
  ASSERT_FALSE(d.has_value());
  EXPECT_EQ(d.error().code(), ErrorCode::kDataLoss);
  EXPECT_TRUE(reg_->blobs.empty());
  EXPECT_TRUE(reg_->log().empty());
}

TEST_F(RepositoryStoreTest, AnAbortedWriterSendsNothing) {
  auto store = Store(fake::Options(reg_));
  reg_->ClearLog();
  auto w = store->NewWriter();
  ASSERT_TRUE(w.has_value());
  const std::string bytes = Pattern(size_t{9} << 20);
  ASSERT_TRUE((*w)->Write(bytes.data(), bytes.size()).has_value());
  (*w)->Abort();
  EXPECT_TRUE(reg_->blobs.empty());
  EXPECT_TRUE(reg_->log().empty());
}

}  // namespace
}  // namespace ocib
