// Reading credentials out of a docker config.json or a containers
// auth.json text (lib/auth/keychain.cc), without running credential
// helpers: the part of the keychain that parses untrusted bytes.
#ifndef OCIB_LIB_AUTH_KEYCHAIN_CONFIG_H_
#define OCIB_LIB_AUTH_KEYCHAIN_CONFIG_H_

#include <string>
#include <string_view>
#include <vector>

#include "ocib/auth.h"
#include "ocib/status.h"

namespace ocib::auth {

enum class ConfigKind { kDockerConfig, kContainersAuth };

struct ConfigCredential {
  Credential credential;  // the file's own entry for the registry (may be empty)
  bool found = false;     // an entry with a credential exists
  std::string key;        // the auths key looked up
  // docker config.json only: the helper to ask (credHelpers[key], else
  // credsStore); empty when none is configured.
  std::string helper;
};

// Parses `text`, the contents of the file at `path` (used in messages), and
// finds the entry for `registry` (and, in a containers auth.json, for
// `repository` of it: the most specific key "host/ns/repo", "host/ns",
// "host" wins; docker's config.json keys name hosts only). kInvalidArgument
// when the text is not a JSON object or the entry's "auth" is not base64 of
// "user:password".
Result<ConfigCredential> ParseConfigCredential(std::string_view text, const std::string& path,
                                               const std::string& registry, ConfigKind kind,
                                               std::string_view repository = {});

// The containers auth files the default keychain reads after docker's
// config.json, in order (podman's and skopeo's rules): $REGISTRY_AUTH_FILE
// alone when set; else $XDG_RUNTIME_DIR/containers/auth.json (or
// /run/containers/$UID/auth.json without XDG_RUNTIME_DIR, podman's default
// for root), then $XDG_CONFIG_HOME/containers/auth.json (or
// ~/.config/containers/auth.json).
std::vector<std::string> ContainersAuthFiles();

}  // namespace ocib::auth

#endif  // OCIB_LIB_AUTH_KEYCHAIN_CONFIG_H_
