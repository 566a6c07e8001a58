// FileRangeReader: reads [offset, offset + length) of a file with pread.
#ifndef OCIB_LIB_IO_FILE_RANGE_READER_H_
#define OCIB_LIB_IO_FILE_RANGE_READER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "ocib/io.h"
#include "ocib/status.h"

namespace ocib::io {

class FileRangeReader : public Reader {
 public:
  // kNotFound if `path` does not exist, kIo if it cannot be opened. Reading
  // past the file's end fails with kDataLoss (the range was promised).
  static Result<std::unique_ptr<Reader>> Open(const std::string& path, int64_t offset,
                                              int64_t length);
  ~FileRangeReader() override;
  FileRangeReader(const FileRangeReader&) = delete;
  FileRangeReader& operator=(const FileRangeReader&) = delete;

  Result<size_t> Read(void* data, size_t size) override;

 private:
  FileRangeReader(int fd, std::string path, int64_t offset, int64_t length)
      : fd_(fd), path_(std::move(path)), offset_(offset), remaining_(length) {}
  int fd_;
  std::string path_;
  int64_t offset_;
  int64_t remaining_;
};

}  // namespace ocib::io

#endif  // OCIB_LIB_IO_FILE_RANGE_READER_H_
