// The bearer token server's answer (distribution's token authentication
// specification): a JSON object with "token" (or the OAuth2
// "access_token") and an optional "expires_in" in seconds.
#ifndef OCIB_LIB_REGISTRY_TOKEN_ANSWER_H_
#define OCIB_LIB_REGISTRY_TOKEN_ANSWER_H_

#include <chrono>
#include <string>
#include <string_view>

#include "ocib/status.h"

namespace ocib::registry {

struct TokenAnswer {
  std::string token;
  // How long the client may reuse the token: expires_in (at least 60 s, the
  // specification's default, and at most one day) less 5 s of margin.
  std::chrono::seconds lifetime{55};
};

// Parses the token server's 200 answer body. kUnavailable when the body is
// not a JSON object or holds no token.
Result<TokenAnswer> ParseTokenAnswer(std::string_view body);

}  // namespace ocib::registry

#endif  // OCIB_LIB_REGISTRY_TOKEN_ANSWER_H_
