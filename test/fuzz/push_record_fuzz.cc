// Fuzzes ParsePushRecord (lib/registry/push_record.h), the reader of the
// push record files in the cache directory (local, but written by any
// process of the user): whatever the bytes, it returns at most
// kMaxRecordLines pairs of parsed digests, and a record written from them
// parses back to the same pairs.
#include <cstddef>
#include <cstdint>
#include <string>

#include "lib/registry/push_record.h"
#include "test/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto lines = ocib::registry::ParsePushRecord(ocib::fuzz::AsText(data, size));
  OCIB_FUZZ_CHECK(lines.size() <= ocib::registry::kMaxRecordLines);
  std::string text;
  for (const auto& [root, referrer] : lines) {
    OCIB_FUZZ_CHECK(!root.empty());
    text += root.ToString();
    if (!referrer.empty()) text += " " + referrer.ToString();
    text += "\n";
  }
  OCIB_FUZZ_CHECK(ocib::registry::ParsePushRecord(text) == lines);
  return 0;
}
