// PushBlob against registries that bound chunk sizes or answer a mount
// with an upload session.
#include <algorithm>
#include <map>
#include <mutex>
#include <set>

#include <gtest/gtest.h>

#include "ocib/registry.h"

#include "lib/io/streams.h"
#include "test/unit/registry/scripted_transport.h"

namespace ocib {
namespace {

using testing::FakeClock;
using testing::OptionsWith;
using testing::Reply;
using testing::ScriptedTransport;
using testing::Seen;

// An upload endpoint that keeps what PATCHes deliver and refuses chunks
// above `limit` bytes, as 416 with `refusal` as the error message.
struct ChunkLimitedRegistry {
  int64_t limit = 1000;
  std::string refusal = "chunk size exceeds the maximum of 1000 bytes";
  std::string post_max_header;  // OCI-Chunk-Max-Length on the POST answer
  std::string stored;
  bool done = false;
  std::vector<std::pair<int64_t, int64_t>> patches;  // (offset, length)
  std::set<std::pair<int64_t, int64_t>> refused;
  int resent_refused = 0;

  HttpResult Handle(const Seen& s) {
    if (s.url == "https://reg.test/v2/") return Reply(200);
    if (s.method == "HEAD") return Reply(done ? 200 : 404);
    if (s.method == "POST") {
      std::vector<HttpHeader> h{{"Location", "/v2/app/blobs/uploads/u1"}};
      if (!post_max_header.empty()) h.push_back({"OCI-Chunk-Max-Length", post_max_header});
      return Reply(202, h);
    }
    if (s.method == "PATCH") return Patch(s);
    if (s.method == "GET") {
      std::vector<HttpHeader> h{{"Location", "/v2/app/blobs/uploads/u1"}};
      if (!stored.empty()) h.push_back({"Range", "0-" + std::to_string(stored.size() - 1)});
      return Reply(204, h);
    }
    if (s.method == "PUT") {
      done = true;
      return Reply(201);
    }
    return Reply(405);
  }

  HttpResult Patch(const Seen& s) {
    std::string range = s.Header("Content-Range");
    int64_t start = std::stoll(range.substr(0, range.find('-')));
    auto len = static_cast<int64_t>(s.body.size());
    patches.emplace_back(start, len);
    if (refused.contains({start, len})) ++resent_refused;
    if (len > limit) {
      refused.insert({start, len});
      return Reply(416, {},
                   R"({"errors":[{"code":"BLOB_UPLOAD_INVALID","message":")" + refusal + R"("}]})");
    }
    if (start != static_cast<int64_t>(stored.size())) return Reply(416);
    stored += s.body;
    return Reply(202, {{"Location", "/v2/app/blobs/uploads/u1"},
                       {"Range", "0-" + std::to_string(stored.size() - 1)}});
  }
};

std::string Blob() {
  std::string blob(10000, 'x');
  for (size_t i = 0; i < blob.size(); ++i) blob[i] = static_cast<char>('a' + i % 26);
  return blob;
}

Result<bool> PushChunked(ChunkLimitedRegistry& reg, const std::string& blob, int64_t chunk,
                         int64_t threshold = 1) {
  FakeClock clock;
  auto t = std::make_shared<ScriptedTransport>([&](const Seen& s) { return reg.Handle(s); });
  RegistryOptions o = OptionsWith(t, &clock);
  o.chunk_threshold = threshold;
  o.chunk_size = chunk;
  auto c = RegistryClient::Create("reg.test", o);
  BlobOpener open = [&](int64_t off, int64_t len) -> Result<std::unique_ptr<Reader>> {
    return std::unique_ptr<Reader>(
        new io::StringReader(blob.substr(static_cast<size_t>(off), static_cast<size_t>(len))));
  };
  Descriptor desc{"application/octet-stream",
                  Digest::Sha256Of(blob),
                  static_cast<int64_t>(blob.size()),
                  {},
                  {},
                  "",
                  {}};
  return (*c)->PushBlob("app", desc, open);
}

TEST(BlobUploadTest, ChunkLimitInTheRefusalIsLearnt) {
  ChunkLimitedRegistry reg;
  std::string blob = Blob();
  auto r = PushChunked(reg, blob, 4000);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(reg.stored, blob);
  EXPECT_EQ(reg.resent_refused, 0);
  // One refusal of 4000 bytes, then 10 chunks of 1000.
  EXPECT_EQ(reg.refused.size(), 1u);
  EXPECT_EQ(reg.patches.size(), 11u);
}

TEST(BlobUploadTest, RefusalWithoutALimitHalvesTheChunk) {
  ChunkLimitedRegistry reg;
  reg.refusal = "chunk refused";
  std::string blob = Blob();
  auto r = PushChunked(reg, blob, 4000);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(reg.stored, blob);
  EXPECT_EQ(reg.resent_refused, 0);
  for (const auto& [off, len] : reg.patches) {
    if (!reg.refused.contains({off, len})) {
      EXPECT_LE(len, 1000);
    }
  }
}

TEST(BlobUploadTest, ChunkMaxLengthOnThePostIsHonoured) {
  ChunkLimitedRegistry reg;
  reg.post_max_header = "1000";
  std::string blob = Blob();
  auto r = PushChunked(reg, blob, 4000);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(reg.stored, blob);
  EXPECT_TRUE(reg.refused.empty());
  EXPECT_EQ(reg.patches.size(), 10u);
}

// A blob small enough for one PUT is sent in chunks when the registry
// bounds chunks below its size, down to a bound of one byte.
TEST(BlobUploadTest, AChunkBoundBelowTheBlobSizeMakesTheUploadChunked) {
  ChunkLimitedRegistry reg;
  reg.post_max_header = "1";
  const std::string blob = "abc";
  auto r = PushChunked(reg, blob, 4000, /*threshold=*/int64_t{1} << 30);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(reg.stored, blob);
  EXPECT_EQ(reg.patches.size(), 3u);
  EXPECT_TRUE(reg.refused.empty());
}

TEST(BlobUploadTest, MountAnswered202ContinuesInThatSession) {
  const std::string blob = "hello blob";
  Digest d = Digest::Sha256Of(blob);
  bool done = false;
  auto t = std::make_shared<ScriptedTransport>([&](const Seen& s) -> HttpResult {
    if (s.url == "https://reg.test/v2/") return Reply(200);
    if (s.method == "HEAD") return Reply(done ? 200 : 404);
    if (s.method == "POST") return Reply(202, {{"Location", "/v2/app/blobs/uploads/from-mount"}});
    if (s.method == "PUT" && s.url.find("/from-mount?") != std::string::npos && s.body == blob) {
      done = true;
      return Reply(201);
    }
    return Reply(400);
  });
  FakeClock clock;
  auto c = RegistryClient::Create("reg.test", OptionsWith(t, &clock));
  BlobOpener open = [&](int64_t, int64_t) -> Result<std::unique_ptr<Reader>> {
    return std::unique_ptr<Reader>(new io::StringReader(blob));
  };
  Descriptor desc{"application/octet-stream", d, static_cast<int64_t>(blob.size()), {}, {}, "", {}};
  auto r = (*c)->PushBlob("app", desc, open, "base");
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_TRUE(*r);
  std::map<std::string, int> methods;
  for (const Seen& s : t->seen()) ++methods[s.method];
  EXPECT_EQ(methods["POST"], 1);
  EXPECT_EQ(methods["DELETE"], 0);
  EXPECT_EQ(methods["PUT"], 1);
}

// A token registry whose tokens never allow pulling from "a" into "b":
// every mount is answered with an upload session (distribution's answer
// when the source is not readable).
struct ScopedTokenRegistry {
  std::mutex mu;
  std::vector<std::string> token_queries;
  std::map<std::string, std::string> blobs;  // "repo@digest" -> bytes
  int mount_posts = 0;

  HttpResult Handle(const Seen& s) {
    std::lock_guard<std::mutex> lock(mu);
    if (s.url.rfind("https://auth.test/", 0) == 0) {
      token_queries.push_back(s.url.substr(s.url.find('?') + 1));
      return Reply(200, {}, R"({"token":"t"})");
    }
    if (s.Header("Authorization").empty()) {
      return Reply(
          401, {{"WWW-Authenticate", R"(Bearer realm="https://auth.test/token",service="reg")"}});
    }
    std::string path = s.url.substr(std::string("https://reg.test").size());
    std::string repo = path.substr(4, path.find('/', 4) - 4);
    if (s.method == "HEAD") {
      return Reply(blobs.contains(repo + "@" + path.substr(path.rfind('/') + 1)) ? 200 : 404);
    }
    if (s.method == "POST") {
      if (path.find("mount=") != std::string::npos) ++mount_posts;
      return Reply(202, {{"Location", "/v2/" + repo + "/blobs/uploads/u"}});
    }
    if (s.method == "PUT") {
      std::string digest = path.substr(path.find("digest=") + 7);
      digest.replace(digest.find("%3A"), 3, ":");
      blobs[repo + "@" + digest] = s.body;
      return Reply(201);
    }
    return Reply(405);
  }
};

TEST(BlobUploadTest, MountWithoutPullOnTheSourceFallsBackToAnUpload) {
  ScopedTokenRegistry reg;
  auto transport =
      std::make_shared<ScriptedTransport>([&reg](const Seen& s) { return reg.Handle(s); });
  FakeClock clock;
  RegistryOptions o = OptionsWith(transport, &clock);
  o.sessions = std::make_shared<RegistrySessions>();
  std::string blob = Blob();
  Descriptor d;
  d.digest = Digest::Sha256Of(blob);
  d.size = static_cast<int64_t>(blob.size());
  BlobOpener open = [&blob](int64_t offset, int64_t length) -> Result<std::unique_ptr<Reader>> {
    return std::unique_ptr<Reader>(new io::StringReader(
        blob.substr(static_cast<size_t>(offset), static_cast<size_t>(length))));
  };
  for (const char* repo : {"a", "b"}) {
    auto client = RegistryClient::Create("reg.test", o);
    ASSERT_TRUE(client.has_value());
    (*client)->SetScopes({repo}, {});
    auto pushed = (*client)->PushBlob(repo, d, open);
    ASSERT_TRUE(pushed.has_value()) << repo << ": " << pushed.error().ToString();
    EXPECT_TRUE(*pushed);
  }
  // "b" asked to mount from "a" (known from the first push) with a token
  // naming a's pull scope; refused, it uploaded in the session opened.
  EXPECT_EQ(reg.mount_posts, 1);
  EXPECT_EQ(reg.blobs["b@" + d.digest.ToString()], blob);
  bool asked_a = std::ranges::any_of(reg.token_queries, [](const std::string& q) {
    return q.find("repository%3Ab%3Apull%2Cpush") != std::string::npos &&
           q.find("repository%3Aa%3Apull") != std::string::npos;
  });
  EXPECT_TRUE(asked_a);
}

}  // namespace
}  // namespace ocib
