// Mutate (ocib/mutate.h): read the image model, change each selected
// platform's config and annotations, write the new index.
#include "ocib/mutate.h"

#include <utility>

#include <fmt/format.h>

#include "ocib/image.h"

#include "lib/ops/location.h"

namespace ocib {
namespace {

ConfigChanges ChangesOf(const MutateOptions& m) {
  ConfigChanges c;
  c.entrypoint = m.entrypoint;
  c.cmd = m.cmd;
  c.env = m.env;
  c.labels = m.labels;
  c.user = m.user;
  c.working_dir = m.working_dir;
  c.expose = m.expose;
  return c;
}

}  // namespace

// Notes for stderr: the index entries left out and the referrers of the
// source, which describe its old manifests.
std::vector<std::string> ops::DroppedNotes(const ImageIndex& source, const ImageLocation& from,
                                           const Descriptor& root, const RegistryOptions& options) {
  std::vector<std::string> notes;
  for (const Descriptor& d : source.others) {
    notes.push_back(fmt::format(
        "left out index entry {} ({}{}): it describes the source's manifests", d.digest.ToString(),
        d.media_type, d.platform ? ", platform " + d.platform->ToString() : ""));
  }
  ReferrerCount count = CountReferrers(from, source.source_digests, options);
  notes.insert(notes.end(), count.notes.begin(), count.notes.end());
  if (count.total > 0) {
    notes.push_back(fmt::format(
        "{} referrer(s) (SBOMs, signatures) of the source describe its old manifests and were "
        "not carried over; they do not describe {}",
        count.total, root.digest.ToString()));
  }
  return notes;
}

Result<MutateResult> ops::Publish(const ImageIndex& in, const ImageIndex& out,
                                  const ImageLocation& source, const ImageLocation& destination,
                                  const std::optional<SbomFormat>& sbom,
                                  const RegistryOptions& options) {
  std::vector<std::string> sbom_notes;
  const ImageIndex* write = &out;
  ImageIndex with_sboms;
  if (sbom) {
    OCIB_ASSIGN_OR_RETURN(with_sboms, WithSboms(out, *sbom, &sbom_notes));
    write = &with_sboms;
  }
  OCIB_ASSIGN_OR_RETURN(WrittenImage written, WriteImage(*write, destination, options));
  MutateResult r;
  r.root = written.root;
  r.written = std::move(written.written);
  r.unchanged = written.unchanged;
  if (!r.unchanged) r.notes = ops::DroppedNotes(in, source, r.root, options);
  r.notes.insert(r.notes.end(), sbom_notes.begin(), sbom_notes.end());
  for (size_t i = 0; !r.unchanged && i < write->attachments.size(); ++i) {
    const Attachment& a = write->attachments[i];
    r.notes.push_back(fmt::format("SBOM {} attached to {}", a.manifest.descriptor.digest.ToString(),
                                  a.subject.ToString()));
  }
  return r;
}

namespace {

Result<MutateResult> MutateImpl(const ImageLocation& source, const ImageLocation& destination,
                                const MutateOptions& mutate, const RegistryOptions& options) {
  if (destination.registry() != nullptr && !destination.registry()->reference.digest().empty()) {
    return InvalidArgument("the destination must be a tag, not a digest");
  }
  const ConfigChanges changes = ChangesOf(mutate);
  OCIB_RETURN_IF_ERROR(CheckConfigChanges(changes));
  OCIB_ASSIGN_OR_RETURN(ImageIndex in, ReadImage(source, options, mutate.platforms));
  std::vector<Image> images;
  for (const Image& image : in.images) {
    auto changed = SetConfig(image, changes);
    if (changed) changed = SetAnnotations(*changed, mutate.annotations);
    if (!changed)
      return std::move(changed).error().With(fmt::format("mutating {}", image.platform.ToString()));
    images.push_back(std::move(*changed));
  }
  OCIB_ASSIGN_OR_RETURN(ImageIndex out, Reindex(in, std::move(images), mutate.annotations));
  return ops::Publish(in, out, source, destination, mutate.sbom, options);
}

}  // namespace

Result<MutateResult> Mutate(const ImageLocation& source, const ImageLocation& destination,
                            const MutateOptions& mutate, const RegistryOptions& options) {
  auto r = MutateImpl(source, destination, mutate, options);
  if (!r) {
    return std::move(r).error().With(
        fmt::format("mutate {} {}", source.ToString(), destination.ToString()));
  }
  return r;
}

}  // namespace ocib
