// Image indexes (Index::Parse): a parsed index serialises to bytes that
// parse again to the same serialisation.
#include <cstddef>
#include <cstdint>

#include "ocib/manifest.h"

#include "test/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (auto idx = ocib::Index::Parse(ocib::fuzz::AsText(data, size))) {
    std::string bytes = idx->Serialize();
    auto again = ocib::Index::Parse(bytes);
    OCIB_FUZZ_CHECK(again && again->Serialize() == bytes);
  }
  return 0;
}
