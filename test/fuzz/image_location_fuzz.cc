// Fuzzes ImageLocation::Parse: any bytes give a location or an error, and a
// parsed location's canonical spelling parses back to the same location.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ocib/image_location.h"

#include "test/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto loc = ocib::ImageLocation::Parse(text);
  if (!loc) return 0;
  auto again = ocib::ImageLocation::Parse(loc->ToString());
  if (!again || !(*again == *loc)) std::abort();
  (void)loc->SourceTag();
  return 0;
}
