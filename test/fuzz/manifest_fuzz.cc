// Image manifests (Manifest::Parse): a parsed manifest serialises to bytes
// that parse again to the same serialisation.
#include <cstddef>
#include <cstdint>

#include "ocib/manifest.h"

#include "test/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (auto m = ocib::Manifest::Parse(ocib::fuzz::AsText(data, size))) {
    std::string bytes = m->Serialize();
    auto again = ocib::Manifest::Parse(bytes);
    OCIB_FUZZ_CHECK(again && again->Serialize() == bytes);
  }
  return 0;
}
