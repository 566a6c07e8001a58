// TarWriter: ustar headers, pax extended headers where ustar cannot hold a
// value, data padding and the end-of-archive blocks. See tar_writer.h.
#include "lib/archive/tar_writer.h"

#include <algorithm>
#include <cstring>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "lib/core/utf8.h"

namespace ocib::tar {

namespace {

constexpr size_t kBlock = 512;

// ustar field offsets and widths (POSIX.1-2001, "ustar Interchange Format").
constexpr size_t kNameOff = 0, kNameLen = 100;
constexpr size_t kModeOff = 100, kModeLen = 8;
constexpr size_t kUidOff = 108, kUidLen = 8;
constexpr size_t kGidOff = 116, kGidLen = 8;
constexpr size_t kSizeOff = 124, kSizeLen = 12;
constexpr size_t kMtimeOff = 136, kMtimeLen = 12;
constexpr size_t kChksumOff = 148, kChksumLen = 8;
constexpr size_t kTypeflagOff = 156;
constexpr size_t kLinknameOff = 157, kLinknameLen = 100;
constexpr size_t kMagicOff = 257;
constexpr size_t kVersionOff = 263;
constexpr size_t kDevmajorOff = 329, kDevmajorLen = 8;
constexpr size_t kDevminorOff = 337, kDevminorLen = 8;
constexpr size_t kPrefixOff = 345, kPrefixLen = 155;

constexpr std::string_view kPaxDir = "PaxHeaders/";
constexpr size_t kPaxBaseLen = kNameLen - kPaxDir.size();

// Largest value of an octal field of `width` bytes: width - 1 digits and a
// NUL.
constexpr int64_t MaxOctal(size_t width) { return (int64_t{1} << (3 * (width - 1))) - 1; }

bool FitsOctal(int64_t v, size_t width) { return v >= 0 && v <= MaxOctal(width); }

// Writes `v` (which fits) as width - 1 zero-padded octal digits and a NUL.
void PutOctal(char* field, size_t width, int64_t v) {
  auto u = static_cast<uint64_t>(v);
  field[width - 1] = '\0';
  for (size_t i = width - 1; i > 0; --i) {
    field[i - 1] = static_cast<char>('0' + (u & 7));
    u >>= 3;
  }
}

// Copies `s` (at most `width` bytes) into a NUL-filled field; a value of
// exactly `width` bytes has no terminating NUL, as ustar allows.
void PutString(char* field, size_t width, std::string_view s) {
  if (s.empty()) return;  // an empty view may have no data pointer
  std::memcpy(field, s.data(), std::min(s.size(), width));
}

bool IsAscii(std::string_view s) {
  return std::ranges::all_of(s, [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// `s` with every byte outside printable ASCII replaced by '_'.
std::string Printable(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) c = '_';
  }
  return out;
}

// Splits `path` at a '/' into a ustar prefix (1 to 155 bytes) and name (1 to
// 100 bytes): the leftmost '/' that leaves at most 100 bytes after it.
bool SplitPath(std::string_view path, std::string_view* prefix, std::string_view* name) {
  if (path.size() > kPrefixLen + 1 + kNameLen) return false;
  size_t from = path.size() > kNameLen + 1 ? path.size() - kNameLen - 1 : 1;
  size_t slash = path.find('/', from);
  // npos, too, is beyond the prefix.
  if (slash > kPrefixLen || slash + 1 == path.size()) return false;
  *prefix = path.substr(0, slash);
  *name = path.substr(slash + 1);
  return true;
}

size_t DecimalDigits(size_t n) { return std::to_string(n).size(); }

// One pax record, "LEN key=value\n", LEN counting the whole record.
std::string PaxRecord(std::string_view key, std::string_view value) {
  size_t body = key.size() + value.size() + 3;  // ' ', '=' and '\n'
  size_t len = body + DecimalDigits(body);
  while (len != body + DecimalDigits(len)) len = body + DecimalDigits(len);
  std::string r = std::to_string(len);
  r += ' ';
  r += key;
  r += '=';
  r += value;
  r += '\n';
  return r;
}

struct UstarFields {
  std::string_view name;
  std::string_view prefix;
  std::string_view linkname;
  char typeflag = '0';
  uint32_t mode = 0;
  int64_t uid = 0;
  int64_t gid = 0;
  int64_t size = 0;
  int64_t mtime = 0;
};

// Appends one ustar header block to `out`. Numbers must fit their fields.
void AppendUstar(const UstarFields& f, std::string* out) {
  char b[kBlock] = {};
  PutString(b + kNameOff, kNameLen, f.name);
  PutOctal(b + kModeOff, kModeLen, f.mode);
  PutOctal(b + kUidOff, kUidLen, f.uid);
  PutOctal(b + kGidOff, kGidLen, f.gid);
  PutOctal(b + kSizeOff, kSizeLen, f.size);
  PutOctal(b + kMtimeOff, kMtimeLen, f.mtime);
  b[kTypeflagOff] = f.typeflag;
  PutString(b + kLinknameOff, kLinknameLen, f.linkname);
  std::memcpy(b + kMagicOff, "ustar", 6);  // with its NUL
  b[kVersionOff] = '0';
  b[kVersionOff + 1] = '0';
  PutOctal(b + kDevmajorOff, kDevmajorLen, 0);
  PutOctal(b + kDevminorOff, kDevminorLen, 0);
  PutString(b + kPrefixOff, kPrefixLen, f.prefix);
  // The checksum is the sum of the header's bytes with its own field read
  // as spaces, written as 6 octal digits, a NUL and a space.
  std::memset(b + kChksumOff, ' ', kChksumLen);
  int64_t sum = 0;
  for (char c : b) sum += static_cast<unsigned char>(c);
  PutOctal(b + kChksumOff, 7, sum);
  b[kChksumOff + 7] = ' ';
  out->append(b, kBlock);
}

void AppendZeros(size_t n, std::string* out) { out->append(n, '\0'); }

size_t PaddingFor(int64_t size) { return (kBlock - static_cast<size_t>(size) % kBlock) % kBlock; }

char Typeflag(EntryType t) {
  switch (t) {
    case EntryType::kRegular:
      return '0';
    case EntryType::kHardlink:
      return '1';
    case EntryType::kSymlink:
      return '2';
    case EntryType::kDirectory:
      return '5';
  }
  return '0';
}

// `v` in octal without padding, for messages.
std::string OctalText(uint32_t v) {
  std::string s;
  do {
    s.insert(s.begin(), static_cast<char>('0' + (v & 7)));
    v >>= 3;
  } while (v != 0);
  return s;
}

// Why `h` cannot be written, or OK.
Status Validate(const Header& h) {
  if (h.path.empty()) return InvalidArgument("empty path");
  if (h.path.find('\0') != std::string::npos) return InvalidArgument("path has a NUL byte");
  if (h.path.front() == '/') return InvalidArgument("path starts with '/'");
  if ((h.mode & ~07777U) != 0) {
    return InvalidArgument(fmt::format("mode 0{} has bits beyond 07777", OctalText(h.mode)));
  }
  if (h.uid < 0) return InvalidArgument(fmt::format("negative uid {}", h.uid));
  if (h.gid < 0) return InvalidArgument(fmt::format("negative gid {}", h.gid));
  if (h.size < 0) return InvalidArgument(fmt::format("negative size {}", h.size));
  if (h.type != EntryType::kRegular && h.size != 0) {
    return InvalidArgument(fmt::format("size {} on an entry that is not a file", h.size));
  }
  bool is_link = h.type == EntryType::kSymlink || h.type == EntryType::kHardlink;
  if (is_link && h.link_target.empty()) return InvalidArgument("link without a target");
  if (!is_link && !h.link_target.empty()) {
    return InvalidArgument(
        fmt::format("link target \"{}\" on an entry that is not a link", h.link_target));
  }
  if (h.link_target.find('\0') != std::string::npos) {
    return InvalidArgument("link target has a NUL byte");
  }
  return {};
}

// "PaxHeaders/" + the last component of `path`, printable and cut to fit.
std::string PaxHeaderName(std::string_view path) {
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  size_t slash = path.rfind('/');
  std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  return std::string(kPaxDir) + Printable(base.substr(0, kPaxBaseLen));
}

// Appends the header blocks of `h`, written at `path`, to `out`: a pax
// header and its records when ustar cannot hold a value, then the ustar
// header, whose fields get stand-ins for the values in records.
void AppendHeaders(const Header& h, const std::string& path, std::string* out) {
  std::string records;
  if (!core::IsUtf8(path) || !core::IsUtf8(h.link_target))
    records += PaxRecord("hdrcharset", "BINARY");
  UstarFields f;
  f.typeflag = Typeflag(h.type);
  f.mode = h.mode;
  std::string path_standin;
  if (IsAscii(path) && path.size() <= kNameLen) {
    f.name = path;
  } else if (!IsAscii(path) || !SplitPath(path, &f.prefix, &f.name)) {
    records += PaxRecord("path", path);
    path_standin = Printable(path);
    f.name = path_standin;
    if (path_standin.size() > kNameLen && !SplitPath(path_standin, &f.prefix, &f.name)) {
      f.name = f.name.substr(0, kNameLen);
    }
  }
  std::string link_standin;
  if (IsAscii(h.link_target) && h.link_target.size() <= kLinknameLen) {
    f.linkname = h.link_target;
  } else {
    records += PaxRecord("linkpath", h.link_target);
    link_standin = Printable(h.link_target).substr(0, kLinknameLen);
    f.linkname = link_standin;
  }
  auto number = [&records](const char* key, int64_t v, size_t width, int64_t* field) {
    if (FitsOctal(v, width)) {
      *field = v;
    } else {
      records += PaxRecord(key, std::to_string(v));
      *field = 0;
    }
  };
  number("size", h.size, kSizeLen, &f.size);
  number("mtime", h.mtime, kMtimeLen, &f.mtime);
  number("uid", h.uid, kUidLen, &f.uid);
  number("gid", h.gid, kGidLen, &f.gid);

  if (!records.empty()) {
    std::string pax_name = PaxHeaderName(path);
    UstarFields x;
    x.name = pax_name;
    x.typeflag = 'x';
    x.mode = 0644;
    x.size = static_cast<int64_t>(records.size());
    x.mtime = f.mtime;
    AppendUstar(x, out);
    *out += records;
    AppendZeros(PaddingFor(x.size), out);
  }
  AppendUstar(f, out);
}

}  // namespace

Status TarWriter::Fail(Error error) {
  error_ = error;
  return error;
}

Status TarWriter::Usable(const std::string& what) const {
  if (error_) {
    return Error(error_->code(), "an earlier error stopped the tar writer: " + error_->ToString())
        .With(what);
  }
  if (finished_) return InvalidArgument("the tar stream is already finished").With(what);
  return {};
}

Status TarWriter::WriteHeader(const Header& header) {
  std::string path = header.path;
  if (header.type == EntryType::kDirectory && !path.empty() && path.back() != '/') path += '/';
  const std::string what = "writing the tar header of " + path;
  OCIB_RETURN_IF_ERROR(Usable(what));
  if (remaining_ > 0) {
    return Fail(InvalidArgument(fmt::format("the previous entry {} has {} of its {} data bytes "
                                            "still to come",
                                            path_, remaining_, declared_))
                    .With(what));
  }
  if (Status st = Validate(header); !st) return Fail(std::move(st).error().With(what));

  std::string out;
  AppendZeros(PaddingFor(declared_), &out);
  AppendHeaders(header, path, &out);
  if (Status st = sink_->Write(out.data(), out.size()); !st) {
    return Fail(std::move(st).error().With(what));
  }
  started_ = true;
  path_ = std::move(path);
  declared_ = header.size;
  remaining_ = header.size;
  return {};
}

Status TarWriter::WriteData(const void* data, size_t size) {
  const std::string what = started_ ? "writing the tar data of " + path_ : "writing tar data";
  OCIB_RETURN_IF_ERROR(Usable(what));
  if (!started_) return Fail(InvalidArgument("no entry was started").With(what));
  if (size > static_cast<uint64_t>(remaining_)) {
    return Fail(InvalidArgument(fmt::format("data longer than the size {} its header declared: "
                                            "{} more bytes with {} left",
                                            declared_, size, remaining_))
                    .With(what));
  }
  if (size == 0) return {};
  if (Status st = sink_->Write(data, size); !st) return Fail(std::move(st).error().With(what));
  remaining_ -= static_cast<int64_t>(size);
  return {};
}

Status TarWriter::Finish() {
  const std::string what = "finishing the tar stream";
  OCIB_RETURN_IF_ERROR(Usable(what));
  if (remaining_ > 0) {
    return Fail(InvalidArgument(fmt::format("the last entry {} has {} of its {} data bytes "
                                            "still to come",
                                            path_, remaining_, declared_))
                    .With(what));
  }
  std::string out;
  AppendZeros(PaddingFor(declared_) + 2 * kBlock, &out);
  if (Status st = sink_->Write(out.data(), out.size()); !st) {
    return Fail(std::move(st).error().With(what));
  }
  finished_ = true;
  return {};
}

}  // namespace ocib::tar
