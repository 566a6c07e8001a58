// Digests (Digest::Parse): whatever parses prints back to the same digest.
#include <cstddef>
#include <cstdint>

#include "ocib/digest.h"

#include "test/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (auto d = ocib::Digest::Parse(ocib::fuzz::AsText(data, size))) {
    auto again = ocib::Digest::Parse(d->ToString());
    OCIB_FUZZ_CHECK(again && *again == *d);
  }
  return 0;
}
