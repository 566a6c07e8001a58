// TarWriter: ocib's streaming writer of POSIX.1-2001 (pax) tar archives.
//
// The bytes depend only on the entries and this code: the same entries give
// the same bytes on every host. Each entry is one 512-byte ustar header, preceded by a pax
// extended header (typeflag 'x') only when a value does not fit the ustar
// fields, then the entry's data padded with NULs to a multiple of 512 bytes.
// The archive ends with two 512-byte zero blocks and no further padding.
//
// The ustar header: magic "ustar\0", version "00"; numeric fields in octal,
// zero-padded and NUL-terminated; the checksum as 6 octal digits, NUL,
// space; empty uname and gname; devmajor and devminor 0.
//
// Where each value goes:
//   path      the name field when it is at most 100 bytes; else split at a
//             '/' into prefix (at most 155 bytes) and name (1 to 100 bytes);
//             else, or when it has a byte >= 0x80, a pax "path" record.
//   link      the linkname field when at most 100 bytes of plain ASCII; else
//             a pax "linkpath" record.
//   size      octal up to 077777777777 (8 GiB - 1), else a pax "size" record.
//   mtime     octal from 0 to 077777777777 (year 2242), else a pax "mtime"
//             record (whole seconds, negative before 1970).
//   uid, gid  octal up to 07777777, else pax "uid" / "gid" records.
// A field whose value moved to a pax record holds a deterministic stand-in:
// the path or link with bytes outside printable ASCII replaced by '_' and
// cut to fit, or 0 for a number. Records come in the order hdrcharset, path,
// linkpath, size, mtime, uid, gid; "hdrcharset=BINARY" is added when the path
// or link target is not valid UTF-8. The pax header is named
// "PaxHeaders/" + the entry's last path component (printable ASCII, '_' for
// other bytes, at most 89 bytes), has mode 0644, uid and gid 0, and the
// entry's mtime field.
//
// Thread safety: one thread at a time.
#ifndef OCIB_LIB_ARCHIVE_TAR_WRITER_H_
#define OCIB_LIB_ARCHIVE_TAR_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "ocib/io.h"
#include "ocib/status.h"

namespace ocib::tar {

enum class EntryType {
  kRegular,    // typeflag '0'; `size` bytes of data follow
  kDirectory,  // typeflag '5'; written with a trailing '/'
  kSymlink,    // typeflag '2'; `link_target` is the symlink's content
  kHardlink,   // typeflag '1'; `link_target` is the path of an earlier entry
};

struct Header {
  // Relative path without a leading '/'. A directory's path gets a trailing
  // '/' when it has none.
  std::string path;
  EntryType type = EntryType::kRegular;
  uint32_t mode = 0644;  // permission bits only (at most 07777)
  int64_t uid = 0;
  int64_t gid = 0;
  int64_t size = 0;         // regular files only; 0 for every other type
  int64_t mtime = 0;        // seconds since the epoch
  std::string link_target;  // symlinks and hard links only
};

class TarWriter {
 public:
  // Writes into `sink`, which must outlive the writer. The writer never
  // closes `sink`.
  explicit TarWriter(Writer* sink) : sink_(sink) {}
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;

  // Starts an entry: pads the previous entry's data and writes the header
  // (and a pax header when needed). kInvalidArgument when the previous
  // entry's data is incomplete, or when `header` is not writable: an empty
  // path or one with a NUL byte or a leading '/', a mode beyond 07777, a
  // negative size, uid or gid, a size on an entry that is not a regular
  // file, a link type without a target, a target with a NUL byte or a target
  // on another type.
  Status WriteHeader(const Header& header);

  // Writes the next `size` bytes of the current entry's data.
  // kInvalidArgument when they would make the data longer than the size the
  // header declared, or when no entry was started.
  Status WriteData(const void* data, size_t size);

  // Pads the last entry and writes the two zero blocks that end the archive.
  // kInvalidArgument when the last entry's data is incomplete.
  Status Finish();

  // Errors of `sink` are returned with context. After any error, and after
  // Finish, every call fails with an error.

 private:
  Status Fail(Error error);
  Status Usable(const std::string& what) const;

  Writer* sink_;
  std::string path_;       // current entry, for error messages
  int64_t declared_ = 0;   // its declared data size
  int64_t remaining_ = 0;  // its data bytes still to come
  bool started_ = false;
  bool finished_ = false;
  std::optional<Error> error_;
};

}  // namespace ocib::tar

#endif  // OCIB_LIB_ARCHIVE_TAR_WRITER_H_
