// Build files (ParseBuildFile), with and without a base directory.
#include <cstddef>
#include <cstdint>

#include "ocib/build_file.h"

#include "test/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = ocib::fuzz::AsText(data, size);
  auto images = ocib::ParseBuildFile(text, "fuzz.json", "");
  if (images) OCIB_FUZZ_CHECK(!images->empty());
  (void)ocib::ParseBuildFile(text, "fuzz.json", "/base");
  return 0;
}
