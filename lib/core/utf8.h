// Well-formed UTF-8, the one check the project has: JSON text (lib/json)
// must be UTF-8, and the tar writer (lib/archive) marks names that are not.
#ifndef OCIB_LIB_CORE_UTF8_H_
#define OCIB_LIB_CORE_UTF8_H_

#include <string_view>

namespace ocib::core {

// Whether `s` is well-formed UTF-8: shortest forms only, no surrogates,
// nothing above U+10FFFF.
bool IsUtf8(std::string_view s);

}  // namespace ocib::core

#endif  // OCIB_LIB_CORE_UTF8_H_
