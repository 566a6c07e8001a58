// ParseRetryAfter on arbitrary header values (delta seconds or an HTTP
// date): never crashes, and any delay it returns is between zero and one
// day.
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "ocib/registry.h"

#include "test/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A fixed "now" (2026-01-01T00:00:00Z) keeps runs reproducible.
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1767225600));
  auto delay = ocib::ParseRetryAfter(ocib::fuzz::AsText(data, size), now);
  if (delay) OCIB_FUZZ_CHECK(delay->count() >= 0 && *delay <= std::chrono::hours(24));
  return 0;
}
