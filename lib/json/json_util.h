// Internal JSON helpers shared by the document parsers (nlohmann stays in lib/).
#ifndef OCIB_LIB_JSON_JSON_UTIL_H_
#define OCIB_LIB_JSON_JSON_UTIL_H_

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ocib/descriptor.h"
#include "ocib/status.h"

namespace ocib::jsonutil {

// Parses `bytes` as a JSON object; kInvalidArgument naming `what` otherwise.
Result<nlohmann::json> ParseObject(std::string_view bytes, std::string_view what);
// Canonical form: sorted keys, no whitespace, UTF-8 as is. Every string in
// `j` must be valid UTF-8 (core::IsUtf8, lib/core/utf8.h): the serializer
// throws otherwise, so text from outside (flags, binaries, tar names) is
// checked where it comes in.
std::string Dump(const nlohmann::json& j);
// kInvalidArgument "WHAT is not valid UTF-8" when `text` is not (the text
// itself is not quoted: it may not print).
Status CheckUtf8(std::string_view text, std::string_view what);
Result<std::string> GetString(const nlohmann::json& j, const char* key, bool required);
Result<Annotations> GetStringMap(const nlohmann::json& j, const char* key);
Result<std::vector<std::string>> GetStringArray(const nlohmann::json& j, const char* key);
Result<Platform> PlatformFromJson(const nlohmann::json& j);
nlohmann::json PlatformToJson(const Platform& p);
Result<Descriptor> DescriptorFromJson(const nlohmann::json& j);
nlohmann::json DescriptorToJson(const Descriptor& d);

}  // namespace ocib::jsonutil

#endif  // OCIB_LIB_JSON_JSON_UTIL_H_
