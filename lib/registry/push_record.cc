// PushRecord (lib/registry/push_record.h).
#include "lib/registry/push_record.h"

#include <algorithm>

#include "lib/io/file.h"
#include "lib/io/fs_util.h"

namespace ocib::registry {

std::vector<std::pair<Digest, Digest>> ParsePushRecord(std::string_view bytes) {
  std::vector<std::pair<Digest, Digest>> out;
  while (!bytes.empty() && out.size() < kMaxRecordLines) {
    const size_t nl = bytes.find('\n');
    std::string_view line = bytes.substr(0, nl);
    bytes = nl == std::string_view::npos ? std::string_view() : bytes.substr(nl + 1);
    const size_t sp = line.find(' ');
    auto root = Digest::Parse(line.substr(0, sp));
    if (!root) continue;
    if (sp == std::string_view::npos) {
      out.emplace_back(std::move(*root), Digest());
      continue;
    }
    auto referrer = Digest::Parse(line.substr(sp + 1));
    if (referrer) out.emplace_back(std::move(*root), std::move(*referrer));
  }
  return out;
}

PushRecord::PushRecord(std::string dir, std::string_view repository) : dir_(std::move(dir)) {
  path_ = dir_ + "/" + Digest::Sha256Of(repository).encoded();
}

void PushRecord::Load() {
  if (loaded_) return;
  loaded_ = true;
  // A missing, oversized or unreadable record is an empty one.
  auto bytes = io::ReadRegularFile(path_, kMaxRecordBytes);
  if (bytes) lines_ = ParsePushRecord(*bytes);
}

bool PushRecord::Has(const Digest& root, const Digest& referrer) {
  Load();
  return std::ranges::any_of(
      lines_, [&](const auto& l) { return l.first == root && l.second == referrer; });
}

Status PushRecord::Add(const Digest& root, const std::vector<Digest>& referrers) {
  Load();
  std::erase_if(lines_, [&](const auto& l) { return l.first == root; });
  if (referrers.empty()) lines_.emplace_back(root, Digest());
  for (const Digest& r : referrers) lines_.emplace_back(root, r);
  if (lines_.size() > kMaxRecordLines) {
    lines_.erase(lines_.begin(),
                 lines_.begin() + static_cast<std::ptrdiff_t>(lines_.size() - kMaxRecordLines));
  }
  std::string text;
  for (const auto& [r, ref] : lines_) {
    text += r.ToString();
    if (!ref.empty()) text += " " + ref.ToString();
    text += "\n";
  }
  if (text.size() > kMaxRecordBytes) return OkStatus();  // too long to be read back: keep the old
  return fsutil::WriteFileAtomic(path_, text);
}

}  // namespace ocib::registry
