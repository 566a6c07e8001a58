// Base64 (RFC 4648, standard alphabet, padded) for auth headers and
// config.json `auth` fields.
#ifndef OCIB_LIB_AUTH_BASE64_H_
#define OCIB_LIB_AUTH_BASE64_H_

#include <optional>
#include <string>
#include <string_view>

namespace ocib {

std::string Base64Encode(std::string_view bytes);
// Accepts padded or unpadded input, the URL-safe alphabet's '-' and '_' as
// '+' and '/' (JWT segments), and skips line breaks; decoding stops at the
// first '='. nullopt on any other character outside the alphabet.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace ocib

#endif  // OCIB_LIB_AUTH_BASE64_H_
