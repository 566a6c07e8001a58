// RegistryClient against an in-memory fake transport: auth challenges,
// token caching and refresh, redirects without credentials, retries,
// chunked uploads with 416 recovery, digest verification.
#include <cstring>
#include <mutex>

#include <gtest/gtest.h>

#include "ocib/http.h"
#include "ocib/manifest.h"
#include "ocib/registry.h"

#include "lib/auth/base64.h"
#include "lib/io/streams.h"
#include "test/testing/test_util.h"

namespace ocib {
namespace {

struct Seen {
  std::string method;
  std::string url;
  std::string authorization;
  std::string body;
  std::vector<HttpHeader> headers;
  std::string Header(const std::string& name) const {
    for (const auto& h : headers) {
      if (h.name == name) return h.value;
    }
    return "";
  }
};

HttpResponse Reply(int status, std::vector<HttpHeader> headers = {}, std::string body = "") {
  HttpResponse r;
  r.status = status;
  for (auto& h : headers) {
    for (char& c : h.name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  r.headers = std::move(headers);
  r.body = std::move(body);
  return r;
}

class FakeTransport : public HttpTransport {
 public:
  using Handler = std::function<HttpResult(const Seen&)>;
  explicit FakeTransport(Handler h) : handler_(std::move(h)) {}

  HttpResult RoundTrip(const HttpRequest& req) override {
    Seen s;
    s.method = req.method;
    s.url = req.url;
    s.headers = req.headers;
    for (const auto& h : req.headers) {
      if (h.name == "Authorization") s.authorization = h.value;
    }
    s.body = req.body;
    if (req.body_source) {
      auto reader = req.body_source();
      if (!reader) return std::move(reader).error();
      char buf[4096];
      while (true) {
        auto n = (*reader)->Read(buf, sizeof buf);
        if (!n) return std::move(n).error();
        if (*n == 0) break;
        s.body.append(buf, *n);
      }
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      seen_.push_back(s);
    }
    auto r = handler_(s);
    // As a transport does: the status and headers before the body.
    if (r && req.on_response_start) req.on_response_start(*r);
    if (r && req.sink != nullptr && r->status >= 200 && r->status < 300) {
      Status w = req.sink->Write(r->body.data(), r->body.size());
      if (!w) return std::move(w).error();
      r->body.clear();
    }
    return r;
  }

  std::vector<Seen> seen() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }

 private:
  Handler handler_;
  std::mutex mu_;
  std::vector<Seen> seen_;
};

using io::StringReader;

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

RegistryOptions Options(std::shared_ptr<HttpTransport> t,
                        std::vector<std::chrono::milliseconds>* sleeps,
                        std::map<std::string, Credential> creds = {}) {
  RegistryOptions o;
  o.transport = std::move(t);
  o.keychain = MakeStaticKeychain(std::move(creds));
  o.sleep = [sleeps](std::chrono::milliseconds d) {
    if (sleeps != nullptr) sleeps->push_back(d);
  };
  return o;
}

const std::string kBlob = "hello blob";

TEST(RegistryClientTest, BearerTokenFetchedOnceAndSentOnlyToRegistry) {
  int token_fetches = 0;
  auto t = std::make_shared<FakeTransport>([&](const Seen& s) -> Result<HttpResponse> {
    if (s.url == "https://reg.test/v2/") {
      return Reply(401, {{"WWW-Authenticate",
                          "Bearer realm=\"https://auth.test/token\",service=\"reg.test\""}});
    }
    if (s.url.rfind("https://auth.test/token", 0) == 0) {
      ++token_fetches;
      EXPECT_EQ(s.authorization, "Basic " + Base64Encode("user:secret"));
      EXPECT_NE(s.url.find("service=reg.test"), std::string::npos);
      EXPECT_NE(s.url.find("scope=repository%3Aapp%3Apull"), std::string::npos);
      return Reply(200, {}, R"({"access_token":"tok1","expires_in":300})");
    }
    if (s.authorization != "Bearer tok1") return Reply(401);
    return Reply(404);
  });
  std::vector<std::chrono::milliseconds> sleeps;
  auto c = RegistryClient::Create("reg.test",
                                  Options(t, &sleeps, {{"reg.test", {"user", "secret", "", ""}}}));
  ASSERT_TRUE(c.has_value());
  auto a = (*c)->StatBlob("app", Digest::Sha256Of("a"));
  ASSERT_TRUE(a.has_value()) << a.error().ToString();
  EXPECT_FALSE(a->has_value());
  auto b = (*c)->StatBlob("app", Digest::Sha256Of("b"));
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(token_fetches, 1);
}

TEST(RegistryClientTest, RefreshesTokenOnceOn401WithInsufficientScope) {
  int token_fetches = 0;
  auto t = std::make_shared<FakeTransport>([&](const Seen& s) -> Result<HttpResponse> {
    if (s.url == "https://reg.test/v2/") {
      return Reply(401,
                   {{"WWW-Authenticate", "Bearer realm=\"https://reg.test/token\",service=\"r\""}});
    }
    if (s.url.rfind("https://reg.test/token", 0) == 0) {
      ++token_fetches;
      bool wide = s.url.find("scope=repository%3Aother%3Apull") != std::string::npos;
      return Reply(200, {}, wide ? R"({"token":"wide"})" : R"({"token":"narrow"})");
    }
    if (s.authorization == "Bearer wide") return Reply(200, {{"Content-Length", "3"}});
    return Reply(401, {{"WWW-Authenticate",
                        "Bearer realm=\"https://reg.test/token\",service=\"r\","
                        "scope=\"repository:other:pull\",error=\"insufficient_scope\""}});
  });
  auto c = RegistryClient::Create("reg.test", Options(t, nullptr));
  auto r = (*c)->StatBlob("app", Digest::Sha256Of("x"));
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_TRUE(r->has_value());
  EXPECT_EQ(token_fetches, 2);
}

TEST(RegistryClientTest, WrongPasswordIsUnauthenticatedAndNamesRegistry) {
  auto t = std::make_shared<FakeTransport>([&](const Seen&) -> Result<HttpResponse> {
    return Reply(401, {{"WWW-Authenticate", "Basic realm=\"r\""}},
                 R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})");
  });
  auto c = RegistryClient::Create(
      "reg.test:5000", Options(t, nullptr, {{"reg.test:5000", {"u", "hunter2", "", ""}}}));
  auto r = (*c)->GetManifest("app", "1");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kUnauthenticated);
  std::string msg = r.error().ToString();
  EXPECT_NE(msg.find("reg.test:5000"), std::string::npos) << msg;
  EXPECT_NE(msg.find("UNAUTHORIZED"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("hunter2"), std::string::npos) << msg;
  EXPECT_EQ(msg.find(Base64Encode("u:hunter2")), std::string::npos) << msg;
}

TEST(RegistryClientTest, RedirectToOtherHostCarriesNoAuthorization) {
  MemStore store;
  Digest d = Digest::Sha256Of(kBlob);
  auto t = std::make_shared<FakeTransport>([&](const Seen& s) -> Result<HttpResponse> {
    if (s.url == "https://reg.test/v2/")
      return Reply(401, {{"WWW-Authenticate", "Basic realm=\"r\""}});
    if (s.url.find("/blobs/") != std::string::npos) {
      return Reply(307, {{"Location", "https://cdn.test/blob?sig=abc"}});
    }
    if (s.url.rfind("https://cdn.test/", 0) == 0) return Reply(200, {}, kBlob);
    return Reply(404);
  });
  auto c =
      RegistryClient::Create("reg.test", Options(t, nullptr, {{"reg.test", {"u", "p", "", ""}}}));
  Descriptor desc{
      "application/octet-stream", d, static_cast<int64_t>(kBlob.size()), {}, {}, "", {}};
  Status s = (*c)->FetchBlob("app", desc, store);
  ASSERT_TRUE(s.has_value()) << s.error().ToString();
  EXPECT_EQ(store.blobs.at(d), kBlob);
  bool saw_cdn = false;
  for (const Seen& seen : t->seen()) {
    if (seen.url.rfind("https://cdn.test/", 0) == 0) {
      saw_cdn = true;
      EXPECT_TRUE(seen.authorization.empty()) << "Authorization leaked to " << seen.url;
    } else if (seen.url.find("/blobs/") != std::string::npos) {
      EXPECT_FALSE(seen.authorization.empty());
    }
  }
  EXPECT_TRUE(saw_cdn);
}

TEST(RegistryClientTest, CorruptBlobIsDataLossAndNotStored) {
  MemStore store;
  Digest d = Digest::Sha256Of(kBlob);
  auto t = std::make_shared<FakeTransport>([&](const Seen& s) -> Result<HttpResponse> {
    if (s.url.find("/blobs/") != std::string::npos) return Reply(200, {}, "hellO blob");
    return Reply(200);
  });
  auto c = RegistryClient::Create("reg.test", Options(t, nullptr));
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
  const std::string blob = "0123456789";
  for (bool honour : {true, false}) {
    std::vector<std::string> ranges;
    auto t = std::make_shared<FakeTransport>([&](const Seen& s) -> Result<HttpResponse> {
      if (s.url.find("/blobs/") == std::string::npos) return Reply(200);
      std::string range = s.Header("Range");
      ranges.push_back(range);
      if (!honour || range.empty()) return Reply(200, {}, blob);
      size_t from = std::stoul(range.substr(6));
      return Reply(206, {}, blob.substr(from));
    });
    auto c = RegistryClient::Create("reg.test", Options(t, nullptr));
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

TEST(RegistryClientTest, RetriesServerErrorsHonouringRetryAfter) {
  int calls = 0;
  auto t = std::make_shared<FakeTransport>([&](const Seen& s) -> HttpResult {
    if (s.url == "https://reg.test/v2/") return Reply(200);
    ++calls;
    if (calls == 1) return Reply(503);
    if (calls == 2) return Reply(429, {{"Retry-After", "2"}});
    if (calls == 3) {
      return {TransportFailure::kReset, Error(ErrorCode::kUnavailable, "connection reset")};
    }
    return Reply(200, {{"Docker-Content-Digest", Digest::Sha256Of("{}").ToString()}}, "{}");
  });
  std::vector<std::chrono::milliseconds> sleeps;
  auto c = RegistryClient::Create("reg.test", Options(t, &sleeps));
  auto m = (*c)->GetManifest("app", "1");
  ASSERT_TRUE(m.has_value()) << m.error().ToString();
  EXPECT_EQ(calls, 4);
  ASSERT_EQ(sleeps.size(), 3u);
  EXPECT_EQ(sleeps[1], std::chrono::milliseconds(2000));
}

TEST(RegistryClientTest, RetriesAreBounded) {
  int calls = 0;
  auto t = std::make_shared<FakeTransport>([&](const Seen& s) -> Result<HttpResponse> {
    if (s.url == "https://reg.test/v2/") return Reply(200);
    ++calls;
    return Reply(500, {}, "boom");
  });
  std::vector<std::chrono::milliseconds> sleeps;
  auto c = RegistryClient::Create("reg.test", Options(t, &sleeps));
  auto m = (*c)->GetManifest("app", "1");
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(calls, RetryPolicy{}.max_attempts);
  EXPECT_NE(m.error().ToString().find("500"), std::string::npos);
}

TEST(RegistryClientTest, ManifestDigestHeaderMustMatch) {
  auto t = std::make_shared<FakeTransport>([&](const Seen& s) -> Result<HttpResponse> {
    if (s.url == "https://reg.test/v2/") return Reply(200);
    return Reply(200,
                 {{"Docker-Content-Digest", Digest::Sha256Of("other").ToString()},
                  {"Content-Type", "application/vnd.oci.image.manifest.v1+json"}},
                 "{}");
  });
  auto c = RegistryClient::Create("reg.test", Options(t, nullptr));
  auto m = (*c)->GetManifest("app", "1");
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().code(), ErrorCode::kDataLoss);
}

TEST(RegistryClientTest, ChunkedUploadRecoversFrom416) {
  std::string blob(10000, 'x');
  for (size_t i = 0; i < blob.size(); ++i) blob[i] = static_cast<char>('a' + i % 26);
  Digest d = Digest::Sha256Of(blob);
  std::string stored;
  bool done = false;
  int patches = 0;
  auto t = std::make_shared<FakeTransport>([&](const Seen& s) -> Result<HttpResponse> {
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
  RegistryOptions o = Options(t, nullptr);
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

TEST(RegistryClientTest, MountAnswered202UploadsInThatSession) {
  Digest d = Digest::Sha256Of(kBlob);
  bool done = false;
  std::vector<std::string> posts;
  auto t = std::make_shared<FakeTransport>([&](const Seen& s) -> Result<HttpResponse> {
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
  auto c = RegistryClient::Create("reg.test", Options(t, nullptr));
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

TEST(RetryPolicyTest, BackoffIsBoundedEqualJitter) {
  RetryPolicy p;
  EXPECT_EQ(p.Backoff(1, 0.0).count(), p.initial_backoff.count() / 2);
  EXPECT_LE(p.Backoff(1, 0.999).count(), p.initial_backoff.count());
  EXPECT_LE(p.Backoff(30, 0.999).count(), p.max_backoff.count());
  EXPECT_GT(p.Backoff(3, 0.999).count(), p.Backoff(1, 0.999).count());
  EXPECT_TRUE(IsRetryableStatus(429));
  EXPECT_TRUE(IsRetryableStatus(503));
  EXPECT_TRUE(IsRetryableStatus(408));
  EXPECT_FALSE(IsRetryableStatus(501));
  EXPECT_FALSE(IsRetryableStatus(404));
}

TEST(RetryPolicyTest, ParseRetryAfter) {
  auto now = std::chrono::system_clock::from_time_t(1700000000);  // Tue, 14 Nov 2023 22:13:20 GMT
  EXPECT_EQ(ParseRetryAfter("7", now)->count(), 7000);
  EXPECT_EQ(ParseRetryAfter("Tue, 14 Nov 2023 22:13:30 GMT", now)->count(), 10000);
  EXPECT_EQ(ParseRetryAfter("Tue, 14 Nov 2023 22:00:00 GMT", now)->count(), 0);
  EXPECT_FALSE(ParseRetryAfter("soon", now).has_value());
  EXPECT_FALSE(ParseRetryAfter("", now).has_value());
}

TEST(RedactUrlTest, RemovesSecrets) {
  EXPECT_EQ(RedactUrl("https://user:pw@reg.test/v2/x?digest=sha256:1&_state=abc&token=t"),
            "https://reg.test/v2/x?digest=sha256:1&_state=REDACTED&token=REDACTED");
  EXPECT_EQ(RedactUrl("https://cdn.test/b?X-Amz-Signature=s&n=1"),
            "https://cdn.test/b?X-Amz-Signature=REDACTED&n=1");
}

}  // namespace
}  // namespace ocib

namespace ocib {
namespace {

TEST(SchemeTest, LoopbackPlainHttpIsProbedFirst) {
  auto t = std::make_shared<FakeTransport>([&](const Seen& s) -> Result<HttpResponse> {
    if (s.url.rfind("https://", 0) == 0)
      return Error(ErrorCode::kUnavailable, "TLS handshake failed");
    return Reply(s.url.find("/manifests/") != std::string::npos ? 404 : 200);
  });
  auto c = RegistryClient::Create("127.0.0.1:5000", Options(t, nullptr));
  auto r = (*c)->StatManifest("app", "1");
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  for (const Seen& s : t->seen()) EXPECT_EQ(s.url.rfind("http://127.0.0.1:5000/", 0), 0u) << s.url;
}

TEST(SchemeTest, LoopbackTlsPeerIsVerified) {
  auto t = std::make_shared<FakeTransport>([&](const Seen& s) -> Result<HttpResponse> {
    // A TLS server answers a plain-HTTP request with 400.
    if (s.url.rfind("http://", 0) == 0)
      return Reply(400, {}, "Client sent an HTTP request to an HTTPS server.");
    return Error(ErrorCode::kUnavailable, "TLS certificate of localhost:5000 not trusted: x");
  });
  auto c = RegistryClient::Create("localhost:5000", Options(t, nullptr));
  auto r = (*c)->StatManifest("app", "1");
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().ToString().find("TLS certificate"), std::string::npos);
  // Never fell back to plain HTTP for the API after the TLS failure (the
  // tag's HEAD is the registry's ping).
  auto seen = t->seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].url, "http://localhost:5000/v2/app/manifests/1");
  EXPECT_EQ(seen[1].url, "https://localhost:5000/v2/app/manifests/1");
}

TEST(SchemeTest, RemoteHostsNeverUsePlainHttp) {
  auto t = std::make_shared<FakeTransport>([&](const Seen& s) -> Result<HttpResponse> {
    if (s.url.rfind("https://", 0) == 0) {
      return Error(ErrorCode::kUnavailable, "TLS handshake with reg.test failed: wrong version");
    }
    return Reply(200);
  });
  auto c = RegistryClient::Create("reg.test", Options(t, nullptr));
  auto r = (*c)->StatManifest("app", "1");
  ASSERT_FALSE(r.has_value());
  for (const Seen& s : t->seen()) EXPECT_EQ(s.url.rfind("https://", 0), 0u) << s.url;
}

TEST(SchemeTest, InsecureRegistryFallsBackToHttp) {
  auto t = std::make_shared<FakeTransport>([&](const Seen& s) -> HttpResult {
    if (s.url.rfind("https://", 0) == 0) {
      return {TransportFailure::kTlsHandshake,
              Error(ErrorCode::kUnavailable, "TLS handshake with reg.test failed: wrong version")};
    }
    return Reply(404);
  });
  RegistryOptions o = Options(t, nullptr);
  o.insecure_registries = {"reg.test"};
  auto c = RegistryClient::Create("reg.test", o);
  auto r = (*c)->StatManifest("app", "1");
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_FALSE(r->has_value());
  EXPECT_EQ(t->seen().back().url, "http://reg.test/v2/app/manifests/1");
}

}  // namespace
}  // namespace ocib

namespace ocib {
namespace {

// A registry that answers /v2/ anonymously and challenges on repositories.
TEST(LateChallengeTest, BearerChallengeOnRepositoryIsFollowed) {
  int token_fetches = 0;
  auto t = std::make_shared<FakeTransport>([&](const Seen& s) -> Result<HttpResponse> {
    if (s.url == "https://reg.test/v2/") return Reply(200);
    if (s.url.rfind("https://auth.test/token", 0) == 0) {
      ++token_fetches;
      EXPECT_EQ(s.authorization, "Basic " + Base64Encode("user:secret"));
      EXPECT_NE(s.url.find("service=reg.svc"), std::string::npos) << s.url;
      EXPECT_NE(s.url.find("scope=repository%3Aapp%3Apull"), std::string::npos) << s.url;
      return Reply(200, {}, R"({"token":"tok","expires_in":300})");
    }
    if (s.authorization != "Bearer tok") {
      return Reply(401,
                   {{"WWW-Authenticate",
                     "Bearer realm=\"https://auth.test/token\",service=\"reg.svc\","
                     "scope=\"repository:app:pull\""}},
                   R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})");
    }
    return Reply(200, {{"Content-Length", "1"}});
  });
  auto c = RegistryClient::Create("reg.test",
                                  Options(t, nullptr, {{"reg.test", {"user", "secret", "", ""}}}));
  auto a = (*c)->StatBlob("app", Digest::Sha256Of("a"));
  ASSERT_TRUE(a.has_value()) << a.error().ToString();
  EXPECT_TRUE(a->has_value());
  // Learnt: later requests carry the token from the start.
  auto b = (*c)->StatBlob("app", Digest::Sha256Of("b"));
  ASSERT_TRUE(b.has_value()) << b.error().ToString();
  EXPECT_TRUE(b->has_value());
  EXPECT_EQ(token_fetches, 1);
  auto seen = t->seen();
  ASSERT_EQ(seen.size(), 5u);  // /v2/, HEAD 401, token, HEAD 200, HEAD 200
  EXPECT_EQ(seen[1].authorization, "");
  EXPECT_EQ(seen[3].authorization, "Bearer tok");
  EXPECT_EQ(seen[4].authorization, "Bearer tok");
}

// A registry that answers 401 to every token: the client asks for new
// credentials once, then reports the refusal (it never loops). The fake
// stops answering after 50 requests so that a loop fails instead of hanging.
TEST(LateChallengeTest, ATokenRefusedTwiceIsAnErrorNotALoop) {
  int requests = 0;
  auto t = std::make_shared<FakeTransport>([&](const Seen& s) -> HttpResult {
    if (++requests > 50) return Error(ErrorCode::kUnavailable, "the test stops a loop");
    if (s.url.rfind("https://auth.test/token", 0) == 0) {
      return Reply(200, {}, R"({"token":"tok","expires_in":300})");
    }
    return Reply(401, {{"WWW-Authenticate",
                        "Bearer realm=\"https://auth.test/token\",service=\"reg.svc\","
                        "scope=\"repository:app:pull\""}});
  });
  auto c = RegistryClient::Create("reg.test", Options(t, nullptr));
  auto r = (*c)->StatBlob("app", Digest::Sha256Of("a"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kUnauthenticated) << r.error().ToString();
  EXPECT_LE(requests, 6);
}

// Redirects of a request with a body: 307 and 308 repeat the method and the
// body at the new location; 303 turns it into a GET without body (RFC 9110).
TEST(RedirectTest, MethodAndBodyFollowTheStatus) {
  for (int status : {307, 308, 303}) {
    auto t = std::make_shared<FakeTransport>([&](const Seen& s) -> Result<HttpResponse> {
      if (s.url == "https://reg.test/v2/") return Reply(200);
      if (s.url == "https://reg.test/v2/app/manifests/1") {
        return Reply(status, {{"Location", "/v2/app/manifests/moved"}});
      }
      return Reply(201, {{"Docker-Content-Digest", Digest::Sha256Of("{}").ToString()}});
    });
    auto c = RegistryClient::Create("reg.test", Options(t, nullptr));
    auto put = (*c)->PutManifest("app", "1", "application/vnd.oci.image.manifest.v1+json", "{}");
    auto seen = t->seen();
    ASSERT_GE(seen.size(), 2U) << status;
    const Seen& last = seen.back();
    EXPECT_EQ(last.url, "https://reg.test/v2/app/manifests/moved") << status;
    EXPECT_EQ(last.method, status == 303 ? "GET" : "PUT") << status;
    EXPECT_EQ(last.body, status == 303 ? "" : "{}") << status;
    (void)put;
  }
}

TEST(LateChallengeTest, BasicChallengeOnRepositorySendsCredentials) {
  auto t = std::make_shared<FakeTransport>([&](const Seen& s) -> Result<HttpResponse> {
    if (s.url == "https://reg.test/v2/") return Reply(200);
    if (s.authorization != "Basic " + Base64Encode("u:p")) {
      return Reply(401, {{"WWW-Authenticate", "Basic realm=\"reg\""}});
    }
    return Reply(404);
  });
  auto c =
      RegistryClient::Create("reg.test", Options(t, nullptr, {{"reg.test", {"u", "p", "", ""}}}));
  auto r = (*c)->StatManifest("app", "1");
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_FALSE(r->has_value());
  auto r2 = (*c)->StatManifest("app", "2");
  ASSERT_TRUE(r2.has_value()) << r2.error().ToString();
  // The first HEAD is the registry's ping (401, Basic learnt), then it is
  // sent with Basic, then Basic from the start: /v2/ is never asked.
  auto seen = t->seen();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].url, "https://reg.test/v2/app/manifests/1");
  EXPECT_EQ(seen[0].authorization, "");
  EXPECT_EQ(seen[1].authorization, "Basic " + Base64Encode("u:p"));
  EXPECT_EQ(seen[2].authorization, "Basic " + Base64Encode("u:p"));
}

TEST(LateChallengeTest, BasicChallengeWithoutCredentialsIsUnauthenticatedAtOnce) {
  auto t = std::make_shared<FakeTransport>([&](const Seen& s) -> Result<HttpResponse> {
    if (s.url == "https://reg.test/v2/") return Reply(200);
    return Reply(401, {{"WWW-Authenticate", "Basic realm=\"reg\""}});
  });
  auto c = RegistryClient::Create("reg.test", Options(t, nullptr));
  auto r = (*c)->GetManifest("app", "1");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kUnauthenticated);
  EXPECT_NE(r.error().ToString().find("ocib login reg.test"), std::string::npos)
      << r.error().ToString();
  EXPECT_EQ(t->seen().size(), 2u);
}

TEST(LateChallengeTest, WrongCredentialsAreRetriedOnceOnly) {
  int token_fetches = 0;
  auto t = std::make_shared<FakeTransport>([&](const Seen& s) -> Result<HttpResponse> {
    if (s.url == "https://reg.test/v2/") return Reply(200);
    if (s.url.rfind("https://auth.test/token", 0) == 0) {
      ++token_fetches;
      return Reply(200, {}, R"({"token":"useless"})");
    }
    return Reply(401, {{"WWW-Authenticate", "Bearer realm=\"https://auth.test/token\""}});
  });
  auto c =
      RegistryClient::Create("reg.test", Options(t, nullptr, {{"reg.test", {"u", "p", "", ""}}}));
  auto r = (*c)->StatBlob("app", Digest::Sha256Of("a"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kUnauthenticated);
  EXPECT_EQ(token_fetches, 1);
}

TEST(LateChallengeTest, ChallengeFromRedirectTargetIsIgnored) {
  auto t = std::make_shared<FakeTransport>([&](const Seen& s) -> Result<HttpResponse> {
    if (s.url == "https://reg.test/v2/") return Reply(200);
    if (s.url.rfind("https://evil.test/", 0) == 0) {
      ADD_FAILURE() << "credentials requested from " << s.url;
      return Reply(500);
    }
    if (s.url.find("/blobs/") != std::string::npos) {
      return Reply(307, {{"Location", "https://cdn.test/blob"}});
    }
    if (s.url.rfind("https://cdn.test/", 0) == 0) {
      return Reply(401, {{"WWW-Authenticate", "Bearer realm=\"https://evil.test/token\""}});
    }
    return Reply(404);
  });
  auto c =
      RegistryClient::Create("reg.test", Options(t, nullptr, {{"reg.test", {"u", "p", "", ""}}}));
  MemStore store;
  Descriptor desc{"application/octet-stream",
                  Digest::Sha256Of(kBlob),
                  static_cast<int64_t>(kBlob.size()),
                  {},
                  {},
                  "",
                  {}};
  Status st = (*c)->FetchBlob("app", desc, store);
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().code(), ErrorCode::kUnauthenticated);
}

// OCI-Chunk-Min-Length on the POST response forces chunking with chunks of
// at least that size (only the last may be shorter).
TEST(ChunkMinLengthTest, PatchesAreAtLeastTheMinimum) {
  std::string blob(10000, 'x');
  for (size_t i = 0; i < blob.size(); ++i) blob[i] = static_cast<char>('a' + i % 26);
  Digest d = Digest::Sha256Of(blob);
  std::string stored;
  bool done = false;
  std::vector<std::string> ranges;
  std::vector<size_t> sizes;
  auto t = std::make_shared<FakeTransport>([&](const Seen& s) -> Result<HttpResponse> {
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
  RegistryOptions o = Options(t, nullptr);
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

TEST(ChunkMinLengthTest, LargerChunkSizeIsKept) {
  std::string blob(10000, 'y');
  Digest d = Digest::Sha256Of(blob);
  std::vector<size_t> sizes;
  bool done = false;
  auto t = std::make_shared<FakeTransport>([&](const Seen& s) -> Result<HttpResponse> {
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
  RegistryOptions o = Options(t, nullptr);
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

TEST(ChunkMinLengthTest, WithoutTheHeaderSmallBlobsTakeOnePut) {
  Digest d = Digest::Sha256Of(kBlob);
  std::vector<std::string> methods;
  bool done = false;
  auto t = std::make_shared<FakeTransport>([&](const Seen& s) -> Result<HttpResponse> {
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
  auto c = RegistryClient::Create("reg.test", Options(t, nullptr));
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
