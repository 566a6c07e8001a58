// The curl transport against a scripted local HTTP server: failures carry
// their kind, response sizes are bounded while receiving, and deadlines
// stop trickling peers.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "ocib/http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace ocib {
namespace {

// Accepts connections on 127.0.0.1 and answers each request by calling
// `script` with the connected socket (after reading the request head).
class ScriptedServer {
 public:
  explicit ScriptedServer(std::function<void(int fd)> script) : script_(std::move(script)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    // NOLINTBEGIN(cppcoreguidelines-pro-type-reinterpret-cast): the socket API
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len), 0);
    EXPECT_EQ(::listen(listen_fd_, 8), 0);
    EXPECT_EQ(::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    // NOLINTEND(cppcoreguidelines-pro-type-reinterpret-cast)
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~ScriptedServer() {
    stop_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    thread_.join();
  }
  ScriptedServer(const ScriptedServer&) = delete;
  ScriptedServer& operator=(const ScriptedServer&) = delete;

  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  static bool Send(int fd, const std::string& s) {
    return ::send(fd, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size());
  }
  std::atomic<bool> stop_{false};
  // The request heads received so far (request line and headers).
  std::vector<std::string> heads() {
    std::lock_guard<std::mutex> lock(mu_);
    return heads_;
  }

 private:
  void Serve() {
    while (!stop_) {
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      std::string head;
      char c = 0;
      while (head.find("\r\n\r\n") == std::string::npos && ::recv(fd, &c, 1, 0) == 1) head += c;
      // A body the head announces is read too (and kept with the head).
      auto cl = head.find("Content-Length: ");
      if (cl != std::string::npos) {
        size_t n = std::stoul(head.substr(cl + 16));
        for (size_t i = 0; i < n && ::recv(fd, &c, 1, 0) == 1; ++i) head += c;
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        heads_.push_back(head);
      }
      script_(fd);
      ::close(fd);
    }
  }

  std::function<void(int)> script_;
  std::mutex mu_;
  std::vector<std::string> heads_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

HttpRequest Get(const std::string& url) {
  HttpRequest r;
  r.url = url;
  return r;
}

// Each method is sent as itself, and only requests with a body announce
// one: a DELETE is a bare DELETE (no upload of zero bytes), a PUT sends its
// body with its length.
TEST(CurlTransportTest, MethodsWithAndWithoutABody) {
  ScriptedServer server([](int fd) {
    // The server closes each connection: saying so keeps curl from reusing
    // it for the PUT (a reset when the close wins the race).
    ScriptedServer::Send(fd,
                         "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  });
  auto transport = MakeCurlTransport();
  HttpRequest del = Get(server.Url("/v2/app/manifests/x"));
  del.method = "DELETE";
  auto r = transport->RoundTrip(del);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  HttpRequest put = Get(server.Url("/v2/app/blobs/uploads/1"));
  put.method = "PUT";
  put.body = "abc";
  auto p = transport->RoundTrip(put);
  ASSERT_TRUE(p.has_value()) << p.error().ToString();
  std::vector<std::string> heads = server.heads();
  ASSERT_EQ(heads.size(), 2u);
  EXPECT_EQ(heads[0].rfind("DELETE /v2/app/manifests/x HTTP/1.1\r\n", 0), 0u) << heads[0];
  EXPECT_EQ(heads[0].find("Content-Length"), std::string::npos) << heads[0];
  EXPECT_EQ(heads[0].find("Transfer-Encoding"), std::string::npos) << heads[0];
  EXPECT_EQ(heads[1].rfind("PUT /v2/app/blobs/uploads/1 HTTP/1.1\r\n", 0), 0u) << heads[1];
  EXPECT_NE(heads[1].find("Content-Length: 3\r\n"), std::string::npos) << heads[1];
}

TEST(CurlTransportTest, AnnouncedOversizedBodyIsRefusedBeforeReading) {
  std::atomic<bool> body_sent{false};
  ScriptedServer server([&](int fd) {
    ScriptedServer::Send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n");
    // The client must give up on the header alone: the body never comes
    // unless it keeps reading.
    for (int i = 0; i < 50 && ScriptedServer::Send(fd, std::string(1024, 'x')); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    body_sent = true;
  });
  auto t = MakeCurlTransport();
  HttpRequest req = Get(server.Url("/v2/app/manifests/1"));
  req.max_body_bytes = 4096;
  auto start = std::chrono::steady_clock::now();
  HttpResult r = t->RoundTrip(req);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.failure(), TransportFailure::kTooLarge);
  EXPECT_FALSE(r.retryable());
  EXPECT_NE(r.error().message().find("100000000"), std::string::npos) << r.error().message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(900));
}

TEST(CurlTransportTest, BodyBeyondLimitAbortsTheTransfer) {
  ScriptedServer server([](int fd) {
    ScriptedServer::Send(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
    for (int i = 0; i < 64 && ScriptedServer::Send(fd, std::string(1024, 'x')); ++i) {
    }
  });
  auto t = MakeCurlTransport();
  HttpRequest req = Get(server.Url("/v2/app/manifests/1"));
  req.max_body_bytes = 10000;
  HttpResult r = t->RoundTrip(req);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.failure(), TransportFailure::kTooLarge);
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
}

TEST(CurlTransportTest, BodyWithinLimitIsDelivered) {
  ScriptedServer server([](int fd) {
    ScriptedServer::Send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
  });
  auto t = MakeCurlTransport();
  HttpRequest req = Get(server.Url("/x"));
  req.max_body_bytes = 5;
  HttpResult r = t->RoundTrip(req);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->body, "hello");
}

// on_response_start is called once, before the first body byte, however
// many pieces the body arrives in.
TEST(CurlTransportTest, ResponseStartIsAnnouncedOnce) {
  ScriptedServer server([](int fd) {
    ScriptedServer::Send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nabcd");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ScriptedServer::Send(fd, "efgh");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ScriptedServer::Send(fd, "ijkl");
  });
  auto t = MakeCurlTransport();
  HttpRequest req = Get(server.Url("/x"));
  int starts = 0;
  size_t body_at_start = 99;
  req.on_response_start = [&](const HttpResponse& r) {
    ++starts;
    body_at_start = r.body.size();
  };
  HttpResult r = t->RoundTrip(req);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->body, "abcdefghijkl");
  EXPECT_EQ(starts, 1);
  EXPECT_EQ(body_at_start, 0U);
}

TEST(CurlTransportTest, TricklingPeerTimesOut) {
  ScriptedServer server([&server](int fd) {
    ScriptedServer::Send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
    for (int i = 0; i < 1000 && !server.stop_ && ScriptedServer::Send(fd, "x"); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  });
  auto t = MakeCurlTransport();
  HttpRequest req = Get(server.Url("/v2/app/blobs/sha256:1"));
  req.stall_timeout = std::chrono::seconds(1);
  auto start = std::chrono::steady_clock::now();
  HttpResult r = t->RoundTrip(req);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.failure(), TransportFailure::kTimeout);
  EXPECT_TRUE(r.retryable());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(CurlTransportTest, TotalDeadline) {
  ScriptedServer server([&server](int fd) {
    ScriptedServer::Send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n");
    // Fast enough for the stall deadline, far too long in all.
    for (int i = 0; i < 100000 && !server.stop_ && ScriptedServer::Send(fd, std::string(2048, 'x'));
         ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  auto t = MakeCurlTransport();
  HttpRequest req = Get(server.Url("/v2/app/blobs/sha256:1"));
  req.stall_timeout = std::chrono::seconds(5);
  req.total_timeout = std::chrono::seconds(2);
  HttpResult r = t->RoundTrip(req);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.failure(), TransportFailure::kTimeout);
}

TEST(CurlTransportTest, LargeErrorBodyIsCutShortNotRead) {
  std::atomic<int> sent{0};
  ScriptedServer server([&](int fd) {
    ScriptedServer::Send(fd, "HTTP/1.1 500 Oops\r\nContent-Length: 10000000\r\n\r\n");
    for (int i = 0; i < 10000 && ScriptedServer::Send(fd, std::string(1000, 'e')); ++i) ++sent;
  });
  auto t = MakeCurlTransport();
  HttpResult r = t->RoundTrip(Get(server.Url("/v2/")));
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(r->body.size(), size_t{64} * 1024);
}

TEST(CurlTransportTest, ConnectionRefusedIsConnectAndRetryable) {
  int port = 0;
  {
    ScriptedServer server([](int) {});
    std::string url = server.Url("/");
    port = std::stoi(url.substr(url.rfind(':') + 1));
  }
  auto t = MakeCurlTransport();
  HttpResult r = t->RoundTrip(Get("http://127.0.0.1:" + std::to_string(port) + "/v2/"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.failure(), TransportFailure::kConnect);
  EXPECT_TRUE(r.retryable());
}

TEST(CurlTransportTest, HangUpIsResetAndRetryable) {
  ScriptedServer server([](int) {});
  auto t = MakeCurlTransport();
  HttpResult r = t->RoundTrip(Get(server.Url("/v2/")));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.failure(), TransportFailure::kReset);
  EXPECT_TRUE(r.retryable());
}

TEST(CurlTransportTest, UnknownHostIsDnsAndNotRetried) {
  auto t = MakeCurlTransport();
  HttpResult r = t->RoundTrip(Get("http://ocib-no-such-host.invalid/v2/"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.failure(), TransportFailure::kDns);
  EXPECT_FALSE(r.retryable());
}

// RedactUrl drops user info and masks upload states, tokens and signatures.
TEST(RedactUrlTest, RemovesSecrets) {
  EXPECT_EQ(RedactUrl("https://user:pw@reg.test/v2/x?digest=sha256:1&_state=abc&token=t"),
            "https://reg.test/v2/x?digest=sha256:1&_state=REDACTED&token=REDACTED");
  EXPECT_EQ(RedactUrl("https://cdn.test/b?X-Amz-Signature=s&n=1"),
            "https://cdn.test/b?X-Amz-Signature=REDACTED&n=1");
}

}  // namespace
}  // namespace ocib
