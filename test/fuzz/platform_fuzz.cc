// Platforms (Platform::Parse, ParseList): a parsed platform prints back to a
// string that parses to the same (normalised) platform, which matches itself.
#include <cstddef>
#include <cstdint>

#include "ocib/platform.h"

#include "test/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = ocib::fuzz::AsText(data, size);
  if (auto p = ocib::Platform::Parse(text)) {
    auto again = ocib::Platform::Parse(p->ToString());
    OCIB_FUZZ_CHECK(again && *again == *p);
    OCIB_FUZZ_CHECK(p->Matches(*again));
  }
  if (auto list = ocib::Platform::ParseList(text)) {
    for (const ocib::Platform& p : *list) (void)p.ToString();
  }
  return 0;
}
