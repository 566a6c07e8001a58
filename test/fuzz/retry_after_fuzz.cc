// ParseRetryAfter on arbitrary header values: never crashes, and any delay
// it returns is between zero and one day.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ocib/registry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view value(reinterpret_cast<const char*>(data), size);
  // A fixed "now" (2026-01-01T00:00:00Z) keeps runs reproducible.
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1767225600));
  auto delay = ocib::ParseRetryAfter(value, now);
  if (delay && (delay->count() < 0 || *delay > std::chrono::hours(24))) std::abort();
  return 0;
}
