// RegistryClient (lib/registry/registry_client.cc) against a scripted
// transport: blobs verified against their digest, reads from an offset,
// manifest digests, chunked uploads with 416 recovery, mounts and the
// minimum chunk length. The session's tests (tokens, retries, the scheme
// probe, late challenges, redirects) are in session_test.cc.
#include <cstring>
#include <mutex>

#include <gtest/gtest.h>

#include "ocib/http.h"
#include "ocib/manifest.h"
#include "ocib/registry.h"

#include "lib/io/streams.h"
#include "test/testing/test_util.h"
#include "test/unit/registry/scripted_transport.h"

namespace ocib {
namespace {

using io::StringReader;
using testing::FakeClock;
using testing::OptionsWith;
using testing::Reply;
using testing::ScriptedTransport;
using testing::Seen;

// A BlobStore that keeps committed blobs in memory.
class MemStore : public BlobStore {
 public:
  std::map<Digest, std::string> blobs;
  class W : public BlobWriter {
   public:
    explicit W(MemStore* s) : store_(s) {}
    Status Write(const void* p, size_t n) override {
      buf_.append(static_cast<const char*>(p), n);
      return OkStatus();
    }
    Result<Descriptor> Commit(std::string_view mt, std::optional<Digest> expected) override {
      Descriptor d = DescribeBytes(mt, buf_);
      if (expected && *expected != d.digest) return DataLoss("mismatch");
      store_->blobs[d.digest] = buf_;
      return d;
    }
    void Abort() override { buf_.clear(); }

   private:
    MemStore* store_;
    std::string buf_;
  };
  Result<bool> Has(const Digest& d) override { return blobs.count(d) > 0; }
  Result<std::unique_ptr<BlobWriter>> NewWriter() override {
    return std::unique_ptr<BlobWriter>(new W(this));
  }
  Result<std::unique_ptr<Reader>> Open(const Digest& d) override {
    return std::unique_ptr<Reader>(new StringReader(blobs.at(d)));
  }
};

const std::string kBlob = "hello blob";

// A blob whose bytes do not match its digest is kDataLoss and never stored.
TEST(RegistryClientTest, CorruptBlobIsDataLossAndNotStored) {
  FakeClock clock;
  MemStore store;
  Digest d = Digest::Sha256Of(kBlob);
  auto t = std::make_shared<ScriptedTransport>([&](const Seen& s) -> Result<HttpResponse> {
    if (s.url.find("/blobs/") != std::string::npos) return Reply(200, {}, "hellO blob");
    return Reply(200);
  });
  auto c = RegistryClient::Create("reg.test", OptionsWith(t, &clock));
  Descriptor desc{
      "application/octet-stream", d, static_cast<int64_t>(kBlob.size()), {}, {}, "", {}};
  Status s = (*c)->FetchBlob("app", desc, store);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code(), ErrorCode::kDataLoss);
  EXPECT_TRUE(store.blobs.empty());
}

// ReadBlob from an offset asks for the tail with a Range header (from
// offset 1 on); a registry that answers 206 sends the tail, one that
// ignores the Range sends everything and the head is dropped.
TEST(RegistryClientTest, ReadBlobFromAnOffsetAsksForTheTail) {
  FakeClock clock;
  const std::string blob = "0123456789";
  for (bool honour : {true, false}) {
    std::vector<std::string> ranges;
    auto t = std::make_shared<ScriptedTransport>([&](const Seen& s) -> Result<HttpResponse> {
      if (s.url.find("/blobs/") == std::string::npos) return Reply(200);
      std::string range = s.Header("Range");
      ranges.push_back(range);
      if (!honour || range.empty()) return Reply(200, {}, blob);
      size_t from = std::stoul(range.substr(6));
      return Reply(206, {}, blob.substr(from));
    });
    auto c = RegistryClient::Create("reg.test", OptionsWith(t, &clock));
    for (int64_t offset : {0, 1, 7}) {
      ocib::testing::StringWriter sink;
      Status st = (*c)->ReadBlob("app", Digest::Sha256Of(blob), offset, sink);
      ASSERT_TRUE(st.has_value()) << st.error().ToString();
      EXPECT_EQ(sink.bytes, blob.substr(static_cast<size_t>(offset))) << offset << honour;
    }
    ASSERT_EQ(ranges.size(), 3u);
    EXPECT_EQ(ranges[0], "");
    EXPECT_EQ(ranges[1], "bytes=1-");
    EXPECT_EQ(ranges[2], "bytes=7-");
  }
}

// A Docker-Content-Digest that differs from the manifest's bytes is kDataLoss.
TEST(RegistryClientTest, ManifestDigestHeaderMustMatch) {
  FakeClock clock;
  auto t = std::make_shared<ScriptedTransport>([&](const Seen& s) -> Result<HttpResponse> {
    if (s.url == "https://reg.test/v2/") return Reply(200);
    return Reply(200,
                 {{"Docker-Content-Digest", Digest::Sha256Of("other").ToString()},
                  {"Content-Type", "application/vnd.oci.image.manifest.v1+json"}},
                 "{}");
  });
  auto c = RegistryClient::Create("reg.test", OptionsWith(t, &clock));
  auto m = (*c)->GetManifest("app", "1");
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().code(), ErrorCode::kDataLoss);
}

// A chunked upload answered 416 resumes from the registry's Range and completes.
TEST(RegistryClientTest, ChunkedUploadRecoversFrom416) {
  FakeClock clock;
  std::string blob(10000, 'x');
  for (size_t i = 0; i < blob.size(); ++i) blob[i] = static_cast<char>('a' + i % 26);
  Digest d = Digest::Sha256Of(blob);
  std::string stored;
  bool done = false;
  int patches = 0;
  auto t = std::make_shared<ScriptedTransport>([&](const Seen& s) -> Result<HttpResponse> {
    if (s.url == "https://reg.test/v2/") return Reply(200);
    if (s.method == "HEAD") return Reply(done ? 200 : 404);
    if (s.method == "POST") return Reply(202, {{"Location", "/v2/app/blobs/uploads/u1?_state=s"}});
    if (s.method == "PATCH") {
      ++patches;
      std::string range = s.Header("Content-Range");
      size_t start = std::stoul(range.substr(0, range.find('-')));
      if (patches == 2) {
        // Pretend the second chunk was lost and half of it arrived.
        stored += s.body.substr(0, 1000);
        return Reply(416);
      }
      if (start != stored.size()) return Reply(416);
      stored += s.body;
      return Reply(202, {{"Location", "/v2/app/blobs/uploads/u1?_state=s2"},
                         {"Range", "0-" + std::to_string(stored.size() - 1)}});
    }
    if (s.method == "GET") {
      return Reply(204, {{"Location", "/v2/app/blobs/uploads/u1?_state=s3"},
                         {"Range", "0-" + std::to_string(stored.size() - 1)}});
    }
    if (s.method == "PUT") {
      EXPECT_NE(s.url.find("digest=sha256%3A" + d.encoded()), std::string::npos);
      if (Digest::Sha256Of(stored) != d)
        return Reply(400, {}, R"({"errors":[{"code":"DIGEST_INVALID"}]})");
      done = true;
      return Reply(201);
    }
    return Reply(405);
  });
  RegistryOptions o = OptionsWith(t, &clock);
  o.chunk_threshold = 1;
  o.chunk_size = 3000;
  auto c = RegistryClient::Create("reg.test", o);
  BlobOpener open = [&](int64_t off, int64_t len) -> Result<std::unique_ptr<Reader>> {
    return std::unique_ptr<Reader>(
        new StringReader(blob.substr(static_cast<size_t>(off), static_cast<size_t>(len))));
  };
  Descriptor desc{"application/octet-stream", d, static_cast<int64_t>(blob.size()), {}, {}, "", {}};
  auto r = (*c)->PushBlob("app", desc, open);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_TRUE(*r);
  EXPECT_EQ(stored, blob);
  // 0-2999, 3000-5999 (416 after 1000 bytes), resume 4000-6999, 7000-9999.
  EXPECT_EQ(patches, 4);
}

// A mount answered 202 uploads in the session it opened, without deleting anything.
TEST(RegistryClientTest, MountAnswered202UploadsInThatSession) {
  FakeClock clock;
  Digest d = Digest::Sha256Of(kBlob);
  bool done = false;
  std::vector<std::string> posts;
  auto t = std::make_shared<ScriptedTransport>([&](const Seen& s) -> Result<HttpResponse> {
    if (s.url == "https://reg.test/v2/") return Reply(200);
    if (s.method == "HEAD") return Reply(done ? 200 : 404);
    if (s.method == "POST") {
      posts.push_back(s.url);
      return Reply(202, {{"Location", "/v2/app/blobs/uploads/u" + std::to_string(posts.size())}});
    }
    if (s.method == "DELETE") return Reply(204);
    if (s.method == "PUT") {
      EXPECT_EQ(s.body, kBlob);
      done = true;
      return Reply(201);
    }
    return Reply(405);
  });
  auto c = RegistryClient::Create("reg.test", OptionsWith(t, &clock));
  BlobOpener open = [&](int64_t, int64_t) -> Result<std::unique_ptr<Reader>> {
    return std::unique_ptr<Reader>(new StringReader(kBlob));
  };
  Descriptor desc{
      "application/octet-stream", d, static_cast<int64_t>(kBlob.size()), {}, {}, "", {}};
  auto r = (*c)->PushBlob("app", desc, open, "base");
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  // The session the mount request opened is used: no second POST, and
  // nothing deleted.
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_NE(posts[0].find("mount=sha256%3A"), std::string::npos);
  EXPECT_NE(posts[0].find("from=base"), std::string::npos);
  for (const Seen& s : t->seen()) EXPECT_NE(s.method, "DELETE");
}

// OCI-Chunk-Min-Length on the POST response forces chunking with chunks of
// at least that size (only the last may be shorter).
TEST(ChunkMinLengthTest, PatchesAreAtLeastTheMinimum) {
  FakeClock clock;
  std::string blob(10000, 'x');
  for (size_t i = 0; i < blob.size(); ++i) blob[i] = static_cast<char>('a' + i % 26);
  Digest d = Digest::Sha256Of(blob);
  std::string stored;
  bool done = false;
  std::vector<std::string> ranges;
  std::vector<size_t> sizes;
  auto t = std::make_shared<ScriptedTransport>([&](const Seen& s) -> Result<HttpResponse> {
    if (s.url == "https://reg.test/v2/") return Reply(200);
    if (s.method == "HEAD") return Reply(done ? 200 : 404);
    if (s.method == "POST") {
      return Reply(202,
                   {{"Location", "/v2/app/blobs/uploads/u1"}, {"OCI-Chunk-Min-Length", "4000"}});
    }
    if (s.method == "PATCH") {
      ranges.push_back(s.Header("Content-Range"));
      sizes.push_back(s.body.size());
      stored += s.body;
      return Reply(202, {{"Location", "/v2/app/blobs/uploads/u1"},
                         {"Range", "0-" + std::to_string(stored.size() - 1)}});
    }
    if (s.method == "PUT") {
      EXPECT_TRUE(s.body.empty()) << "the closing PUT of a chunked upload carries no bytes";
      if (Digest::Sha256Of(stored) != d)
        return Reply(400, {}, R"({"errors":[{"code":"DIGEST_INVALID"}]})");
      done = true;
      return Reply(201);
    }
    return Reply(405);
  });
  RegistryOptions o = OptionsWith(t, &clock);
  o.chunk_size = 1000;  // below the registry's minimum
  // The default threshold (256 MiB) would upload this blob in one PUT.
  auto c = RegistryClient::Create("reg.test", o);
  BlobOpener open = [&](int64_t off, int64_t len) -> Result<std::unique_ptr<Reader>> {
    return std::unique_ptr<Reader>(
        new StringReader(blob.substr(static_cast<size_t>(off), static_cast<size_t>(len))));
  };
  Descriptor desc{"application/octet-stream", d, static_cast<int64_t>(blob.size()), {}, {}, "", {}};
  auto r = (*c)->PushBlob("app", desc, open);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(stored, blob);
  EXPECT_EQ(ranges, (std::vector<std::string>{"0-3999", "4000-7999", "8000-9999"}));
  EXPECT_EQ(sizes, (std::vector<size_t>{4000, 4000, 2000}));
}

// A chunk size larger than OCI-Chunk-Min-Length is kept.
TEST(ChunkMinLengthTest, LargerChunkSizeIsKept) {
  FakeClock clock;
  std::string blob(10000, 'y');
  Digest d = Digest::Sha256Of(blob);
  std::vector<size_t> sizes;
  bool done = false;
  auto t = std::make_shared<ScriptedTransport>([&](const Seen& s) -> Result<HttpResponse> {
    if (s.url == "https://reg.test/v2/") return Reply(200);
    if (s.method == "HEAD") return Reply(done ? 200 : 404);
    if (s.method == "POST") {
      return Reply(202,
                   {{"Location", "/v2/app/blobs/uploads/u1"}, {"OCI-Chunk-Min-Length", "100"}});
    }
    if (s.method == "PATCH") {
      sizes.push_back(s.body.size());
      return Reply(202, {{"Location", "/v2/app/blobs/uploads/u1"}});
    }
    if (s.method == "PUT") {
      done = true;
      return Reply(201);
    }
    return Reply(405);
  });
  RegistryOptions o = OptionsWith(t, &clock);
  o.chunk_size = 6000;
  auto c = RegistryClient::Create("reg.test", o);
  BlobOpener open = [&](int64_t off, int64_t len) -> Result<std::unique_ptr<Reader>> {
    return std::unique_ptr<Reader>(
        new StringReader(blob.substr(static_cast<size_t>(off), static_cast<size_t>(len))));
  };
  Descriptor desc{"application/octet-stream", d, static_cast<int64_t>(blob.size()), {}, {}, "", {}};
  auto r = (*c)->PushBlob("app", desc, open);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(sizes, (std::vector<size_t>{6000, 4000}));
}

// Without OCI-Chunk-Min-Length a small blob is uploaded with one PUT.
TEST(ChunkMinLengthTest, WithoutTheHeaderSmallBlobsTakeOnePut) {
  FakeClock clock;
  Digest d = Digest::Sha256Of(kBlob);
  std::vector<std::string> methods;
  bool done = false;
  auto t = std::make_shared<ScriptedTransport>([&](const Seen& s) -> Result<HttpResponse> {
    if (s.url == "https://reg.test/v2/") return Reply(200);
    methods.push_back(s.method);
    if (s.method == "HEAD") return Reply(done ? 200 : 404);
    if (s.method == "POST") return Reply(202, {{"Location", "/v2/app/blobs/uploads/u1"}});
    if (s.method == "PUT") {
      EXPECT_EQ(s.body, kBlob);
      EXPECT_EQ(s.Header("Content-Type"), "application/octet-stream");
      done = true;
      return Reply(201);
    }
    return Reply(405);
  });
  auto c = RegistryClient::Create("reg.test", OptionsWith(t, &clock));
  BlobOpener open = [&](int64_t, int64_t) -> Result<std::unique_ptr<Reader>> {
    return std::unique_ptr<Reader>(new StringReader(kBlob));
  };
  Descriptor desc{
      "application/octet-stream", d, static_cast<int64_t>(kBlob.size()), {}, {}, "", {}};
  auto r = (*c)->PushBlob("app", desc, open);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(methods, (std::vector<std::string>{"HEAD", "POST", "PUT"}));
}

}  // namespace
}  // namespace ocib
