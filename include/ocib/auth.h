// File: ocib/auth.h
//
// Registry credentials and where they come from.
//
// The default keychain reads, in order (the first that knows the registry
// wins; a missing file is not an error, a malformed one is):
//  1. Docker's config: $DOCKER_CONFIG/config.json, else ~/.docker/config.json.
//     The key for docker.io/index.docker.io is "https://index.docker.io/v1/";
//     other registries use host[:port]. `credHelpers[key]`, else
//     `credsStore`, runs `docker-credential-<name> get` (stdin: the key;
//     stdout: {"ServerURL","Username","Secret"}; "credentials not found"
//     means none). Otherwise `auths`: an exact key match first, then keys
//     that reduce to the host (scheme and path stripped, e.g.
//     "https://reg.example.com/v2/"), https:// keys before http:// keys before
//     bare keys, lexicographically within each group (deterministic).
//     `auth` (base64 user:password, split at the first ':') wins over
//     username/password; `identitytoken` and `registrytoken` are kept.
//  2. The containers auth files (containers-auth.json, podman's and
//     skopeo's): $REGISTRY_AUTH_FILE alone when it is set; else
//     $XDG_RUNTIME_DIR/containers/auth.json (/run/containers/$UID/auth.json
//     when XDG_RUNTIME_DIR is unset), then $XDG_CONFIG_HOME/containers/
//     auth.json (~/.config/containers/auth.json). Their keys may name a
//     repository or a namespace: for a repository, the most specific key
//     wins ("host/ns/repo" over "host/ns" over "host"), and such an entry
//     comes before docker's config.json; a key with a path never applies
//     outside it. Host entries come after docker's config.json.
// No credential means anonymous: Resolve returns an empty Credential.
//
// Secrets never appear in error messages.
//
// Thread safety: keychains are safe for concurrent use.
#ifndef OCIB_INCLUDE_OCIB_AUTH_H_
#define OCIB_INCLUDE_OCIB_AUTH_H_

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "ocib/export.h"
#include "ocib/status.h"

namespace ocib {

struct OCIB_EXPORT Credential {
  std::string username;
  std::string password;
  // An OAuth2 refresh token (docker's identitytoken, helper Username
  // "<token>").
  std::string identity_token;
  // A bearer token to send as is.
  std::string registry_token;

  bool empty() const {
    return username.empty() && password.empty() && identity_token.empty() && registry_token.empty();
  }
};

class OCIB_EXPORT Keychain {
 public:
  virtual ~Keychain() = default;
  // Credentials for `registry` (a reference's domain: "docker.io",
  // "127.0.0.1:5000"). Empty when none are configured.
  virtual Result<Credential> Resolve(const std::string& registry) = 0;
  // Credentials for `repository` ("team/app") of `registry`: an entry for
  // the repository or a namespace of it where the keychain has one, else
  // Resolve(registry). Registry sessions ask this one.
  virtual Result<Credential> ResolveRepository(const std::string& registry,
                                               const std::string& /*repository*/) {
    return Resolve(registry);
  }
};

// The keychain described above, reading the environment at each Resolve.
OCIB_EXPORT std::unique_ptr<Keychain> MakeDefaultKeychain();
// Fixed credentials by registry (tests, embedding applications).
OCIB_EXPORT std::unique_ptr<Keychain> MakeStaticKeychain(
    std::map<std::string, Credential> credentials);

// The config.json key for `registry`: "https://index.docker.io/v1/" for
// docker.io and index.docker.io, else `registry` unchanged.
OCIB_EXPORT std::string DockerConfigKey(std::string_view registry);
// docker/cli's ConvertToHostname: strips "http://", "https://" and any path.
OCIB_EXPORT std::string ConvertToHostname(std::string_view url);
// The docker config file in use: $DOCKER_CONFIG/config.json or
// ~/.docker/config.json.
OCIB_EXPORT std::string DockerConfigPath();

// `ocib login`: stores `credential` for `registry` in the credential helper
// configured for it, or else base64 in config.json `auths`; the file is
// (re)written atomically with mode 0600, keeping all other content.
OCIB_EXPORT Status StoreCredential(const std::string& registry, const Credential& credential);
// `ocib logout`: removes the entry (and asks the helper to erase it).
// kNotFound when there was nothing to remove.
OCIB_EXPORT Status EraseCredential(const std::string& registry);

}  // namespace ocib

#endif  // OCIB_INCLUDE_OCIB_AUTH_H_
