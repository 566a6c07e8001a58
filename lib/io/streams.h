// Internal stream stages of the layer pipeline.
#ifndef OCIB_LIB_IO_STREAMS_H_
#define OCIB_LIB_IO_STREAMS_H_

#include <memory>
#include <string>
#include <vector>

#include "ocib/digest.h"
#include "ocib/io.h"
#include "ocib/layer.h"

#include "lib/io/file.h"

namespace ocib::io {

// Hashes and counts what passes through to `next` (which must outlive it).
class HashingWriter : public Writer {
 public:
  explicit HashingWriter(Writer* next) : next_(next) {}
  Status Write(const void* data, size_t size) override;
  Status Close() override { return next_->Close(); }
  // Valid once everything was written.
  Digest Finish() { return hasher_.Finish(); }
  int64_t count() const { return count_; }

 private:
  Writer* next_;
  Sha256Hasher hasher_;
  int64_t count_ = 0;
};

// Compresses into `next`. Close flushes the compressor and closes `next`.
std::unique_ptr<Writer> NewCompressor(Compression c, int level, int threads, Writer* next);

// Decompressing readers over `src` (which must outlive them).
std::unique_ptr<Reader> NewGzipReader(Reader* src);
std::unique_ptr<Reader> NewZstdReader(Reader* src);

// Reads a regular file (see lib/io/file.h): never a FIFO or a device, and
// never more than its size when opened plus one byte; a file that grows
// while it is read is kDataLoss. Symbolic links are followed only with
// Links::kFollow (inputs the user names on purpose, never layout content).
class FileReader : public Reader {
 public:
  static Result<std::unique_ptr<FileReader>> Open(const std::string& path,
                                                  Links links = Links::kFollow);
  ~FileReader() override;
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;
  Result<size_t> Read(void* data, size_t size) override;

 private:
  FileReader(int fd, int64_t size, std::string path)
      : fd_(fd), remaining_(size + 1), size_(size), path_(std::move(path)) {}
  int fd_;
  int64_t remaining_;  // the size plus the one byte that detects growth
  int64_t size_;
  std::string path_;
};

// Reads from a string it owns.
class StringReader : public Reader {
 public:
  explicit StringReader(std::string bytes) : bytes_(std::move(bytes)) {}
  Result<size_t> Read(void* data, size_t size) override;

 private:
  std::string bytes_;
  size_t offset_ = 0;
};

// Reads `reader` to its end or until more than `limit` bytes were read,
// whichever comes first: the bytes read (at most limit + one read's worth;
// more than `limit` tells the caller the stream is too long).
Result<std::string> ReadAtMost(Reader& reader, size_t limit);

// Writes nowhere (sink for verification).
class NullWriter : public Writer {
 public:
  Status Write(const void*, size_t) override { return {}; }
  Status Close() override { return {}; }
};

// Human-readable errno text: "No such file or directory".
std::string ErrnoText(int err);

}  // namespace ocib::io

#endif  // OCIB_LIB_IO_STREAMS_H_
