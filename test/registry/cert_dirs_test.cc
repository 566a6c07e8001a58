// Per-host TLS directories (certs.d): where they are looked up, and the
// errors for incomplete client certificate pairs. Trust and client
// certificates against a real TLS registry are tested end to end
// (test/e2e/registry/certs_d.sh).
#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "ocib/http.h"
#include "ocib/registry.h"

namespace ocib {
namespace {

namespace fs = std::filesystem;

// Sets or unsets OCIB_CERTS_D_DIRS for one scope.
class ScopedCertsEnv {
 public:
  explicit ScopedCertsEnv(const char* value) {
    const char* old = std::getenv("OCIB_CERTS_D_DIRS");
    if (old != nullptr) old_ = old;
    if (value == nullptr) {
      ::unsetenv("OCIB_CERTS_D_DIRS");
    } else {
      ::setenv("OCIB_CERTS_D_DIRS", value, 1);
    }
  }
  ~ScopedCertsEnv() {
    if (old_) {
      ::setenv("OCIB_CERTS_D_DIRS", old_->c_str(), 1);
    } else {
      ::unsetenv("OCIB_CERTS_D_DIRS");
    }
  }

 private:
  std::optional<std::string> old_;
};

// Sets an environment variable for a scope (unset with nullptr).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* v = std::getenv(name); v != nullptr) old_ = v;
    if (value != nullptr) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(CertDirsTest, DefaultsAreTheUsersThenContainersThenDockerDirs) {
  ScopedCertsEnv env(nullptr);
  {
    ScopedEnv xdg("XDG_CONFIG_HOME", "/x/config");
    EXPECT_EQ(DefaultCertDirs(),
              (std::vector<std::string>{"/x/config/containers/certs.d", "/etc/containers/certs.d",
                                        "/etc/docker/certs.d"}));
    EXPECT_EQ(HttpTransportOptions{}.cert_dirs, DefaultCertDirs());
    EXPECT_EQ(RegistryOptions{}.cert_dirs, DefaultCertDirs());
  }
  {
    ScopedEnv xdg("XDG_CONFIG_HOME", "relative");  // not absolute: ignored
    ScopedEnv home("HOME", "/home/u");
    EXPECT_EQ(DefaultCertDirs(),
              (std::vector<std::string>{"/home/u/.config/containers/certs.d",
                                        "/etc/containers/certs.d", "/etc/docker/certs.d"}));
  }
  {
    ScopedEnv xdg("XDG_CONFIG_HOME", nullptr);
    ScopedEnv home("HOME", nullptr);
    EXPECT_EQ(DefaultCertDirs(),
              (std::vector<std::string>{"/etc/containers/certs.d", "/etc/docker/certs.d"}));
  }
}

TEST(CertDirsTest, EnvironmentOverrides) {
  {
    ScopedCertsEnv env("/tmp/a::/tmp/b");
    EXPECT_EQ(DefaultCertDirs(), (std::vector<std::string>{"/tmp/a", "/tmp/b"}));
    EXPECT_EQ(RegistryOptions{}.cert_dirs, (std::vector<std::string>{"/tmp/a", "/tmp/b"}));
  }
  {
    ScopedCertsEnv env("");
    EXPECT_TRUE(DefaultCertDirs().empty());
  }
}

class CertDirsFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("ocib-certs-d-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "127.0.0.1:9");
  }
  void TearDown() override { fs::remove_all(root_); }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(root_ / "127.0.0.1:9" / name) << text;
  }
  // One HTTPS request to a port nobody listens on: the TLS material is read
  // before connecting.
  HttpResult Request() {
    HttpTransportOptions o;
    o.cert_dirs = {(root_ / "missing").string(), root_.string()};
    o.connect_timeout_seconds = 2;
    auto t = MakeCurlTransport(o);
    HttpRequest req;
    req.method = "HEAD";
    req.url = "https://127.0.0.1:9/v2/";
    return t->RoundTrip(req);
  }
  fs::path root_;
};

TEST_F(CertDirsFiles, KeyWithoutCertificateIsAnError) {
  Write("client.key", "not a key");
  auto r = Request();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message().find("client.key has no matching certificate"), std::string::npos)
      << r.error().message();
  EXPECT_NE(r.error().message().find("127.0.0.1:9"), std::string::npos) << r.error().message();
}

TEST_F(CertDirsFiles, CertificateWithoutKeyIsAnError) {
  Write("client.cert", "not a cert");
  auto r = Request();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message().find("client.cert has no matching key file"), std::string::npos)
      << r.error().message();
}

TEST_F(CertDirsFiles, CompleteDirectoryGetsToTheNetwork) {
  Write("ca.crt", "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n");
  auto r = Request();
  ASSERT_FALSE(r.has_value());
  // Connection refused: the directory itself was accepted.
  EXPECT_EQ(r.error().code(), ErrorCode::kUnavailable) << r.error().ToString();
}

TEST_F(CertDirsFiles, UnreadableCaFileIsAnError) {
  HttpTransportOptions o;
  o.cert_dirs = {};
  o.ca_file = (root_ / "nope.pem").string();
  auto t = MakeCurlTransport(o);
  HttpRequest req;
  req.method = "HEAD";
  req.url = "https://127.0.0.1:9/v2/";
  auto r = t->RoundTrip(req);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message().find("nope.pem"), std::string::npos) << r.error().message();
}

}  // namespace
}  // namespace ocib
