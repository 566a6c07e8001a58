// Bearer token server answers (ParseTokenAnswer), with the expiry the
// registry client computes from them.
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "lib/registry/token_answer.h"
#include "test/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (auto answer = ocib::registry::ParseTokenAnswer(ocib::fuzz::AsText(data, size))) {
    OCIB_FUZZ_CHECK(!answer->token.empty());
    OCIB_FUZZ_CHECK(answer->lifetime >= std::chrono::seconds(55));
    OCIB_FUZZ_CHECK(answer->lifetime <= std::chrono::hours(24));
    auto expiry = std::chrono::steady_clock::now() + answer->lifetime;
    OCIB_FUZZ_CHECK(expiry > std::chrono::steady_clock::time_point{});
  }
  return 0;
}
