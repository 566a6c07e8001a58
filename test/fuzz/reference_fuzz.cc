// Image references (Reference::Parse, ParseStrict): whatever parses prints
// back to a string that parses to the same reference.
#include <cstddef>
#include <cstdint>

#include "ocib/reference.h"

#include "test/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = ocib::fuzz::AsText(data, size);
  if (auto r = ocib::Reference::Parse(text)) {
    auto again = ocib::Reference::Parse(r->String());
    OCIB_FUZZ_CHECK(again && *again == *r);
    (void)r->Familiar();
    (void)r->Identifier();
    (void)r->RegistryHost();
  }
  if (auto r = ocib::Reference::ParseStrict(text)) {
    auto again = ocib::Reference::ParseStrict(r->String());
    OCIB_FUZZ_CHECK(again && *again == *r);
  }
  (void)ocib::IsValidTag(text);
  return 0;
}
