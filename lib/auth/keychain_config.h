// Reading credentials out of a docker config.json or a containers
// auth.json text (lib/auth/keychain.cc), without running credential
// helpers: the part of the keychain that parses untrusted bytes.
#ifndef OCIB_LIB_AUTH_KEYCHAIN_CONFIG_H_
#define OCIB_LIB_AUTH_KEYCHAIN_CONFIG_H_

#include <string>
#include <string_view>

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
// finds the entry for `registry`. kInvalidArgument when the text is not a
// JSON object or the entry's "auth" is not base64 of "user:password".
Result<ConfigCredential> ParseConfigCredential(std::string_view text, const std::string& path,
                                               const std::string& registry, ConfigKind kind);

}  // namespace ocib::auth

#endif  // OCIB_LIB_AUTH_KEYCHAIN_CONFIG_H_
