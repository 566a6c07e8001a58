// Docker config.json / containers auth.json keychain and docker credential
// helpers. Secrets stay in Credential values; no message built here
// contains one.
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <optional>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ocib/auth.h"

#include "lib/auth/base64.h"
#include "lib/auth/keychain_config.h"
#include "lib/core/env.h"
#include "lib/io/fs_util.h"
#include "lib/io/streams.h"
#include <sys/stat.h>
#include <sys/wait.h>

namespace ocib {
namespace {

using nlohmann::json;

constexpr std::string_view kDockerHubKey = "https://index.docker.io/v1/";

std::string HomeDir() {
  if (std::string home = env::GetOr("HOME", ""); !home.empty()) return home;
  passwd pw{};
  passwd* found = nullptr;
  std::vector<char> buf(16384);
  if (::getpwuid_r(::getuid(), &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr &&
      pw.pw_dir != nullptr) {
    return pw.pw_dir;
  }
  return "/";
}

std::string Env(const char* name) { return env::Get(name).value_or(""); }

// Reads a config file; a missing file yields nullopt.
Result<std::optional<std::string>> ReadConfigFile(const std::string& path) {
  auto bytes = fsutil::ReadFile(path, size_t{4} << 20);
  if (!bytes) {
    if (bytes.error().code() == ErrorCode::kNotFound) return std::optional<std::string>();
    return std::move(bytes).error().With(fmt::format("reading {}", path));
  }
  return std::optional<std::string>(std::move(*bytes));
}

Result<json> ParseConfigJson(std::string_view text, const std::string& path) {
  json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return InvalidArgument(fmt::format("parsing config file {}: not a JSON object", path));
  }
  return j;
}

// Reads a JSON config; a missing file yields null json.
Result<json> LoadJsonFile(const std::string& path) {
  OCIB_ASSIGN_OR_RETURN(std::optional<std::string> bytes, ReadConfigFile(path));
  if (!bytes) return json();
  return ParseConfigJson(*bytes, path);
}

std::string StringField(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

Result<Credential> CredentialFromEntry(const json& entry, const std::string& path,
                                       const std::string& key) {
  Credential c;
  if (!entry.is_object()) return c;
  c.username = StringField(entry, "username");
  c.password = StringField(entry, "password");
  std::string auth = StringField(entry, "auth");
  if (!auth.empty()) {
    auto decoded = Base64Decode(auth);
    if (!decoded) {
      return InvalidArgument(
          fmt::format("parsing config file {}: auths[\"{}\"].auth is not base64", path, key));
    }
    size_t colon = decoded->find(':');
    if (colon == std::string::npos || colon == 0) {
      return InvalidArgument(
          fmt::format("parsing config file {}: invalid auth configuration for \"{}\"", path, key));
    }
    c.username = decoded->substr(0, colon);
    c.password = decoded->substr(colon + 1);
    while (!c.password.empty() && c.password.back() == '\0') c.password.pop_back();
  }
  c.identity_token = StringField(entry, "identitytoken");
  c.registry_token = StringField(entry, "registrytoken");
  return c;
}

// Finds the auths entry for `key`: exact, then keys reducing to the same
// host (https://, http://, bare; lexicographic within each). Without
// `bare_keys`, only keys with a scheme reduce to the host (a containers
// auth.json's bare "host/ns" names a namespace, not the host). `matched`
// receives the key found.
const json* FindAuthEntry(const json& auths, const std::string& key, const std::string& host,
                          bool bare_keys = true, std::string* matched = nullptr) {
  if (!auths.is_object()) return nullptr;
  auto exact = auths.find(key);
  if (exact != auths.end()) {
    if (matched != nullptr) *matched = key;
    return &*exact;
  }
  std::vector<std::pair<int, std::string>> candidates;
  for (auto it = auths.begin(); it != auths.end(); ++it) {
    const std::string& k = it.key();
    if (ConvertToHostname(k) != host) continue;
    int rank = k.rfind("https://", 0) == 0 ? 0 : k.rfind("http://", 0) == 0 ? 1 : 2;
    if (rank == 2 && !bare_keys) continue;
    candidates.emplace_back(rank, k);
  }
  if (candidates.empty()) return nullptr;
  std::sort(candidates.begin(), candidates.end());
  if (matched != nullptr) *matched = candidates.front().second;
  return &auths.at(candidates.front().second);
}

// `repository` and each namespace above it, most specific first:
// "team/app/sub", "team/app", "team".
std::vector<std::string> RepositoryAndNamespaces(std::string_view repository) {
  std::vector<std::string> out;
  for (std::string_view r = repository; !r.empty();) {
    out.emplace_back(r);
    const size_t slash = r.rfind('/');
    r = slash == std::string_view::npos ? std::string_view() : r.substr(0, slash);
  }
  return out;
}

// The entry of a containers auth.json for `repository` of `registry`, the
// most specific key first: "host/ns/repo", "host/ns", then the host itself
// ("host", or a legacy "https://host/..." key). A key with a path never
// applies to repositories outside it. `key` receives the key used.
const json* FindContainersAuthEntry(const json& auths, const std::string& registry,
                                    std::string_view repository, std::string* key) {
  if (!auths.is_object()) return nullptr;
  const bool hub = registry == "docker.io" || registry == "index.docker.io" ||
                   registry == "registry-1.docker.io";
  const std::vector<std::string> hosts =
      hub ? std::vector<std::string>{"docker.io", "index.docker.io"}
          : std::vector<std::string>{registry};
  for (const std::string& r : RepositoryAndNamespaces(repository)) {
    for (const std::string& h : hosts) {
      std::string k = h + "/" + r;
      if (auto it = auths.find(k); it != auths.end()) {
        *key = k;
        return &*it;
      }
    }
  }
  for (const std::string& h : hosts) {
    if (auto it = auths.find(h); it != auths.end()) {
      *key = h;
      return &*it;
    }
  }
  // Legacy keys with a scheme ("https://host/v1/") name the host.
  for (const std::string& h : hosts) {
    if (const json* e = FindAuthEntry(auths, h, h, /*bare_keys=*/false, key)) return e;
  }
  *key = hub ? "docker.io" : registry;
  return nullptr;
}

struct ProcessResult {
  int exit_code = -1;
  std::string out;
};

// Runs `argv` with `input` on stdin; captures stdout (stderr discarded).
Result<ProcessResult> RunHelper(const std::vector<std::string>& argv, const std::string& input) {
  int in_pipe[2];
  int out_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0) return IoError("pipe failed");
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    ::close(in_pipe[0]);
    ::close(in_pipe[1]);
    return IoError("pipe failed");
  }
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // Write stdin before the child exists: the input is far below the pipe
  // capacity, and a helper that exits without reading cannot raise SIGPIPE.
  if (input.size() > 16384) return InvalidArgument("credential helper input too large");
  size_t off = 0;
  while (off < input.size()) {
    ssize_t n = ::write(in_pipe[1], input.data() + off, input.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  ::close(in_pipe[1]);
  pid_t pid = ::fork();
  if (pid < 0) return IoError("fork failed");
  if (pid == 0) {
    ::dup2(in_pipe[0], 0);
    ::dup2(out_pipe[1], 1);
    int devnull = ::open("/dev/null", O_WRONLY);
    if (devnull >= 0) ::dup2(devnull, 2);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  ProcessResult r;
  char buf[4096];
  while (true) {
    ssize_t n = ::read(out_pipe[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (r.out.size() < (size_t{1} << 20)) r.out.append(buf, static_cast<size_t>(n));
  }
  ::close(out_pipe[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string TrimWs(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  size_t b = s.find_first_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b);
}

Result<Credential> HelperGet(const std::string& helper, const std::string& key) {
  std::string program = "docker-credential-" + helper;
  auto r = RunHelper({program, "get"}, key + "\n");
  if (!r) return std::move(r).error().With(fmt::format("running {}", program));
  if (r->exit_code == 127) {
    return NotFound(fmt::format("credential helper {} not found in PATH", program));
  }
  if (r->exit_code != 0) {
    std::string msg = TrimWs(r->out);
    if (msg == "credentials not found in native keychain") return Credential{};
    // The helper's message does not contain the secret (it failed).
    return Error(ErrorCode::kUnauthenticated,
                 fmt::format("{} get {} failed: {}", program, key, msg.substr(0, 200)));
  }
  json j = json::parse(r->out, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Error(ErrorCode::kUnauthenticated,
                 fmt::format("{} get {}: malformed answer", program, key));
  }
  Credential c;
  std::string user = StringField(j, "Username");
  std::string secret = StringField(j, "Secret");
  if (user == "<token>") {
    c.identity_token = secret;
  } else {
    c.username = user;
    c.password = secret;
  }
  return c;
}

Result<Credential> ResolveFromDockerConfig(const std::string& registry, bool* found) {
  std::string path = DockerConfigPath();
  OCIB_ASSIGN_OR_RETURN(std::optional<std::string> bytes, ReadConfigFile(path));
  *found = false;
  if (!bytes) return Credential{};
  OCIB_ASSIGN_OR_RETURN(
      auth::ConfigCredential file,
      auth::ParseConfigCredential(*bytes, path, registry, auth::ConfigKind::kDockerConfig));
  if (!file.helper.empty()) {
    OCIB_ASSIGN_OR_RETURN(Credential c, HelperGet(file.helper, file.key));
    if (!c.empty()) {
      *found = true;
      // The helper's answer overwrites the file entry's fields.
      file.credential.username = c.username;
      file.credential.password = c.password;
      if (!c.identity_token.empty()) file.credential.identity_token = c.identity_token;
      return file.credential;
    }
    return Credential{};
  }
  *found = file.found;
  return file.credential;
}

// The entry of the containers auth file at `path` for `repository` of
// `registry`; `specific` tells whether its key names a repository or a
// namespace rather than the host.
Result<Credential> ResolveFromAuthFile(const std::string& path, const std::string& registry,
                                       const std::string& repository, bool* found, bool* specific) {
  *found = false;
  *specific = false;
  OCIB_ASSIGN_OR_RETURN(std::optional<std::string> bytes, ReadConfigFile(path));
  if (!bytes) return Credential{};
  OCIB_ASSIGN_OR_RETURN(auth::ConfigCredential file,
                        auth::ParseConfigCredential(*bytes, path, registry,
                                                    auth::ConfigKind::kContainersAuth, repository));
  *found = file.found;
  *specific = file.found && file.key.find("://") == std::string::npos &&
              file.key.find('/') != std::string::npos;
  return file.credential;
}

// Most specific key first: a containers auth file's entry for the
// repository or a namespace of it; then docker's config.json (hosts only);
// then the containers files' entries for the host.
class DefaultKeychain : public Keychain {
 public:
  Result<Credential> Resolve(const std::string& registry) override {
    return ResolveRepository(registry, "");
  }
  Result<Credential> ResolveRepository(const std::string& registry,
                                       const std::string& repository) override {
    std::optional<Credential> host_entry;
    for (const std::string& f : auth::ContainersAuthFiles()) {
      bool found = false;
      bool specific = false;
      OCIB_ASSIGN_OR_RETURN(Credential fc,
                            ResolveFromAuthFile(f, registry, repository, &found, &specific));
      if (found && specific) return fc;
      if (found && !host_entry) host_entry = fc;
    }
    bool found = false;
    OCIB_ASSIGN_OR_RETURN(Credential c, ResolveFromDockerConfig(registry, &found));
    if (found) return c;
    return host_entry.value_or(Credential{});
  }
};

class StaticKeychain : public Keychain {
 public:
  explicit StaticKeychain(std::map<std::string, Credential> creds) : creds_(std::move(creds)) {}
  Result<Credential> Resolve(const std::string& registry) override {
    auto it = creds_.find(registry);
    return it == creds_.end() ? Credential{} : it->second;
  }
  Result<Credential> ResolveRepository(const std::string& registry,
                                       const std::string& repository) override {
    for (const std::string& r : RepositoryAndNamespaces(repository)) {
      if (auto it = creds_.find(registry + "/" + r); it != creds_.end()) return it->second;
    }
    return Resolve(registry);
  }

 private:
  std::map<std::string, Credential> creds_;
};

// Credentials: readable by their owner only.
Status WritePrivateFile(const std::string& path, const std::string& bytes) {
  return fsutil::WriteFileAtomic(path, bytes, 0600);
}

std::string HelperFor(const json& cfg, const std::string& key) {
  std::string helper;
  if (auto helpers = cfg.find("credHelpers"); helpers != cfg.end() && helpers->is_object()) {
    helper = StringField(*helpers, key.c_str());
  }
  if (helper.empty()) helper = StringField(cfg, "credsStore");
  return helper;
}

}  // namespace

namespace auth {

std::vector<std::string> ContainersAuthFiles() {
  if (std::string f = Env("REGISTRY_AUTH_FILE"); !f.empty()) return {f};
  std::vector<std::string> files;
  if (std::string d = Env("XDG_RUNTIME_DIR"); !d.empty()) {
    files.push_back(d + "/containers/auth.json");
  } else {
    files.push_back("/run/containers/" + std::to_string(::getuid()) + "/auth.json");
  }
  if (std::string c = Env("XDG_CONFIG_HOME"); !c.empty()) {
    files.push_back(c + "/containers/auth.json");
  } else if (std::string h = HomeDir(); !h.empty()) {
    files.push_back(h + "/.config/containers/auth.json");
  }
  return files;
}

Result<ConfigCredential> ParseConfigCredential(std::string_view text, const std::string& path,
                                               const std::string& registry, ConfigKind kind,
                                               std::string_view repository) {
  OCIB_ASSIGN_OR_RETURN(json cfg, ParseConfigJson(text, path));
  ConfigCredential out;
  auto auths = cfg.find("auths");
  const json* entry = nullptr;
  if (kind == ConfigKind::kDockerConfig) {
    out.key = DockerConfigKey(registry);
    if (auths != cfg.end()) entry = FindAuthEntry(*auths, out.key, ConvertToHostname(out.key));
    out.helper = HelperFor(cfg, out.key);
  } else if (auths != cfg.end()) {
    entry = FindContainersAuthEntry(*auths, registry, repository, &out.key);
  }
  if (entry == nullptr) return out;
  OCIB_ASSIGN_OR_RETURN(out.credential, CredentialFromEntry(*entry, path, out.key));
  out.found = !out.credential.empty();
  return out;
}

}  // namespace auth

std::string DockerConfigKey(std::string_view registry) {
  if (registry == "docker.io" || registry == "index.docker.io" ||
      registry == "registry-1.docker.io") {
    return std::string(kDockerHubKey);
  }
  return std::string(registry);
}

std::string ConvertToHostname(std::string_view url) {
  std::string_view s = url;
  bool had_scheme = true;
  if (s.rfind("http://", 0) == 0) {
    s.remove_prefix(7);
  } else if (s.rfind("https://", 0) == 0) {
    s.remove_prefix(8);
  } else {
    had_scheme = false;
  }
  size_t slash = s.find('/');
  if (slash != std::string_view::npos) s = s.substr(0, slash);
  std::string host(s);
  // "https://::1:6555" names [::1]:6555 (an unbracketed IPv6 with a port).
  if (had_scheme && host.find('[') == std::string::npos &&
      std::count(host.begin(), host.end(), ':') > 1) {
    size_t colon = host.rfind(':');
    host = "[" + host.substr(0, colon) + "]" + host.substr(colon);
  }
  return host;
}

std::string DockerConfigPath() {
  std::string dir = Env("DOCKER_CONFIG");
  if (dir.empty()) dir = HomeDir() + "/.docker";
  return dir + "/config.json";
}

std::unique_ptr<Keychain> MakeDefaultKeychain() { return std::make_unique<DefaultKeychain>(); }

std::unique_ptr<Keychain> MakeStaticKeychain(std::map<std::string, Credential> credentials) {
  return std::make_unique<StaticKeychain>(std::move(credentials));
}

Status StoreCredential(const std::string& registry, const Credential& credential) {
  std::string path = DockerConfigPath();
  OCIB_ASSIGN_OR_RETURN(json cfg, LoadJsonFile(path));
  if (cfg.is_null()) cfg = json::object();
  if (auto auths = cfg.find("auths");
      auths != cfg.end() && !auths->is_object() && !auths->is_null()) {
    return InvalidArgument(
        fmt::format("updating config file {}: \"auths\" is not a JSON object", path));
  }
  std::string key = DockerConfigKey(registry);
  std::string helper = HelperFor(cfg, key);
  if (!helper.empty()) {
    std::string program = "docker-credential-" + helper;
    json payload = {
        {"ServerURL", key}, {"Username", credential.username}, {"Secret", credential.password}};
    auto r = RunHelper({program, "store"}, payload.dump());
    if (!r) return std::move(r).error().With(fmt::format("running {}", program));
    if (r->exit_code != 0) {
      return IoError(
          fmt::format("{} store {} failed: {}", program, key, TrimWs(r->out).substr(0, 200)));
    }
    // Keep an (empty) auths entry so `docker login` semantics hold.
    cfg["auths"][key] = json::object();
  } else {
    cfg["auths"][key] = {{"auth", Base64Encode(credential.username + ":" + credential.password)}};
  }
  return WritePrivateFile(path, cfg.dump(1, '\t') + "\n");
}

Status EraseCredential(const std::string& registry) {
  std::string path = DockerConfigPath();
  OCIB_ASSIGN_OR_RETURN(json cfg, LoadJsonFile(path));
  if (cfg.is_null()) return NotFound(fmt::format("not logged in to {}", registry));
  std::string key = DockerConfigKey(registry);
  bool removed = false;
  std::string helper = HelperFor(cfg, key);
  if (!helper.empty()) {
    auto r = RunHelper({"docker-credential-" + helper, "erase"}, key + "\n");
    if (r && r->exit_code == 0) removed = true;
  }
  if (auto auths = cfg.find("auths"); auths != cfg.end() && auths->is_object()) {
    // Remove the exact key and every key that reduces to the same host.
    std::vector<std::string> keys;
    for (auto it = auths->begin(); it != auths->end(); ++it) {
      if (it.key() == key || ConvertToHostname(it.key()) == ConvertToHostname(key)) {
        keys.push_back(it.key());
      }
    }
    for (const std::string& k : keys) auths->erase(k);
    removed = removed || !keys.empty();
  }
  if (!removed) return NotFound(fmt::format("not logged in to {}", registry));
  return WritePrivateFile(path, cfg.dump(1, '\t') + "\n");
}

}  // namespace ocib
