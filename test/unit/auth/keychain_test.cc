// The keychain (lib/auth/keychain.cc): Docker config.json / auth.json
// lookup, credential helpers, login files.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "ocib/auth.h"

#include "lib/auth/base64.h"
#include "lib/auth/keychain_config.h"
#include "test/registry/test_util.h"
#include <sys/stat.h>

namespace ocib {
namespace {

namespace fs = std::filesystem;

class KeychainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ocib-keychain-test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ::setenv("DOCKER_CONFIG", (dir_ + "/docker").c_str(), 1);
    ::setenv("HOME", dir_.c_str(), 1);
    ::unsetenv("REGISTRY_AUTH_FILE");
    ::unsetenv("XDG_RUNTIME_DIR");
    ::unsetenv("XDG_CONFIG_HOME");
    fs::create_directories(dir_ + "/docker");
  }
  void TearDown() override { fs::remove_all(dir_); }

  void WriteFile(const std::string& path, const std::string& text) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path) << text;
  }
  void WriteConfig(const std::string& text) { WriteFile(dir_ + "/docker/config.json", text); }

  Credential Resolve(const std::string& registry) {
    auto k = MakeDefaultKeychain();
    auto r = k->Resolve(registry);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().ToString());
    return r.value_or(Credential{});
  }

  Credential ResolveRepo(const std::string& registry, const std::string& repo) {
    auto r = MakeDefaultKeychain()->ResolveRepository(registry, repo);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().ToString());
    return r.value_or(Credential{});
  }
  static std::string Entry(const std::string& user) {
    return R"({"auth":")" + Base64Encode(user + ":pw") + R"("})";
  }

  std::string dir_;
};

TEST(ConvertToHostnameTest, DockerCliVectors) {
  auto v = testing::LoadFixture("convert_to_hostname.json");
  int checked = 0;
  for (const auto& c : v["cases"]) {
    if (c.contains("note") && c["note"].get<std::string>().find("FIXME") != std::string::npos) {
      continue;
    }
    EXPECT_EQ(ConvertToHostname(c["input"].get<std::string>()), c["expected"].get<std::string>())
        << c["input"];
    ++checked;
  }
  EXPECT_EQ(checked, 16);  // an emptied fixture fails instead of passing
}

TEST_F(KeychainTest, MissingConfigIsAnonymous) { EXPECT_TRUE(Resolve("example.com").empty()); }

TEST_F(KeychainTest, MalformedConfigIsAnError) {
  WriteConfig("{not json");
  auto r = MakeDefaultKeychain()->Resolve("example.com");
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().ToString().find("config.json"), std::string::npos);
}

TEST_F(KeychainTest, DockerHubKeyAndHostForms) {
  WriteConfig(R"({"auths":{
    "https://index.docker.io/v1/":{"auth":"aHViOmh1YnBhc3M="},
    "http://reg.example.com/v2/":{"auth":"aHR0cDpodHRw"},
    "https://reg.example.com":{"auth":"aHR0cHM6aHR0cHM="},
    "127.0.0.1:5000":{"username":"u","password":"p:with:colons"}}})");
  Credential hub = Resolve("docker.io");
  EXPECT_EQ(hub.username, "hub");
  EXPECT_EQ(hub.password, "hubpass");
  // https:// keys win over http:// keys that reduce to the same host.
  EXPECT_EQ(Resolve("reg.example.com").username, "https");
  Credential local = Resolve("127.0.0.1:5000");
  EXPECT_EQ(local.username, "u");
  EXPECT_EQ(local.password, "p:with:colons");
  EXPECT_TRUE(Resolve("other.example.com").empty());
}

TEST_F(KeychainTest, AuthSplitsAtFirstColon) {
  WriteConfig(R"({"auths":{"r.io":{"auth":")" + Base64Encode("user:pa:ss") + R"("}}})");
  Credential c = Resolve("r.io");
  EXPECT_EQ(c.username, "user");
  EXPECT_EQ(c.password, "pa:ss");
}

TEST_F(KeychainTest, CredentialHelper) {
  std::string bin = dir_ + "/bin";
  WriteFile(bin + "/docker-credential-fake",
            "#!/bin/sh\nread key\nif [ \"$1\" = get ] && [ \"$key\" = r.io ]; then\n"
            "  echo '{\"ServerURL\":\"r.io\",\"Username\":\"helper\",\"Secret\":\"s3cret\"}'\n"
            "  exit 0\nfi\necho 'credentials not found in native keychain'\nexit 1\n");
  fs::permissions(bin + "/docker-credential-fake", fs::perms::owner_all);
  std::string path = bin + ":" + std::string(std::getenv("PATH"));
  ::setenv("PATH", path.c_str(), 1);
  WriteConfig(
      R"({"auths":{"r.io":{"auth":"aWdub3JlZDppZ25vcmVk"},"other.io":{"auth":"aWdub3JlZDppZ25vcmVk"}},
                 "credHelpers":{"r.io":"fake"},"credsStore":"fake"})");
  Credential c = Resolve("r.io");
  EXPECT_EQ(c.username, "helper");
  EXPECT_EQ(c.password, "s3cret");
  // credsStore answers "not found" for other.io: the inline auth is ignored.
  EXPECT_TRUE(Resolve("other.io").empty());
}

TEST_F(KeychainTest, MissingHelperIsAnError) {
  WriteConfig(R"({"credsStore":"does-not-exist-ocib"})");
  EXPECT_FALSE(MakeDefaultKeychain()->Resolve("r.io").has_value());
}

TEST_F(KeychainTest, ContainersAuthFilesAfterDockerConfig) {
  WriteFile(dir_ + "/auth.json",
            R"({"auths":{"r.io":{"auth":")" + Base64Encode("podman:pw") + R"("}}})");
  ::setenv("REGISTRY_AUTH_FILE", (dir_ + "/auth.json").c_str(), 1);
  EXPECT_EQ(Resolve("r.io").username, "podman");
  WriteFile(dir_ + "/run/containers/auth.json",
            R"({"auths":{"x.io":{"auth":")" + Base64Encode("xdg:pw") + R"("}}})");
  ::setenv("XDG_RUNTIME_DIR", (dir_ + "/run").c_str(), 1);
  // $REGISTRY_AUTH_FILE, when set, is the only containers file read.
  EXPECT_TRUE(Resolve("x.io").empty());
  ::unsetenv("REGISTRY_AUTH_FILE");
  EXPECT_EQ(Resolve("x.io").username, "xdg");
  ::setenv("REGISTRY_AUTH_FILE", (dir_ + "/auth.json").c_str(), 1);
  WriteConfig(R"({"auths":{"r.io":{"auth":")" + Base64Encode("docker:pw") + R"("}}})");
  EXPECT_EQ(Resolve("r.io").username, "docker");
}

TEST_F(KeychainTest, ContainersAuthFilesAreReadWherePodmanKeepsThem) {
  // Without XDG_RUNTIME_DIR: podman's default runtime file, then the
  // config home's.
  auto files = auth::ContainersAuthFiles();
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0], "/run/containers/" + std::to_string(::getuid()) + "/auth.json");
  EXPECT_EQ(files[1], dir_ + "/.config/containers/auth.json");
  ::setenv("XDG_RUNTIME_DIR", (dir_ + "/run").c_str(), 1);
  ::setenv("XDG_CONFIG_HOME", (dir_ + "/cfg").c_str(), 1);
  files = auth::ContainersAuthFiles();
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0], dir_ + "/run/containers/auth.json");
  EXPECT_EQ(files[1], dir_ + "/cfg/containers/auth.json");
  ::setenv("REGISTRY_AUTH_FILE", (dir_ + "/mine.json").c_str(), 1);
  EXPECT_EQ(auth::ContainersAuthFiles(), std::vector<std::string>{dir_ + "/mine.json"});
  ::unsetenv("REGISTRY_AUTH_FILE");
  ::unsetenv("XDG_CONFIG_HOME");
  // ~/.config/containers/auth.json is read.
  WriteFile(dir_ + "/.config/containers/auth.json", R"({"auths":{"c.io":)" + Entry("cfg") + "}}");
  EXPECT_EQ(Resolve("c.io").username, "cfg");
}

TEST_F(KeychainTest, MostSpecificContainersKeyWins) {
  ::setenv("REGISTRY_AUTH_FILE", (dir_ + "/auth.json").c_str(), 1);
  WriteFile(dir_ + "/auth.json", R"({"auths":{"r.io":)" + Entry("host") + R"(,"r.io/team":)" +
                                     Entry("team") + R"(,"r.io/team/app":)" + Entry("app") +
                                     R"(,"docker.io/library":)" + Entry("lib") + "}}");
  EXPECT_EQ(ResolveRepo("r.io", "team/app").username, "app");
  EXPECT_EQ(ResolveRepo("r.io", "team/app/sub").username, "app");
  EXPECT_EQ(ResolveRepo("r.io", "team/other").username, "team");
  EXPECT_EQ(ResolveRepo("r.io", "teamx/app").username, "host");  // a key is a path, not a prefix
  EXPECT_EQ(ResolveRepo("r.io", "other").username, "host");
  EXPECT_EQ(Resolve("r.io").username, "host");
  EXPECT_EQ(ResolveRepo("docker.io", "library/alpine").username, "lib");
  EXPECT_TRUE(ResolveRepo("docker.io", "someone/app").empty());
}

TEST_F(KeychainTest, NamespacedKeyNeverAppliesToTheWholeHost) {
  ::setenv("REGISTRY_AUTH_FILE", (dir_ + "/auth.json").c_str(), 1);
  WriteFile(dir_ + "/auth.json", R"({"auths":{"r.io/team":)" + Entry("team") + "}}");
  EXPECT_TRUE(Resolve("r.io").empty());
  EXPECT_TRUE(ResolveRepo("r.io", "other/app").empty());
  EXPECT_EQ(ResolveRepo("r.io", "team/app").username, "team");
  // A legacy key with a scheme names the host.
  WriteFile(dir_ + "/auth.json", R"({"auths":{"https://r.io/v1/":)" + Entry("legacy") + "}}");
  EXPECT_EQ(ResolveRepo("r.io", "other/app").username, "legacy");
}

TEST_F(KeychainTest, RepositoryEntryBeatsDockerConfigHostEntry) {
  WriteConfig(R"({"auths":{"r.io":)" + Entry("docker") + "}}");
  ::setenv("REGISTRY_AUTH_FILE", (dir_ + "/auth.json").c_str(), 1);
  WriteFile(dir_ + "/auth.json",
            R"({"auths":{"r.io":)" + Entry("podman") + R"(,"r.io/team":)" + Entry("team") + "}}");
  EXPECT_EQ(ResolveRepo("r.io", "team/app").username, "team");
  EXPECT_EQ(ResolveRepo("r.io", "other/app").username, "docker");
}

TEST(StaticKeychainTest, MostSpecificKeyWins) {
  auto k =
      MakeStaticKeychain({{"r.io", {"host", "", "", ""}}, {"r.io/team", {"team", "", "", ""}}});
  EXPECT_EQ(k->ResolveRepository("r.io", "team/app")->username, "team");
  EXPECT_EQ(k->ResolveRepository("r.io", "teamx/app")->username, "host");
  EXPECT_EQ(k->Resolve("r.io")->username, "host");
}

TEST_F(KeychainTest, StoreAndEraseWriteMode0600) {
  WriteConfig(R"({"auths":{},"psFormat":"keep me"})");
  Credential c;
  c.username = "ocib";
  c.password = "ocibpass";
  ASSERT_TRUE(StoreCredential("docker.io", c).has_value());
  struct stat st {};
  ASSERT_EQ(::stat((dir_ + "/docker/config.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  Credential back = Resolve("docker.io");
  EXPECT_EQ(back.username, "ocib");
  EXPECT_EQ(back.password, "ocibpass");
  std::ifstream in(dir_ + "/docker/config.json");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("https://index.docker.io/v1/"), std::string::npos);
  EXPECT_NE(text.find("keep me"), std::string::npos);
  ASSERT_TRUE(EraseCredential("docker.io").has_value());
  EXPECT_TRUE(Resolve("docker.io").empty());
  EXPECT_EQ(EraseCredential("docker.io").error().code(), ErrorCode::kNotFound);
}

TEST_F(KeychainTest, StoreRefusesAuthsThatIsNotAnObject) {
  const std::string text = R"({"auths":["not","an","object"]})";
  WriteConfig(text);
  Credential c;
  c.username = "ocib";
  c.password = "ocibpass";
  auto r = StoreCredential("example.com", c);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().ToString().find("\"auths\" is not a JSON object"), std::string::npos);
  std::ifstream in(dir_ + "/docker/config.json");
  std::string back((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(back, text);
}

}  // namespace
}  // namespace ocib
