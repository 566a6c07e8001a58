// WWW-Authenticate parsing (RFC 7235 §2.1 / §4.1) and bearer scopes.
#ifndef OCIB_LIB_REGISTRY_CHALLENGE_H_
#define OCIB_LIB_REGISTRY_CHALLENGE_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ocib/status.h"

namespace ocib::registry {

struct Challenge {
  std::string scheme;                         // lower case: "bearer", "basic"
  std::map<std::string, std::string> params;  // names lower case, values verbatim

  std::string Param(const std::string& name) const {
    auto it = params.find(name);
    return it == params.end() ? std::string() : it->second;
  }
};

// Parses one header value holding one or more comma-separated challenges.
// Quoted strings support backslash escapes; empty list elements are
// skipped. kInvalidArgument on a missing comma between parameters, an
// unterminated quoted string, or a quoted scheme or parameter name.
Result<std::vector<Challenge>> ParseWwwAuthenticate(std::string_view value);
// Parses every header line and concatenates the challenges, skipping
// malformed lines.
std::vector<Challenge> ParseChallenges(const std::vector<std::string>& values);

}  // namespace ocib::registry

#endif  // OCIB_LIB_REGISTRY_CHALLENGE_H_
