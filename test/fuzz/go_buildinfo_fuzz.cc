// The Go build-info reader over a whole ELF file (ParseGoBuildInfoFromElf).
#include <cstddef>
#include <cstdint>

#include "ocib/go_buildinfo.h"

#include "test/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)ocib::ParseGoBuildInfoFromElf(ocib::fuzz::AsText(data, size), "fuzz");
  return 0;
}
