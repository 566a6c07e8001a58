// Image configs (ImageConfig::Parse): a parsed config serialises to bytes
// that parse again to the same serialisation.
#include <cstddef>
#include <cstdint>

#include "ocib/image_config.h"

#include "test/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (auto c = ocib::ImageConfig::Parse(ocib::fuzz::AsText(data, size))) {
    std::string bytes = c->Serialize();
    auto again = ocib::ImageConfig::Parse(bytes);
    OCIB_FUZZ_CHECK(again && again->Serialize() == bytes);
  }
  return 0;
}
