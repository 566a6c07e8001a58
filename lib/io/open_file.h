// A file descriptor shared by its readers, and ranges of it read with
// pread: archives read in place (lib/layout/image_source.h) and the
// temporary files that hold blobs on their way to a registry
// (lib/registry/repository_store.cc).
#ifndef OCIB_LIB_IO_OPEN_FILE_H_
#define OCIB_LIB_IO_OPEN_FILE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "ocib/io.h"
#include "ocib/status.h"

namespace ocib::archive {

// An open file, closed with its last holder.
struct OpenFile {
  OpenFile(int f, std::string p) : fd(f), path(std::move(p)) {}
  ~OpenFile();
  OpenFile(const OpenFile&) = delete;
  OpenFile& operator=(const OpenFile&) = delete;
  int fd;
  std::string path;
};

// Reads [offset, offset + length) of an open archive with pread; a file
// that ends first is kDataLoss ("ends inside a member").
class MemberReader : public Reader {
 public:
  MemberReader(std::shared_ptr<OpenFile> file, int64_t offset, int64_t length)
      : file_(std::move(file)), offset_(offset), remaining_(length) {}
  Result<size_t> Read(void* data, size_t size) override;

 private:
  std::shared_ptr<OpenFile> file_;
  int64_t offset_;
  int64_t remaining_;
};

}  // namespace ocib::archive

#endif  // OCIB_LIB_IO_OPEN_FILE_H_
