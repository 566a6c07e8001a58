#include "ocib/sbom_query.h"

#include "lib/json/json_util.h"
#include "ocib/image_builder.h"
#include "ocib/manifest.h"
#include "ocib/media_type.h"
#include "ocib/oci_layout.h"
#include "ocib/referrers.h"
#include "ocib/sbom.h"

namespace ocib {
namespace {

struct Target {
  std::unique_ptr<OciLayout> layout;
  std::vector<Descriptor> subjects;  // the tagged document, then its manifests
};

Result<Target> Open(const std::string& reference) {
  OCIB_ASSIGN_OR_RETURN(LayoutReference ref, ParseLayoutReference(reference));
  if (ref.kind != LayoutReference::Kind::kLayout) {
    return InvalidArgument("only oci:DIR[:TAG] layouts are supported here");
  }
  Target t;
  OCIB_ASSIGN_OR_RETURN(t.layout, OciLayout::Open(ref.path));
  OCIB_ASSIGN_OR_RETURN(Descriptor top, t.layout->Resolve(ref.tag));
  t.subjects.push_back(top);
  if (media_type::IsIndex(top.media_type)) {
    OCIB_ASSIGN_OR_RETURN(std::string bytes, t.layout->ReadAll(top.digest));
    OCIB_ASSIGN_OR_RETURN(Index idx, Index::Parse(bytes));
    for (const auto& m : idx.manifests) t.subjects.push_back(m);
  }
  return t;
}

}  // namespace

Result<std::vector<std::string>> LayoutReferrers(const std::string& reference) {
  OCIB_ASSIGN_OR_RETURN(Target t, Open(reference));
  std::vector<std::string> out;
  for (const auto& s : t.subjects) {
    OCIB_ASSIGN_OR_RETURN(auto refs, ListLayoutReferrers(*t.layout, s.digest));
    for (const auto& r : refs) {
      nlohmann::json j = jsonutil::DescriptorToJson(r);
      j["subject"] = s.digest.ToString();
      out.push_back(jsonutil::Dump(j));
    }
  }
  return out;
}

Result<std::string> LayoutSbom(const std::string& reference, const std::string& platform) {
  OCIB_ASSIGN_OR_RETURN(Target t, Open(reference));
  std::optional<Platform> want;
  if (!platform.empty()) {
    OCIB_ASSIGN_OR_RETURN(Platform p, Platform::Parse(platform));
    want = p;
  }
  std::vector<Descriptor> images;
  for (const auto& s : t.subjects) {
    if (media_type::IsManifest(s.media_type)) images.push_back(s);
  }
  const Descriptor* chosen = nullptr;
  for (const auto& d : images) {
    if (want && (!d.platform || !d.platform->Matches(*want))) continue;
    if (!want && images.size() > 1 &&
        (!d.platform || !d.platform->Matches(*Platform::Parse("linux/amd64")))) {
      continue;
    }
    chosen = &d;
    break;
  }
  if (chosen == nullptr) {
    return NotFound("no image" + (want ? " for platform " + want->ToString() : std::string()));
  }
  for (SbomFormat f : {SbomFormat::kSpdx, SbomFormat::kCycloneDx}) {
    OCIB_ASSIGN_OR_RETURN(auto refs, ListLayoutReferrers(*t.layout, chosen->digest, SbomMediaType(f)));
    if (refs.empty()) continue;
    OCIB_ASSIGN_OR_RETURN(std::string mbytes, t.layout->ReadAll(refs.front().digest));
    OCIB_ASSIGN_OR_RETURN(Manifest m, Manifest::Parse(mbytes));
    if (m.layers.empty()) return DataLoss("SBOM artifact " + refs.front().digest.ToString() + " has no layer");
    return t.layout->ReadAll(m.layers.front().digest, size_t{64} << 20);
  }
  return NotFound("image " + chosen->digest.ToString() + " has no SBOM");
}

}  // namespace ocib
