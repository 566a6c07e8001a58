// The Go module-information text (ParseGoModInfo).
#include <cstddef>
#include <cstdint>

#include "ocib/go_buildinfo.h"

#include "test/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)ocib::ParseGoModInfo(ocib::fuzz::AsText(data, size));
  return 0;
}
