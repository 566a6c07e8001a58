// Referrer listings: the referrers API answer and the fallback tag's index
// (Index::Parse), merged with a new artifact (MergeReferrersIndex). A merge
// of a parsed listing keeps every entry and adds the artifact once.
#include <cstddef>
#include <cstdint>

#include "ocib/manifest.h"
#include "ocib/media_type.h"
#include "ocib/referrers.h"

#include "test/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = ocib::fuzz::AsText(data, size);
  auto listing = ocib::Index::Parse(text);
  ocib::Descriptor artifact =
      ocib::DescribeBytes(ocib::media_type::kImageManifest, "{\"fuzz\":true}");
  artifact.artifact_type = "application/vnd.example.sbom";
  auto merged = ocib::MergeReferrersIndex(text, artifact);
  OCIB_FUZZ_CHECK(merged.has_value() == (text.empty() || listing.has_value()));
  if (merged) {
    auto idx = ocib::Index::Parse(merged->bytes);
    OCIB_FUZZ_CHECK(idx.has_value());
    size_t expected = listing ? listing->manifests.size() : 0;
    bool present = false;
    if (listing) {
      for (const auto& d : listing->manifests) present = present || d.digest == artifact.digest;
    }
    OCIB_FUZZ_CHECK(idx->manifests.size() == expected + (present ? 0 : 1));
  }
  return 0;
}
