#include "lib/registry/token_answer.h"

#include <algorithm>
#include <cstdint>

#include <nlohmann/json.hpp>

namespace ocib::registry {

using nlohmann::json;

Result<TokenAnswer> ParseTokenAnswer(std::string_view body) {
  json j = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Error(ErrorCode::kUnavailable, "the token server answered no JSON object");
  }
  TokenAnswer answer;
  if (j.contains("token") && j["token"].is_string()) answer.token = j["token"].get<std::string>();
  if (answer.token.empty() && j.contains("access_token") && j["access_token"].is_string()) {
    answer.token = j["access_token"].get<std::string>();
  }
  if (answer.token.empty()) return Error(ErrorCode::kUnavailable, "the answer has no token");
  int64_t expires_in = 60;
  if (j.contains("expires_in") && j["expires_in"].is_number()) {
    expires_in = std::max<int64_t>(60, j["expires_in"].get<int64_t>());
  }
  answer.lifetime = std::chrono::seconds(expires_in - 5);
  return answer;
}

}  // namespace ocib::registry
