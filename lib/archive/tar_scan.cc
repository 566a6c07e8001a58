#include "lib/archive/tar_scan.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace ocib::archive {
namespace {

constexpr size_t kBlock = 512;

// A numeric header field: octal (NUL/space padded) or GNU base-256.
Result<uint64_t> ParseNumber(std::string_view field) {
  if (!field.empty() && (static_cast<unsigned char>(field[0]) & 0x80) != 0) {
    uint64_t v = static_cast<unsigned char>(field[0]) & 0x7f;
    for (size_t i = 1; i < field.size(); ++i) {
      if (v > (uint64_t{1} << 55)) return InvalidArgument("tar header: size too large");
      v = (v << 8) | static_cast<unsigned char>(field[i]);
    }
    return v;
  }
  uint64_t v = 0;
  for (char c : field) {
    if (c == '\0' || c == ' ') {
      if (v != 0) break;
      continue;
    }
    if (c < '0' || c > '7') return InvalidArgument("tar header: bad octal number");
    if (v > (uint64_t{1} << 60)) return InvalidArgument("tar header: size too large");
    v = v * 8 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

std::string_view CString(std::string_view field) {
  return field.substr(0, std::min(field.size(), field.find('\0')));
}

bool IsBelow(std::string_view path, std::string_view dir) {
  return dir.empty() || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
                         path[dir.size()] == '/');
}

// Erases `path` and everything below it from `set`.
void EraseTree(std::set<std::string>& set, const std::string& path, bool keep_self) {
  for (auto it = set.lower_bound(path); it != set.end();) {
    if (*it == path) {
      it = keep_self ? std::next(it) : set.erase(it);
    } else if (IsBelow(*it, path)) {
      it = set.erase(it);
    } else {
      break;
    }
  }
}

}  // namespace

std::string NormalizeTarPath(std::string_view name) {
  std::string out;
  size_t start = 0;
  while (start <= name.size()) {
    size_t slash = name.find('/', start);
    std::string_view part = name.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (!part.empty() && part != ".") {
      if (!out.empty()) out += '/';
      out += part;
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

Status TarDirectoryScanner::Write(const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    switch (state_) {
      case State::kEnd:
        return {};
      case State::kHeader: {
        size_t n = std::min(size, kBlock - block_.size());
        block_.append(p, n);
        p += n;
        size -= n;
        if (block_.size() == kBlock) OCIB_RETURN_IF_ERROR(OnHeader());
        break;
      }
      case State::kData:
      case State::kMeta:
      case State::kPadding: {
        auto n = static_cast<size_t>(std::min<uint64_t>(size, remaining_));
        if (state_ == State::kMeta) meta_.append(p, n);
        p += n;
        size -= n;
        remaining_ -= n;
        if (remaining_ > 0) break;
        if (state_ == State::kMeta) OCIB_RETURN_IF_ERROR(OnMeta());
        if (state_ != State::kPadding && padding_ > 0) {
          state_ = State::kPadding;
          remaining_ = padding_;
        } else {
          state_ = State::kHeader;
        }
        break;
      }
    }
  }
  return {};
}

Status TarDirectoryScanner::OnHeader() {
  std::string_view b(block_);
  if (std::all_of(b.begin(), b.end(), [](char c) { return c == '\0'; })) {
    state_ = State::kEnd;
    return {};
  }
  OCIB_ASSIGN_OR_RETURN(uint64_t size, ParseNumber(b.substr(124, 12)));
  const char type = b[156];
  std::string name(CString(b.substr(0, 100)));
  if (b.substr(257, 5) == "ustar") {
    std::string_view prefix = CString(b.substr(345, 155));
    if (!prefix.empty()) name = std::string(prefix) + "/" + name;
  }
  block_.clear();
  remaining_ = size;
  padding_ = (kBlock - size % kBlock) % kBlock;
  if (type == 'x' || type == 'L') {
    if (size > kMaxTarMetaBytes) {
      return InvalidArgument(fmt::format("tar header: extended header of {} bytes", size));
    }
    meta_.clear();
    meta_type_ = type;
    state_ = State::kMeta;
  } else {
    if (type != 'g') {
      OnEntry(next_path_.empty() ? name : next_path_, type);
      next_path_.clear();
    }
    state_ = State::kData;
  }
  if (remaining_ == 0) {
    if (state_ == State::kMeta) OCIB_RETURN_IF_ERROR(OnMeta());
    state_ = State::kHeader;
  }
  return {};
}

Status TarDirectoryScanner::OnMeta() {
  if (meta_type_ == 'L') {
    next_path_ = std::string(CString(meta_));
    return {};
  }
  // pax records: "LEN KEY=VALUE\n".
  std::string_view rest(meta_);
  while (!rest.empty()) {
    size_t space = rest.find(' ');
    if (space == std::string_view::npos || space == 0 || space > 20) {
      return InvalidArgument("tar header: malformed pax record");
    }
    uint64_t len = 0;
    for (char c : rest.substr(0, space)) {
      if (c < '0' || c > '9') return InvalidArgument("tar header: malformed pax record length");
      len = len * 10 + static_cast<uint64_t>(c - '0');
    }
    if (len <= space + 1 || len > rest.size() || rest[len - 1] != '\n') {
      return InvalidArgument("tar header: malformed pax record");
    }
    std::string_view record = rest.substr(space + 1, len - space - 2);
    if (record.substr(0, 5) == "path=") next_path_ = std::string(record.substr(5));
    rest.remove_prefix(len);
  }
  return {};
}

void TarDirectoryScanner::OnEntry(const std::string& path, char type) {
  std::string norm = NormalizeTarPath(path);
  auto slash = norm.rfind('/');
  std::string dir = slash == std::string::npos ? "" : norm.substr(0, slash);
  std::string base = slash == std::string::npos ? norm : norm.substr(slash + 1);
  if (base == ".wh..wh..opq") {
    opaque_.insert(dir);
    return;
  }
  if (base.rfind(".wh.", 0) == 0) {
    if (base.size() == 4) return;  // hides nothing
    removed_.insert(dir.empty() ? base.substr(4) : dir + "/" + base.substr(4));
    return;
  }
  if (norm.empty()) return;
  if (type == '5') {
    added_.insert(norm);
  } else {
    removed_.insert(norm);  // a file, link or device where a directory may have been
    added_.erase(norm);
  }
}

Status TarDirectoryScanner::Close() {
  if (state_ != State::kEnd && (state_ != State::kHeader || !block_.empty())) {
    return InvalidArgument("tar stream ends inside an entry");
  }
  // Applied once: a second Close (DecompressLayer closes its sink) is a no-op.
  for (const auto& r : removed_) EraseTree(*dirs_, r, false);
  for (const auto& o : opaque_) EraseTree(*dirs_, o, true);
  dirs_->merge(added_);
  removed_.clear();
  opaque_.clear();
  added_.clear();
  return {};
}

}  // namespace ocib::archive
