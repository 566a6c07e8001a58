// core::IsUtf8 (lib/core/utf8.h).
#include "lib/core/utf8.h"

#include <cstddef>
#include <cstdint>

namespace ocib::core {

bool IsUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n = 0;
    uint32_t cp = 0;
    if (c >= 0xc2 && c <= 0xdf) {
      n = 1;
      cp = c & 0x1fU;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      cp = c & 0x0fU;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      cp = c & 0x07U;
    } else {
      return false;  // a continuation byte, an overlong lead (c0, c1) or past f4
    }
    if (s.size() - i <= n) return false;
    for (size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0U) != 0x80U) return false;
      cp = (cp << 6U) | (cc & 0x3fU);
    }
    const uint32_t min = n == 1 ? 0x80U : n == 2 ? 0x800U : 0x10000U;
    if (cp < min || cp > 0x10ffffU || (cp >= 0xd800U && cp <= 0xdfffU)) return false;
    i += n + 1;
  }
  return true;
}

}  // namespace ocib::core
