#include "lib/registry/token_answer.h"

#include <cstdint>

#include <nlohmann/json.hpp>

namespace ocib::registry {

using nlohmann::json;

namespace {

// The specification's default (and minimum) lifetime, and a cap of one day.
constexpr int64_t kMinExpiresIn = 60;
constexpr int64_t kMaxExpiresIn = int64_t{24} * 60 * 60;

}  // namespace

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
  // expires_in is any JSON number; it is clamped as a double, before any
  // conversion, so that neither the conversion nor the expiry time the
  // client computes from it can overflow.
  int64_t expires_in = kMinExpiresIn;
  if (auto it = j.find("expires_in"); it != j.end() && it->is_number()) {
    const auto seconds = it->get<double>();
    if (seconds >= static_cast<double>(kMaxExpiresIn)) {
      expires_in = kMaxExpiresIn;
    } else if (seconds > static_cast<double>(kMinExpiresIn)) {
      expires_in = static_cast<int64_t>(seconds);
    }
  }
  answer.lifetime = std::chrono::seconds(expires_in - 5);
  return answer;
}

}  // namespace ocib::registry
