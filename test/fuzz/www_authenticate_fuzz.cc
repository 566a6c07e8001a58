// WWW-Authenticate challenges (ParseWwwAuthenticate), one header value or
// several header lines (ParseChallenges, lines split at '\n').
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "lib/registry/challenge.h"
#include "test/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = ocib::fuzz::AsText(data, size);
  if (auto list = ocib::registry::ParseWwwAuthenticate(text)) {
    for (const auto& c : *list) {
      (void)c.Param("realm");
      (void)c.Param("scope");
    }
  }
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    lines.emplace_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  (void)ocib::registry::ParseChallenges(lines);
  return 0;
}
