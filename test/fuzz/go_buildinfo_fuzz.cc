// The Go build-info reader over a whole ELF file (ParseGoBuildInfoFromElf),
// and the SBOM writers on what it reads.
#include <cstddef>
#include <cstdint>

#include "ocib/go_buildinfo.h"
#include "ocib/sbom.h"

#include "test/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto info = ocib::ParseGoBuildInfoFromElf(ocib::fuzz::AsText(data, size), "fuzz");
  if (!info) return 0;
  // Whatever a binary holds, the SBOM writers answer with a document or an
  // error (never an exception, e.g. for text that is not UTF-8).
  ocib::SbomSubject subject;
  subject.binary_path = "/app";
  for (ocib::SbomFormat f : {ocib::SbomFormat::kSpdx, ocib::SbomFormat::kCycloneDx}) {
    auto doc = ocib::MakeSbom(f, *info, subject);
    OCIB_FUZZ_CHECK(doc.has_value() || doc.error().code() == ocib::ErrorCode::kInvalidArgument);
  }
  return 0;
}
